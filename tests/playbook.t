#!/bin/sh
# playbook runs on the loopback fleet: dry run, approval bound to the plan,
# kill -9 in the middle of a 10-host apply then resume (a marker file counts
# applies), SIGINT then resume, undo, the journal and the case timeline.
# The kill -9 and SIGINT cases count hosts applied before the stop, so they
# run one host at a time (-j 1); playbook-par.t has them with hosts at once.
. "$(dirname "$0")/lib.sh"
require_prog jq
require_prog sqlite3
require_prog script
fleet_require

PB="$FB_SRCDIR/tests/fixtures/playbooks"
for i in 01 02 03 04 05 06 07 08 09 10; do
	fleet_host pb-$i || { echo "1..0 # cannot start sshd"; exit 1; }
	fleet_trust pb-$i
done
fb init -w "$WS" >/dev/null
export FIREBREAK_WORKSPACE="$WS"

# marks HOST: lines in the host's marker file, read from its own /srv.
marks() { { cat "$(fleet_dir "$1")/srv/data/marker" 2>/dev/null || :; } | grep -c . || :; }
all_marks() { for i in 01 02 03 04 05 06 07 08 09 10; do marks pb-$i; done | tr '\n' ' '; }
total_marks() { cat "$FLEET_DIR"/hosts/pb-*/srv/data/marker 2>/dev/null | grep -c . || :; }
state() { sqlite3 "$WS/store.db" "SELECT state FROM runs WHERE id=$1"; }
ones="1 1 1 1 1 1 1 1 1 1 "

test_expect_success 'playbook show and lint' '
	fb playbook lint "$PB/marker.lua" >out &&
	expect_grep "ok (marker, 2 params, 2 steps" out &&
	fb playbook show --json "$PB/marker.lua" >j &&
	expect_eq "$(jq -r ".steps[0].destructive" j)" true &&
	expect_eq "$(jq -r ".sha256" j)" "$(sha256sum "$PB/marker.lua" | cut -c1-64)"
'

test_expect_success 'dry run: every check, the plan per host, nothing applied' '
	fb playbook run --dry-run -l "pb-0*" "$PB/marker.lua" >out &&
	expect_eq "$(grep -c "append .applied. to /srv/data/marker" out)" 9 &&
	expect_grep "plan sha256 [0-9a-f]\{64\}" out &&
	expect_eq "$(total_marks)" 0 &&
	expect_eq "$(state 1)" planned &&
	expect_eq "$(sqlite3 "$WS/store.db" "SELECT count(*) FROM run_steps WHERE run_id=1 AND step=1 AND state=\"pending\"")" 9
'

test_expect_success 'the plan hash is the SHA-256 of the stored plan' '
	sha=$(sed -n "s/^plan sha256 //p" "$TEST_TMP/out.2" 2>/dev/null || :) ;
	stored=$(sqlite3 "$WS/store.db" "SELECT plan_sha256 FROM runs WHERE id=1") &&
	expect_eq "$(sqlite3 "$WS/store.db" "SELECT plan FROM runs WHERE id=1" | tr -d "\n" | sha256sum | cut -c1-64)" "$stored"
'

test_expect_success 'a step without check blocks the dry run' '
	! fb playbook run --dry-run -l pb-01 "$PB/nocheck.lua" >out 2>err &&
	expect_grep "has no check, so a dry run cannot say" err &&
	[ ! -e "$(fleet_dir pb-01)/srv/data/nocheck" ]
'

test_expect_code 5 'destructive steps wait for approval (exit 5)' '
	fb playbook run -l "pb-0[1-3]" "$PB/marker.lua" >out; rc=$?;
	expect_grep "firebreak run approve 3 --plan [0-9a-f]\{64\}" out &&
	expect_eq "$(state 3)" awaiting-approval &&
	expect_eq "$(total_marks)" 0 && exit $rc
'

