libfirebreak_a_SOURCES += \
	src/cli/cli.h src/cli/cli.c src/cli/init.c src/cli/audit.c \
	src/cli/config.c src/cli/ingest.c src/cli/finding.c \
	src/cli/suppress.c src/cli/scan.c \
	src/cli/tui.c \
	src/cli/case.c src/cli/evidence.c src/cli/correlate.c \
	src/cli/key.c src/cli/model.c src/cli/fleet.c \
	src/cli/playbook.c src/cli/run.c src/cli/export.c src/cli/verify.c
