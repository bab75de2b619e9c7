#!/bin/sh
# tui-keys: the man page's key list is the keymap's own table, printed.
. "$FB_SRCDIR/tests/lib.sh"

page="$FB_SRCDIR/man/firebreak-tui.1"

test_expect_success 'firebreak-tui(1) lists the keys the keymap has' '
	sed -n "/^\.\\\\\" keys: generated/,/^\.\\\\\" end of keys/p" "$page" |
		sed "1d;\$d" >man-keys &&
	[ -s man-keys ] &&
	fb tui --keys-mdoc >keys &&
	diff -u keys man-keys
'

test_expect_success '--keys names every request once, with its help' '
	fb tui --keys >keys.txt &&
	expect_grep "^j, Down  *move down" keys.txt &&
	expect_grep "^/  *filter" keys.txt &&
	expect_grep "^?  *this help" keys.txt &&
	expect_eq "$(cut -c18- keys.txt | sort | uniq -d)" ""
'

test_done
