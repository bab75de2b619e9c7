#!/bin/sh
# gateway: the generated scenario (normal keys for hours, one key starting
# to extract, one IP stuffing credentials, one revoked key used later, one
# key rate-limited) yields exactly its findings in every native format;
# raw keys never reach the workspace; baselines survive consecutive
# slices; the key and model registry commands.
. "$FB_SRCDIR/tests/lib.sh"
require_prog jq
require_prog sqlite3
require_prog python3

gen() { python3 "$FB_SRCDIR/tests/fixtures/gateway/gen-gateway.py" "$@"; }
sql() { sqlite3 "$1/store.db" "$2"; }
dump() { sqlite3 "$1/store.db" .dump | md5sum; }
# rule, subject and window of every finding, as the generator writes them
got() {
	sql "$1" "SELECT rule_id, json_extract(identity,'\$.subject'),
	    json_extract(identity,'\$.window') FROM findings ORDER BY 1,2,3" |
	    tr '|' ' '
}
# a fresh workspace with the scenario's key recorded as revoked at 05:00
fresh() {
	rm -rf "$1" && fb -w "$1" init >/dev/null &&
	read -r kid at <"$2.revoked" &&
	fb -w "$1" key revoke "$kid" --reason "leaked in a public repo" \
	    --case 4 --at "$at" >/dev/null
}

for fmt in firebreak-gateway envoy nginx litellm; do
	test_expect_success "$fmt: the scenario yields exactly the expected findings" '
		gen scenario $fmt $fmt.log $fmt.expected &&
		fresh ws-$fmt $fmt.log &&
		fb -w ws-$fmt ingest $fmt.log >out &&
		expect_grep "($fmt): 13 new, 0 repeat, 0 resolved, 0 rejected" out &&
		got ws-$fmt >$fmt.got &&
		diff -u $fmt.expected $fmt.got
	'
	test_expect_success "$fmt: no raw key in store.db, its WAL or the blobs" '
		test -s $fmt.log.keys &&
		ls ws-$fmt >files && cat files &&
		for k in $(cat $fmt.log.keys); do
			! grep -r -a -F -q -e "$k" ws-$fmt || { echo "raw key $k found"; exit 1; }
		done &&
		read -r kid at <$fmt.log.revoked &&
		grep -r -a -F -q -e "$kid" ws-$fmt
	'
done

test_expect_success 'no raw key in the WAL either, while a reader keeps it' '
	# a reader holding a snapshot from before the ingest keeps every frame
	# the ingest writes in store.db-wal
	fresh ws-wal firebreak-gateway.log &&
	mkfifo ctl &&
	{ sqlite3 ws-wal/store.db <ctl >held.out 2>&1 & } &&
	exec 9>ctl &&
	echo "BEGIN; SELECT '"'"'held'"'"', count(*) FROM keys;" >&9 &&
	i=0 && while ! grep -q held held.out && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done &&
	fb -w ws-wal ingest --force firebreak-gateway.log >/dev/null &&
	test -s ws-wal/store.db-wal &&
	for f in ws-wal/store.db ws-wal/store.db-wal; do
		for k in $(cat firebreak-gateway.log.keys); do
			! grep -a -F -q -e "$k" "$f" || { echo "raw key in $f"; exit 1; }
		done
	done &&
	kid=$(grep -m1 gateway.extraction firebreak-gateway.expected | cut -d" " -f2 | cut -d: -f2) &&
	grep -a -F -q -e "$kid" ws-wal/store.db-wal
	rc=$?
	echo "COMMIT;" >&9; exec 9>&-; wait
	exit $rc
'

W=ws-firebreak-gateway
test_expect_success 'revoked-key use is critical, with its case and revocation time' '
	fb -w $W finding ls --json >all.json &&
	expect_eq "$(jq -r "select(.rule_id==\"gateway.revoked-key\") | .severity" all.json | sort -u)" critical &&
	expect_eq "$(jq -r "select(.rule_id==\"gateway.extraction\") | .severity" all.json | sort -u)" high &&
	expect_eq "$(jq -r "select(.rule_id==\"gateway.credential-stuffing\") | .severity" all.json | sort -u)" high &&
	expect_eq "$(jq -r "select(.rule_id==\"gateway.rate-limit\") | .severity" all.json | sort -u)" medium &&
	read -r kid at <firebreak-gateway.log.revoked &&
	fb -w $W key ls --json >keys.json &&
	expect_eq "$(jq -r "select(.key_id==\"$kid\") | [.status,.case,.revoked_at] | join(\" \")" keys.json)" "revoked 4 $at"
