libfirebreak_a_SOURCES += \
	src/core/core.h src/core/banned.h \
	src/core/err.c src/core/buf.c src/core/hash.c src/core/time.c \
	src/core/sanitize.c src/core/util.c src/core/csv.c \
	src/core/map.c
libfirebreak_a_SOURCES += src/json/json.h src/json/json.c
libfirebreak_a_SOURCES += src/filter/filter.h src/filter/filter.c
