#!/bin/sh
# console-store: the counts the console reads are kept right by the store
# on every kind of write (checked against a GROUP BY over the findings).
. "$FB_SRCDIR/tests/lib.sh"
require_prog sqlite3

export FIREBREAK_WORKSPACE="$WS"
fb init >/dev/null
q() { sqlite3 "$WS/store.db" "$1"; }
same_counts() {
	kept=$(q "SELECT severity, status, n FROM finding_counts WHERE n > 0 ORDER BY 1, 2") &&
	real=$(q "SELECT severity, status, count(*) FROM findings GROUP BY 1, 2 ORDER BY 1, 2") &&
	expect_eq "$kept" "$real"
}
gen() { sh "$FB_SRCDIR/tests/fixtures/ingest/gen-findings.sh" "$@"; }

test_expect_success 'after an ingest' '
	gen 200 c:scope >a.jsonl && fb ingest a.jsonl >/dev/null && same_counts
'
test_expect_success 'after a repeat that resolves what is gone' '
	gen 150 c:scope >b.jsonl && fb ingest b.jsonl >/dev/null &&
	[ "$(q "SELECT count(*) FROM findings WHERE status='\''resolved'\''")" -eq 50 ] &&
	same_counts
'
test_expect_success 'after triage' '
	fb finding ack 1 2 3 >/dev/null && fb finding fp 4 --reason x >/dev/null &&
	fb finding resolve 5 --reason y >/dev/null && fb finding reopen 5 >/dev/null &&
	same_counts
'
test_expect_success 'after resolved findings come back' '
	fb ingest --force a.jsonl >/dev/null && same_counts
'
test_expect_success 'new findings per hour come from the ingests' '
	expect_eq "$(q "SELECT sum(n_new) FROM ingests")" \
		"$(q "SELECT count(*) FROM findings")"
'
test_done
