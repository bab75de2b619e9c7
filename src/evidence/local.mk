# evidence module: the only code that calls archive_* and zlib
libfirebreak_a_SOURCES += \
	src/evidence/evidence.h src/evidence/archive-read.c \
	src/evidence/decompress.c
libfirebreak_a_SOURCES += src/evidence/bundle-int.h src/evidence/export.c \
	src/evidence/report.c src/evidence/redact.c src/evidence/sign.c \
	src/evidence/verify.c

# make check replays the bundle fuzzer's seed corpus (fuzz/corpus/bundle)
check_PROGRAMS += tests/t-fuzz-bundle
TESTS += tests/t-fuzz-bundle
tests_t_fuzz_bundle_SOURCES = fuzz/fuzz-bundle.c
tests_t_fuzz_bundle_CPPFLAGS = $(AM_CPPFLAGS) -DFB_FUZZ_REPLAY
tests_t_fuzz_bundle_CFLAGS = $(libfirebreak_a_CFLAGS)
tests_t_fuzz_bundle_LDADD = $(FB_LIBS)