'

test_expect_success 'the evidence window: counts, first/last and samples match the log' '
	id=$(sql $W "SELECT id FROM findings WHERE rule_id=\"gateway.extraction\" ORDER BY event_time LIMIT 1") &&
	fb -w $W finding show --json $id >show.json &&
	jq -r .detail show.json >detail.json &&
	ws=$(jq -r .window_start detail.json) && we=$(jq -r .window_end detail.json) &&
	extract=$(grep sk-live-extract firebreak-gateway.log.keys) &&
	jq -c --arg k "$extract" --arg s "$ws" --arg e "$we" \
	    "select(.key==\$k and .time>=\$s and .time<\$e)" firebreak-gateway.log >win.jsonl &&
	expect_eq "$(jq -r .requests detail.json)" "$(wc -l <win.jsonl)" &&
	expect_eq "$(jq -r .tokens_out detail.json)" "$(jq -s "map(.tokens_out)|add" win.jsonl)" &&
	expect_eq "$(jq -r .first detail.json)" "$(jq -r .time win.jsonl | sort | head -n 1)" &&
	expect_eq "$(jq -r .last detail.json)" "$(jq -r .time win.jsonl | sort | tail -n 1)" &&
	expect_eq "$(jq -r ".sample_request_ids|length" detail.json)" 5 &&
	for r in $(jq -r ".sample_request_ids[]" detail.json); do
		grep -q "\"request_id\":\"$r\"" win.jsonl || exit 1
	done &&
	expect_eq "$(jq -r ".assets[0].type+\":\"+.assets[0].value" show.json)" "$(jq -r .subject detail.json)"
'

test_expect_success 'stuffing evidence counts the IP'"'"'s 401s in the window' '
	id=$(sql $W "SELECT id FROM findings WHERE rule_id=\"gateway.credential-stuffing\" ORDER BY event_time LIMIT 1") &&
	fb -w $W finding show --json $id | jq -r .detail >d.json &&
	n=$(jq -c --arg s "$(jq -r .window_start d.json)" --arg e "$(jq -r .window_end d.json)" \
	    "select(.client_ip==\"198.51.100.23\" and .status==401 and .time>=\$s and .time<\$e)" \
	    firebreak-gateway.log | wc -l) &&
	expect_eq "$(jq -r .auth_failures d.json)" "$n"
'

test_expect_success 'keys seen are listed by id, with their request counts' '
	expect_eq "$(jq -s length keys.json)" 9 &&
	for k in $(cat firebreak-gateway.log.keys); do
		id=$(printf %s "$k" | sha256sum | cut -c1-16)
		want=$(grep -c "\"key\":\"$k\"" firebreak-gateway.log)
		expect_eq "$(jq -r "select(.key_id==\"$id\") | .requests" keys.json)" "$want" || exit 1
	done
'

test_expect_success '--force re-ingest: every finding a repeat, none new' '
	fb -w $W ingest --force firebreak-gateway.log >out &&
	expect_grep "0 new, 13 repeat" out &&
	expect_eq "$(sql $W "SELECT count(*) FROM findings")" 13
'

test_expect_success 'baselines survive two ingests of consecutive slices' '
	n=$(grep -n "\"time\":\"2026-11-20T05:57:3" firebreak-gateway.log | head -n 1 | cut -d: -f1) &&
	head -n $((n - 1)) firebreak-gateway.log >a.log &&
	tail -n +$n firebreak-gateway.log >b.log &&
	fresh ws-split firebreak-gateway.log &&
	fb -w ws-split ingest a.log >/dev/null && fb -w ws-split ingest b.log >/dev/null &&
	got ws-split >split.got &&
	diff -u firebreak-gateway.expected split.got &&
	q="SELECT kind,subject,n_windows,round(req_mean,6),round(req_var,4),round(out_mean,3),round(out_var,1),o_start,o_req,o_out FROM gateway_state ORDER BY 1,2" &&
	fresh ws-whole firebreak-gateway.log &&
	fb -w ws-whole ingest firebreak-gateway.log >/dev/null &&
	sql ws-whole "$q" >whole.state && sql ws-split "$q" >split.state &&
	test -s whole.state && diff -u whole.state split.state
'

