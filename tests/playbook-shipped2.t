#!/bin/sh
# Shipped playbooks on the loopback fleet, part 2: revoke-key and
# verify-model-integrity. End states are checked over plain ssh and on
# the hosts' files; fingerprints, key ids and hashes are computed here
# with ssh-keygen, sha256sum and jq.
. "$(dirname "$0")/lib.sh"
require_prog jq
require_prog sqlite3
require_prog ssh
fleet_require

ssh-keygen -q -t ed25519 -N '' -C victim -f "$TEST_TMP/victim"
ssh-keygen -q -t ed25519 -N '' -C other -f "$TEST_TMP/other"
fp=$(ssh-keygen -lf "$TEST_TMP/victim.pub" | cut -d' ' -f2)
vblob=$(cut -d' ' -f2 "$TEST_TMP/victim.pub")

for h in qa-1 qa-2 qa-3; do
	fleet_host $h || { echo "1..0 # cannot start sshd"; exit 1; }
	fleet_trust $h
	d="$(fleet_dir $h)/srv"
	ak="$d/ssh/authorized_keys"
	if [ $h != qa-3 ]; then
		{
			echo "# ops keys"
			printf 'from="10.0.0.0/8",no-pty %s\n' "$(cat "$TEST_TMP/victim.pub")"
			printf '   \n'
			cat "$TEST_TMP/other.pub"
			printf '%s' "$(cat "$TEST_TMP/victim.pub")"
		} >>"$ak"
	else
		cat "$TEST_TMP/other.pub" >>"$ak"
	fi
	chown -R fbfleet "$d/ssh"   # as ~/.ssh would be
	cp "$ak" "$TEST_TMP/ak-orig-$h"
	grep -vF -- "$vblob" "$ak" >"$TEST_TMP/ak-want-$h" || :
	# the same model bytes on every host: v1 one file, v2 two files
	mkdir -p "$d/models/llama/v1" "$d/models/llama/v2"
	printf 'weights v1\n' >"$d/models/llama/v1/model.safetensors"
	printf 'weights v2\n' >"$d/models/llama/v2/model.safetensors"
	printf '{"v":2}\n' >"$d/models/llama/v2/config.json"
	ln -s v2 "$d/models/llama/current"
	chown -R fbfleet "$d/models"
done
printf 'aaaaaaaaaaaaaaaa' >"$(fleet_dir qa-2)/srv/data/denied-keys"
chown fbfleet "$(fleet_dir qa-2)/srv/data/denied-keys"
fb init -w "$WS" >/dev/null
export FIREBREAK_WORKSPACE="$WS"
fb case new "leaked key" >/dev/null

rssh() {
	ssh -o BatchMode=yes -o UserKnownHostsFile="$HOME/.ssh/known_hosts" \
		-i "$HOME/.ssh/id_ed25519" -p "$(cat "$(fleet_dir "$1")/port")" \
		"fbfleet@$(cat "$(fleet_dir "$1")/addr")" "$2"
}
last() { sqlite3 "$WS/store.db" "SELECT $1 FROM runs ORDER BY id DESC LIMIT 1"; }
AK=authorized_keys=/srv/ssh/authorized_keys
DL=deny_list=/srv/data/denied-keys

