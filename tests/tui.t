#!/bin/sh
# tui: the console, driven in tmux like a user would: every view, the
# filter, triage seen in the audit view, live refresh, sizes.
. "$FB_SRCDIR/tests/lib.sh"
require_prog tmux
require_prog jq
require_prog sqlite3

export FIREBREAK_WORKSPACE="$WS"
fb init >/dev/null

# 60 generated findings, plus three with distinctive titles.
sh "$FB_SRCDIR/tests/fixtures/ingest/gen-findings.sh" 60 tui:scope >gen.jsonl
cat >extra.jsonl <<'JSONL'
{"source":"falco","kind":"runtime","rule_id":"shell-in-container","title":"shell spawned in vllm container","severity":"critical","identity":{"rule":"shell-in-container"},"assets":[{"type":"host","value":"gpu-77"}],"locations":[{"host":"gpu-77","path":"/proc/1234"}]}
{"source":"model-scanner","kind":"model","rule_id":"pickle.global","title":"checkpoint imports posix.system","severity":"high","identity":{"rule":"pickle.global"},"detail":"zebra-word in the detail"}
{"source":"trivy","kind":"vulnerability","rule_id":"CVE-2026-0001","title":"wide 漢字 title ✓ here","severity":"low","identity":{"rule":"CVE-2026-0001"}}
JSONL
fb ingest gen.jsonl >/dev/null && fb ingest extra.jsonl >/dev/null

con() { tmux_start "${W:-100}" "${H:-30}" "exec '$FB_BIN' tui $*"; }
sev_count() { cat gen.jsonl extra.jsonl | jq -s "map(select(.severity == \"$1\")) | length"; }
# The pane's rows under the header, without the marks column.
rows() { tmux_capture | sed -n '3,$p' | grep -E '^.. +[0-9]+ '; }

test_expect_success 'the dashboard counts findings by severity' '
	con &&
	tmux_wait "Findings by severity and status" &&
	crit=$(sev_count critical) && total=$(cat gen.jsonl extra.jsonl | wc -l) &&
	tmux_capture >pane &&
	line=$(grep "^  critical" pane) &&
	expect_eq "$(echo "$line" | awk "{print \$NF}")" "$crit" &&
	expect_grep "$total findings" pane &&
	expect_grep "Latest ingests" pane && expect_grep "extra.jsonl" pane
'

test_expect_success 'Enter opens the findings, most severe first' '
	tmux_keys Enter &&
	tmux_wait "SEVERITY" &&
	rows >r && head -n 1 r | grep -q critical &&
	expect_grep "shell spawned in vllm container" r
'

test_expect_success 'j moves the cursor, G goes to the last row (info)' '
	tmux_keys j j && sleep 0.2 &&
	tmux_capture | grep -E "^> +[0-9]+" >cur && expect_eq "$(wc -l <cur)" 1 &&
	third=$(rows | sed -n 3p | cut -c3-) && grep -qF -- "$third" cur &&
	tmux_keys G && sleep 0.3 && rows | tail -n 1 | grep -q "^> .* info "
'

test_expect_success 'PgDn shows the next page in severity then newest order, PgUp returns' '
	tmux_keys g && sleep 0.2 && first=$(rows | head -n 1 | cut -c3- | awk "{print \$1}") &&
	tmux_keys NPage && sleep 0.3 &&
	top=$(rows | head -n 1 | cut -c3- | awk "{print \$1}") &&
	expect_eq "$top" "$(sqlite3 "$WS/store.db" "SELECT id FROM findings ORDER BY severity DESC, id DESC LIMIT 1 OFFSET 26")" &&
	tmux_keys NPage PPage PPage && sleep 0.3 &&
	expect_eq "$(rows | head -n 1 | cut -c3- | awk "{print \$1}")" "$first"
'

test_expect_success '/ filters live in the filter grammar' '
	tmux_keys g / && tmux_type "severity=high" && tmux_keys Enter &&
	tmux_wait "/severity=high" &&
	n=$(sev_count high) &&
	tmux_wait "of $n " &&
	rows >r && ! grep -v " high " r
'

test_expect_success 'bare words in the filter search the text' '
	tmux_keys / C-u && tmux_type "zebra-word" && tmux_keys Enter &&
	tmux_wait "checkpoint imports posix.system" &&
	expect_eq "$(rows | wc -l)" 1
