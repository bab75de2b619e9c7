/*
 * fuzz-bundle.c: libFuzzer harness for `firebreak verify`: an input is a
 * whole bundle (any archive libarchive reads), checked without running
 * ssh-keygen. Build with fuzz/build.sh; run:
 *   $TMPDIR/fb-fuzz/fuzz-bundle -max_total_time=300 fuzz/corpus/bundle
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "evidence/evidence.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evidence_verify_opts o = { .skip_signature = 1 };
	struct evidence_verify_result r;
	char path[64];
	int fd;

	if ((fd = memfd_create("bundle", MFD_CLOEXEC)) < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		(void)evidence_verify(path, &o, &r);
	}
	close(fd);
	return 0;
}

#ifdef FB_FUZZ_REPLAY
/*
 * Without libFuzzer: replay the committed seed corpus (make check runs
 * this as tests/t-fuzz-bundle), one TAP line per input.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

int
main(void)
{
	const char *src = getenv("FB_SRCDIR");
	char *dir = xasprintf("%s/fuzz/corpus/bundle", src ? src : FB_SRCDIR);
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
