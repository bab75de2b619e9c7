#!/bin/sh
# concurrency: two writers and a reader on one workspace at once: no
# "database is locked", every write lands, the chain stays intact.
. "$FB_SRCDIR/tests/lib.sh"

fb -w "$WS" init >/dev/null
N=40

writer() {
	i=0
	while [ $i -lt $N ]; do
		fb -w "$WS" config set ingest.max_findings $((1000 + i)) 2>>"$TEST_TMP/err.$1" ||
			echo "write $i failed" >>"$TEST_TMP/err.$1"
		i=$((i + 1))
	done
}
reader() {
	i=0
	while [ $i -lt $N ]; do
		fb -w "$WS" audit ls >/dev/null 2>>"$TEST_TMP/err.r" ||
			echo "read $i failed" >>"$TEST_TMP/err.r"
		fb -w "$WS" audit verify >/dev/null 2>>"$TEST_TMP/err.r" ||
			echo "verify $i failed" >>"$TEST_TMP/err.r"
		i=$((i + 1))
	done
}

test_expect_success 'two writers and a reader: no errors, every row lands' '
	: >err.a; : >err.b; : >err.r
	writer a & p1=$!
	writer b & p2=$!
	reader & p3=$!
	wait $p1 $p2 $p3
	cat err.a err.b err.r
	[ ! -s err.a ] && [ ! -s err.b ] && [ ! -s err.r ] &&
	expect_eq "$(fb -w "$WS" audit ls --json | wc -l)" $((2 * N + 1)) &&
	fb -w "$WS" audit verify
'

test_done
