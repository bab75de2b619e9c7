# evidence module: the only code that calls archive_* and zlib
libfirebreak_a_SOURCES += \
	src/evidence/evidence.h src/evidence/archive-read.c \
	src/evidence/decompress.c
