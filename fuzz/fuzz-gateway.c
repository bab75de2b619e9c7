/*
 * fuzz-gateway.c: libFuzzer harness for the gateway module's untrusted-
 * input core: the JSON scanner, the record parsers of every native format
 * (firebreak gateway events, LiteLLM, Envoy) and the NGINX line parser.
 *
 * Build (from a configured build directory B, for config.h):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -DFB_PKGDATADIR='"x"' -DFB_BUILDDIR='"x"' -DFB_SRCDIR='"x"' \
 *     -I src -I B -o fuzz-gateway fuzz/fuzz-gateway.c \
 *     src/gateway/jscan.c src/gateway/formats.c \
 *     src/core/buf.c src/core/err.c src/core/hash.c src/core/time.c \
 *     src/core/util.c src/core/sanitize.c $(pkg-config --cflags --libs libcrypto)
 * Run:  ./fuzz-gateway -max_total_time=60 fuzz/corpus/gateway
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gateway/gateway-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
walk(void *ud, const char *k, size_t kl, const struct gw_jval *v)
{
	char buf[256];
	int64_t x;

	(void)ud;
	(void)k;
	(void)kl;
	gw_json_str(v, buf, sizeof(buf));
	gw_json_int(v, &x);
	if (v->type == GW_J_OBJ)
		gw_json_object(v->p, v->n, walk, NULL, NULL);
	else if (v->type == GW_J_ARR)
		gw_json_array(v, walk, NULL);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct gw_event ev;
	struct gw_jval v;
	char why[160];
	size_t used;
	int f;

	if (gw_json_value(p, size, &v, &used) == 0)
		walk(NULL, NULL, 0, &v);
	for (f = GW_FMT_EVENT; f <= GW_FMT_ENVOY; f++)
		gw_parse_json((enum gw_format)f, p, size, &ev, &used, why,
		    sizeof(why));
	gw_parse_nginx(p, size, &ev, why, sizeof(why));
	return 0;
}

#ifdef FB_FUZZ_REPLAY
#include "replay.h"
FB_FUZZ_REPLAY_MAIN("gateway")
#endif