test_expect_success 'a window cut by two ingests is one sighting: counts and evidence as one ingest gives' '
	n=$(grep -n "\"time\":\"2026-11-20T07:02:[3-5]" firebreak-gateway.log | head -n 1 | cut -d: -f1) &&
	head -n $((n - 1)) firebreak-gateway.log >c.log &&
	tail -n +$n firebreak-gateway.log >d.log &&
	fresh ws-cut firebreak-gateway.log &&
	fb -w ws-cut ingest c.log >/dev/null &&
	expect_eq "$(sql ws-cut "SELECT count(*) FROM findings WHERE rule_id=\"gateway.credential-stuffing\" AND json_extract(identity,\"\$.window\")=\"2026-11-20T07:00:00Z\"")" 1 &&
	fb -w ws-cut ingest d.log >/dev/null &&
	q="SELECT rule_id, json_extract(identity,\"\$.window\"), count, detail FROM findings ORDER BY 1,2" &&
	sql ws-whole "$q" >whole.f && sql ws-cut "$q" >cut.f &&
	test -s whole.f && diff -u whole.f cut.f
'

test_expect_success 'the second slice alone has no baseline: no extraction found' '
	fresh ws-b firebreak-gateway.log &&
	fb -w ws-b ingest b.log >/dev/null &&
	expect_eq "$(sql ws-b "SELECT count(*) FROM findings WHERE rule_id=\"gateway.extraction\"")" 0 &&
	expect_eq "$(sql ws-b "SELECT count(*) FROM findings WHERE rule_id=\"gateway.credential-stuffing\"")" 3
'

test_expect_success 'thresholds are config keys' '
	fresh ws-cfg firebreak-gateway.log &&
	fb -w ws-cfg config set gateway.stuffing_threshold 120 &&
	fb -w ws-cfg config set gateway.ratelimit_threshold 40 &&
	fb -w ws-cfg ingest firebreak-gateway.log >/dev/null &&
	expect_eq "$(sql ws-cfg "SELECT count(*) FROM findings WHERE rule_id IN (\"gateway.credential-stuffing\",\"gateway.rate-limit\")")" 0 &&
	expect_eq "$(sql ws-cfg "SELECT count(*) FROM findings")" 8
'

test_expect_code 3 'ingest.max_findings bounds gateway findings too' '
	fresh ws-max firebreak-gateway.log &&
	fb -w ws-max config set ingest.max_findings 5 &&
	d=$(dump ws-max) &&
	fb -w ws-max ingest firebreak-gateway.log 2>err; rc=$?
	expect_grep "more than 5 findings" err && expect_eq "$(dump ws-max)" "$d" && exit $rc
'

test_expect_code 3 'a malformed JSON record names its line and changes nothing' '
	head -n 3 firebreak-gateway.log >bad.log && echo "{\"time\": oops}" >>bad.log &&
	d=$(dump $W) &&
	fb -w $W ingest -f firebreak-gateway bad.log 2>err; rc=$?
	cat err; expect_grep "line 4" err && expect_eq "$(dump $W)" "$d" && exit $rc
'

test_expect_success 'unusable records are counted as rejected, not fatal' '
	printf "%s\n" "{\"key_id\":\"0123456789abcdef\",\"client_ip\":\"10.0.0.1\",\"status\":200,\"time\":\"yesterday\"}" \
	    "{\"time\":\"2026-11-20T01:00:00Z\",\"key_id\":\"xyz\",\"client_ip\":\"10.0.0.1\",\"status\":200}" >rej.log &&
	printf "%s\n" "garbage line" "10.0.0.9 - - [20/Nov/2026:01:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"x\"" >rej.nginx &&
	fb -w $W ingest -f firebreak-gateway rej.log >out 2>err &&
	expect_grep "0 new, 0 repeat, 0 resolved, 2 rejected" out &&
	expect_grep "line 1: no usable time" err &&
	fb -w $W ingest -f nginx rej.nginx >out 2>err &&
	expect_grep "1 rejected" out && expect_grep "line 1: not an NGINX" err
'

test_expect_success 'text from the log reaches the terminal inert' '
	printf "%s\n" "{\"time\":\"2026-11-21T00:00:00Z\",\"key_id\":\"00000000000000aa\",\"client_ip\":\"10.0.0.1\",\"status\":200,\"owner\":\"\\u001b]52;c;ZXZpbA==\\u0007x\"}" >esc.log &&
	fb -w $W ingest esc.log >/dev/null &&
	fb -w $W key ls >ls.out &&
	expect_grep "00000000000000aa" ls.out &&
	! grep -q "$(printf "\033")" ls.out && expect_grep "\\\\x1b" ls.out
