#!/bin/sh
# case: correlation from generated reports ends in the expected cases and
# reasons; the timeline keeps both clocks in order; incident clocks; merge
# and unlink round-trip; acknowledgement bound to the alert's life; CSV a
# spreadsheet reads safely; every change in the audit chain.
. "$FB_SRCDIR/tests/lib.sh"
require_prog jq
require_prog python3

fb -w "$WS" init >/dev/null
fbw() { fb -w "$WS" "$@"; }
epoch() { date -u -d "$1" +%s; }

# A model directory with a poisoned checkpoint (the project's own
# generated fixture), scanned by firebreak; a second tool reports the same
# model by its bare, upper-case hash.
mkdir -p models/llama/v7
cp "$FB_SRCDIR/tests/fixtures/scan/evil-torch.pt" models/llama/v7/model.pt
MODEL_SHA=$(sha256sum models/llama/v7/model.pt | cut -d" " -f1)
MODEL_UPPER=$(printf %s "$MODEL_SHA" | tr a-f A-F)

# Generated reports, one per tool, in firebreak's own JSON Lines format.
jq -nc --arg m "$MODEL_UPPER" '
  {source:"modelscan", kind:"model", rule_id:"unsafe-operator",
   title:"model imports os.system", severity:"high",
   event_time:"2026-11-26T02:45:00Z",
   assets:[{type:"model", value:$m}]}' >modelscan.jsonl
jq -nc '
  {source:"trivy", kind:"vulnerability", rule_id:"CVE-2024-6387",
   title:"openssh regreSSHion on gpu-07", severity:"critical",
   event_time:"2026-11-26T01:10:00Z",
   assets:[{type:"host", value:"gpu-07"}], scope:"trivy:gpu-07"},
  {source:"trivy", kind:"vulnerability", rule_id:"CVE-2023-4863",
   title:"libwebp on gpu-09", severity:"high",
   event_time:"2026-11-26T01:11:00Z",
   assets:[{type:"host", value:"gpu-09"}], scope:"trivy:gpu-09"}' >trivy.jsonl
jq -nc '
  {source:"falco", kind:"runtime", rule_id:"Terminal shell in container",
   title:"shell in vllm container on gpu-07", severity:"critical",
   event_time:"2026-11-26T02:43:19Z",
   assets:[{type:"host", value:"GPU-07"}, {type:"container", value:"vllm-7f9"}]},
  {source:"falco", kind:"runtime", rule_id:"Read sensitive file",
   title:"low noise on gpu-07", severity:"low",
   event_time:"2026-11-26T02:44:00Z",
   assets:[{type:"host", value:"gpu-07"}]}' >falco.jsonl

fbw scan --ingest models >/dev/null 2>&1
fbw ingest modelscan.jsonl trivy.jsonl falco.jsonl >/dev/null
id_of() { fbw finding ls --all --json | jq -r --arg s "$1" --arg r "$2" 'select(.source==$s and (.rule_id|startswith($r))) | .id'; }
SCAN=$(id_of firebreak-scan pickle)
MSCAN=$(id_of modelscan unsafe)
TRIVY7=$(id_of trivy CVE-2024-6387)
TRIVY9=$(id_of trivy CVE-2023-4863)
FALCO=$(id_of falco Terminal)
NOISE=$(id_of falco Read)

test_expect_success 'the scenario ingested six findings' '
	for v in "$SCAN" "$MSCAN" "$TRIVY7" "$TRIVY9" "$FALCO" "$NOISE"; do
		[ -n "$v" ] || { echo "a finding is missing"; exit 1; }
	done
'

test_expect_success 'correlate proposes the model case and the host case, changing nothing' '
	before=$(fbw audit ls --json | wc -l) &&
	fbw correlate --json >prop &&
	expect_eq "$(wc -l <prop)" 2 &&
	expect_eq "$(jq -c "[.findings[].id] | sort" prop | sort | tr "\n" " ")" \
	    "$(printf "%s\n" "[$(printf "%s\n" "$SCAN" "$MSCAN" | sort -n | paste -sd,)]" \
	        "[$(printf "%s\n" "$TRIVY7" "$FALCO" | sort -n | paste -sd,)]" | sort | tr "\n" " ")" &&
	expect_eq "$(fbw case ls --json | wc -l)" 0 &&
	expect_eq "$(fbw audit ls --json | wc -l)" "$before"
'

test_expect_success 'every proposed link names the shared asset as its reason' '
	jq -r --arg id "$SCAN" ".findings[] | select(.id == (\$id|tonumber)) | .reason" prop >r1 &&
	expect_eq "$(cat r1)" "shares model:sha256:$MODEL_SHA with #$MSCAN" &&
	jq -r --arg id "$FALCO" ".findings[] | select(.id == (\$id|tonumber)) | .reason" prop >r2 &&
	expect_eq "$(cat r2)" "shares host:gpu-07 with #$TRIVY7"
