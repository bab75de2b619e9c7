/*
 * fuzz-safetensors.c: libFuzzer harness for the safetensors header check.
 *
 * Build (from a configured build directory B, for config.h):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -I src -I B -o fuzz-safetensors fuzz/fuzz-safetensors.c \
 *     src/scan/safetensors.c src/scan/result.c src/scan/policy.c \
 *     src/core/buf.c src/core/err.c src/core/sanitize.c \
 *     $(pkg-config --cflags --libs yajl)
 * Run:  ./fuzz-safetensors -max_total_time=60 fuzz/corpus/safetensors
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
