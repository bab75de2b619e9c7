# lib.sh: shell test library (TAP). Source it from tests/*.t.
#
# Each test file runs in a fresh temporary directory with its own HOME and
# XDG directories, so nothing touches the developer's own files.
#   test_expect_success 'name' 'commands'
#   test_expect_failure_code N 'name' 'commands'   (expects exit status N)
#   require_prog PROG          skip the file when PROG is missing
#   require_fixtures           skip unless $FIREBREAK_FIXTURES exists
#   test_done

set -u
: "${FB_BIN:?FB_BIN is not set (run through make check)}"
: "${FB_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${FIREBREAK_FIXTURES:=$FB_SRCDIR/../shared/fixtures}"
export FIREBREAK_FIXTURES

TEST_NAME=$(basename "$0" .t)
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/fb-$TEST_NAME.XXXXXX")
trap 'fb_cleanup' EXIT
fb_cleanup_hooks=
fb_cleanup() {
	for h in $fb_cleanup_hooks; do "$h" || :; done
	rm -rf "$TEST_TMP"
}
at_exit() { fb_cleanup_hooks="$fb_cleanup_hooks $1"; }

export HOME="$TEST_TMP/home"
export XDG_DATA_HOME="$HOME/.local/share"
export XDG_CONFIG_HOME="$HOME/.config"
export XDG_STATE_HOME="$HOME/.local/state"
export XDG_CACHE_HOME="$HOME/.cache"
export XDG_RUNTIME_DIR="$TEST_TMP/run"
unset FIREBREAK_WORKSPACE FIREBREAK_INVENTORY NO_COLOR SUDO_USER SSH_CONNECTION
export LC_ALL=C.UTF-8
mkdir -p "$HOME" "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
cd "$TEST_TMP" || exit 1

fb() { "$FB_BIN" "$@"; }
export WS="$TEST_TMP/ws"

test_count=0
test_failed=0

test_expect_success() {
	test_count=$((test_count + 1))
	if (eval "$2") >"$TEST_TMP/out.$test_count" 2>&1; then
		echo "ok $test_count - $1"
	else
		echo "not ok $test_count - $1"
		sed 's/^/# /' "$TEST_TMP/out.$test_count" | tail -n 40
		test_failed=$((test_failed + 1))
	fi
}

# test_expect_code N 'name' 'commands': the last command must exit N.
test_expect_code() {
	want=$1
	shift
	test_count=$((test_count + 1))
	(eval "$2") >"$TEST_TMP/out.$test_count" 2>&1
	got=$?
	if [ "$got" -eq "$want" ]; then
		echo "ok $test_count - $1"
	else
		echo "not ok $test_count - $1 (exit $got, want $want)"
		sed 's/^/# /' "$TEST_TMP/out.$test_count" | tail -n 40
		test_failed=$((test_failed + 1))
	fi
}

skip_file() {
	if [ "${FIREBREAK_REQUIRE_ALL:-}" = 1 ]; then
		echo "1..1"
		echo "not ok 1 - required but unavailable: $1"
		exit 1
	fi
	echo "1..0 # SKIP $1"
	exit 0
}

require_prog() {
	command -v "$1" >/dev/null 2>&1 || skip_file "$1 not installed"
}

require_fixtures() {
	[ -d "$FIREBREAK_FIXTURES" ] ||
		skip_file "real-world fixtures not found at $FIREBREAK_FIXTURES"
}

# die_unless: assertion helpers that print what differed.
expect_eq() {
	if [ "$1" != "$2" ]; then
		echo "expected '$2', got '$1'"
		return 1
	fi
}
expect_grep() {
	if ! grep -q -e "$1" "$2"; then
		echo "'$1' not found in $2:"
		head -n 20 "$2"
		return 1
	fi
}

test_done() {
	echo "1..$test_count"
	[ "$test_failed" -eq 0 ]
}

# The loopback sshd fleet (fleet_require, fleet_host, ...): see fleet-lib.sh.
. "$FB_SRCDIR/tests/fleet-lib.sh"
# Helpers for tests that drive the console in tmux.
. "$FB_SRCDIR/tests/lib-tmux.sh"