'

test_expect_success 'correlate --apply opens the cases; links keep their reasons' '
	fbw correlate --apply --json >applied &&
	expect_eq "$(jq -r .case applied | sort -n | tr "\n" " ")" "1 2 " &&
	host=$(jq -r "select(.title | test(\"host:gpu-07\")) | .case" applied) &&
	fbw case show --json "$host" >show &&
	expect_eq "$(jq -r .severity show)" critical &&
	expect_eq "$(jq -r ".linked[] | select(.id == $TRIVY7) | .reason" show)" \
	    "shares host:gpu-07 with #$FALCO" &&
	expect_eq "$(fbw finding ls --all --json | jq -r "select(.id == $TRIVY9) | .case")" null &&
	echo "$host" >hostcase
'

HOST=$(cat hostcase 2>/dev/null || echo 1)
MODELCASE=$((3 - HOST))

test_expect_success 'case suggest finds the related low finding, with its reason' '
	fbw case suggest --json "$HOST" >sugg &&
	expect_eq "$(jq -r .finding sugg)" "$NOISE" &&
	expect_eq "$(jq -r .reason sugg)" "shares host:gpu-07"
'

test_expect_success 'case suggest matches one model hash spelt two ways' '
	fbw case unlink "$MODELCASE" "$MSCAN" &&
	fbw case suggest --json "$MODELCASE" >sugg &&
	expect_eq "$(jq -r .finding sugg)" "$MSCAN" &&
	expect_eq "$(jq -r .reason sugg)" "shares model:sha256:$MODEL_SHA" &&
	fbw case link "$MODELCASE" "$MSCAN" --reason "$(jq -r .reason sugg)"
'

test_expect_success 'the timeline is ordered by event time and keeps both clocks' '
	fbw case note "$HOST" "=HYPERLINK(\"http://x\",\"click\")" &&
	printf "%s\n" "@SUM(1+1)" | fbw case note "$HOST" - &&
	fbw case assign "$HOST" alice &&
	fbw case status "$HOST" contained --reason "node cordoned" &&
	fbw case timeline --json "$HOST" >tl &&
	jq -s "map(.event_time) as \$t | \$t == (\$t | sort)" tl | grep -qx true &&
	# the Falco event: source time from the report, recorded time now
	expect_eq "$(jq -r "select(.kind==\"finding\" and .finding==$FALCO) | .event_time" tl)" 2026-11-26T02:43:19Z &&
	rec=$(jq -r "select(.kind==\"finding\" and .finding==$FALCO) | .recorded_time" tl) &&
	[ "$(epoch "$rec")" -ge "$(($(date -u +%s) - 3600))" ] &&
	expect_eq "$(jq -r "select(.kind==\"finding\") | .actor_kind" tl | sort -u)" source &&
	expect_eq "$(jq -r "select(.kind==\"note\") | .actor_kind" tl | sort -u)" human &&
	expect_eq "$(jq -r "select(.kind==\"note\") | .actor" tl | sort -u)" "$(id -un)" &&
	for k in finding ingest created link note assign status; do
		jq -s -e "any(.[]; .kind==\"$k\")" tl >/dev/null || { echo "no $k row"; exit 1; }
	done
'

test_expect_success 'incident clocks count from the earliest linked finding event' '
	fbw case show --json "$HOST" >c &&
	expect_eq "$(jq -r .first_event c)" 2026-11-26T01:10:00Z &&
	want=$(( $(epoch "$(jq -r .contained c)") - $(epoch 2026-11-26T01:10:00Z) )) &&
	expect_eq "$(jq -r .clocks.to_contained c)" "$want" &&
	want=$(( $(epoch "$(jq -r .first_action c)") - $(epoch 2026-11-26T01:10:00Z) )) &&
	expect_eq "$(jq -r .clocks.to_first_action c)" "$want" &&
	expect_eq "$(jq -r .clocks.to_closed c)" null &&
	fbw case status "$HOST" closed &&
	fbw case ls --all --json | jq -r "select(.id==$HOST) | .clocks.to_closed" >tc &&
	want=$(( $(epoch "$(fbw case show --json "$HOST" | jq -r .closed)") - $(epoch 2026-11-26T01:10:00Z) )) &&
	expect_eq "$(cat tc)" "$want" &&
	fbw case ls >ls && expect_grep "TO-CONT" ls
'

test_expect_success 'a closed case can be reopened, and the timeline says so' '
	fbw case status "$HOST" open --reason "new activity" &&
	fbw case timeline "$HOST" >t &&
	expect_grep "reopened: closed -> open: new activity" t &&
	expect_eq "$(fbw case show --json "$HOST" | jq -r .closed)" null