'

test_expect_success 'Enter shows the finding: fields, fingerprint, raw record' '
	tmux_keys Enter && tmux_wait "Fingerprint" &&
	tmux_capture >pane &&
	fp=$(sqlite3 "$WS/store.db" "SELECT fingerprint FROM findings WHERE rule_id='\''pickle.global'\''") &&
	expect_grep "$fp" pane && expect_grep "identity fields" pane &&
	tmux_keys G && tmux_wait "zebra-word in the detail" &&
	tmux_keys q && tmux_wait "SEVERITY"
'

test_expect_success 'acknowledging a selection asks, names it, writes it, and audits it' '
	tmux_keys / C-u && tmux_type "source=gen severity=critical" && tmux_keys Enter &&
	tmux_wait "/source=gen" &&
	ids=$(rows | head -n 2 | cut -c3- | awk "{print \$1}" | sort -n | tr "\n" " ") &&
	tmux_keys Space Space && tmux_wait "selected:2" &&
	tmux_keys a && tmux_wait "reason to acknowledge 2 findings" &&
	tmux_type "paged at 3am" && tmux_keys Enter &&
	tmux_wait "[y/N]" && tmux_capture | grep -F "acknowledge 2 findings" &&
	tmux_keys y && tmux_wait "2 findings marked acknowledged" &&
	got=$(sqlite3 "$WS/store.db" "SELECT id FROM findings WHERE status='\''acknowledged'\'' ORDER BY id" | tr "\n" " ") &&
	expect_eq "$got" "$ids" &&
	tmux_keys 4 && tmux_wait "chain intact" &&
	tmux_capture >pane && expect_grep "finding.status" pane &&
	expect_grep "findings:2" pane &&
	tmux_keys Enter && tmux_wait "paged at 3am" && tmux_keys q
'

test_expect_success 'anything else than y cancels, and nothing changes' '
	tmux_keys 2 && tmux_wait "SEVERITY" &&
	before=$(sqlite3 "$WS/store.db" "SELECT count(*) FROM audit") &&
	tmux_keys r && tmux_wait "reason to resolve" && tmux_type "x" &&
	tmux_keys Enter && tmux_wait "[y/N]" && tmux_keys n &&
	tmux_wait "cancelled: nothing changed" &&
	expect_eq "$(sqlite3 "$WS/store.db" "SELECT count(*) FROM audit")" "$before"
'

test_expect_success 'another process writes the store: the list follows, cursor kept' '
	tmux_keys j j && sleep 0.3 &&
	cur=$(tmux_capture | grep -E "^> " | awk "{print \$2}") &&
	printf "%s\n" "{\"source\":\"late\",\"kind\":\"runtime\",\"rule_id\":\"late-1\",\"title\":\"late arrival from another process\",\"severity\":\"critical\",\"identity\":{\"rule\":\"late-1\"}}" >late.jsonl &&
	fb ingest late.jsonl >/dev/null &&
	tmux_wait "late arrival from another process" 5 &&
	expect_eq "$(tmux_capture | grep -E "^> " | awk "{print \$2}")" "$cur"
'

test_expect_success ': command line completes and switches views' '
	tmux_keys : && tmux_type "aud" && tmux_keys Tab && tmux_wait ":audit" &&
	tmux_keys Enter && tmux_wait "chain intact" &&
	tmux_keys : && tmux_type "finding 1" && tmux_keys Enter &&
	tmux_wait "generated finding 0 in libfoo" && tmux_keys Escape &&
	tmux_wait "chain intact"
'

test_expect_success 'the audit view: new rows are verified as they come; Ctrl-L verifies all and finds an edit' '
	tmux_keys 4 && tmux_wait "chain intact" &&
	n=$(sqlite3 "$WS/store.db" "SELECT max(seq) FROM audit") &&
	fb config set ingest.max_findings 2000001 >/dev/null &&
	tmux_wait "head #$((n + 1)) " 5 &&
	tmux_wait "chain intact: $((n + 1)) rows" &&
	sqlite3 "$WS/store.db" "UPDATE audit SET actor='"'"'mallory'"'"' WHERE seq=1" &&
	tmux_keys C-l && tmux_wait "CHAIN BROKEN at #1" &&
	sqlite3 "$WS/store.db" "UPDATE audit SET actor=(SELECT actor FROM audit WHERE seq=2) WHERE seq=1" &&
	tmux_keys C-l && tmux_wait "chain intact"
