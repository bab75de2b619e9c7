#!/bin/sh
# The hosts of a batch apply at once (-j N), proven without timing: a
# rendezvous playbook (meet.lua) whose apply on each host waits until all
# of them have arrived, which one host at a time never achieves. kill -9
# in the middle of a concurrent apply then resume, SIGINT, a failing host
# among the others, the journal's host for each call, undo, and what a
# step may do with coroutines.
. "$(dirname "$0")/lib.sh"
require_prog jq
require_prog sqlite3
fleet_require

PB="$FB_SRCDIR/tests/fixtures/playbooks"
HOSTS="1 2 3 4 5"
for i in $HOSTS; do
	fleet_host par-$i || { echo "1..0 # cannot start sshd"; exit 1; }
	fleet_trust par-$i
done
fb init -w "$WS" >/dev/null
export FIREBREAK_WORKSPACE="$WS"

# The rendezvous directories: outside every host's /srv, so all see them,
# and reachable by the login user (TEST_TMP is private).
SHARED=$(mktemp -d /tmp/fb-meet.XXXXXX) || exit 1
chmod 755 "$SHARED"
meet_cleanup() { rm -rf "$SHARED"; }
at_exit meet_cleanup
rv() { mkdir -p "$SHARED/$1/at" && chmod 1777 "$SHARED/$1" "$SHARED/$1/at" && echo "$SHARED/$1"; }
arrived() { ls "$SHARED/$1/at" | wc -l; }

met() { { cat "$(fleet_dir "$1")/srv/data/met-$2" 2>/dev/null || :; } | grep -c . || :; }
all_met() { for i in $HOSTS; do met par-$i "$1"; done | tr '\n' ' '; }
ones="1 1 1 1 1 "
q() { sqlite3 "$WS/store.db" "$1"; }
state() { q "SELECT state FROM runs WHERE id=$1"; }
last_run() { q "SELECT max(id) FROM runs"; }
# wait_for CMD VALUE: until CMD prints VALUE (at most 20 s; no timing is
# asserted, it only bounds a test that fails).
wait_for() {
	local n=0
	while [ "$(eval "$1")" != "$2" ] && [ $n -lt 400 ]; do sleep 0.05; n=$((n + 1)); done
	[ "$(eval "$1")" = "$2" ]
}

test_expect_success '-j 5: five hosts meet, so they applied at once' '
	d=$(rv a) &&
	fb playbook run -j 5 -e dir="$d" -e n=5 -e tag=a "$PB/meet.lua" >out &&
	id=$(last_run) &&
	expect_eq "$(state $id)" done &&
	expect_eq "$(all_met a)" "$ones" &&
	expect_eq "$(q "SELECT group_concat(state) FROM run_steps WHERE run_id=$id")" "done,done,done,done,done" &&
	expect_eq "$(grep -c "applied" out)" 5
'

test_expect_success 'each exec is journaled against the host it ran on' '
	id=$(last_run) &&
	q "SELECT rc.host, json_extract(rc.args, \"$.hosts\"), re.host, rtrim(CAST(re.stdout AS TEXT), char(10))
	   FROM run_calls rc JOIN remote_exec re
	   ON re.id = json_extract(rc.result, \"$.\" || json_quote(rc.host) || \".remote_exec\")
	   WHERE rc.run_id=$id AND rc.fn=\"exec\" AND rc.phase=\"apply\"" >rows &&
	expect_eq "$(wc -l <rows)" 5 &&
	while IFS="|" read -r host target rehost said; do
		expect_eq "$target" "$host" &&
		expect_eq "$rehost" "$host" &&
		expect_eq "$said" "$host" || exit 1
	done <rows &&
	expect_eq "$(q "SELECT count(*) FROM run_calls WHERE run_id=$id AND fn=\"exec\"")" 15 &&
	expect_eq "$(q "SELECT count(*) FROM remote_exec WHERE run_id=$id")" 15 &&
	expect_eq "$(q "SELECT count(DISTINCT host) FROM run_calls WHERE run_id=$id AND fn=\"exec\" AND phase=\"check\"")" 5 &&
	fb audit verify >/dev/null
'

