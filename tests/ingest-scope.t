#!/bin/sh
# ingest-scope: `ingest --scope NAME` for formats that name no scope of
# their own (SARIF, OSV, pip-audit): a later report of the same format and
# scope resolves what it no longer finds; other scopes and other formats
# are left alone.
. "$FB_SRCDIR/tests/lib.sh"
require_prog jq
require_prog sqlite3

gen() { sh "$FB_SRCDIR/tests/fixtures/formats/gen-report.sh" "$@"; }
sql() { sqlite3 "$WS/store.db" "$1"; }
export FIREBREAK_WORKSPACE="$WS"
fb init >/dev/null

gen sarif 5 >a.sarif
# The same run with its first result fixed, pretty and compact (two
# different inputs with the same findings), and the run with none left.
jq '.runs[0].results |= .[1:]' a.sarif >b.sarif
jq -c '.runs[0].results |= .[1:]' a.sarif >b2.sarif
jq -c '.runs[0].results = []' a.sarif >clean.sarif
open_count() { sql "SELECT count(*) FROM findings WHERE status='open'"; }

test_expect_success 'a SARIF report ingests with the scope given' '
	fb ingest --scope repo-a --json a.sarif >o &&
	expect_eq "$(jq .new o)" 5 &&
	expect_eq "$(sql "SELECT DISTINCT scope FROM findings")" repo-a &&
	expect_eq "$(sql "SELECT scope FROM ingests WHERE id=1")" repo-a
'

test_expect_success 'without --scope a smaller report resolves nothing' '
	fb ingest --json b.sarif >o &&
	expect_eq "$(jq .resolved o)" 0 && expect_eq "$(open_count)" 5
'

test_expect_success 'with the same scope it resolves the result it lost' '
	fb ingest --scope repo-a --json b2.sarif >o &&
	expect_eq "$(jq .resolved o)" 1 && expect_eq "$(open_count)" 4 &&
	expect_eq "$(sql "SELECT status_reason FROM findings WHERE status='"'"'resolved'"'"'")" \
		"absent from ingest #3 of the same scope" &&
	expect_eq "$(sql "SELECT old_status||\">\"||new_status||\" by \"||new_by FROM finding_status_log")" \
		"open>resolved by source"
'

test_expect_success 'another scope, or another format in the same scope, resolves nothing' '
	fb ingest --scope repo-b --json clean.sarif >o &&
	expect_eq "$(jq .resolved o)" 0 &&
	gen osv-scanner 2 >osv.json &&
	fb ingest --scope repo-a --json osv.json >o &&
	expect_eq "$(jq .resolved o)" 0 && expect_eq "$(open_count)" 6
'

test_expect_success 'a clean report of the scope resolves the rest of its format only' '
	fb ingest --scope repo-a --force --json clean.sarif >o &&
	expect_eq "$(jq .resolved o)" 4 &&
	expect_eq "$(open_count)" 2 &&
	expect_eq "$(sql "SELECT DISTINCT source FROM findings WHERE status='"'"'open'"'"'")" osv-scanner
'

test_expect_code 2 '--scope with two files is refused' '
	fb ingest --scope repo-a a.sarif b.sarif
'

test_expect_code 2 'a scope with a control character is refused' '
	fb ingest --scope "$(printf "repo\033]0;x\007")" a.sarif
'

test_done
