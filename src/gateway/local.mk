# gateway module: gateway logs parsed and judged in C (ingest hands them
# over when an adapter declares native = "..."), their adapters, tests.
libfirebreak_a_SOURCES += \
	src/gateway/gateway.h src/gateway/gateway-int.h \
	src/gateway/jscan.c src/gateway/formats.c src/gateway/detect.c
nobase_dist_pkgdata_DATA += \
	lua/firebreak/ingest/firebreak-gateway.lua \
	lua/firebreak/ingest/litellm.lua lua/firebreak/ingest/envoy.lua \
	lua/firebreak/ingest/nginx.lua
# make check replays the fuzzer's seed corpus (fuzz/corpus/gateway)
check_PROGRAMS += tests/t-fuzz-gateway
TESTS += tests/t-fuzz-gateway
EXTRA_DIST += fuzz/fuzz-gateway.c bench/gateway
tests_t_fuzz_gateway_SOURCES = fuzz/fuzz-gateway.c
tests_t_fuzz_gateway_CPPFLAGS = $(AM_CPPFLAGS) -DFB_FUZZ_REPLAY
tests_t_fuzz_gateway_CFLAGS = $(libfirebreak_a_CFLAGS)
tests_t_fuzz_gateway_LDADD = $(FB_LIBS)
check_PROGRAMS += tests/t-gateway
TESTS += tests/t-gateway
tests_t_gateway_SOURCES = tests/t-gateway.c tests/tap.h
tests_t_gateway_CFLAGS = $(FB_TEST_CFLAGS)
tests_t_gateway_LDADD = $(FB_LIBS)
