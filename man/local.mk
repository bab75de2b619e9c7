dist_man_MANS += man/firebreak.1 man/firebreak-json.5 man/firebreak-ingest.5 \
	man/firebreak-tui.1