'

test_expect_code 2 'an unknown state is a usage error' '
	fbw case status "$HOST" fixed
'

test_expect_success 'case timeline --csv parses as CSV and no cell is a formula' '
	fbw case timeline --csv "$HOST" >tl.csv &&
	fbw case timeline --json "$HOST" >tl.json &&
	python3 - tl.csv tl.json <<-\EOF
	import csv, json, sys
	rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
	events = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
	head, body = rows[0], rows[1:]
	assert head == ["event_time", "recorded_time", "actor", "actor_kind",
	    "kind", "finding", "evidence", "text"], head
	assert len(body) == len(events), (len(body), len(events))
	for r, e in zip(body, events):
	    assert len(r) == len(head), r
	    for cell in r:
	        assert not cell or cell[0] not in "=+-@\t\r", cell
	    text = e["text"]
	    want = chr(39) + text if text[:1] in ("=", "+", "-", "@") else text
	    assert r[7] == want, (r[7], want)
	    assert r[0] == e["event_time"] and r[1] == e["recorded_time"]
	notes = [r[7] for r in body if r[4] == "note"]
	assert chr(39) + "=HYPERLINK(\"http://x\",\"click\")" in notes, notes
	assert chr(39) + "@SUM(1+1)" in notes, notes
	EOF
'

test_expect_success 'merge and unlink round-trip' '
	fbw case new "side issue" --from "$TRIVY9" >o && expect_grep "opened case #3" o &&
	fbw case merge 3 "$HOST" &&
	expect_eq "$(fbw case show --json "$HOST" | jq -r "[.linked[].id] | sort | map(tostring) | join(\",\")")" \
	    "$(printf "%s\n" "$TRIVY7" "$FALCO" "$TRIVY9" | sort -n | paste -sd,)" &&
	expect_eq "$(fbw case show --json 3 | jq -r ".merged_into, .findings, .status" | tr "\n" " ")" "$HOST 0 closed " &&
	expect_eq "$(fbw case ls --json | jq -r .id | grep -cx 3)" 0 &&
	expect_eq "$(fbw case ls --all --json | jq -r .id | grep -cx 3)" 1 &&
	fbw case timeline "$HOST" >t && expect_grep "\[case #3\] case opened: side issue" t &&
	fbw case unlink "$HOST" "$TRIVY9" &&
	expect_eq "$(fbw case show --json "$HOST" | jq -r "[.linked[].id] | sort | map(tostring) | join(\",\")")" \
	    "$(printf "%s\n" "$TRIVY7" "$FALCO" | sort -n | paste -sd,)" &&
	expect_eq "$(fbw finding show --json "$TRIVY9" | jq -r .case)" null
'

test_expect_code 6 'a merged case takes no more changes' '
	fbw case link 3 "$TRIVY9" 2>err; rc=$?; grep -q "merged into case" err && exit $rc
'

test_expect_success 'linking a finding of another case moves it; both timelines say so' '
	fbw case link "$MODELCASE" "$FALCO" --reason "same attacker" &&
	expect_eq "$(fbw finding show --json "$FALCO" | jq -r .case)" "$MODELCASE" &&
	fbw case timeline "$HOST" | grep -q "finding #$FALCO moved to case #$MODELCASE" &&
	fbw case show --json "$MODELCASE" | jq -r ".linked[] | select(.id==$FALCO) | .reason" | grep -qx "same attacker"
'

test_expect_success 'case ls takes the filter grammar (case and finding terms)' '
	expect_eq "$(fbw case ls --json severity=critical | jq -r .id | sort -n | tr "\n" " ")" "1 2 " &&
	expect_eq "$(fbw case ls --json "model:sha256:$MODEL_SHA" | jq -r .id)" "$MODELCASE" &&
	expect_eq "$(fbw case ls --json source=trivy | jq -r .id)" "$HOST" &&
	fbw case status "$MODELCASE" eradicated &&
	expect_eq "$(fbw case ls --json status=eradicated | jq -r .id)" "$MODELCASE" &&
	fbw case status "$MODELCASE" open
'

