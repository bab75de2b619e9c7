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
EXTRA_DIST += tests/fixtures/scan fuzz/fuzz-pickle.c fuzz/fuzz-safetensors.c
