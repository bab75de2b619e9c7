#!/bin/sh
. "$FB_SRCDIR/tests/lib.sh"
test_done
