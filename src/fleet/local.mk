# fleet module: the only code that calls libssh2_* (and expat, for
# nvidia-smi's XML).
libfirebreak_a_SOURCES += \
	src/fleet/fleet.h src/fleet/inventory.c src/fleet/knownhosts.c \
	src/fleet/ssh.c src/fleet/facts.c \
	src/fleet/fetch-store.h src/fleet/fetch-store.c
libfirebreak_a_CFLAGS += $(EXPAT_CFLAGS)
FB_LIBS += $(EXPAT_LIBS)

# make check replays the fuzzer's seed corpus (fuzz/corpus/fleet)
check_PROGRAMS += tests/t-fuzz-fleet
TESTS += tests/t-fuzz-fleet
tests_t_fuzz_fleet_SOURCES = fuzz/fuzz-fleet.c
tests_t_fuzz_fleet_CPPFLAGS = $(AM_CPPFLAGS) -DFB_FUZZ_REPLAY
tests_t_fuzz_fleet_CFLAGS = $(libfirebreak_a_CFLAGS)
tests_t_fuzz_fleet_LDADD = $(FB_LIBS)
EXTRA_DIST += bench/fanout tests/fixtures/fleet
check_PROGRAMS += tests/t-fleet
TESTS += tests/t-fleet
tests_t_fleet_SOURCES = tests/t-fleet.c tests/tap.h
tests_t_fleet_CFLAGS = $(FB_TEST_CFLAGS)
tests_t_fleet_LDADD = $(FB_LIBS)