'

test_expect_success 'key revoke: audited once, refused twice, ids only' '
	fb -w $W key revoke 00000000000000AA --reason "rotated" >out &&
	expect_grep "key 00000000000000aa revoked" out &&
	fb -w $W audit ls --json | tail -n 1 >row &&
	expect_eq "$(jq -r .action row)" key.revoke &&
	expect_eq "$(jq -r .object row)" key:00000000000000aa &&
	expect_eq "$(jq -r ".detail|fromjson|.reason" row)" rotated &&
	! fb -w $W key revoke 00000000000000aa --reason again 2>err &&
	expect_grep "already revoked" err
'

test_expect_code 2 'key revoke refuses what is not a key id' '
	fb -w $W key revoke sk-live-abcdef --reason leaked
'

test_expect_code 2 'key revoke needs a reason' '
	fb -w $W key revoke 0123456789abcdef
'

test_expect_success 'model register hashes the file; status changes; all audited' '
	printf "weights" >m.bin &&
	fb -w $W model register llama-ft 7 m.bin --provenance "built by ci #81" >out &&
	fb -w $W model register llama-ft 8 --sha256 "$(printf v8 | sha256sum | cut -c1-64)" >/dev/null &&
	fb -w $W model status llama-ft 7 quarantined >/dev/null &&
	fb -w $W model ls --json >models.json &&
	expect_eq "$(jq -r "select(.version==\"7\") | .sha256" models.json)" "$(sha256sum m.bin | cut -c1-64)" &&
	expect_eq "$(jq -r "select(.version==\"7\") | .status" models.json)" quarantined &&
	expect_eq "$(jq -r "select(.version==\"7\") | .location" models.json)" "$(realpath m.bin)" &&
	expect_eq "$(jq -r "select(.version==\"8\") | .status" models.json)" registered &&
	expect_eq "$(fb -w $W audit ls --json | jq -r .action | grep -c "^model\.")" 3 &&
	fb -w $W model ls >ls.out && expect_grep "quarantined" ls.out
'

test_expect_success 'model register of a version directory: the hash the playbooks compute on a host' '
	mkdir -p v9/sub v9b && printf a >v9/config.json && printf b >v9/sub/shard-1 &&
	printf c >"v9/$(printf "odd\\name\nline")" && ln -s config.json v9/link &&
	want=$(cd v9 && find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum -- | sha256sum | cut -c1-64) &&
	fb -w $W model register llama-ft 9 v9 >/dev/null &&
	printf only >v9b/model.safetensors &&
	fb -w $W model register llama-ft 10 v9b >/dev/null &&
	fb -w $W model ls --json >models.json &&
	expect_eq "$(jq -r "select(.version==\"9\") | .sha256" models.json)" "$want" &&
	expect_eq "$(jq -r "select(.version==\"10\") | .sha256" models.json)" "$(sha256sum <v9b/model.safetensors | cut -c1-64)" &&
	mkdir empty && ! fb -w $W model register llama-ft 11 empty 2>err &&
	expect_grep "holds no regular file" err
'

test_expect_code 2 'model status refuses an unknown state' '
	fb -w $W model status llama-ft 7 deleted
'

test_expect_success 'model register refuses a duplicate and a bad hash' '
	! fb -w $W model register llama-ft 7 m.bin 2>err && expect_grep "already registered" err &&
	! fb -w $W model register x 1 --sha256 abc 2>err && expect_grep "not a SHA-256" err
'

test_expect_success 'the demo: a gateway log with an extraction incident, keys and models' '
	mkdir -p demo &&
	FIREBREAK_WORKSPACE="$TEST_TMP/demo/ws" fb init >/dev/null &&
	FIREBREAK_WORKSPACE="$TEST_TMP/demo/ws" sh "$FB_SRCDIR/tests/fixtures/demo/demo-gateway.sh" "$FB_BIN" "$TEST_TMP/demo" >log 2>&1 ||
	    { cat log; exit 1; }
	got demo/ws >demo.got && diff -u demo/gateway.expected demo.got &&
	expect_grep "revoked .*found in a public repository" log &&
	FIREBREAK_WORKSPACE="$TEST_TMP/demo/ws" fb finding ls rule=gateway.extraction >ls.out &&
	expect_grep "possible model extraction" ls.out &&
	expect_eq "$(FIREBREAK_WORKSPACE="$TEST_TMP/demo/ws" fb model ls --json | jq -r .status | sort | tr "\n" " ")" "registered retired "
'

test_done
