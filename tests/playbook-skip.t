#!/bin/sh
# playbook-skip: a host that cannot be reached stops the plan, unless
# --skip-unreachable leaves it out by name; a host whose key is not
# trusted is never "unreachable".
. "$(dirname "$0")/lib.sh"
require_prog jq
require_prog sqlite3
fleet_require

for h in sk-1 sk-2; do
	fleet_host $h || { echo "1..0 # cannot start sshd"; exit 1; }
	fleet_trust $h
done
fleet_down sk-down
fb init -w "$WS" >/dev/null
export FIREBREAK_WORKSPACE="$WS"
PB="$FB_SRCDIR/tests/fixtures/playbooks"
q() { sqlite3 "$WS/store.db" "$1"; }
marks() { { cat "$(fleet_dir "$1")/srv/data/marker" 2>/dev/null || :; } | grep -c . || :; }

test_expect_code 6 'an unreachable host stops the plan and says how to leave it out' '
	fb playbook run -l "sk-*" "$PB/marker.lua" >out 2>err; rc=$?;
	expect_grep "leave a host out with -l '"'"'sk-\*:!sk-down'"'"'" err &&
	expect_eq "$(q "SELECT state FROM runs WHERE id=1")" failed && exit $rc
'

test_expect_code 5 '--skip-unreachable leaves it out by name and plans the rest' '
	fb playbook run -l "sk-*" --skip-unreachable "$PB/marker.lua" >out 2>&1; rc=$?;
	expect_grep "left out sk-down: " out &&
	expect_eq "$(q "SELECT hosts FROM runs WHERE id=2")" "[\"sk-1\",\"sk-2\"]" &&
	expect_eq "$(q "SELECT pattern FROM runs WHERE id=2")" "sk-*:!sk-down" &&
	expect_eq "$(q "SELECT count(*) FROM run_steps WHERE run_id=2 AND host=\"sk-down\"")" 0 &&
	fb audit ls --json | jq -c "select(.action==\"playbook.run\")" | tail -n 1 >a &&
	jq -e ".detail.left_out[\"sk-down\"] | length > 0" a >/dev/null &&
	expect_eq "$(q "SELECT count(*) FROM remote_exec WHERE command=\"true\" AND host=\"sk-down\" AND kind=\"unreachable\"")" 1 &&
	exit $rc
'

test_expect_success 'the approved run applies on the reachable hosts, once each' '
	sha=$(q "SELECT plan_sha256 FROM runs WHERE id=2") &&
	{ fb run approve 2 --plan "$sha" >out 2>&1 || { cat out; exit 1; }; } &&
	expect_eq "$(marks sk-1)$(marks sk-2)" 11 &&
	expect_eq "$(q "SELECT state FROM runs WHERE id=2")" done
'

fleet_host sk-new || { echo "cannot start sk-new"; exit 1; }
test_expect_code 6 'a host whose key is not trusted is not unreachable: the plan stops' '
	fb playbook run -l "sk-1:sk-new" --skip-unreachable "$PB/marker.lua" >out 2>err; rc=$?;
	! grep -q "left out" out &&
	expect_grep "sk-new" err && exit $rc
'

test_expect_code 6 'every host unreachable: nothing to run' '
	fb playbook run -l sk-down --skip-unreachable "$PB/marker.lua" >out 2>err; rc=$?;
	expect_grep "no host of '"'"'sk-down'"'"' can be reached" err && exit $rc
'

test_done
