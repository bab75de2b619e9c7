#!/bin/sh
# config: defaults, set/get/reset, validation, every change audited.
. "$FB_SRCDIR/tests/lib.sh"
require_prog jq

fb -w "$WS" init >/dev/null

test_expect_success 'config ls shows every key with its default' '
	fb -w "$WS" config ls >out &&
	expect_grep "^ingest.max_bytes  *512M" out &&
	fb -w "$WS" config ls --json >json &&
	expect_eq "$(jq -r "select(.key==\"ingest.max_bytes\").default" json)" 512M &&
	[ "$(wc -l <json)" -eq "$(wc -l <out)" ]
'

test_expect_success 'set, get, and ls marks a changed value' '
	fb -w "$WS" config set ingest.max_bytes 64M &&
	expect_eq "$(fb -w "$WS" config get ingest.max_bytes)" 64M &&
	fb -w "$WS" config ls >out &&
	expect_grep "64M *(default 512M)" out
'

test_expect_success 'every change is one audit row with from and to' '
	fb -w "$WS" audit ls --json | tail -n 1 >row &&
	expect_eq "$(jq -r .action row)" config.set &&
	expect_eq "$(jq -r .object row)" ingest.max_bytes &&
	expect_eq "$(jq -r ".detail|fromjson|.from+\">\"+.to" row)" "512M>64M"
'

test_expect_success '--reset returns to the default' '
	fb -w "$WS" config set --reset ingest.max_bytes &&
	expect_eq "$(fb -w "$WS" config get ingest.max_bytes)" 512M
'

test_expect_code 2 'a bad value is refused (exit 2) and not audited' '
	n=$(fb -w "$WS" audit ls --json | wc -l)
	fb -w "$WS" config set ingest.max_bytes lots 2>err; rc=$?
	expect_grep "invalid value" err &&
	expect_eq "$(fb -w "$WS" audit ls --json | wc -l)" "$n" && exit $rc
'

test_expect_code 2 'an unknown key is refused' '
	fb -w "$WS" config get no.such.key 2>err; rc=$?
	expect_grep "unknown configuration key" err && exit $rc
'

test_done
