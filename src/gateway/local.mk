# gateway module: gateway logs parsed and judged in C (ingest hands them
# over when an adapter declares native = "..."), their adapters, tests.
libfirebreak_a_SOURCES += \
	src/gateway/gateway.h src/gateway/gateway-int.h \
	src/gateway/jscan.c src/gateway/formats.c src/gateway/detect.c
nobase_dist_pkgdata_DATA += \
	lua/firebreak/ingest/firebreak-gateway.lua \
	lua/firebreak/ingest/litellm.lua lua/firebreak/ingest/envoy.lua \
	lua/firebreak/ingest/nginx.lua
