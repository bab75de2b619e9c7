#!/bin/sh
# filter: the shared grammar gives the same findings from the CLI as SQL
# written independently here, term by term and combined.
. "$FB_SRCDIR/tests/lib.sh"
require_prog jq
require_prog sqlite3

gen() { sh "$FB_SRCDIR/tests/fixtures/ingest/gen-findings.sh" "$@"; }
fb -w "$WS" init >/dev/null
gen 500 >f.jsonl
gen 20 other:scope 9000 | sed "s/\"source\":\"gen\"/\"source\":\"trivy\"/" >g.jsonl
fb -w "$WS" ingest f.jsonl g.jsonl >/dev/null
fb -w "$WS" finding ack 3 4 5 >/dev/null
fb -w "$WS" finding fp 6 --reason "test" >/dev/null

cli_ids() { fb -w "$WS" finding ls --json "$@" | jq -r .id | sort -n | tr "\n" " "; }
sql_ids() { sqlite3 "$WS/store.db" "SELECT f.id FROM findings f WHERE $1 ORDER BY f.id" | tr "\n" " "; }
check() {
	name=$1; where=$2; shift 2
	got=$(cli_ids "$@" 2>&1)
	want=$(sql_ids "$where")
	test_expect_success "filter $name" '
		[ -n "$want" ] && expect_eq "$got" "$want"
	'
}

check "severity>=high" "severity >= 3" "severity>=high"
check "severity<medium" "severity < 2" "severity<medium"
check "severity=critical" "severity = 4" "severity=critical"
check "status=acknowledged" "status = 'acknowledged'" status=ack
check "status!=open" "status <> 'open'" "status!=open"
check "source=trivy" "source = 'trivy'" source=trivy
check "source glob" "source LIKE 'tr%'" "source=tr*"
check "rule glob" "rule_id GLOB 'CVE-2025-1?'" "rule=CVE-2025-1?"
check "title glob, case-insensitive" "lower(title) GLOB '*finding 4?? in*'" "title=*FINDING 4?? IN*"
check "host asset" "id IN (SELECT finding FROM finding_assets fa JOIN assets a ON a.id=fa.asset WHERE a.type='host' AND a.value='gpu-7')" host:gpu-7
check "asset glob" "id IN (SELECT finding FROM finding_assets fa JOIN assets a ON a.id=fa.asset WHERE a.type='host' AND a.value GLOB 'gpu-1*')" "host:gpu-1*"
check "id range" "id > 490" "id>490"
check "scope" "scope = 'other:scope'" scope=other:scope
check "full text" "id IN (SELECT rowid FROM findings_fts WHERE findings_fts MATCH '\"417\"')" 417
check "combined" "severity >= 3 AND source = 'gen' AND id IN (SELECT finding FROM finding_assets fa JOIN assets a ON a.id=fa.asset WHERE a.type='host' AND a.value='gpu-5') AND status='open'" "severity>=high" source=gen host:gpu-5 status=open
check "since" "last_seen >= strftime('%Y-%m-%dT%H:%M:%SZ','now','-1 hour')" since=1h

test_expect_success '--search is full-text search' '
	got=$(fb -w "$WS" finding ls --json --search "finding 42" | jq -r .id | sort -n | tr "\n" " ") &&
	want=$(sql_ids "id IN (SELECT rowid FROM findings_fts WHERE findings_fts MATCH '\''\"finding\" \"42\"'\'')") &&
	expect_eq "$got" "$want"
'

test_expect_success '--limit caps the list, most severe first' '
	fb -w "$WS" finding ls --json --limit 5 >l &&
	expect_eq "$(wc -l <l)" 5 && expect_eq "$(jq -r .severity l | sort -u)" critical
'

test_expect_code 2 'an unknown field is a usage error naming it' '
	fb -w "$WS" finding ls colour=red 2>err; rc=$?
	expect_grep "unknown filter field .colour." err && exit $rc
'

test_expect_code 2 'an unknown severity is a usage error' '
	fb -w "$WS" finding ls "severity>=urgent" 2>err; rc=$?
	expect_grep "unknown severity" err && exit $rc
'

test_done
