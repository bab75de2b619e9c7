#!/bin/sh
# gateway-fixtures: the real LiteLLM payloads (../shared/fixtures) ingest as
# litellm; variants derived from them with jq carry a key hash, an IP and
# a 429, and are judged like generated logs.
. "$FB_SRCDIR/tests/lib.sh"
require_prog jq
require_prog sqlite3
require_fixtures
D="$FIREBREAK_FIXTURES/scanners/llm-gateway"
[ -d "$D" ] || skip_file "no llm-gateway fixtures in $FIREBREAK_FIXTURES"
sql() { sqlite3 "$WS/store.db" "$1"; }
fb -w "$WS" init >/dev/null

for f in litellm-spend-log-success.json litellm-standard-logging-payload.json; do
	test_expect_success "$f is detected as litellm and read whole" '
		fb -w "$WS" ingest "$D/'"$f"'" >out &&
		expect_grep "(litellm): 0 new, 0 repeat, 0 resolved, 0 rejected" out &&
		expect_eq "$(sql "SELECT format FROM ingests ORDER BY id DESC LIMIT 1")" litellm
	'
done

test_expect_success 'spend-log rows: api_key is a hash, used as given; 429s in the metadata string' '
	h=$(printf "sk-fixture-key" | sha256sum | cut -c1-64) &&
	for i in $(seq 1 25); do
		jq -c --arg h "$h" --arg i "$i" ".api_key=\$h | .request_id=\"r\"+\$i |
		    .status=\"failure\" | .requester_ip_address=\"203.0.113.9\" |
		    .metadata=(.metadata|fromjson|.error_information={error_code:\"429\",error_class:\"RateLimitError\"}|tojson)" \
		    "$D/litellm-spend-log-success.json"
	done >spend.jsonl &&
	fb -w "$WS" ingest spend.jsonl >out &&
	expect_grep "(litellm): 1 new" out &&
	expect_eq "$(sql "SELECT rule_id FROM findings")" gateway.rate-limit &&
	expect_eq "$(sql "SELECT value FROM assets WHERE type=\"key\"")" "$(echo $h | cut -c1-16)" &&
	expect_eq "$(sql "SELECT requests FROM keys")" 25 &&
	expect_eq "$(sql "SELECT json_extract(detail,\"\$.first\") FROM findings")" 2025-01-24T09:20:46Z &&
	expect_eq "$(fb -w "$WS" finding ls --json | jq -r .event_time_assumed_utc)" true
'

test_expect_success 'standard-logging payloads as one array: key hash and IP from metadata' '
	h=$(printf "sk-other" | sha256sum | cut -c1-64) &&
	jq --arg h "$h" "[range(30) as \$i | .id=\"s\(\$i)\" | .metadata.user_api_key_hash=\$h |
	    .metadata.requester_ip_address=\"198.51.100.4\" | .status=\"failure\" |
	    .error_information.error_code=\"401\"]" \
	    "$D/litellm-standard-logging-payload.json" >std.json &&
	fb -w "$WS" ingest std.json >out &&
	expect_grep "(litellm): 1 new" out &&
	expect_eq "$(sql "SELECT json_extract(identity,\"\$.subject\") FROM findings WHERE rule_id=\"gateway.credential-stuffing\"")" ip:198.51.100.4
'

test_done
