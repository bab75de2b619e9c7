#!/bin/sh
# Shipped playbooks on the loopback fleet (hosts with their own /srv):
# snapshot-evidence and quarantine-model. End states are checked over plain
# ssh and on the hosts' files, hashes computed here with sha256sum.
. "$(dirname "$0")/lib.sh"
require_prog jq
require_prog sqlite3
require_prog ssh
fleet_require

for h in qa-1 qa-2 qa-3; do
	fleet_host $h || { echo "1..0 # cannot start sshd"; exit 1; }
	fleet_trust $h
	d="$(fleet_dir $h)/srv"
	for v in v1 v2; do
		mkdir -p "$d/models/llama/$v"
		printf 'weights %s %s\n' "$v" "$h" >"$d/models/llama/$v/model.safetensors"
		printf '{"v":"%s"}\n' "$v" >"$d/models/llama/$v/config.json"
	done
	ln -s v2 "$d/models/llama/current"
	mkdir -p "$d/quarantine"
	printf 'token for %s\n' "$h" >"$d/data/secret.txt"
	printf '<nvidia_smi_log><driver_version>550.54</driver_version></nvidia_smi_log>\n' >"$d/gpu.xml"
	chown -R fbfleet "$d/models" "$d/quarantine" "$d/data"
done
fb init -w "$WS" >/dev/null
export FIREBREAK_WORKSPACE="$WS"
fb case new "poisoned llama v2" >/dev/null

rssh() {
	ssh -o BatchMode=yes -o UserKnownHostsFile="$HOME/.ssh/known_hosts" \
		-i "$HOME/.ssh/id_ed25519" -p "$(cat "$(fleet_dir "$1")/port")" \
		"fbfleet@$(cat "$(fleet_dir "$1")/addr")" "$2"
}
# hash_dir DIR: the version hash the playbook compares: the file's own
# when the version holds one, else that of the sorted sha256sum listing.
hash_dir() {
	(cd "$1" && if [ "$(find . -type f | wc -l)" -eq 1 ]; then
		sha256sum -- "$(find . -type f)" | cut -c1-64
	else
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum -- | sha256sum | cut -c1-64
	fi)
}
last() { sqlite3 "$WS/store.db" "SELECT $1 FROM runs ORDER BY id DESC LIMIT 1"; }
blob() { cat "$WS/blobs/$(printf %s "$1" | cut -c1-2)/$(printf %s "$1" | cut -c3-)"; }
evsha() { fb evidence ls --json | jq -r "select(.name==\"$1\") | .sha256" | tail -1; }