test_expect_success 'acknowledgement lives as long as the alert' '
	jq -nc "{source:\"alertmanager\",kind:\"alert\",rule_id:\"GPUXid79\",title:\"Xid 79 on gpu-03\",severity:\"high\",event_time:\"2026-11-26T03:00:00Z\",assets:[{type:\"host\",value:\"gpu-03\"}]}" >a1.jsonl &&
	jq -c ". + {status:\"resolved\", detail:\"resolved\"}" a1.jsonl >a2.jsonl &&
	jq -c ". + {event_time:\"2026-11-26T05:00:00Z\", detail:\"firing again\"}" a1.jsonl >a3.jsonl &&
	fbw ingest a1.jsonl >/dev/null &&
	xid=$(id_of alertmanager GPUXid79) &&
	fbw case new "GPU errors" --from "$xid" >/dev/null &&
	fbw finding ack "$xid" &&
	fbw ingest a2.jsonl >/dev/null &&
	expect_eq "$(fbw finding show --json "$xid" | jq -r .status)" resolved &&
	fbw ingest a3.jsonl >/dev/null &&
	expect_eq "$(fbw finding show --json "$xid" | jq -r .status)" open &&
	c=$(fbw finding show --json "$xid" | jq -r .case) &&
	fbw case timeline --json "$c" >tl &&
	jq -r "select(.kind==\"finding_status\") | .text" tl >st &&
	expect_grep "finding #$xid marked acknowledged" st &&
	expect_grep "resolved by its source" st &&
	expect_grep "fired again .* open again, an earlier acknowledgement no longer applies" st &&
	expect_eq "$(jq -r "select(.text | test(\"fired again\")) | .event_time" tl)" 2026-11-26T05:00:00Z &&
	expect_eq "$(fbw case show --json "$c" | jq -r .first_event)" 2026-11-26T03:00:00Z
'

test_expect_success 'a source resolving a linked finding by scope is on the timeline' '
	jq -c "select(.rule_id == \"CVE-2023-4863\") | .scope = \"trivy:gpu-07\" | .assets = [{type:\"host\",value:\"gpu-07\"}] | .rule_id = \"CVE-2023-0001\"" trivy.jsonl >trivy3.jsonl &&
	fbw ingest trivy3.jsonl >/dev/null &&
	expect_eq "$(fbw finding show --json "$TRIVY7" | jq -r .status)" resolved &&
	fbw case timeline "$HOST" | grep -q "finding #$TRIVY7 resolved by its source (absent from ingest"
'

test_expect_success 'correlate.auto groups at ingest time as the system actor' '
	fbw config set correlate.auto true &&
	jq -nc "{source:\"envoy\",kind:\"gateway\",rule_id:\"exfil\",title:\"key 9f3c pulled 20x tokens\",severity:\"high\",assets:[{type:\"key\",value:\"9f3c1a2b4d5e6f70\"}]}, {source:\"litellm\",kind:\"gateway\",rule_id:\"spend\",title:\"key 9f3c over budget\",severity:\"critical\",assets:[{type:\"key\",value:\"9f3c1a2b4d5e6f70\"}]}" >gw.jsonl &&
	fbw ingest gw.jsonl >out &&
	expect_grep "shares key:9f3c1a2b4d5e6f70" out &&
	fbw audit ls --json | jq -r "select(.action==\"case.new\") | .actor_kind" | tail -n 1 | grep -qx system
'

test_expect_code 3 'a title over 512 bytes is rejected' '
	fbw case new "$(head -c 600 /dev/zero | tr "\0" x)"
'

test_expect_success 'titles and notes reach the terminal inert' '
	fbw case new "$(printf "evil \033]52;c;ZXZpbA==\007 title \342\200\256txt")" >o &&
	id=$(sed -n "s/^opened case #//p" o) &&
	fbw case note "$id" "$(printf "note \033[2J")" &&
	fbw case ls >ls && fbw case show "$id" >show && fbw case timeline "$id" >tl &&
	! grep -q "$(printf "\033")" ls show tl &&
	expect_grep "\\x1b\]52" show && expect_grep "\\u202e" ls
'

test_expect_success 'user rules in XDG_CONFIG_HOME replace the shipped ones' '
	mkdir -p "$XDG_CONFIG_HOME/firebreak" &&
	cat >"$XDG_CONFIG_HOME/firebreak/correlate.lua" <<-\EOF &&
	local M = {}
	function M.group(rows, emit)
	  local ids = {}
	  for _, r in ipairs(rows) do ids[#ids + 1] = { id = r.finding, reason = "site rule" } end
	  if #ids > 0 then emit { title = "everything", severity = "high", findings = { ids[1] } } end
	end
	return M
	EOF
	fbw correlate --json --min-severity info >p &&
	expect_eq "$(jq -r .title p)" everything &&
	expect_eq "$(jq -r ".findings[0].reason" p)" "site rule" &&
	rm "$XDG_CONFIG_HOME/firebreak/correlate.lua"
'

test_expect_success 'every change is in the audit chain, and it verifies' '
	fbw audit ls --json | jq -r .action >actions &&
	for a in case.new case.link case.unlink case.merge case.note case.status case.assign finding.status; do
		grep -qx "$a" actions || { echo "no $a in the audit"; exit 1; }
	done &&
	expect_eq "$(grep -cx case.note actions)" 3 &&
	expect_eq "$(grep -cx case.status actions)" 5 &&
	fbw audit verify
'

test_done
