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
#include "replay.h"
FB_FUZZ_REPLAY_MAIN("safetensors")
#endif
