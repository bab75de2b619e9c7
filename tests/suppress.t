#!/bin/sh
# suppress: evaluated when reading, hidden by default, --all shows them,
# removal and expiry bring findings back, every action audited.
. "$FB_SRCDIR/tests/lib.sh"
require_prog jq

gen() { sh "$FB_SRCDIR/tests/fixtures/ingest/gen-findings.sh" "$@"; }
fb -w "$WS" init >/dev/null
gen 100 >f.jsonl
fb -w "$WS" ingest f.jsonl >/dev/null
count() { fb -w "$WS" finding ls --json "$@" | wc -l; }

test_expect_success 'a suppression hides what it matches, --all shows it' '
	expect_eq "$(count)" 100 &&
	fb -w "$WS" suppress add "severity<=low" host:gpu-1* --reason "lab hosts, accepted" >out &&
	expect_grep "suppression #1 added" out &&
	hidden=$(count "severity<=low" "host:gpu-1*" --all) &&
	expect_eq "$(count)" $((100 - hidden)) &&
	expect_eq "$(count --all)" 100 &&
	fb -w "$WS" finding ls --all "severity<=low" "host:gpu-1*" >ls &&
	expect_grep suppressed ls
'

test_expect_success 'the finding itself is untouched (status stays open)' '
	expect_eq "$(fb -w "$WS" finding ls --all --json "severity<=low" "host:gpu-1*" | jq -r .status | sort -u)" open
'

test_expect_success 'suppress ls shows match, reason, owner and what it hides' '
	fb -w "$WS" suppress ls --json >l &&
	expect_eq "$(jq -r .reason l)" "lab hosts, accepted" &&
	expect_eq "$(jq -r .owner l)" "$(id -un)" &&
	[ "$(jq -r .matching l)" -gt 0 ]
'

test_expect_success 'removing it brings the findings back; audited' '
	fb -w "$WS" suppress rm 1 &&
	expect_eq "$(count)" 100 &&
	fb -w "$WS" audit ls --json | jq -r .action | grep -c "^suppress\." | grep -qx 2
'

test_expect_success 'a suppression expires by itself' '
	fb -w "$WS" suppress add source=gen --reason "short" --expires 2s >/dev/null &&
	expect_eq "$(count)" 0 &&
	sleep 3 &&
	expect_eq "$(count)" 100 &&
	fb -w "$WS" suppress ls --all >l && expect_grep "expired or removed" l
'

test_expect_code 2 'suppress add needs a reason and a valid match' '
	fb -w "$WS" suppress add source=gen 2>e1; r1=$?
	fb -w "$WS" suppress add "colour=red" --reason x 2>e2; r2=$?
	expect_grep "needs --reason" e1 && expect_grep "unknown filter field" e2 &&
	[ $r1 -eq 2 ] && exit $r2
'

test_expect_success 'triage: ack, resolve and fp change status with reason, audited' '
	fb -w "$WS" finding ack 1 2 &&
	fb -w "$WS" finding resolve 3 --reason "patched" &&
	fb -w "$WS" finding fp 4 --reason "not reachable" &&
	expect_eq "$(fb -w "$WS" finding show --json 3 | jq -r .status_reason)" patched &&
	expect_eq "$(fb -w "$WS" finding show --json 4 | jq -r .status)" false_positive &&
	expect_eq "$(fb -w "$WS" audit ls --json | jq -r .action | grep -c finding.status)" 3 &&
	fb -w "$WS" audit verify
'

test_expect_code 6 'triage of an unknown id changes nothing' '
	fb -w "$WS" finding ack 1 999999 2>err; rc=$?
	expect_grep "no finding 999999" err &&
	expect_eq "$(fb -w "$WS" finding show --json 1 | jq -r .status)" acknowledged && exit $rc
'

test_done
