#!/bin/sh
# tui-cases: cases in the console — open a case from a selection, link a
# finding to it, the cases list, and one case's tabs.
. "$FB_SRCDIR/tests/lib.sh"
require_prog tmux
require_prog sqlite3

export FIREBREAK_WORKSPACE="$WS"
fb init >/dev/null
cat >in.jsonl <<'JSONL'
{"source":"falco","kind":"runtime","rule_id":"shell","title":"shell in container on gpu-3","severity":"critical","event_time":"2026-11-26T02:00:00Z","identity":{"r":"shell"},"assets":[{"type":"host","value":"gpu-3"}]}
{"source":"model-scanner","kind":"model","rule_id":"pickle","title":"poisoned checkpoint on gpu-3","severity":"high","event_time":"2026-11-26T02:05:00Z","identity":{"r":"pickle"},"assets":[{"type":"host","value":"gpu-3"}]}
{"source":"trivy","kind":"vulnerability","rule_id":"CVE-1","title":"openssl on gpu-3","severity":"medium","identity":{"r":"cve"},"assets":[{"type":"host","value":"gpu-3"}]}
JSONL
fb ingest in.jsonl >/dev/null
q() { sqlite3 "$WS/store.db" "$1"; }
id_of() { q "SELECT id FROM findings WHERE rule_id='$1'"; }

test_expect_success 'N opens a case from the selection, named and confirmed' '
	tmux_start 120 30 "exec \"$FB_BIN\" tui findings" && tmux_wait SEVERITY &&
	tmux_keys Space Space && tmux_wait "selected:2" &&
	tmux_keys N && tmux_wait "title of the new case" &&
	tmux_type "gpu-3 compromise" && tmux_keys Enter &&
	tmux_wait "reason to open a case with 2 findings" &&
	tmux_type "same host, same hour" && tmux_keys Enter &&
	tmux_wait "titled '\''gpu-3 compromise'\''" && tmux_keys y &&
	tmux_wait "opened with 2 findings" &&
	expect_eq "$(q "SELECT title FROM cases")" "gpu-3 compromise" &&
	expect_eq "$(q "SELECT group_concat(id) FROM (SELECT id FROM findings WHERE case_id IS NOT NULL ORDER BY id)")" \
		"$(id_of shell),$(id_of pickle)"
'

test_expect_success 'L links the row to a case by number' '
	tmux_keys G && tmux_wait "openssl on gpu-3" &&
	tmux_keys L && tmux_wait "link to case number" &&
	tmux_type "$(q "SELECT id FROM cases")" && tmux_keys Enter &&
	tmux_wait "reason to link 1 finding" && tmux_type "same host" && tmux_keys Enter &&
	tmux_wait "to case #" && tmux_keys y && tmux_wait "1 finding linked to case" &&
	expect_eq "$(q "SELECT count(*) FROM findings WHERE case_id IS NOT NULL")" 3
'

test_expect_success 'the cases list shows it with its counts and clocks' '
	tmux_keys 3 && tmux_wait "TO ACT" && tmux_capture >pane &&
	expect_grep "gpu-3 compromise" pane &&
	grep "gpu-3 compromise" pane | grep -q " critical .* 3 "
'

test_expect_success 'Enter opens the case: summary with clocks, then each tab' '
	tmux_keys Enter && tmux_wait "Incident clocks" &&
	expect_grep "2026-11-26T02:00:00Z" "$TEST_TMP/pane" &&
	tmux_keys Tab && tmux_wait "[Findings]" && tmux_wait "poisoned checkpoint on gpu-3" &&
	tmux_keys Tab && tmux_wait "[Timeline]" && tmux_wait "same host, same hour" &&
	tmux_keys Tab && tmux_wait "[Evidence]" && tmux_wait "no evidence yet"
'

test_expect_success 'the dashboard lists the open case' '
	tmux_keys Escape 1 && tmux_wait "Open cases" &&
	tmux_capture | grep -q "gpu-3 compromise"
'

test_expect_success ':case N opens it directly; a bad one says so' '
	tmux_keys : && tmux_type "case $(q "SELECT id FROM cases")" && tmux_keys Enter &&
	tmux_wait "Incident clocks" && tmux_keys Escape &&
	tmux_keys : && tmux_type "case 999" && tmux_keys Enter &&
	tmux_wait "error:"
'

test_done