test_expect_success 'revoke-key and verify-model-integrity lint clean' '
	fb playbook lint revoke-key verify-model-integrity >out &&
	expect_eq "$(grep -c ": ok (" out)" 2
'

test_expect_success 'revoke-key: hostile key values are refused before any change' '
	for k in "SHA256:\$(touch $TEST_TMP/pwned)" "9f3c0a1b2c3d4e5f;id" \
	    "SHA256:aaaa aaaa" "../../etc/passwd" "9F3C0A1B2C3D4E5F"; do
		fb playbook run revoke-key -e "key=$k" -e $AK -e $DL >out 2>&1 && exit 1;
		grep -q "refusing" out || { cat out; exit 1; }
	done &&
	[ ! -e "$TEST_TMP/pwned" ] &&
	for h in qa-1 qa-2 qa-3; do
		rssh $h "cat /srv/ssh/authorized_keys" >got && cmp got "$TEST_TMP/ak-orig-$h" || exit 1
	done
'

test_expect_success 'revoke-key (SSH): dry run plans the lines, changes nothing' '
	fb playbook run revoke-key --dry-run -e "key=$fp" -e $AK >out &&
	expect_grep "qa-1 *remove /srv/ssh/authorized_keys line 3, 6 ($fp)" out &&
	expect_grep "qa-2 *remove /srv/ssh/authorized_keys line 3, 6 ($fp)" out &&
	! grep -q "qa-3 *remove" out &&
	rssh qa-1 "cat /srv/ssh/authorized_keys" >got && cmp got "$TEST_TMP/ak-orig-qa-1"
'

test_expect_code 5 'revoke-key (SSH): waits for approval of the plan' '
	fb playbook run revoke-key --case 1 -e "key=$fp" -e $AK >out
'

test_expect_success 'revoke-key (SSH): apply removes only its lines, byte for byte' '
	{ fb run approve "$(last id)" --plan "$(last plan_sha256)" >out 2>&1 || { cat out; exit 1; }; } &&
	expect_eq "$(last state)" done &&
	expect_grep "blast radius of $fp: 2 of 3 hosts hold it, 0 findings" out &&
	expect_grep "host qa-1: /srv/ssh/authorized_keys line 3, 6" out &&
	expect_grep "verified: $fp revoked on 3 hosts" out &&
	for h in qa-1 qa-2 qa-3; do
		rssh $h "cat /srv/ssh/authorized_keys" >got &&
		cmp got "$TEST_TMP/ak-want-$h" || { diff got "$TEST_TMP/ak-want-$h"; cat out; exit 1; }
	done &&
	expect_eq "$(grep -c . "$TEST_TMP/ak-want-qa-1")" 4 &&
	! rssh qa-1 "grep -F $vblob /srv/ssh/authorized_keys"
'

test_expect_success 'revoke-key (SSH): undo restores authorized_keys' '
	fb run undo "$(last id)" >out &&
	expect_eq "$(last state)" undone &&
	for h in qa-1 qa-2 qa-3; do
		rssh $h "cat /srv/ssh/authorized_keys" >got &&
		cmp got "$TEST_TMP/ak-orig-$h" || exit 1
	done &&
	expect_eq "$(rssh qa-1 "ls /srv/ssh")" authorized_keys
'

test_expect_success 'revoke-key (SSH): a host that fails mid-way is resumed' '
	d2="$(fleet_dir qa-2)/srv/ssh" &&
	chown root "$d2" &&
	fb playbook run revoke-key -e "key=$fp" -e $AK >out; [ $? -eq 5 ] &&
	{ fb run approve "$(last id)" --plan "$(last plan_sha256)" >out 2>&1; rc=$?; } ;
	expect_eq "$rc" 4 && expect_eq "$(last state)" failed &&
	rssh qa-1 "cat /srv/ssh/authorized_keys" >got && cmp got "$TEST_TMP/ak-want-qa-1" &&
	rssh qa-2 "cat /srv/ssh/authorized_keys" >got && cmp got "$TEST_TMP/ak-orig-qa-2" &&
	chown fbfleet "$d2" &&
	fb run resume "$(last id)" >out &&
	expect_eq "$(last state)" done &&
	rssh qa-2 "cat /srv/ssh/authorized_keys" >got && cmp got "$TEST_TMP/ak-want-qa-2" &&
	fb run undo "$(last id)" >out &&
	for h in qa-1 qa-2 qa-3; do
		rssh $h "cat /srv/ssh/authorized_keys" >got &&
		cmp got "$TEST_TMP/ak-orig-$h" || exit 1
	done
'

secret="sk-live-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d " \n")"
kid=$(printf %s "$secret" | sha256sum | cut -c1-16)
reason='leaked in "IR-9" $(id); `uname`'

test_expect_code 5 'revoke-key (API): plans the deny lists, waits for approval' '
	fb playbook run revoke-key --case 1 -e "key=$kid" -e $DL -e "reason=$reason" >out;
	rc=$?; expect_grep "qa-1 *add $kid to /srv/data/denied-keys" out &&
	expect_grep "qa-3 *add $kid to /srv/data/denied-keys" out &&
	! rssh qa-1 "test -e /srv/data/denied-keys" && exit $rc
'

test_expect_success 'revoke-key (API): deny lists, registry, reason literal' '
	fb run approve "$(last id)" --plan "$(last plan_sha256)" >out &&
	expect_eq "$(last state)" done &&
	expect_eq "$(rssh qa-1 "cat /srv/data/denied-keys")" "$kid" &&
	rssh qa-2 "cat /srv/data/denied-keys" >got &&
	printf "aaaaaaaaaaaaaaaa\n%s\n" "$kid" >want && cmp got want &&
	expect_eq "$(sqlite3 "$WS/store.db" "SELECT status FROM keys WHERE id=\"$kid\"")" revoked &&
	expect_eq "$(sqlite3 "$WS/store.db" "SELECT revoke_reason FROM keys WHERE id=\"$kid\"")" "$reason" &&
	expect_eq "$(sqlite3 "$WS/store.db" "SELECT revoke_case FROM keys WHERE id=\"$kid\"")" 1 &&
	expect_grep "verified: $kid revoked on 3 hosts" out
