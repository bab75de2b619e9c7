#!/bin/sh
# man: every page passes mandoc -Tlint, and firebreak(1) names every command.
. "$FB_SRCDIR/tests/lib.sh"
if [ -z "${MANDOC:-}" ]; then MANDOC=$(command -v mandoc || :); fi
[ -n "$MANDOC" ] || skip_file "mandoc not installed"

for page in "$FB_SRCDIR"/man/*.[1-9]; do
	test_expect_success "mandoc -Tlint $(basename "$page")" '
		"$MANDOC" -Tlint -W warning "$page" >lint 2>&1; cat lint; [ ! -s lint ]
	'
done

test_expect_success 'firebreak(1) documents every command' '
	for c in $(fb help | sed -n "s/^  \([a-z]*\) .*/\1/p"); do
		grep -q "^\.It Nm $c\|^\.Ss $c\|Cm $c" "$FB_SRCDIR/man/firebreak.1" ||
			{ echo "no entry for $c"; exit 1; }
	done
'

test_expect_success 'firebreak(1) lists every configuration key' '
	fb -w "$WS" init >/dev/null &&
	for k in $(fb -w "$WS" config ls | cut -d" " -f1); do
		grep -q "^\.It Cm $k" "$FB_SRCDIR/man/firebreak.1" ||
			{ echo "no entry for $k"; exit 1; }
	done
'

test_done
