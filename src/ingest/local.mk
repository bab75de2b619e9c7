# ingest module: detection, normalization, fingerprints, masking.
libfirebreak_a_SOURCES += \
	src/ingest/ingest.h src/ingest/ingest.c src/ingest/mask.c
nobase_dist_pkgdata_DATA += \
	lua/firebreak/ingest/firebreak-jsonl.lua
libfirebreak_a_SOURCES += src/ingest/correlate.h src/ingest/correlate.c
nobase_dist_pkgdata_DATA += lua/firebreak/correlate.lua
