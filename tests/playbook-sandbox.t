#!/bin/sh
# Playbook sandbox: each way out raises where it is used and the run stops,
# journaled; memory cap and instruction budget; lint of declarations. No
# host is contacted: the inventory's hosts are never reached.
. "$(dirname "$0")/lib.sh"
require_prog sqlite3

PB="$FB_SRCDIR/tests/fixtures/playbooks"
fb init -w "$WS" >/dev/null
export FIREBREAK_WORKSPACE="$WS"
printf 'h1 ansible_host=192.0.2.1\nh2 ansible_host=192.0.2.2\n' >inv
export FIREBREAK_INVENTORY="$TEST_TMP/inv"
rm -f /tmp/fb-escape

last() { sqlite3 "$WS/store.db" "SELECT $1 FROM runs ORDER BY id DESC LIMIT 1"; }

for how in io os.execute os.remove bytecode debug require loadfile dofile \
    package string.dump; do
	for where in run check; do
		test_expect_code 6 "escape '$how' in $where raises and stops the run" '
			fb playbook run -e how='"$how"' -e where='"$where"' "$PB/escape.lua" >out 2>err; rc=$?;
			expect_grep "run [0-9]* stopped: .*escape.lua:[0-9]*:" err &&
			! grep -q "did not raise" out &&
			expect_eq "$(last state)" failed &&
			[ -n "$(last error)" ] &&
			[ ! -e /tmp/fb-escape ] && exit $rc
		'
	done
done

test_expect_success 'the escape is in the journal and the audit chain' '
	id=$(last id) &&
	expect_grep "escape.lua" "$(sqlite3 "$WS/store.db" "SELECT error FROM runs WHERE id=$id" >e; echo e)" &&
	fb audit ls --json | grep -q "\"run:$id\"" &&
	fb audit verify >/dev/null
'

for how in memory loop pcall_loop; do
	test_expect_code 3 "limit: '$how' is stopped" '
		fb playbook run -e how='"$how"' "$PB/escape.lua" >out 2>err; rc=$?;
		expect_eq "$(last state)" failed && exit $rc
	'
done

test_expect_success 'a playbook that does not escape runs to the end' '
	fb playbook run -e how=check "$PB/escape.lua" >out &&
	expect_grep "escape check did not raise" out &&
	expect_eq "$(last state)" done
'

test_expect_success 'the source SHA-256 is recorded on the run' '
	expect_eq "$(last source_sha256)" "$(sha256sum "$PB/escape.lua" | cut -c1-64)"
'

test_expect_success 'fb.model and fb.key act on the registry, audited' '
	sha=$(printf model | sha256sum | cut -c1-64) &&
	fb playbook run -e sha=$sha -e key=0123456789abcdef "$PB/registry.lua" >out &&
	expect_grep "got pbm v1 $sha registered" out &&
	expect_grep "now quarantined" out &&
	expect_grep "missing nil" out &&
	fb model ls --json >m &&
	expect_eq "$(jq -r "select(.name==\"pbm\") | .status + \" \" + .sha256" m)" "quarantined $sha" &&
	fb key ls --json >k &&
	expect_eq "$(jq -r "select(.key_id==\"0123456789abcdef\") | .status" k)" revoked &&
	expect_eq "$(sqlite3 "$WS/store.db" "SELECT count(*) FROM run_calls WHERE fn LIKE \"model.%\" OR fn LIKE \"key.%\"")" 7 &&
	fb audit verify >/dev/null
'

test_expect_success 'fb.key.revoke refuses a raw key; the run stops' '
	sha=$(printf model | sha256sum | cut -c1-64) &&
	! fb playbook run -e sha=$sha -e key=sk-live-notanid "$PB/registry.lua" >out 2>err &&
	expect_grep "a key id expected" err &&
	expect_eq "$(last state)" failed
'

test_expect_code 1 'lint refuses bad declarations' '
	fb playbook lint "$PB/bad-decl.lua" >out; rc=$?;
	expect_grep "error: name must be" out &&
	expect_grep "param .count.: the default is not of type integer" out &&
	expect_grep "param .mode.: type must be" out &&
	expect_grep "the name .a. is taken" out &&
	expect_grep "batch must be" out &&
	expect_grep "max_fail must be" out &&
	expect_grep "confirm must name a string param" out && exit $rc
'

test_expect_code 2 'parameters are typed and declared' '
	fb playbook run -e how=io -e nosuch=1 "$PB/escape.lua" 2>err; rc=$?;
	expect_grep "has no param .nosuch." err && exit $rc
'

test_expect_code 2 'a required parameter is required' '
	fb playbook run "$PB/escape.lua" 2>err; rc=$?;
	expect_grep "needs -e how=" err && exit $rc
'

test_expect_success 'playbook ls finds user playbooks' '
	mkdir -p "$XDG_CONFIG_HOME/firebreak/playbooks" &&
	cp "$PB/marker.lua" "$XDG_CONFIG_HOME/firebreak/playbooks/" &&
	fb playbook ls >out &&
	expect_grep "^marker  *Append a line" out &&
	fb playbook show marker >/dev/null
'

test_expect_code 6 'fb.* calls are refused while a playbook loads' '
	cat >early.lua <<-\EOF
	fb.exec("h1", { "touch", "/tmp/fb-escape" })
	return { name = "early", description = "x", steps = { { name = "s", run = function() end } } }
	EOF
	fb playbook run early.lua 2>err; rc=$?;
	expect_grep "not while the playbook loads" err && [ ! -e /tmp/fb-escape ] && exit $rc
'

test_done
