# evidence module: the only code that calls archive_* and zlib
libfirebreak_a_SOURCES += \
	src/evidence/evidence.h src/evidence/archive-read.c \
	src/evidence/decompress.c
libfirebreak_a_SOURCES += src/evidence/bundle-int.h src/evidence/export.c \
	src/evidence/report.c src/evidence/redact.c src/evidence/sign.c \
	src/evidence/verify.c
