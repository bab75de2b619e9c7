#!/bin/sh
# ingest: one input is one transaction; dedup by fingerprint; malformed
# input changes nothing; scope resolution; secrets masked; terminal-safe.
. "$FB_SRCDIR/tests/lib.sh"
require_prog jq
require_prog sqlite3

gen() { sh "$FB_SRCDIR/tests/fixtures/ingest/gen-findings.sh" "$@"; }
sql() { sqlite3 "$WS/store.db" "$1"; }
dump() { sqlite3 "$WS/store.db" .dump | md5sum; }
fb -w "$WS" init >/dev/null

N=100000
gen $N >big.jsonl

test_expect_success "a generated $N-finding file ingests, one audit row" '
	before=$(fb -w "$WS" audit ls --json | wc -l) &&
	fb -w "$WS" ingest big.jsonl >out &&
	expect_grep "as #1 (firebreak-jsonl): $N new, 0 repeat, 0 resolved, 0 rejected" out &&
	expect_eq "$(sql "SELECT count(*) FROM findings")" $N &&
	expect_eq "$(fb -w "$WS" audit ls --json | wc -l)" $((before + 1)) &&
	fb -w "$WS" audit ls --json | tail -n 1 >row &&
	expect_eq "$(jq -r ".detail|fromjson|.new" row)" $N &&
	expect_eq "$(jq -r ".detail|fromjson|.sha256" row)" "$(sha256sum big.jsonl | cut -c1-64)"
'

test_expect_success 'identical bytes again: already ingested, nothing changes' '
	d=$(dump) &&
	fb -w "$WS" ingest big.jsonl >out &&
	expect_grep "already ingested as #1" out &&
	expect_eq "$(dump)" "$d"
'

test_expect_success '--force re-ingest: all repeats, no new rows, counts bumped' '
	fb -w "$WS" ingest --force big.jsonl >out &&
	expect_grep "0 new, $N repeat, 0 resolved, 0 rejected" out &&
	expect_eq "$(sql "SELECT count(*) FROM findings")" $N &&
	expect_eq "$(sql "SELECT min(count)||max(count) FROM findings")" 22 &&
	expect_eq "$(sql "SELECT count(*) FROM finding_locations")" $N
'

test_expect_code 3 'a copy cut inside a record is rejected, store byte-for-byte unchanged' '
	head -c $(( $(wc -c <big.jsonl) / 2 + 37 )) big.jsonl >cut.jsonl &&
	d=$(dump) &&
	fb -w "$WS" ingest cut.jsonl 2>err; rc=$?
	cat err
	expect_grep "cut.jsonl" err && expect_grep "line [0-9]" err &&
	expect_eq "$(dump)" "$d" && exit $rc
'

test_expect_code 3 'a malformed line names the line' '
	gen 3 >bad.jsonl && echo "{\"title\": oops}" >>bad.jsonl && gen 2 s2 10 >>bad.jsonl &&
	d=$(dump) &&
	fb -w "$WS" ingest -f firebreak-jsonl bad.jsonl 2>err; rc=$?
	expect_grep "line 4" err && expect_eq "$(dump)" "$d" && exit $rc
'

test_expect_code 3 'input over ingest.max_bytes is refused before reading' '
	fb -w "$WS" config set ingest.max_bytes 1K &&
	gen 100 >medium.jsonl && d=$(dump) &&
	fb -w "$WS" ingest medium.jsonl 2>err; rc=$?
	fb -w "$WS" config set --reset ingest.max_bytes
	expect_grep "over ingest.max_bytes" err && exit $rc
'

test_expect_code 3 'an empty file and an unknown format are rejected clearly' '
	: >empty.json && printf "hello world\n" >text.txt &&
	fb -w "$WS" ingest text.txt 2>err; rc=$?
	expect_grep "cannot tell the format of .text.txt." err &&
	fb -w "$WS" ingest empty.json 2>err2; expect_grep "empty" err2 && exit $rc
'

test_expect_code 2 'an unknown -f format is a usage error listing the formats' '
	fb -w "$WS" ingest -f nosuch medium.jsonl 2>err; rc=$?
	expect_grep "unknown format .nosuch." err && expect_grep "firebreak-jsonl" err && exit $rc
'

test_expect_success 'stdin ingests with -' '
	gen 5 stdin:scope 500000 | fb -w "$WS" ingest - >out &&
	expect_grep "5 new" out
'

test_expect_success 'bad records are rejected and counted, the rest stored' '
	{ gen 2 rej 600000; echo "{\"title\":\"x\",\"severity\":\"bogus\",\"rule_id\":\"r\"}"; echo "{\"severity\":\"low\",\"rule_id\":\"r\"}"; } >rej.jsonl &&
	fb -w "$WS" ingest -f firebreak-jsonl rej.jsonl >out 2>err &&
	expect_grep "2 new, 0 repeat, 0 resolved, 2 rejected" out &&
	expect_grep "unknown severity" err
'

