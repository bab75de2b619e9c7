# playbook module: playbooks, the run engine (plan, approval, journal,
# resume, undo).
libfirebreak_a_SOURCES += src/playbook/playbook.h src/playbook/playbook.c \
	src/playbook/run.c
nobase_dist_pkgdata_DATA += playbooks/snapshot-evidence.lua \
	playbooks/quarantine-model.lua playbooks/rollback-model.lua \
	playbooks/contain-gpu-node.lua playbooks/revoke-key.lua \
	playbooks/verify-model-integrity.lua
EXTRA_DIST += bench/playbook
