#!/bin/sh
# init: private and team workspaces, defaults, refusal of a second init.
. "$FB_SRCDIR/tests/lib.sh"

mode() { stat -c %a "$1"; }

test_expect_success 'init creates a private workspace (0700 dir, 0600 files)' '
	fb -w "$WS" init >out &&
	expect_grep "initialized private workspace" out &&
	expect_eq "$(mode "$WS")" 700 &&
	expect_eq "$(mode "$WS/store.db")" 600 &&
	expect_eq "$(mode "$WS/blobs")" 700
'

test_expect_success 'WAL and shm files take the private mode' '
	fb -w "$WS" config set ingest.max_bytes 1M &&
	sqlite3 "$WS/store.db" "PRAGMA journal_mode" | grep -qx wal &&
	for f in "$WS"/store.db-wal "$WS"/store.db-shm; do
		[ ! -e "$f" ] || expect_eq "$(mode "$f")" 600 || exit 1
	done
'

test_expect_code 6 'a second init is refused' '
	fb -w "$WS" init
'

test_expect_success 'default workspace is $XDG_DATA_HOME/firebreak' '
	fb init >out &&
	[ -f "$XDG_DATA_HOME/firebreak/store.db" ]
'

test_expect_success 'FIREBREAK_WORKSPACE chooses the workspace' '
	FIREBREAK_WORKSPACE="$TEST_TMP/envws" fb init &&
	[ -f "$TEST_TMP/envws/store.db" ]
'

test_expect_success 'init --group makes a team workspace (2770, 0660)' '
	grp=$(id -gn) &&
	fb -w "$TEST_TMP/team" init --group "$grp" >out &&
	expect_grep "team workspace" out &&
	expect_eq "$(mode "$TEST_TMP/team")" 2770 &&
	expect_eq "$(mode "$TEST_TMP/team/store.db")" 660 &&
	expect_eq "$(stat -c %G "$TEST_TMP/team/store.db")" "$grp" &&
	fb -w "$TEST_TMP/team" config set ingest.max_bytes 2M &&
	for f in "$TEST_TMP"/team/store.db-wal "$TEST_TMP"/team/store.db-shm; do
		[ -e "$f" ] || continue
		expect_eq "$(mode "$f")" 660 || exit 1
	done
'

test_expect_code 2 'an unknown group is refused' '
	fb -w "$TEST_TMP/nogroup" init --group no-such-group-fb 2>err;
	rc=$?; grep -q "no such group" err && exit $rc
'

test_expect_code 6 'a command on a missing workspace says how to create one' '
	fb -w "$TEST_TMP/missing" audit ls 2>err; rc=$?
	expect_grep "firebreak init" err && exit $rc
'

test_done
