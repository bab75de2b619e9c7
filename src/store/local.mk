libfirebreak_a_SOURCES += \
	src/store/store.h src/store/store-int.h src/store/store.c \
	src/store/migrate.c src/store/audit.c src/store/config.c \
	src/store/filter.c src/store/findings.c src/store/suppress.c
