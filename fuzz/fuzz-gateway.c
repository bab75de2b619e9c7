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
/*
 * Without libFuzzer: replay the committed seed corpus (make check runs
 * this as tests/t-fuzz-gateway), one TAP line per input.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

int
main(void)
{
	const char *src = getenv("FB_SRCDIR");
	char *dir = xasprintf("%s/fuzz/corpus/gateway", src ? src : FB_SRCDIR);
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL) {
		printf("1..1\nnot ok 1 - cannot open %s\n", dir);
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		struct fb_buf b = FB_BUF_INIT;
		char *p;

		if (de->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (fb_buf_read_file(&b, p, 1 << 24) == 0) {
			LLVMFuzzerTestOneInput((const uint8_t *)b.data, b.len);
			printf("ok %d - %s\n", ++n, de->d_name);
		}
		fb_buf_release(&b);
		free(p);
	}
	closedir(d);
	printf("1..%d\n", n);
	free(dir);
	return n == 0;
}
#endif
