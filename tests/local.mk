# Shell tests (tests/*.t, sourcing tests/lib.sh) and C units (tests/t-*.c).
FB_TEST_CFLAGS = $(libfirebreak_a_CFLAGS)

check_PROGRAMS += tests/t-core tests/t-store
tests_t_core_SOURCES = tests/t-core.c tests/tap.h
tests_t_core_CFLAGS = $(FB_TEST_CFLAGS)
tests_t_core_LDADD = $(FB_LIBS)
tests_t_store_SOURCES = tests/t-store.c tests/tap.h
tests_t_store_CFLAGS = $(FB_TEST_CFLAGS)
tests_t_store_LDADD = $(FB_LIBS)

TESTS += tests/t-core tests/t-store

check_PROGRAMS += tests/t-cases
tests_t_cases_SOURCES = tests/t-cases.c tests/tap.h
tests_t_cases_CFLAGS = $(FB_TEST_CFLAGS)
tests_t_cases_LDADD = $(FB_LIBS)
TESTS += tests/t-cases

SHELL_TESTS = \
	tests/cli.t \
	tests/init.t \
	tests/audit.t \
	tests/config.t \
	tests/migrate.t \
	tests/concurrency.t \
	tests/ingest.t tests/ingest-scope.t \
	tests/formats.t \
	tests/formats-gen.t \
	tests/filter.t \
	tests/suppress.t \
	tests/tui.t \
	tests/tui-term.t \
	tests/tui-keys.t \
	tests/tui-cases.t tests/tui-views.t tests/tui-playbooks.t \
	tests/console-store.t \
	tests/case.t \
	tests/evidence.t \
	tests/gateway.t \
	tests/gateway-fixtures.t \
	tests/export.t \
	tests/redact.t \
	tests/report.t \
	tests/demo.t \
	tests/man.t \
	tests/fleet-inventory.t \
	tests/fleet-exec.t \
	tests/fleet-keys.t \
	tests/fleet-fetch.t \
	tests/fleet-facts.t \
	tests/playbook.t \
	tests/playbook-sandbox.t \
	tests/playbook-shipped.t \
	tests/playbook-shipped2.t \
	tests/playbook-par.t tests/playbook-skip.t
TESTS += $(SHELL_TESTS)
EXTRA_DIST += $(SHELL_TESTS) tests/fixtures tests/fleet-lib.sh tests/lib-tmux.sh

check_PROGRAMS += tests/t-redact
tests_t_redact_SOURCES = tests/t-redact.c tests/tap.h
tests_t_redact_CFLAGS = $(FB_TEST_CFLAGS)
tests_t_redact_LDADD = $(FB_LIBS)
TESTS += tests/t-redact
