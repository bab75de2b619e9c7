/*
 * fuzz-pickle.c: libFuzzer harness for the pickle opcode walker and the
 * .npy header parser (the scanner's untrusted-input core).
 *
 * Build with fuzz/build.sh (clang, libFuzzer, ASan + UBSan); run:
 *   $TMPDIR/fb-fuzz/fuzz-pickle -max_total_time=300 fuzz/corpus/pickle
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "scan/scan-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scan_result r;
	struct scan_npy_info info;
	size_t need;

	scan_result_init(&r);
	scan_pickle(data, size, "data.pkl", 0, 0, NULL, &r);
	scan_result_finish(&r);
	scan_result_release(&r);

	scan_result_init(&r);
	scan_npy_header(data, size, NULL, &r, &info, &need);
	scan_result_release(&r);

	/* the whole detector, as `firebreak scan` sees a file */
	scan_result_init(&r);
	scan_memory(data, size, "x.pkl", &(struct scan_options){ .no_hash = 1 }, &r);
	scan_result_release(&r);
	return 0;
}

#ifdef FB_FUZZ_REPLAY
/*
 * Without libFuzzer: replay the committed seed corpus (make check runs
 * this as tests/t-fuzz-pickle), one TAP line per input.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(void)
{
	const char *src = getenv("FB_SRCDIR");
	char *dir = xasprintf("%s/fuzz/corpus/pickle", src ? src : FB_SRCDIR);
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