test_expect_success 'approval for an old plan is refused: a host changed' '
	old=$(sqlite3 "$WS/store.db" "SELECT plan_sha256 FROM runs WHERE id=3") &&
	echo applied >"$(fleet_dir pb-02)/srv/data/marker" &&
	chmod 666 "$(fleet_dir pb-02)/srv/data/marker" &&
	{ fb run approve 3 --plan "$old" >out 2>err; rc=$?; } ;
	expect_eq "$rc" 5 &&
	expect_grep "refused: the plan changed" err &&
	expect_eq "$(state 3)" awaiting-approval &&
	expect_eq "$(all_marks)" "0 1 0 0 0 0 0 0 0 0 " &&
	new=$(sqlite3 "$WS/store.db" "SELECT plan_sha256 FROM runs WHERE id=3") &&
	[ "$new" != "$old" ] &&
	{ fb run approve 3 --plan "$old" >out 2>err; rc=$?; } ;
	expect_eq "$rc" 5 && expect_grep "is not run 3.s plan" err
'

test_expect_success 'approval of another run (other params) is refused' '
	fb playbook run -l pb-01 -e line=other "$PB/marker.lua" >out; [ $? -eq 5 ] &&
	other=$(sqlite3 "$WS/store.db" "SELECT plan_sha256 FROM runs WHERE id=4") &&
	! fb run approve 3 --plan "$other" 2>err &&
	expect_grep "is not run 3.s plan" err &&
	fb run abort 4 >/dev/null && expect_eq "$(state 4)" aborted
'

test_expect_success 'approving the current plan applies it' '
	new=$(sqlite3 "$WS/store.db" "SELECT plan_sha256 FROM runs WHERE id=3") &&
	fb run approve 3 --plan "$new" >out &&
	expect_eq "$(state 3)" done &&
	expect_eq "$(all_marks)" "1 1 1 0 0 0 0 0 0 0 " &&
	expect_eq "$(sqlite3 "$WS/store.db" "SELECT group_concat(state) FROM (SELECT state FROM run_steps WHERE run_id=3 AND step=1 ORDER BY id)")" "done,unchanged,done" &&
	expect_eq "$(sqlite3 "$WS/store.db" "SELECT approved_sha256 FROM runs WHERE id=3")" "$new"
'

test_expect_success 'undo runs the undo of applied pairs only' '
	fb run undo 3 >out &&
	expect_eq "$(state 3)" undone &&
	expect_eq "$(all_marks)" "0 1 0 0 0 0 0 0 0 0 " &&
	rm -f "$(fleet_dir pb-02)/srv/data/marker"
'

test_expect_success 'kill -9 in the middle of a 10-host apply, then resume: each host once' '
	fb playbook run -e delay=0.4 "$PB/marker.lua" >out; [ $? -eq 5 ] &&
	id=$(sqlite3 "$WS/store.db" "SELECT max(id) FROM runs") &&
	sha=$(sqlite3 "$WS/store.db" "SELECT plan_sha256 FROM runs WHERE id=$id") &&
	{ "$FB_BIN" run approve -j 1 "$id" --plan "$sha" >approve.out 2>&1 & pid=$!; } &&
	n=0; while [ "$(total_marks)" -lt 4 ] && [ $n -lt 300 ]; do sleep 0.05; n=$((n+1)); done;
	kill -9 $pid; wait $pid 2>/dev/null;
	sleep 1;
	got=$(total_marks) && [ "$got" -ge 4 ] && [ "$got" -lt 10 ] &&
	expect_eq "$(state $id)" running &&
	fb run resume "$id" >out &&
	expect_eq "$(state $id)" done &&
	expect_eq "$(all_marks)" "$ones" &&
	expect_eq "$(sqlite3 "$WS/store.db" "SELECT sum(applies) FROM run_steps WHERE run_id=$id AND step=1")" \
		"$(sqlite3 "$WS/store.db" "SELECT count(*) FROM run_steps WHERE run_id=$id AND step=1 AND state=\"done\"")"
