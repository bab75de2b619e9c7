# fleet module: the only code that calls libssh2_* (and expat, for
# nvidia-smi's XML).
libfirebreak_a_SOURCES += \
	src/fleet/fleet.h src/fleet/inventory.c src/fleet/knownhosts.c \
	src/fleet/ssh.c src/fleet/facts.c
libfirebreak_a_CFLAGS += $(EXPAT_CFLAGS)
FB_LIBS += $(EXPAT_LIBS)
