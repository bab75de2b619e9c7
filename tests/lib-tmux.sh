# lib-tmux.sh: drive the real console in tmux (sourced by tests/lib.sh).
#   tmux_start W H 'COMMAND'   a private tmux server, one W x H pane
#   tmux_keys KEY...           tmux send-keys to it
#   tmux_type TEXT             literal text (send-keys -l)
#   tmux_wait TEXT [SECONDS]   wait (20 s) until the pane shows TEXT (fixed string)
#   tmux_wait_gone TEXT [S]    wait until it does not
#   tmux_capture               the pane's text now
#   tmux_resize W H            resize the window
#   tmux_fmt FORMAT            tmux display -p FORMAT (pane_title, ...)
#   tmux_wait_dead [SECONDS]   wait until the program in the pane exits
# Tests run in subshells, so the server's socket is one fixed path and the
# server is killed when the test file exits.
tmux_sock="$TEST_TMP/tmux.sock"
tm() { tmux -S "$tmux_sock" "$@"; }
tmux_stop() {
	[ -S "$tmux_sock" ] && tm kill-server >/dev/null 2>&1
	rm -f "$tmux_sock"
	:
}
at_exit tmux_stop
tmux_start() {
	tmux_stop
	w=$1 h=$2
	shift 2
	# A dead pane stays, so a test can read what a program left.
	# With set-clipboard on, an OSC 52 that reached tmux would make a
	# paste buffer: tests can check that none did.
	printf 'set -g remain-on-exit on\nset -g set-clipboard on\n' \
	    >"$TEST_TMP/tmux.conf"
	tm -f "$TEST_TMP/tmux.conf" new-session -d -x "$w" -y "$h" -s fb "$*"
}
tmux_keys() { tm send-keys -t fb "$@"; }
tmux_type() { tm send-keys -t fb -l -- "$1"; }
tmux_capture() { tm capture-pane -p -t fb; }
tmux_fmt() { tm display-message -p -t fb "$1"; }
tmux_resize() { tm resize-window -t fb -x "$1" -y "$2"; }
tmux_wait() {
	i=0 max=$(( ${2:-20} * 10 ))
	while [ $i -lt $max ]; do
		tmux_capture >"$TEST_TMP/pane" 2>/dev/null
		grep -qF -e "$1" "$TEST_TMP/pane" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "timed out waiting for '$1'; the pane shows:"
	cat "$TEST_TMP/pane"
	return 1
}
tmux_wait_gone() {
	i=0 max=$(( ${2:-20} * 10 ))
	while [ $i -lt $max ]; do
		tmux_capture >"$TEST_TMP/pane" 2>/dev/null
		grep -qF -e "$1" "$TEST_TMP/pane" || return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "timed out waiting for '$1' to go; the pane shows:"
	cat "$TEST_TMP/pane"
	return 1
}
# tmux_wait_dead [SECONDS]: wait until the pane's program has exited.
tmux_wait_dead() {
	i=0 max=$(( ${1:-30} * 10 ))
	while [ $i -lt $max ]; do
		[ "$(tmux_fmt "#{pane_dead}")" = 1 ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "timed out waiting for the program to exit; the pane shows:"
	tmux_capture
	return 1
}