'

test_expect_success 'resume of a finished run touches nothing' '
	id=$(sqlite3 "$WS/store.db" "SELECT max(id) FROM runs") &&
	! fb run resume "$id" 2>err && expect_grep "nothing to resume" err &&
	expect_eq "$(all_marks)" "$ones"
'

test_expect_success 'SIGINT stops between hosts; resume finishes; each host once' '
	fb playbook run -e line=second -e delay=0.3 "$PB/marker.lua" >out; [ $? -eq 5 ] &&
	id=$(sqlite3 "$WS/store.db" "SELECT max(id) FROM runs") &&
	sha=$(sqlite3 "$WS/store.db" "SELECT plan_sha256 FROM runs WHERE id=$id") &&
	{ "$FB_BIN" run approve -j 1 "$id" --plan "$sha" >approve.out 2>&1 & pid=$!; } &&
	n=0; while [ "$(total_marks)" -lt 13 ] && [ $n -lt 300 ]; do sleep 0.05; n=$((n+1)); done;
	kill -INT $pid; wait $pid; rc=$?;
	expect_eq "$rc" 4 &&
	expect_eq "$(state $id)" interrupted &&
	expect_grep "resume with: firebreak run resume $id" approve.out &&
	[ "$(total_marks)" -lt 20 ] &&
	fb run resume "$id" >out &&
	expect_eq "$(state $id)" done &&
	expect_eq "$(total_marks)" 20 &&
	for i in 01 02 03 04 05 06 07 08 09 10; do
		expect_eq "$(grep -cx second "$(fleet_dir pb-$i)/srv/data/marker")" 1 || exit 1
	done
'

test_expect_success 'a changed playbook is refused on resume without --force' '
	cp "$PB/marker.lua" mine.lua &&
	fb playbook run -l pb-01 -e line=third mine.lua >out; [ $? -eq 5 ] &&
	id=$(sqlite3 "$WS/store.db" "SELECT max(id) FROM runs") &&
	sqlite3 "$WS/store.db" "UPDATE runs SET state=\"interrupted\" WHERE id=$id" &&
	echo "-- edited" >>mine.lua &&
	! fb run resume "$id" 2>err &&
	expect_grep "changed since run $id started" err &&
	fb run resume --force "$id" >out &&
	expect_eq "$(sqlite3 "$WS/store.db" "SELECT source_sha256 FROM runs WHERE id=$id")" "$(sha256sum mine.lua | cut -c1-64)"
'

test_expect_success 'every call is journaled and audited' '
	id=$(sqlite3 "$WS/store.db" "SELECT id FROM runs WHERE state=\"done\" ORDER BY id LIMIT 1") &&
	calls=$(sqlite3 "$WS/store.db" "SELECT count(*) FROM run_calls WHERE run_id=$id") &&
	[ "$calls" -gt 0 ] &&
	expect_eq "$(fb audit ls --json | jq -r "select(.action==\"run.call\" and .object==\"run:$id\") | .seq" | wc -l)" "$calls" &&
	expect_eq "$(sqlite3 "$WS/store.db" "SELECT count(*) FROM remote_exec WHERE run_id=$id")" \
		"$(sqlite3 "$WS/store.db" "SELECT count(*) FROM run_calls WHERE run_id=$id AND fn=\"exec\"")" &&
	fb audit verify >/dev/null
'

test_expect_success 'runs and steps on the case timeline' '
	fb case new "marker incident" >/dev/null &&
	fb playbook run --case 1 -l pb-01 -e line=fourth "$PB/marker.lua" >out; [ $? -eq 5 ] &&
	id=$(sqlite3 "$WS/store.db" "SELECT max(id) FROM runs") &&
	fb run approve "$id" --plan "$(sqlite3 "$WS/store.db" "SELECT plan_sha256 FROM runs WHERE id=$id")" >out &&
	fb case timeline 1 --json >tl &&
	expect_eq "$(jq -r "select(.kind==\"playbook_step\") | .text" tl | grep -c "run $id step 1 .mark.: 1 applied")" 1 &&
	expect_eq "$(jq -r "select(.kind==\"playbook_run\") | .text" tl | grep -c "run $id: done")" 1
