libfirebreak_a_SOURCES += \
	src/store/store.h src/store/store-int.h src/store/store.c \
	src/store/migrate.c src/store/schema-cases.h src/store/cases.h \
	src/store/schema-registry.h src/store/schema-fleet.h \
	src/store/schema-console.h src/store/schema-playbook.h \
	src/store/audit.c src/store/config.c \
	src/store/filter.c src/store/findings.c src/store/suppress.c \
	src/store/console.c src/store/console-views.c \
	src/store/blobs.c src/store/evidence.c src/store/cases.c \
	src/store/registry.c src/store/fleet.c \
	src/store/playbook.h src/store/playbook.c \
	src/store/export.h src/store/export.c
