#!/bin/sh
# cli: help, version, usage errors and their exit codes, one error voice.
. "$FB_SRCDIR/tests/lib.sh"

test_expect_success 'help lists the commands' '
	fb help >out && expect_grep "^  init " out && expect_grep "^  audit " out &&
	fb --help >out2 && cmp out out2
'

test_expect_success '--version prints the version' '
	fb --version | grep -Eq "^firebreak [0-9]+\.[0-9]+\.[0-9]+$"
'

test_expect_success 'every command has --help starting with usage' '
	for c in $(fb help | sed -n "s/^  \([a-z]*\) .*/\1/p"); do
		fb $c --help >out || exit 1
		head -n 1 out | grep -q "^usage: firebreak $c" || { echo "$c"; exit 1; }
		fb help $c | cmp - out || exit 1
	done
'

test_expect_code 2 'no command: usage on stderr, exit 2' '
	fb 2>err </dev/null; rc=$?; expect_grep "^usage:" err && exit $rc
'

test_expect_code 2 'unknown command: error, usage, exit 2' '
	fb frobnicate 2>err; rc=$?
	expect_grep "^error: unknown command .frobnicate." err &&
	expect_grep "^usage:" err && exit $rc
'

test_expect_code 2 'unknown flag: exit 2' '
	fb -w "$WS" init --bogus 2>err; rc=$?
	expect_grep "^error: unknown option" err && exit $rc
'

test_expect_code 2 'unknown subcommand: exit 2' '
	fb audit frob 2>err; rc=$?
	expect_grep "unknown subcommand" err && exit $rc
'

test_expect_code 2 'missing option value: exit 2' '
	fb audit ls --limit 2>err; rc=$?
	expect_grep "needs a value" err && exit $rc
'

test_expect_success 'errors quoting input are terminal-safe' '
	fb "$(printf "x\033]52;c;AAAA\007")" 2>err;
	! grep -q "$(printf "\033")" err && expect_grep "x\\\\x1b" err
'

test_done
