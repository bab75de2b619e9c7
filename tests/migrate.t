#!/bin/sh
# migrate: every released schema (tests/fixtures/schema-vN.sql) opens,
# migrates to the current version with its rows and chain intact; a store
# from a newer firebreak is refused.
. "$FB_SRCDIR/tests/lib.sh"
require_prog sqlite3

current=$(fb -w "$WS" init >/dev/null && sqlite3 "$WS/store.db" "PRAGMA user_version")

for f in "$FB_SRCDIR"/tests/fixtures/schema-v*.sql; do
	v=$(basename "$f" .sql); v=${v#schema-v}
	test_expect_success "schema v$v migrates to v$current, rows and chain intact" '
		d="$TEST_TMP/old$v" && mkdir -p "$d/blobs" &&
		sqlite3 "$d/store.db" <"$f" &&
		expect_eq "$(sqlite3 "$d/store.db" "PRAGMA user_version")" "$v" &&
		before=$(sqlite3 "$d/store.db" "SELECT count(*) FROM audit") &&
		fb -w "$d" config get ingest.max_bytes >val &&
		expect_eq "$(sqlite3 "$d/store.db" "PRAGMA user_version")" "$current" &&
		expect_eq "$(cat val)" 3M &&
		expect_eq "$(sqlite3 "$d/store.db" "SELECT count(*) FROM audit")" "$before" &&
		fb -w "$d" audit verify
	'
done

test_expect_code 6 'a store from a newer firebreak is refused clearly' '
	sqlite3 "$WS/store.db" "PRAGMA user_version=9999" &&
	fb -w "$WS" audit ls 2>err; rc=$?
	expect_grep "schema 9999, newer than this firebreak" err &&
	expect_eq "$(sqlite3 "$WS/store.db" "PRAGMA user_version")" 9999 && exit $rc
'

test_done