'

test_expect_success 'run ls and show' '
	fb run ls --json >j &&
	expect_eq "$(jq -s length j)" "$(sqlite3 "$WS/store.db" "SELECT count(*) FROM runs")" &&
	fb run show 3 >out && expect_grep "run 3: playbook marker, undone" out &&
	fb run show 3 --json | jq -e ".steps | length == 4" >/dev/null
'

test_expect_code 5 '--yes without a terminal still waits for approval' '
	fb playbook run --yes -l pb-06 -e line=tty "$PB/marker.lua" </dev/null >out; rc=$?;
	expect_grep "yes approves only on a terminal" out &&
	expect_eq "$(grep -cx tty "$(fleet_dir pb-06)/srv/data/marker" || :)" 0 && exit $rc
'

test_expect_success '--yes on a terminal approves the plan shown' '
	{ script -qec "\"$FB_BIN\" playbook run --yes -l pb-06 -e line=tty \"$PB/marker.lua\"" /dev/null >out || { cat out; exit 1; }; } &&
	id=$(sqlite3 "$WS/store.db" "SELECT max(id) FROM runs") &&
	expect_eq "$(state $id)" done &&
	expect_eq "$(grep -cx tty "$(fleet_dir pb-06)/srv/data/marker")" 1 &&
	fb audit ls --json >audit.jsonl &&
	expect_eq "$(jq -r "select(.action==\"run.approve\" and .object==\"run:$id\") | .seq" audit.jsonl | wc -l)" 1
'

test_expect_success 'batches: a failure stops the run after its batch; resume goes on' '
	touch "$(fleet_dir pb-05)/srv/data/fail" &&
	{ fb playbook run "$PB/batched.lua" >out; rc=$?; } ;
	expect_eq "$rc" 4 &&
	id=$(sqlite3 "$WS/store.db" "SELECT max(id) FROM runs") &&
	expect_eq "$(state $id)" failed &&
	expect_grep "1 of 10 hosts failed (max_fail 0%)" out &&
	n=0; for i in 01 02 03 04 05 06 07 08 09 10; do
		[ -e "$(fleet_dir pb-$i)/srv/data/batched" ] && n=$((n+1)); done;
	expect_eq "$n" 5 &&
	rm "$(fleet_dir pb-05)/srv/data/fail" &&
	fb run resume "$id" >out &&
	expect_eq "$(state $id)" done &&
	n=0; for i in 01 02 03 04 05 06 07 08 09 10; do
		[ -e "$(fleet_dir pb-$i)/srv/data/batched" ] && n=$((n+1)); done;
	expect_eq "$n" 10
'

# Each value goes through -e, then argv and shell.quote, to the host's files.
n=0
for v in 'a  b' "it's" 'x;touch /srv/data/pwned' '$(touch /srv/data/pwned2)' \
    "$(printf 'line1\nline2')" '-rf' '`id`' '"dq" \' '*' ' lead' '--help'; do
	n=$((n + 1))
	printf '%s' "$v" >"expected.$n"
	test_expect_success "hostile parameter $n arrives literally" '
		v=$(cat expected.'"$n"') &&
		fb playbook run -l pb-05 -e "value=$v" "$PB/hostile.lua" >out &&
		d="$(fleet_dir pb-05)/srv/data" &&
		cmp "$d/argv" expected.'"$n"' &&
		cmp "$d/quoted" expected.'"$n"' &&
		[ -e "$d/$(printf %s "$v" | tr / _)" ] &&
		[ ! -e "$d/pwned" ] && [ ! -e "$d/pwned2" ]
	'
done

test_done
