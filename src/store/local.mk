libfirebreak_a_SOURCES += \
	src/store/store.h src/store/store-int.h src/store/store.c \
	src/store/migrate.c src/store/audit.c src/store/config.c
