/*
 * fuzz-fleet.c: libFuzzer harness for the fleet parsers that read text a
 * host or a colleague controls: the Ansible INI inventory (with a host
 * pattern), known_hosts lines (with a check), nvidia-smi's XML and the
 * facts command's output.
 *
 * The first input byte picks the parser; the rest is its input.
 *
 * Build (from a configured build directory B, for config.h):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -I src -I B -o fuzz-fleet fuzz/fuzz-fleet.c src/fleet/inventory.c \
 *     src/fleet/knownhosts.c src/fleet/facts.c src/json/json.c \
 *     src/core/buf.c src/core/err.c src/core/util.c src/core/sanitize.c \
 *     src/core/time.c src/core/hash.c \
 *     $(pkg-config --cflags --libs expat yajl libcrypto)
 * Run:  ./fuzz-fleet -max_total_time=60 fuzz/corpus/fleet
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "fleet/fleet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1;
	size_t n = size ? size - 1 : 0;

	if (size == 0)
		return 0;
	switch (data[0] % 4) {
	case 0: {
		struct fleet_inventory *inv = NULL;
		size_t *idx = NULL, k;

		if (fleet_inventory_parse("fuzz", p, n, &inv) == 0) {
			static const char *const pats[] = { "all", "g*:!x",
				"a:&b", "h[0-9]*,web" };
			for (k = 0; k < FB_ARRAY_LEN(pats); k++) {
				size_t cnt = 0;

				if (fleet_inventory_match(inv, pats[k], &idx,
				    &cnt) == 0)
					free(idx);
				idx = NULL;
			}
			fleet_inventory_free(inv);
		}
		break;
	}
	case 1: {
		struct fleet_known *k = fleet_known_new();
		const char *s = p, *end = p + n;
		static const unsigned char key[] = { 0, 0, 0, 11, 's', 's',
			'h', '-', 'e', 'd', '2', '5', '5', '1', '9' };
		char *types;

		while (s < end) {
			const char *nl = memchr(s, '\n', (size_t)(end - s));
			size_t l = nl ? (size_t)(nl - s) : (size_t)(end - s);

			(void)fleet_known_add_line(k, s, l, "fuzz");
			s += l + 1;
		}
		(void)fleet_known_check(k, "h", "10.0.0.1", 2222,
		    "ssh-ed25519", key, sizeof(key));
		types = fleet_known_types(k, "h", "10.0.0.1", 22);
		free(types);
		fleet_known_free(k);
		break;
	}
	case 2: {
		struct fleet_facts f;

		memset(&f, 0, sizeof(f));
		(void)fleet_gpu_parse(p, n, &f);
		fleet_facts_release(&f);
		break;
	}
	case 3: {
		struct fleet_facts f;
		char *j;
		size_t g;

		if (fleet_facts_parse(p, n, &f) == 0) {
			j = fleet_facts_host_json(&f, "h", 0, "SHA256:x");
			free(j);
			for (g = 0; g < f.ngpus; g++) {
				j = fleet_gpu_json(&f.gpus[g], &f, "h");
				free(j);
			}
		}
		fleet_facts_release(&f);
		break;
	}
	}
	fb_err_clear();
	return 0;
}

#ifdef FB_FUZZ_REPLAY
#include "replay.h"
FB_FUZZ_REPLAY_MAIN("fleet")
#endif