test_expect_success 'scope: a finding missing from a newer report of its scope is resolved by source' '
	gen 10 scope:A 700000 >a1.jsonl && gen 7 scope:A 700000 >a2.jsonl &&
	gen 3 scope:B 800000 >b1.jsonl &&
	fb -w "$WS" ingest a1.jsonl b1.jsonl >/dev/null &&
	fb -w "$WS" ingest a2.jsonl >out &&
	expect_grep "0 new, 7 repeat, 3 resolved" out &&
	expect_eq "$(fb -w "$WS" finding ls scope=scope:A status=resolved --json | wc -l)" 3 &&
	expect_eq "$(fb -w "$WS" finding ls scope=scope:B status=open --json | wc -l)" 3 &&
	fb -w "$WS" finding ls scope=scope:A status=resolved --json | head -n 1 >r &&
	expect_grep "absent from ingest" r
'

test_expect_success 'a resolved finding seen again is open again' '
	fb -w "$WS" ingest --force a1.jsonl >out &&
	expect_grep "0 new, 10 repeat" out &&
	expect_eq "$(fb -w "$WS" finding ls scope=scope:A status=open --json | wc -l)" 10
'

test_expect_success 'secrets in records are masked before they are stored' '
	key=sk-proj-$(printf "%040d" 7)Zq && aws=AKIA$(printf "%016d" 3) &&
	printf "{\"title\":\"leaked key\",\"severity\":\"high\",\"rule_id\":\"secret\",\"detail\":\"found %s\",\"password\":\"correct-horse-battery\",\"aws\":\"%s\",\"secrets\":[\"my-own-secret-value\"],\"note\":\"my-own-secret-value\"}\n" "$key" "$aws" >sec.jsonl &&
	fb -w "$WS" ingest sec.jsonl >/dev/null &&
	sqlite3 "$WS/store.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null &&
	for s in "$key" "$aws" correct-horse-battery my-own-secret-value; do
		if grep -rqa -- "$s" "$WS"; then echo "secret $s stored"; exit 1; fi
	done &&
	id=$(fb -w "$WS" finding ls rule=secret --json | jq .id) &&
	fb -w "$WS" finding show --json $id >show &&
	expect_eq "$(jq -r .raw.password show)" "corr****[masked]"
'

test_expect_success 'hostile titles never reach the terminal raw' '
	printf "{\"title\":\"a\\\\u001b]52;c;ZWNobw==\\\\u0007b\\\\u001b[2Jc\\\\u202ed\\\\u009b1m\",\"severity\":\"high\",\"rule_id\":\"hostile\",\"detail\":\"\\\\u001b]0;pwned\\\\u0007\"}\n" >hostile.jsonl &&
	fb -w "$WS" ingest hostile.jsonl >/dev/null &&
	id=$(fb -w "$WS" finding ls rule=hostile --json | jq .id) &&
	fb -w "$WS" finding ls rule=hostile >ls.out &&
	fb -w "$WS" finding show $id >show.out &&
	for f in ls.out show.out; do
		if LC_ALL=C grep -q "$(printf "[\001-\010\013-\037\177]")" $f; then echo "control byte in $f"; exit 1; fi
		if grep -q "$(printf "\342\200\256")" $f; then echo "bidi in $f"; exit 1; fi
		if grep -q "$(printf "\302\233")" $f; then echo "C1 in $f"; exit 1; fi
	done &&
	expect_grep "a\\\\x1b]52" ls.out && expect_grep "\\\\u202e" ls.out
'

test_expect_success 'finding show names the identity fields of the fingerprint' '
	id=$(fb -w "$WS" finding ls rule=CVE-2025-42 --json | jq .id) &&
	fb -w "$WS" finding show --json $id >s &&
	expect_eq "$(jq -c .identity s)" "{\"host\":\"gpu-42\",\"rule\":\"CVE-2025-42\"}" &&
	canon=$(jq -jcS "{identity:.identity,kind:.kind,source:.source}" s) &&
	expect_eq "$(printf "%s" "$canon" | sha256sum | cut -c1-64)" "$(jq -r .fingerprint s)"
'

test_expect_success 'a user adapter streams records; finish(ctx) declares the scope of an empty report' '
	mkdir -p "$XDG_CONFIG_HOME/firebreak/ingest" &&
	cat >"$XDG_CONFIG_HOME/firebreak/ingest/fintest.lua" <<-\EOF &&
	return {
	  version = "1", record_path = "items.*", context = { "target=target" },
	  detect = function(s) return s:find("\"fintest\"", 1, true) and 1 or 0 end,
	  parse_record = function(rec, ctx, emit)
	    emit { source = "fin", title = rec.t, severity = "low", identity = { t = rec.t }, scope = ctx.target }
	  end,
	  finish = function(ctx, emit) emit { declare_scope = ctx.target, source = "fin" } end,
	}
	EOF
	echo "{\"fintest\":1,\"target\":\"img:a\",\"items\":[{\"t\":\"one\"},{\"t\":\"two\"}]}" >fa.json &&
	echo "{\"fintest\":1,\"target\":\"img:a\",\"items\":[]}" >fb.json &&
	fb -w "$WS" ingest fa.json >o1 && expect_grep "(fintest): 2 new" o1 &&
	fb -w "$WS" ingest fb.json >o2 && expect_grep "0 new, 0 repeat, 2 resolved" o2 &&
	expect_eq "$(fb -w "$WS" finding ls source=fin status=resolved --json | wc -l)" 2 &&
	fb -w "$WS" ingest --list-formats >fmts && expect_grep "^fintest" fmts
'

test_done
