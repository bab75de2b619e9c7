#!/bin/sh
# demo: the workspace `./dev demo` opens is built from the project's own
# data, and shows each capability.
. "$FB_SRCDIR/tests/lib.sh"

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

test_expect_success 'it has cases with evidence that checks clean' '
	expect_grep "bulk extraction through chat completions" show &&
	expect_grep "ps auxf on gpu-07\|ps-auxf.txt" show &&
	fb case ls --json >cases && [ "$(wc -l <cases)" -ge 2 ] &&
	[ "$(fb evidence ls --json | wc -l)" -ge 4 ] &&
	fb evidence check
'

test_done
