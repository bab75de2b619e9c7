# scan module: the model-artifact scanner (pure parsing, fuzzable)
libfirebreak_a_SOURCES += \
	src/scan/scan.h src/scan/scan-int.h \
	src/scan/scan.c src/scan/result.c src/scan/policy.c \
	src/scan/pickle.c src/scan/npy.c src/scan/safetensors.c \
	src/scan/output.c

check_PROGRAMS += tests/t-scan
TESTS += tests/t-scan
tests_t_scan_SOURCES = tests/t-scan.c
tests_t_scan_CFLAGS = $(libfirebreak_a_CFLAGS)
tests_t_scan_LDADD = $(FB_LIBS)
EXTRA_DIST += tests/fixtures/scan

# make check replays the fuzzers' seed corpora (fuzz/corpus/*)
check_PROGRAMS += tests/t-fuzz-pickle tests/t-fuzz-safetensors
TESTS += tests/t-fuzz-pickle tests/t-fuzz-safetensors
tests_t_fuzz_pickle_SOURCES = fuzz/fuzz-pickle.c
tests_t_fuzz_pickle_CPPFLAGS = $(AM_CPPFLAGS) -DFB_FUZZ_REPLAY
tests_t_fuzz_pickle_CFLAGS = $(libfirebreak_a_CFLAGS)
tests_t_fuzz_pickle_LDADD = $(FB_LIBS)
tests_t_fuzz_safetensors_SOURCES = fuzz/fuzz-safetensors.c
tests_t_fuzz_safetensors_CPPFLAGS = $(AM_CPPFLAGS) -DFB_FUZZ_REPLAY
tests_t_fuzz_safetensors_CFLAGS = $(libfirebreak_a_CFLAGS)
tests_t_fuzz_safetensors_LDADD = $(FB_LIBS)
EXTRA_DIST += fuzz/corpus fuzz/build.sh fuzz/replay.h

# firebreak scan: the ingest adapter for its JSON Lines, its man page and
# its shell test (the command itself is src/cli/scan.c)
nobase_dist_pkgdata_DATA += lua/firebreak/ingest/firebreak-scan.lua \
	lua/firebreak/scan/policy.lua
dist_man_MANS += man/firebreak-scan.1
TESTS += tests/scan.t
EXTRA_DIST += tests/scan.t
