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
#include "replay.h"
FB_FUZZ_REPLAY_MAIN("pickle")
#endif