test_expect_success 'each pair result names its own host' '
	id=$(last_run) &&
	for i in $HOSTS; do
		expect_eq "$(q "SELECT json_extract(result, \"$.said\") FROM run_steps WHERE run_id=$id AND host=\"par-$i\"")" "par-$i" || exit 1
	done
'

test_expect_code 4 '-j 1: the same rendezvous fails on the first host (it can fail)' '
	d=$(rv b) &&
	fb playbook run -j 1 -l "par-[12]" -e dir="$d" -e n=2 -e wait=1 -e tag=b "$PB/meet.lua" >out; rc=$?;
	id=$(last_run) &&
	expect_eq "$(state $id)" failed &&
	expect_grep "par-1: nobody came after 1s" out &&
	expect_eq "$(q "SELECT state FROM run_steps WHERE run_id=$id AND host=\"par-1\"")" failed &&
	expect_eq "$(met par-1 b)$(met par-2 b)" 00 && exit $rc
'

test_expect_success 'undo -j 5: every host undone' '
	id=$(q "SELECT min(id) FROM runs") &&
	fb run undo -j 5 "$id" >out &&
	expect_eq "$(state $id)" undone &&
	expect_eq "$(all_met a)" "0 0 0 0 0 " &&
	expect_eq "$(q "SELECT group_concat(state) FROM run_steps WHERE run_id=$id")" "undone,undone,undone,undone,undone"
'

test_expect_code 4 'a host failing among the others leaves their results alone' '
	d=$(rv c) &&
	touch "$(fleet_dir par-3)/srv/data/fail" &&
	fb playbook run -e dir="$d" -e n=5 -e tag=c "$PB/meet.lua" >out; rc=$?;
	id=$(last_run) &&
	expect_eq "$(state $id)" failed &&
	expect_eq "$(all_met c)" "1 1 0 1 1 " &&
	expect_eq "$(q "SELECT group_concat(host || \"=\" || state) FROM run_steps WHERE run_id=$id")" \
		"par-1=done,par-2=done,par-3=failed,par-4=done,par-5=done" &&
	expect_grep "par-3 refused" "$(q "SELECT error FROM run_steps WHERE run_id=$id AND host=\"par-3\"" >err; echo err)" &&
	rm "$(fleet_dir par-3)/srv/data/fail" &&
	fb run resume "$id" >out2 &&
	expect_eq "$(state $id)" done &&
	expect_eq "$(all_met c)" "$ones" &&
	expect_eq "$(q "SELECT sum(applies) FROM run_steps WHERE run_id=$id")" 5 && exit $rc
'

test_expect_success 'kill -9 with five pairs applying at once, then resume: each host once' '
	d=$(rv k) && touch "$d/hold" &&
	{ "$FB_BIN" playbook run -j 5 -e dir="$d" -e n=5 -e tag=k "$PB/meet.lua" >run.out 2>&1 & pid=$!; } &&
	wait_for "arrived k" 5 &&
	id=$(last_run) &&
	expect_eq "$(q "SELECT count(*) FROM run_steps WHERE run_id=$id AND state=\"applying\"")" 5 &&
	kill -9 $pid; wait $pid 2>/dev/null;
	expect_eq "$(state $id)" running &&
	expect_eq "$(all_met k)" "0 0 0 0 0 " &&
	touch "$d/release" &&
	{ wait_for "all_met k" "$ones" || :; } &&
	fb run resume -j 5 "$id" >out &&
	expect_eq "$(state $id)" done &&
	expect_eq "$(all_met k)" "$ones" &&
	expect_eq "$(q "SELECT sum(applies) FROM run_steps WHERE run_id=$id")" \
		"$(q "SELECT count(*) FROM run_steps WHERE run_id=$id AND state=\"done\"")"
'

