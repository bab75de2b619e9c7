#!/bin/sh
# demo: the workspace `./dev demo` opens is built from the project's own
# data, and shows each capability.
. "$FB_SRCDIR/tests/lib.sh"
require_prog sqlite3

export FIREBREAK_WORKSPACE="$TEST_TMP/demo/ws"
mkdir -p "$TEST_TMP/demo"

test_expect_success 'the demo workspace builds from generated data' '
	sh "$FB_SRCDIR/tests/fixtures/demo/make-demo.sh" "$FB_BIN" "$TEST_TMP/demo" >log 2>&1 || { cat log; exit 1; }
	expect_grep "400 new" log && expect_grep "60 resolved" log
'

test_expect_success 'it shows findings, the poisoned model, suppressions and the chain' '
	sh "$FB_SRCDIR/tests/fixtures/demo/show-demo.sh" "$FB_BIN" >show 2>&1 &&
	expect_grep "imports nt.system\|imports posix.system" show &&
	expect_grep "shell spawned in inference container" show &&
	expect_grep "lab hosts, accepted risk" show &&
	expect_grep "audit chain intact" show &&
	! grep -q "$(printf "\033")" show
'

test_expect_success 'the poisoned checkpoint is one finding located on both hosts' '
	sqlite3 "$FIREBREAK_WORKSPACE/store.db" "SELECT DISTINCT l.host FROM finding_locations l
		JOIN findings f ON f.id = l.finding
		WHERE f.source = \"firebreak-scan\" AND f.rule_id = \"pickle.dangerous-global\"
		ORDER BY 1" >hosts &&
	expect_eq "$(cat hosts | tr "\n" " ")" "gpu-07 gpu-12 "
'

test_expect_success 'it has cases with evidence that checks clean' '
	expect_grep "bulk extraction through chat completions" show &&
	expect_grep "ps auxf on gpu-07\|ps-auxf.txt" show &&
	fb case ls --json >cases && [ "$(wc -l <cases)" -ge 2 ] &&
	[ "$(fb evidence ls --json | wc -l)" -ge 4 ] &&
	fb evidence check
'

test_expect_success 'it exports a signed bundle of case 1 that verifies' '
	[ -s "$TEST_TMP/demo/export/case-1.tar.zst" ] &&
	fb verify "$TEST_TMP/demo/export/case-1.tar.zst" \
		--allowed-signers "$TEST_TMP/demo/export/allowed_signers" >v &&
	expect_grep "signed by responder@demo.invalid" v
'

# As root with sshd the demo has a loopback fleet; ./dev demo brings it up
# again (fleet-up.sh) for the console's fleet and playbooks views.
if [ -f "$TEST_TMP/demo/fleet/inventory" ]; then
	test_expect_success 'the demo ran the shipped playbooks on its fleet, rollback included' '
		for pb in snapshot-evidence quarantine-model revoke-key verify-model-integrity rollback-model; do
			expect_eq "$(sqlite3 "$FIREBREAK_WORKSPACE/store.db" "SELECT count(*) FROM runs WHERE playbook=\"$pb\" AND state=\"done\"" )" \
				"$([ $pb = revoke-key ] && echo 2 || echo 1)" || exit 1
		done &&
		for h in gpu-07 gpu-12 gpu-21; do
			expect_eq "$(readlink "$TEST_TMP/demo/fleet/hosts/$h/srv/models/mistral-7b/current")" v2 || exit 1
		done
	'
	test_expect_success 'fleet-up.sh brings the demo fleet back; stop.sh stops it' '
		export FIREBREAK_INVENTORY="$TEST_TMP/demo/fleet/inventory" &&
		sh "$FB_SRCDIR/tests/fixtures/demo/fleet-up.sh" "$TEST_TMP/demo" >up &&
		expect_grep "3 hosts up" up &&
		fb fleet exec gpu -- cat /srv/models/mistral-7b/v3/model.safetensors >ex 2>&1 ||
			{ sh "$TEST_TMP/demo/fleet/stop.sh"; cat ex; exit 1; }
		sh "$TEST_TMP/demo/fleet/stop.sh" &&
		expect_eq "$(grep -c "^mistral weights v3" ex)" 3 &&
		sleep 0.5 && ! fb fleet exec gpu -- true >down 2>&1 &&
		expect_eq "$(grep -c "unreachable: cannot connect" down)" 3
	'
elif [ "${FIREBREAK_REQUIRE_ALL:-}" = 1 ]; then
	test_expect_success 'the demo has its loopback fleet' 'cat log; false'
fi

test_done