test_expect_success 'shipped playbooks lint clean and are listed' '
	fb playbook lint snapshot-evidence quarantine-model rollback-model contain-gpu-node >out &&
	expect_eq "$(grep -c ": ok (" out)" 4 &&
	fb playbook ls >out && expect_grep "^snapshot-evidence " out &&
	expect_grep "^quarantine-model " out
'

test_expect_success 'snapshot-evidence: dry run plans nothing on the hosts' '
	fb playbook run snapshot-evidence --dry-run --case 1 >out &&
	expect_grep "step 1 .volatile.: runs once" out &&
	expect_eq "$(fb evidence ls --json | grep -c . || :)" 0
'

test_expect_success 'snapshot-evidence collects volatile data, listings and files' '
	fb playbook run snapshot-evidence --case 1 -e paths=/srv/data/secret.txt -e auth_logs= >out &&
	expect_eq "$(last state)" done &&
	for h in qa-1 qa-2 qa-3; do
		for n in processes sockets users gpu containers model-listing model-sha256; do
			[ -n "$(evsha $h-$n)" ] || { echo "no $h-$n"; exit 1; }
		done
	done &&
	expect_eq "$(evsha qa-2-gpu)" "$(sha256sum <"$(fleet_dir qa-2)/srv/gpu.xml" | cut -c1-64)" &&
	want=$(cd "$(fleet_dir qa-3)/srv/models" && find . -type f -print0 | sort -z | xargs -0r sha256sum --) &&
	expect_eq "$(blob "$(evsha qa-3-model-sha256)")" "$want" &&
	expect_eq "$(fb evidence ls --json | jq -r "select(.path==\"/srv/data/secret.txt\" and .source_host==\"qa-1\") | .sha256")" \
		"$(sha256sum <"$(fleet_dir qa-1)/srv/data/secret.txt" | cut -c1-64)" &&
	blob "$(evsha qa-1-processes)" | grep -q sshd
'

test_expect_success 'snapshot-evidence: custody, case timeline and summary' '
	id=$(fb evidence ls --json | jq -r "select(.name==\"qa-1-users\") | .id") &&
	fb evidence show "$id" --json | jq -e ".custody | length >= 1" >/dev/null &&
	fb case timeline 1 --json >tl &&
	expect_eq "$(jq -r "select(.kind==\"note\") | .text" tl | grep -c "^snapshot of qa-[123]: 8 evidence items$")" 3 &&
	expect_eq "$(jq -r "select(.kind==\"playbook_step\") | .text" tl | grep -c "step [1-4] ")" 4
'

safe=$(hash_dir "$(fleet_dir qa-1)/srv/models/llama/v1")
v2list=$(cd "$(fleet_dir qa-1)/srv/models/llama/v2" && find . -type f -print0 | sort -z | xargs -0r sha256sum --)

test_expect_code 5 'quarantine-model: plan per host, waits for approval' '
	fb playbook run quarantine-model --case 1 -l qa-1 -e model=llama -e version=v2 \
		-e safe_version=v1 -e safe_sha256=$safe >out; rc=$?;
	expect_grep "qa-1 *move /srv/models/llama/v2 to /srv/quarantine/llama/v2 (mode 000)" out &&
	expect_grep "qa-1 *repoint /srv/models/llama/current from .v2. to .v1." out &&
	expect_eq "$(rssh qa-1 "readlink /srv/models/llama/current")" v2 && exit $rc
'

test_expect_success 'quarantine-model: apply, end state over plain ssh' '
	id=$(last id) &&
	fb run approve "$id" --plan "$(last plan_sha256)" >out &&
	expect_eq "$(last state)" done &&
	expect_eq "$(rssh qa-1 "readlink /srv/models/llama/current")" v1 &&
	expect_eq "$(rssh qa-1 "stat -c %a /srv/quarantine/llama/v2")" 0 &&
	! rssh qa-1 "test -e /srv/models/llama/v2" &&
	expect_eq "$(stat -c %a "$(fleet_dir qa-1)/srv/quarantine/llama/v2/model.safetensors")" 0 &&
	expect_eq "$(blob "$(evsha qa-1-llama-v2-sha256)")" "$v2list" &&
	expect_grep "verified: no host serves a quarantined file" out &&
	expect_grep "registry not updated" out &&
	expect_eq "$(rssh qa-2 "readlink /srv/models/llama/current")" v2
'

test_expect_success 'quarantine-model: undo puts v2 back and serves it' '
	fb run undo "$(last id)" >out &&
	expect_eq "$(last state)" undone &&
	expect_eq "$(rssh qa-1 "readlink /srv/models/llama/current")" v2 &&
	expect_eq "$(rssh qa-1 "stat -c %a /srv/models/llama/v2/model.safetensors")" 644 &&
	! rssh qa-1 "test -e /srv/quarantine/llama/v2"
'

test_expect_success 'quarantine-model: a wrong safe hash refuses to repoint' '
	fb playbook run quarantine-model -l qa-2 -e model=llama -e version=v2 \
		-e safe_version=v1 -e safe_sha256=0000000000000000000000000000000000000000000000000000000000000000 >out; [ $? -eq 5 ] &&
	{ fb run approve "$(last id)" --plan "$(last plan_sha256)" >out 2>&1; rc=$?; } ;
	expect_eq "$rc" 4 &&
	expect_grep "hashes to $(hash_dir "$(fleet_dir qa-2)/srv/models/llama/v1"), expected 0000" out &&
	expect_eq "$(rssh qa-2 "readlink /srv/models/llama/current")" v2 &&
	fb run undo "$(last id)" >/dev/null &&
	rssh qa-2 "test -d /srv/models/llama/v2"
'

test_expect_success 'quarantine-model: a host that fails mid-way is resumed' '
	chmod 555 "$(fleet_dir qa-3)/srv/quarantine" && chown root "$(fleet_dir qa-3)/srv/quarantine" &&
	fb playbook run quarantine-model -l "qa-2:qa-3" -e model=llama -e version=v2 >out; [ $? -eq 5 ] &&
	{ fb run approve "$(last id)" --plan "$(last plan_sha256)" >out 2>&1; rc=$?; } ;
	expect_eq "$rc" 4 && expect_eq "$(last state)" failed &&
	expect_eq "$(rssh qa-2 "stat -c %a /srv/quarantine/llama/v2")" 0 &&
	rssh qa-3 "test -d /srv/models/llama/v2" &&
	chown fbfleet "$(fleet_dir qa-3)/srv/quarantine" && chmod 755 "$(fleet_dir qa-3)/srv/quarantine" &&
	fb run resume "$(last id)" >out &&
	expect_eq "$(last state)" done &&
	expect_eq "$(rssh qa-3 "stat -c %a /srv/quarantine/llama/v2")" 0 &&
	expect_eq "$(sqlite3 "$WS/store.db" "SELECT group_concat(host||\"=\"||applies) FROM run_steps WHERE run_id=$(last id) AND step=2")" "qa-2=1,qa-3=1"
'

test_expect_success 'rollback-model: checks the hash, repoints, restarts, verifies' '
	want=$(hash_dir "$(fleet_dir qa-1)/srv/models/llama/v1") &&
	fb playbook run rollback-model -l qa-1 -e model=llama -e to_version=v1 \
		-e expected_sha256=$want -e "restart=touch /srv/data/restarted" >out; [ $? -eq 5 ] &&
	expect_grep "qa-1 *repoint /srv/models/llama/current from .v2. to .v1." out &&
	fb run approve "$(last id)" --plan "$(last plan_sha256)" >out &&
	expect_eq "$(last state)" done &&
	expect_eq "$(rssh qa-1 "readlink /srv/models/llama/current")" v1 &&
	rssh qa-1 "test -f /srv/data/restarted" &&
	expect_grep "verified: 1 hosts serve $want" out
'

test_expect_success 'rollback-model: undo returns to the prior version' '
	fb run undo "$(last id)" >out &&
	expect_eq "$(rssh qa-1 "readlink /srv/models/llama/current")" v2
'

test_expect_success 'rollback-model: a version whose files differ is not served' '
	echo tampered >>"$(fleet_dir qa-2)/srv/models/llama/v1/config.json" &&
	fb playbook run rollback-model -l qa-2 -e model=llama -e to_version=v1 \
		-e expected_sha256=$(hash_dir "$(fleet_dir qa-1)/srv/models/llama/v1") >out; [ $? -eq 5 ] &&
	{ fb run approve "$(last id)" --plan "$(last plan_sha256)" >out 2>&1; rc=$?; } ;
	expect_eq "$rc" 4 && expect_grep "hashes to" out &&
	expect_eq "$(rssh qa-2 "readlink /srv/models/llama/current")" v2
'

for h in qa-1 qa-2; do
	cat >"$(fleet_dir $h)/bin/scontrol" <<'SCONTROL'
#!/bin/sh
# fake scontrol: the node's state lives in /srv/data/slurm
case "$1" in
show) if [ -f /srv/data/slurm ]; then cat /srv/data/slurm; else echo "NodeName=$3 State=IDLE"; fi ;;
update)
	shift
	for a; do case "$a" in
		NodeName=*) n=${a#NodeName=} ;; State=*) st=${a#State=} ;; Reason=*) rs=${a#Reason=} ;;
	esac; done
	[ "$st" = RESUME ] && st=IDLE
	printf "NodeName=%s State=%s Reason=%s\n" "$n" "$st" "${rs:-}" >/srv/data/slurm ;;
esac
SCONTROL
	chmod 755 "$(fleet_dir $h)/bin/scontrol"
done
reason='GPU exfil; ticket "IR-7" $(id)'

test_expect_success 'contain-gpu-node: plan, drain through scontrol with the reason literal' '
	fb playbook run contain-gpu-node --case 1 -l "qa-1:qa-2" -e "reason=$reason" >out; [ $? -eq 5 ] &&
	expect_grep "qa-1 *drain qa-1 (GPU exfil; ticket \"IR-7\" \$(id))" out &&
	fb run approve "$(last id)" --plan "$(last plan_sha256)" >out &&
	expect_eq "$(last state)" done &&
	expect_eq "$(rssh qa-2 "cat /srv/data/slurm")" "NodeName=qa-2 State=DRAIN Reason=$reason" &&
	[ -n "$(evsha qa-1-processes)" ] &&
	expect_eq "$(blob "$(evsha qa-2-gpu)")" "$(cat "$(fleet_dir qa-2)/srv/gpu.xml")"
'

test_expect_success 'contain-gpu-node: a drained node has nothing to do' '
	fb playbook run contain-gpu-node -l qa-1 --dry-run >out &&
	expect_grep "qa-1 *no change" out
'

test_expect_success 'contain-gpu-node: undo resumes the nodes' '
	fb run undo "$(sqlite3 "$WS/store.db" "SELECT max(id) FROM runs WHERE state=\"done\" AND playbook=\"contain-gpu-node\"")" >out &&
	expect_eq "$(rssh qa-1 "cat /srv/data/slurm")" "NodeName=qa-1 State=IDLE Reason=" &&
	expect_eq "$(rssh qa-2 "cat /srv/data/slurm")" "NodeName=qa-2 State=IDLE Reason="
'

test_done
