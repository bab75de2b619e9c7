/*
 * fuzz-safetensors.c: libFuzzer harness for the safetensors header check.
 *
 * Build with fuzz/build.sh (clang, libFuzzer, ASan + UBSan); run:
 *   $TMPDIR/fb-fuzz/fuzz-safetensors -max_total_time=300 fuzz/corpus/safetensors
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "scan/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scan_result r;
	struct scan_options o = { .max_header = 1 << 20 };

	scan_result_init(&r);
	scan_safetensors(data, size, size, &o, &r);
	scan_result_finish(&r);
	scan_result_release(&r);
	return 0;
}

#ifdef FB_FUZZ_REPLAY
/*
 * Without libFuzzer: replay the committed seed corpus (make check runs
 * this as tests/t-fuzz-safetensors), one TAP line per input.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(void)
{
	const char *src = getenv("FB_SRCDIR");
	char *dir = xasprintf("%s/fuzz/corpus/safetensors", src ? src : FB_SRCDIR);
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