'

test_expect_success '? shows every key from the keymap table' '
	tmux_keys "?" && tmux_wait "Keys" &&
	tmux_capture >pane &&
	"$FB_BIN" tui --keys | head -n 20 >keys &&
	while IFS= read -r k; do grep -qF -- "$k" pane || { echo "missing: $k"; exit 1; }; done <keys &&
	tmux_keys q && tmux_wait "chain intact"
'

test_expect_success 'wide characters are measured by columns' '
	tmux_keys 2 && tmux_wait SEVERITY && tmux_keys / C-u && tmux_type "rule=CVE-2026-0001" &&
	tmux_keys Enter && tmux_wait "wide 漢字 title ✓ here" &&
	line=$(tmux_capture | grep "漢字") &&
	width=$(printf "%s" "$line" | python3 -c "import sys,unicodedata as u; s=sys.stdin.read(); print(sum(2 if u.east_asian_width(c) in \"WF\" else 1 for c in s))") &&
	[ "$width" -le 100 ]
'

test_expect_success 'resize to 80x24: header, rows and status line fit' '
	tmux_keys / C-u Enter && tmux_resize 80 24 && sleep 0.5 &&
	tmux_wait "SEVERITY" && tmux_capture >pane &&
	expect_eq "$(wc -l <pane)" 24 &&
	sed -n 2p pane | grep -q "TITLE" &&
	tail -n 1 pane | grep -q "refreshed" &&
	expect_eq "$(rows | wc -l)" 20
'

test_expect_success 'resize to 200x60: more rows and columns appear' '
	tmux_resize 200 60 && sleep 0.5 && tmux_wait "COUNT" &&
	tmux_capture >pane && expect_eq "$(wc -l <pane)" 60 &&
	sed -n 2p pane | grep -q "CASE" &&
	expect_eq "$(rows | wc -l)" 56
'

test_expect_success 'q at the first view quits and gives the terminal back' '
	tmux_keys 1 && tmux_wait "Findings by severity" && tmux_keys q &&
	tmux_wait_dead &&
	expect_eq "$(tmux_fmt "#{alternate_on}")" 0
'

test_expect_success 'firebreak with no arguments on a terminal opens the console' '
	tmux_start 100 30 "exec \"$FB_BIN\"" &&
	tmux_wait "Findings by severity and status" && tmux_keys Q &&
	tmux_wait_dead
'

test_expect_code 2 'without a terminal it refuses at once' '
	fb tui </dev/null >out 2>err; rc=$?; grep -q "needs a terminal" err && exit $rc
'

test_expect_success 'NO_COLOR: no colour escapes, the cursor still marked' '
	W=100 H=30 tmux_start 100 30 "NO_COLOR=1 exec \"$FB_BIN\" tui findings" &&
	tmux_wait SEVERITY &&
	tm capture-pane -e -p -t fb >esc &&
	! grep -q "$(printf "\033")\[[0-9;]*3[1-7]m" esc &&
	tmux_capture | grep -qE "^> " &&
	tmux_keys Q &&
	tmux_start 100 30 "exec \"$FB_BIN\" tui findings" && tmux_wait SEVERITY &&
	tm capture-pane -e -p -t fb >esc2 &&
	grep -q "$(printf "\033")\[[0-9;]*3[1-7]m" esc2 && tmux_keys Q
'

test_expect_success 'G counts its row from the end: row N of N, then one up, then g' '
	tmux_start 100 12 "exec \"$FB_BIN\" tui findings" && tmux_wait SEVERITY &&
	i=0 m= && while [ -z "$m" ] && [ $i -lt 100 ]; do
		m=$(tmux_capture | sed -n "1s/.*row 1 of \([0-9][0-9]*\) .*/\1/p");
		sleep 0.1; i=$((i + 1)); done &&
	[ "$m" -gt 12 ] &&
	tmux_keys G && tmux_wait "row $m of $m" &&
	tmux_keys k && tmux_wait "row $((m - 1)) of $m" &&
	tmux_keys g && tmux_wait "row 1 of $m" && tmux_keys Q
'

test_done