'

test_expect_success 'revoke-key (API): undo restores the deny lists, not the registry' '
	fb run undo "$(last id)" >out &&
	! rssh qa-1 "test -e /srv/data/denied-keys" &&
	rssh qa-2 "cat /srv/data/denied-keys" >got &&
	printf "aaaaaaaaaaaaaaaa" >want && cmp got want &&
	expect_eq "$(sqlite3 "$WS/store.db" "SELECT status FROM keys WHERE id=\"$kid\"")" revoked
'

test_expect_success 'a later use of the revoked key is flagged critical by a gateway ingest' '
	t=$(date -u -d "+2 min" +%Y-%m-%dT%H:%M:%SZ) &&
	jq -nc --arg t "$t" --arg k "$secret" "{time:\$t, key:\$k, client_ip:\"203.0.113.7\",
	    route:\"/v1/chat/completions\", model:\"llama\", status:200, tokens_in:10,
	    tokens_out:20, latency_ms:5, request_id:\"req-1\"}" >gw.jsonl &&
	! grep -q "$secret" "$WS/store.db" &&
	fb ingest -f firebreak-gateway gw.jsonl >out &&
	fb finding ls --json >f.json &&
	expect_eq "$(jq -r "select(.rule_id==\"gateway.revoked-key\") | .severity" f.json)" critical &&
	expect_eq "$(jq -r "select(.rule_id==\"gateway.revoked-key\") | .assets[] | select(.type==\"key\") | .value" f.json)" "$kid" &&
	! grep -q "$secret" "$WS/store.db"
'

test_expect_success 'revoke-key (API): the blast radius lists the findings on the key' '
	fid=$(jq -r "select(.rule_id==\"gateway.revoked-key\") | .id" f.json) &&
	jq -nc --arg k "$kid" "{source:\"waf\", kind:\"runtime\", title:\"key from a Tor exit\",
	    severity:\"high\", identity:{k:\$k}, assets:[{type:\"key\", value:\$k},
	    {type:\"route\", value:\"/v1/embeddings\"}]}" >waf.jsonl &&
	fb ingest -f firebreak-jsonl waf.jsonl >/dev/null &&
	fb playbook run revoke-key -l qa-3 -e "key=$kid" -e $DL >out; rc=$?;
	[ $rc -eq 5 ] && fb run approve "$(last id)" --plan "$(last plan_sha256)" >out;
	expect_grep "finding #$fid \[critical\] revoked key $kid" out &&
	expect_grep "finding #[0-9]* \[high\] key from a Tor exit" out &&
	expect_grep "blast radius of $kid: 0 of 1 hosts hold it, 2 findings, routes: /v1/embeddings" out &&
	expect_eq "$(rssh qa-3 "cat /srv/data/denied-keys")" "$kid"
'

kid2=$(printf %s "$secret-2" | sha256sum | cut -c1-16)

test_expect_success 'revoke-key (API): a hostile deny-list path arrives literally' '
	p="/srv/data/deny \$(touch /srv/data/pwned); x" &&
	fb playbook run revoke-key -l qa-3 -e "key=$kid2" -e "deny_list=$p" >out 2>&1; { [ $? -eq 5 ] || { cat out; exit 1; }; } &&
	{ fb run approve "$(last id)" --plan "$(last plan_sha256)" >out 2>&1 || { cat out; exit 1; }; } &&
	expect_eq "$(cat "$(fleet_dir qa-3)/srv/data/deny \$(touch /srv/data/pwned); x")" "$kid2" &&
	[ ! -e "$(fleet_dir qa-3)/srv/data/pwned" ]
'

v1=$(sha256sum <"$(fleet_dir qa-1)/srv/models/llama/v1/model.safetensors" | cut -c1-64)
v2=$(cd "$(fleet_dir qa-1)/srv/models/llama/v2" && find . -type f -print0 |
	LC_ALL=C sort -z | xargs -0r sha256sum -- | sha256sum | cut -c1-64)

test_expect_success 'verify-model-integrity: an untouched fleet has no mismatch' '
	fb model register llama v1 "$(fleet_dir qa-1)/srv/models/llama/v1/model.safetensors" >/dev/null &&
	fb model register llama v2 --sha256 "$v2" >/dev/null &&
	fb playbook run verify-model-integrity --dry-run >out &&
	! grep -q mismatch out &&
	n0=$(fb finding ls --json | grep -c . || :) &&
	fb playbook run verify-model-integrity >out &&
	expect_eq "$(fb finding ls --json | grep -c . || :)" "$n0"
'

test_expect_success 'verify-model-integrity: one tampered host, one finding with its assets' '
	echo "{\"v\":2,\"backdoor\":1}" >"$(fleet_dir qa-2)/srv/models/llama/v2/config.json" &&
	got=$(cd "$(fleet_dir qa-2)/srv/models/llama/v2" && find . -type f -print0 |
		LC_ALL=C sort -z | xargs -0r sha256sum -- | sha256sum | cut -c1-64) &&
	fb playbook run verify-model-integrity --dry-run >out &&
	expect_grep "qa-2 *mismatch: llama v2 hashes to $got, registry $v2" out &&
	! grep -q "qa-[13] *mismatch" out &&
	fb playbook run verify-model-integrity --case 1 >out &&
	expect_eq "$(last state)" done &&
	fb finding ls --json >f.json &&
	jq -c "select(.source==\"playbook:verify-model-integrity\")" f.json >mine &&
	expect_eq "$(grep -c . mine)" 1 &&
	expect_eq "$(jq -r .rule_id mine)" model-integrity.mismatch &&
	expect_eq "$(jq -r .severity mine)" high &&
	expect_eq "$(jq -r .case mine)" 1 &&
	jq -r ".assets[] | .type + \"=\" + .value + \"/\" + .role" mine | LC_ALL=C sort >got-assets &&
	printf "%s\n" "file=qa-2:/srv/models/llama/v2/location" "host=qa-2/target" \
		"model=sha256:$got/deployed" "model=sha256:$v2/registered" | LC_ALL=C sort >want-assets &&
	cmp got-assets want-assets &&
	idj=$(jq -cnS --arg g "$got" "{host:\"qa-2\", model:\"llama\", sha256:\$g, version:\"v2\"}") &&
	want_fp=$(printf "%s" "{\"identity\":$idj,\"kind\":\"model\",\"source\":\"playbook:verify-model-integrity\"}" | sha256sum | cut -c1-64) &&
	expect_eq "$(jq -r .fingerprint mine)" "$want_fp" &&
	expect_eq "$(rssh qa-2 "cat /srv/models/llama/v2/config.json")" "{\"v\":2,\"backdoor\":1}"
'

test_expect_success 'verify-model-integrity: the same mismatch again is a repeat, audited' '
	fb playbook run verify-model-integrity >out &&
	fb finding ls --json | jq -c "select(.source==\"playbook:verify-model-integrity\")" >mine &&
	expect_eq "$(grep -c . mine)" 1 &&
	expect_eq "$(jq -r .count mine)" 2 &&
	expect_eq "$(sqlite3 "$WS/store.db" "SELECT count(*) FROM ingests WHERE format=\"playbook\"")" 2 &&
	expect_eq "$(sqlite3 "$WS/store.db" "SELECT count(*) FROM run_calls WHERE fn=\"finding.add\"")" 2
