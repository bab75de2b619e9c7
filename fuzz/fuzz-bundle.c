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
#include "replay.h"
FB_FUZZ_REPLAY_MAIN("bundle")
#endif
