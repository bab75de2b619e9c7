libfirebreak_a_SOURCES += \
	src/tui/tui.h src/tui/tui-int.h src/tui/tui.c src/tui/keys.c \
	src/tui/draw.c src/tui/list.c src/tui/view-dashboard.c \
	src/tui/view-findings.c src/tui/view-finding.c src/tui/view-audit.c \
	src/tui/view-help.c src/tui/view-cases.c \
	src/tui/view-fleet.c src/tui/view-runs.c src/tui/view-export.c \
	src/tui/view-playbooks.c