'

cat >api.lua <<'LUA'
return {
	name = "api-edge",
	description = "probes fb.finding.add and fb.findings",
	params = { what = { type = "string", default = "ok" } },
	steps = {
		{ name = "probe", check = function(host)
			if fb.params.what == "incheck" then
				fb.finding.add({ title = "x", identity = { a = 1 } })
			end
			return nil
		end, apply = function() end },
		{ name = "add", run = function()
			local w = fb.params.what
			if w == "noid" then
				fb.finding.add({ title = "no identity" })
			elseif w == "badsev" then
				fb.finding.add({ title = "t", severity = "urgent", identity = { a = 1 } })
			elseif w == "filter" then
				fb.findings("severity>>high")
			else
				local r = fb.finding.add({ title = w, identity = { w = w },
				    source = "gateway", assets = { { type = "key", value = w } } })
				fb.log("added", r.id, r.new)
				fb.log("found", #fb.findings("key:" .. ("%q"):format(w)))
			end
		end },
	},
}
LUA

test_expect_success 'fb.finding.add: refused in check, bad input raises, journaled' '
	for w in incheck noid badsev filter; do
		fb playbook run -l qa-1 -e "what=$w" "$TEST_TMP/api.lua" >out 2>&1 && exit 1;
		grep -q "fb\.finding\.add\|fb\.findings" out || { cat out; exit 1; }
	done &&
	expect_eq "$(sqlite3 "$WS/store.db" "SELECT count(*) FROM run_calls WHERE fn=\"finding.add\" AND ok=0")" 3
'

test_expect_success 'fb.finding.add: the source is the playbook, a title arrives literally' '
	t="\$(id) \`uname\`; rm -rf /" &&
	fb playbook run -l qa-1 -e "what=$t" "$TEST_TMP/api.lua" >out &&
	expect_grep "added [0-9]* true" out && expect_grep "found 1" out &&
	fb finding ls --json | jq -r "select(.source==\"playbook:api-edge\") | .title" >got &&
	expect_eq "$(cat got)" "$t"
'

test_done
