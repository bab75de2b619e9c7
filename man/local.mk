dist_man_MANS += man/firebreak.1 man/firebreak-json.5 man/firebreak-ingest.5
dist_man_MANS += man/firebreak-playbook.5 man/firebreak-lua.7
dist_man_MANS += man/firebreak-bundle.5
dist_man_MANS += man/firebreak-tui.1
