#!/bin/sh
# audit: the chain verifies, every kind of tampering is caught and named,
# and an auditor recomputes each hash with jq and sha256sum alone.
. "$FB_SRCDIR/tests/lib.sh"
require_prog jq
require_prog sqlite3

setup() {
	rm -rf "$WS" && fb -w "$WS" init >/dev/null &&
	for v in 1M 2M 3M 4M 5M; do
		fb -w "$WS" config set ingest.max_bytes $v || return 1
	done
}
sql() { sqlite3 "$WS/store.db" "$1"; }

test_expect_success 'a fresh chain verifies and prints its head' '
	setup &&
	fb -w "$WS" audit verify >out &&
	expect_grep "intact: 6 entries" out &&
	head=$(sql "SELECT seq||\":\"||hash FROM audit ORDER BY seq DESC LIMIT 1") &&
	expect_grep "head $head" out
'

test_expect_success 'jq -cS and sha256sum recompute every hash (the man page recipe)' '
	fb -w "$WS" audit ls --json >rows &&
	[ "$(wc -l <rows)" -eq 6 ] &&
	while IFS= read -r row; do
		want=$(printf "%s" "$row" | jq -r .hash)
		got=$(printf "%s" "$row" | jq -jcS "del(.hash)" | sha256sum | cut -c1-64)
		expect_eq "$got" "$want" || exit 1
	done <rows &&
	prev=0000000000000000000000000000000000000000000000000000000000000000 &&
	while IFS= read -r row; do
		expect_eq "$(printf "%s" "$row" | jq -r .prev_hash)" "$prev" || exit 1
		prev=$(printf "%s" "$row" | jq -r .hash)
	done <rows
'

test_expect_success 'hostile text in a row still hashes the jq way' '
	odd="$TEST_TMP/ws-$(printf "\177\033]0;x\007\342\200\256\377")" &&
	fb -w "$odd" init >/dev/null &&
	fb -w "$odd" audit ls --json >row &&
	want=$(jq -r .hash row) &&
	got=$(jq -jcS "del(.hash)" row | sha256sum | cut -c1-64) &&
	expect_eq "$got" "$want" &&
	fb -w "$odd" audit ls >text &&
	! grep -q "$(printf "\033")" text &&
	fb -w "$odd" audit verify
'

test_expect_code 1 'an edited row is caught and named' '
	setup && sql "UPDATE audit SET object=\"other\" WHERE seq=3" &&
	fb -w "$WS" audit verify >out; rc=$?
	expect_grep "entry 3: hash does not match" out && exit $rc
'

test_expect_code 1 'a deleted row is caught and named' '
	setup && sql "DELETE FROM audit WHERE seq=4" &&
	fb -w "$WS" audit verify >out; rc=$?
	expect_grep "entry 4: missing" out && exit $rc
'

test_expect_code 1 'an inserted row is caught' '
	setup &&
	sql "UPDATE audit SET seq=seq+1000 WHERE seq>=4; UPDATE audit SET seq=seq-999 WHERE seq>=1000; INSERT INTO audit SELECT 4,time,actor,actor_kind,sudo_user,ssh_connection,action,object,detail,hash,hash FROM audit WHERE seq=3; UPDATE meta SET value=value+1 WHERE key=\"audit_head_seq\"" &&
	fb -w "$WS" audit verify >out; rc=$?
	expect_grep "entry [45]" out && exit $rc
'

test_expect_code 1 'a row appended behind the recorded head is caught' '
	setup &&
	sql "INSERT INTO audit SELECT 7,time,actor,actor_kind,sudo_user,ssh_connection,action,object,detail,hash,hash FROM audit WHERE seq=6" &&
	fb -w "$WS" audit verify >out; rc=$?
	expect_grep "entry 7" out && exit $rc
'

test_expect_code 1 'reordered rows are caught' '
	setup &&
	sql "UPDATE audit SET seq=-1 WHERE seq=3; UPDATE audit SET seq=3 WHERE seq=4; UPDATE audit SET seq=4 WHERE seq=-1" &&
	fb -w "$WS" audit verify >out; rc=$?
	expect_grep "entry 3: prev_hash does not match" out && exit $rc
'

test_expect_code 1 'a cut tail is caught against the recorded head' '
	setup && sql "DELETE FROM audit WHERE seq>=5" &&
	fb -w "$WS" audit verify >out; rc=$?
	expect_grep "cut from the end" out && exit $rc
'

test_expect_code 1 'a cut tail with a forged head is caught by --since the old head' '
	setup &&
	head=$(sql "SELECT seq||\":\"||hash FROM audit ORDER BY seq DESC LIMIT 1") &&
	sql "DELETE FROM audit WHERE seq=6; UPDATE meta SET value=5 WHERE key=\"audit_head_seq\"; UPDATE meta SET value=(SELECT hash FROM audit WHERE seq=5) WHERE key=\"audit_head_hash\"" &&
	fb -w "$WS" audit verify >/dev/null &&
	fb -w "$WS" audit verify --since "$head" >out; rc=$?
	expect_grep "anchor entry is missing" out && exit $rc
'

test_expect_success '--since a head that still stands verifies' '
	setup &&
	head=$(sql "SELECT seq||\":\"||hash FROM audit WHERE seq=3") &&
	fb -w "$WS" config set ingest.max_bytes 9M &&
	fb -w "$WS" audit verify --since "$head" >out &&
	expect_grep "intact" out
'

test_expect_code 2 '--since needs SEQ:HASH' '
	fb -w "$WS" audit verify --since 3
'

test_expect_success 'audit ls shows action, object and actor' '
	setup && fb -w "$WS" audit ls >out &&
	expect_grep "workspace.init" out && expect_grep "config.set ingest.max_bytes" out &&
	expect_grep "$(id -un)" out
'

test_expect_success 'SUDO_USER and SSH_CONNECTION are recorded' '
	setup &&
	SUDO_USER=alice SSH_CONNECTION="10.0.0.1 5000 10.0.0.2 22" fb -w "$WS" config set ingest.max_bytes 7M &&
	fb -w "$WS" audit ls --json | tail -n 1 >row &&
	expect_eq "$(jq -r .sudo_user row)" alice &&
	expect_eq "$(jq -r .ssh_connection row)" "10.0.0.1 5000 10.0.0.2 22" &&
	fb -w "$WS" audit verify
'

test_done
