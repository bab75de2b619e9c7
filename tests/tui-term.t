#!/bin/sh
# tui-term: the console is a good terminal citizen. Hostile text from the
# store is shown, never obeyed; the terminal comes back after a signal.
. "$FB_SRCDIR/tests/lib.sh"
require_prog tmux
require_prog sqlite3

export FIREBREAK_WORKSPACE="$WS"
fb init >/dev/null

# Titles that would retitle the pane (OSC 2), write the clipboard (OSC 52),
# clear the screen (CSI 2J) and reverse the text (U+202E).
cat >hostile.jsonl <<'JSONL'
{"source":"evil","kind":"vulnerability","rule_id":"osc2","title":"A \u001b]2;PWNED-TITLE\u0007 retitle","severity":"critical","identity":{"r":"osc2"}}
{"source":"evil","kind":"vulnerability","rule_id":"osc52","title":"B \u001b]52;c;ZXZpbA==\u0007 clipboard","severity":"critical","identity":{"r":"osc52"}}
{"source":"evil","kind":"vulnerability","rule_id":"csi","title":"C \u001b[2J\u001b[H cleared","severity":"critical","identity":{"r":"csi"}}
{"source":"evil","kind":"vulnerability","rule_id":"bidi","title":"D \u202etxt.exe bidi","severity":"critical","identity":{"r":"bidi"},"detail":"line one\n\u001b]2;PWNED-DETAIL\u0007 line two"}
JSONL
fb ingest hostile.jsonl >/dev/null

test_expect_success 'hostile titles appear as visible text' '
	tmux_start 200 40 "exec \"$FB_BIN\" tui findings" &&
	title=$(tmux_fmt "#{pane_title}") &&
	tmux_wait "SEVERITY" && tmux_capture >pane &&
	grep -qF "A \\x1b]2;PWNED-TITLE\\x07 retitle" pane &&
	grep -qF "B \\x1b]52;c;ZXZpbA==\\x07 clipboard" pane &&
	grep -qF "C \\x1b[2J\\x1b[H cleared" pane &&
	grep -qF "D \\u202etxt.exe bidi" pane &&
	! grep -q "$(printf "\\342\\200\\256")" pane &&
	echo "$title" >title.before
'

test_expect_success 'the pane title, clipboard and screen stay intact' '
	expect_eq "$(tmux_fmt "#{pane_title}")" "$(cat title.before)" &&
	! tmux_fmt "#{pane_title}" | grep -q PWNED &&
	expect_eq "$(tm list-buffers | wc -l)" 0 &&
	tmux_capture | sed -n 2p | grep -q "SEVERITY" &&
	tmux_capture | tail -n 1 | grep -q "refreshed"
'

test_expect_success 'the detail view shows them inert too, line by line' '
	tmux_keys / && tmux_type "rule=bidi" && tmux_keys Enter &&
	tmux_wait "D \\u202etxt.exe bidi" && tmux_keys Enter &&
	tmux_wait "line one" && tmux_capture >pane &&
	grep -qF "\\x1b]2;PWNED-DETAIL\\x07 line two" pane &&
	! tmux_fmt "#{pane_title}" | grep -q PWNED
'

# Run the console under a shell that reports how it ended and the
# terminal modes it left behind.
under_shell() {
	# The shell catches SIGINT (reset to default in the console) so it
	# outlives a Ctrl-C and can report; the inner shell writes its pid
	# and becomes the console (exec).
	cat >"$TEST_TMP/under.sh" <<-EOS
	trap : INT
	sh -c 'echo \$\$ >"$TEST_TMP/pid"; exec "$FB_BIN" tui'
	echo "exit=\$?"
	stty -a >"$TEST_TMP/stty.out"
	echo done
	sleep 30
	EOS
	tmux_start 100 30 "sh '$TEST_TMP/under.sh'"
}
console_pid() { cat "$TEST_TMP/pid"; }
modes_restored() {
	grep -q " icanon" "$TEST_TMP/stty.out" && ! grep -q -- "-icanon" "$TEST_TMP/stty.out" &&
	grep -q " echo " "$TEST_TMP/stty.out" &&
	expect_eq "$(tmux_fmt "#{alternate_on}")" 0 &&
	expect_eq "$(tmux_fmt "#{cursor_flag}")" 1
}

test_expect_success 'SIGTERM: the terminal is restored, the exit says so' '
	under_shell && tmux_wait "Findings by severity" &&
	pid=$(console_pid) && [ -n "$pid" ] && kill -TERM "$pid" &&
	tmux_wait "exit=143" 30 && tmux_wait done 30 && modes_restored
'

test_expect_success 'SIGHUP: the same' '
	under_shell && tmux_wait "Findings by severity" &&
	pid=$(console_pid) && [ -n "$pid" ] && kill -HUP "$pid" &&
	tmux_wait "exit=129" 30 && tmux_wait done 30 && modes_restored
'

test_expect_success 'Ctrl-C in a prompt: the same' '
	under_shell && tmux_wait "Findings by severity" &&
	tmux_keys : && tmux_type "fin" && tmux_keys C-c &&
	tmux_wait "exit=130" 30 && tmux_wait done 30 && modes_restored
'

test_expect_success 'a store error on the way in leaves the terminal as it was' '
	tmux_start 100 30 "\"$FB_BIN\" -w \"$TEST_TMP/nowhere\" tui; echo \"exit=\$?\"; stty -a >\"$TEST_TMP/stty.out\"; echo done; sleep 30" &&
	tmux_wait done 30 && tmux_capture >pane &&
	expect_grep "with -w DIR" pane && expect_grep "exit=6" pane &&
	modes_restored
'

test_expect_success 'the demo workspace (./dev demo) opens in the console' '
	mkdir -p demo &&
	FIREBREAK_WORKSPACE="$TEST_TMP/demo/ws" sh "$FB_SRCDIR/tests/fixtures/demo/make-demo.sh" "$FB_BIN" "$TEST_TMP/demo" >demo.log 2>&1 || { tail -n 20 demo.log; exit 1; } &&
	tmux_start 100 30 "FIREBREAK_WORKSPACE=\"$TEST_TMP/demo/ws\" exec \"$FB_BIN\"" &&
	tmux_wait "Findings by severity and status" && tmux_keys Enter &&
	tmux_keys / && tmux_type "source=model-scanner" && tmux_keys Enter &&
	tmux_wait "llama-ft-v7 checkpoint imports posix" &&
	tmux_keys / C-u && tmux_type "rule=demo-hostile" && tmux_keys Enter &&
	tmux_wait "\\x1b]52;c;" &&
	tmux_keys Q && tmux_wait_dead
'

test_done