test_expect_success 'SIGINT: started hosts finish, no new one starts; resume goes on' '
	d=$(rv s) && touch "$d/hold" &&
	{ "$FB_BIN" playbook run -j 2 -e dir="$d" -e n=2 -e tag=s "$PB/meet.lua" >run.out 2>&1 & pid=$!; } &&
	wait_for "arrived s" 2 &&
	kill -INT $pid && touch "$d/release" &&
	{ wait $pid; rc=$?; } ;
	expect_eq "$rc" 4 &&
	id=$(last_run) &&
	expect_eq "$(state $id)" interrupted &&
	expect_eq "$(all_met s)" "1 1 0 0 0 " &&
	expect_eq "$(arrived s)" 2 &&
	expect_eq "$(q "SELECT group_concat(state) FROM run_steps WHERE run_id=$id")" "done,done,pending,pending,pending" &&
	fb run resume -j 5 "$id" >out &&
	expect_eq "$(state $id)" done &&
	expect_eq "$(all_met s)" "$ones"
'

test_expect_success 'the plan and its SHA-256 do not depend on -j' '
	d=$(rv p) &&
	for i in 2 4; do
		echo met >"$(fleet_dir par-$i)/srv/data/met-m" || exit 1
	done &&
	fb playbook run --dry-run -j 1 -e dir="$d" -e n=5 -e tag=m "$PB/meet.lua" >one &&
	a=$(last_run) &&
	fb playbook run --dry-run -j 5 -e dir="$d" -e n=5 -e tag=m "$PB/meet.lua" >five &&
	b=$(last_run) &&
	expect_eq "$(sed -n "s/^plan sha256 //p" five)" "$(sed -n "s/^plan sha256 //p" one)" &&
	expect_eq "$(q "SELECT count(DISTINCT plan) FROM runs WHERE id IN ($a, $b)")" 1 &&
	expect_eq "$(q "SELECT group_concat(state) FROM run_steps WHERE run_id=$b")" "pending,unchanged,pending,unchanged,pending" &&
	sed 1d one >one.body && sed 1d five >five.body && cmp one.body five.body
'

test_expect_success 'fb.exec in a coroutine of the step runs at once' '
	fb playbook run -e how=coexec "$PB/threads.lua" >out &&
	for i in $HOSTS; do expect_grep "coexec par-$i said par-$i" out || exit 1; done
'

test_expect_success 'fb.exec through pcall waits for the engine like any other' '
	fb playbook run -e how=pcall "$PB/threads.lua" >out &&
	for i in $HOSTS; do expect_grep "pcall par-$i true par-$i" out || exit 1; done
'

test_expect_code 4 'a stray yield fails its own pair only' '
	fb playbook run -e how=yield -e victim=par-2 "$PB/threads.lua" >out; rc=$?;
	id=$(last_run) &&
	expect_eq "$(q "SELECT group_concat(state) FROM run_steps WHERE run_id=$id")" "done,failed,done,done,done" &&
	expect_grep "yield from outside a coroutine" "$(q "SELECT error FROM run_steps WHERE run_id=$id AND host=\"par-2\"" >err; echo err)" &&
	exit $rc
'

test_expect_code 3 'the budget stops a loop in a coroutine of a step (hook inherited)' '
	fb playbook run -e how=loop "$PB/threads.lua" >out 2>err; rc=$?;
	id=$(last_run) &&
	expect_eq "$(state $id)" failed &&
	expect_grep "instruction budget exhausted" err &&
	expect_eq "$(q "SELECT count(*) FROM run_calls WHERE run_id=$id AND fn=\"exec\" AND phase=\"apply\"")" \
		"$(q "SELECT count(*) FROM remote_exec WHERE run_id=$id AND command=\"true\"")" && exit $rc
'

test_expect_code 4 'misuse of fb.exec raises in the step: the pair fails' '
	fb playbook run -e how=misuse "$PB/threads.lua" >out 2>err; rc=$?;
	expect_eq "$(grep -c "failed: .*fb.exec: pattern .not-a-host. matches no host" out)" 5 &&
	expect_eq "$(state $(last_run))" failed && exit $rc
'

test_expect_success '-j takes 1 to 1000 hosts' '
	for j in 0 -1 1001 x ""; do
		{ fb playbook run -j "$j" --dry-run "$PB/waits.lua" >out 2>err; rc=$?; } ;
		expect_eq "$rc" 2 && expect_grep "invalid -j" err || exit 1
		{ fb run resume --forks "$j" 1 >out 2>err; rc=$?; } ;
		expect_eq "$rc" 2 || exit 1
	done
'

test_done
