# evidence module: the only code that calls archive_*
libfirebreak_a_SOURCES += \
	src/evidence/evidence.h src/evidence/archive-read.c
