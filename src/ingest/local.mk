# ingest module: detection, normalization, fingerprints, masking.
libfirebreak_a_SOURCES += \
	src/ingest/ingest.h src/ingest/ingest.c src/ingest/mask.c
nobase_dist_pkgdata_DATA += \
	lua/firebreak/ingest/firebreak-jsonl.lua \
	lua/firebreak/fmt.lua \
	lua/firebreak/ingest/alertmanager.lua \
	lua/firebreak/ingest/cyclonedx.lua \
	lua/firebreak/ingest/falco.lua \
	lua/firebreak/ingest/garak.lua \
	lua/firebreak/ingest/grype.lua \
	lua/firebreak/ingest/modelscan.lua \
	lua/firebreak/ingest/osv-scanner.lua \
	lua/firebreak/ingest/pip-audit.lua \
	lua/firebreak/ingest/sarif.lua \
	lua/firebreak/ingest/trivy.lua
libfirebreak_a_SOURCES += src/ingest/correlate.h src/ingest/correlate.c
nobase_dist_pkgdata_DATA += lua/firebreak/correlate.lua
