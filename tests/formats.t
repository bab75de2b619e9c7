#!/bin/sh
# formats: every scanner and monitor fixture in ../shared/fixtures/scanners
# (except pickles/ and llm-gateway/) ingests with the count computed here
# with jq from the identity fields in SOURCES.md; re-ingest changes
# nothing; cuts inside a record are rejected with the store unchanged.
. "$FB_SRCDIR/tests/lib.sh"
require_prog jq
require_prog sqlite3
require_fixtures
S="$FIREBREAK_FIXTURES/scanners"
[ -d "$S" ] || skip_file "no scanners/ in $FIREBREAK_FIXTURES"

sql() { sqlite3 "$1/store.db" "$2"; }
# inside FILE K: the first cut length >= K whose last kept byte and the
# next are not newlines (a JSON Lines prefix of whole lines is valid).
inside() {
	k=$2
	while [ "$(tail -c +"$k" "$1" | head -c 2 | tr -d '\n' | wc -c)" -ne 2 ]; do
		k=$((k + 1))
	done
	echo "$k"
}
dump() { sqlite3 "$1/store.db" .dump | md5sum; }
q() { printf "'%s'" "$1"; }
nstatus() { sql "$1" "SELECT count(*) FROM findings WHERE status='$2'"; }
img_findings() { sql "$1" "SELECT count(DISTINCT f.id) FROM findings f JOIN finding_assets fa ON fa.finding=f.id JOIN assets a ON a.id=fa.asset WHERE a.type='image' AND f.source='$2'"; }
nasset() { sql "$1" "SELECT count(*) FROM assets WHERE type='$2'${3:+ AND value='$3'}"; }

. "$FB_SRCDIR/tests/fixtures/formats/expected.sh"
expected() { expected_count "${1%%/*}" "$S/$1"; }

fixtures=$(cd "$S" && find . -type f ! -name SOURCES.md ! -path './pickles/*' \
	! -path './llm-gateway/*' ! -path './picklescan/*' ! -path './promptfoo/*' |
	sed 's|^\./||' | sort)
[ -n "$fixtures" ] || skip_file "no scanner fixtures"

i=0
for f in $fixtures; do
	i=$((i + 1))
	ws="$TEST_TMP/ws$i"
	fmt=${f%%/*}
	if [ ! -s "$S/$f" ]; then
		test_expect_code 3 "$f: a 0-byte report is refused, nothing stored" "
			fb -w '$ws' init >/dev/null &&
			d=\$(dump '$ws') &&
			fb -w '$ws' ingest '$S/$f' 2>err; rc=\$?
			expect_grep '0 bytes' err && expect_grep '$f' err &&
			expect_eq \"\$(dump '$ws')\" \"\$d\" &&
			fb -w '$ws' ingest -f $fmt '$S/$f' 2>err2; rc2=\$?
			expect_eq \$rc2 3 && expect_grep 'not a $fmt report' err2 &&
			expect_eq \"\$(dump '$ws')\" \"\$d\" && exit \$rc
		"
		continue
	fi
	test_expect_success "$f: detected as $fmt, $(expected "$f") findings (jq)" "
		want=\$(expected '$f') &&
		fb -w '$ws' init >/dev/null &&
		fb -w '$ws' ingest '$S/$f' >out &&
		expect_grep '($fmt): '\$want' new' out &&
		expect_eq \"\$(sql '$ws' 'SELECT count(*) FROM findings')\" \$want &&
		expect_eq \"\$(sql '$ws' 'SELECT count(*) FROM ingests')\" 1
	"
	test_expect_success "$f: re-ingest changes nothing" "
		d=\$(dump '$ws') &&
		fb -w '$ws' ingest '$S/$f' >out && expect_grep 'already ingested' out &&
		expect_eq \"\$(dump '$ws')\" \"\$d\" &&
		q='SELECT fingerprint, status, severity, title, scope FROM findings ORDER BY 1' &&
		before=\$(sql '$ws' \"\$q\" | md5sum) &&
		na=\$(sql '$ws' 'SELECT count(*) FROM assets') &&
		fb -w '$ws' ingest --force '$S/$f' >out &&
		expect_grep ': 0 new, [0-9]* repeat, 0 resolved, 0 rejected' out &&
		expect_eq \"\$(sql '$ws' \"\$q\" | md5sum)\" \"\$before\" &&
		expect_eq \"\$(sql '$ws' 'SELECT count(*) FROM assets')\" \$na
	"
	size=$(wc -c <"$S/$f")
	[ "$size" -gt 40 ] || continue
	test_expect_success "$f: cut at 3 offsets inside a record: rejected, store unchanged" "
		for k in \$(( $size / 3 )) \$(( $size / 2 + 1 )) \$(( $size * 4 / 5 )); do
			k=\$(inside '$S/$f' \$k) &&
			head -c \$k '$S/$f' >cut.json &&
			d=\$(dump '$ws') &&
			fb -w '$ws' ingest -f $fmt cut.json 2>err; rc=\$?
			if [ \$rc -ne 3 ]; then echo \"cut at \$k: exit \$rc\"; cat err; exit 1; fi
			expect_grep 'cut.json' err && expect_grep 'byte [0-9]' err &&
			expect_eq \"\$(dump '$ws')\" \"\$d\" || exit 1
		done
	"
done

# Per-format semantics the counts do not show.
test_expect_success 'alertmanager: the resolved alert is stored resolved; one fingerprint on 4 alerts is 4 findings' '
	ws=$TEST_TMP/am && fb -w "$ws" init >/dev/null &&
	f=$S/alertmanager/adapter-mixed-firing-resolved.json &&
	fb -w "$ws" ingest "$f" >/dev/null &&
	expect_eq "$(jq "[.alerts[].fingerprint] | unique | length" "$f")" 1 &&
	expect_eq "$(sql "$ws" "SELECT count(*) FROM findings")" "$(jq ".alerts | length" "$f")" &&
	expect_eq "$(nstatus "$ws" resolved)" \
		"$(jq "[.alerts[] | select(.status == \"resolved\")] | length" "$f")" &&
	expect_eq "$(sql "$ws" "SELECT value FROM assets ORDER BY 1" | grep "^10\\." | tr "\n" " ")" \
		"$(jq -r ".alerts[].labels.host" "$f" | sort | tr "\n" " ")"
'

test_expect_success 'sarif: suppressions become false_positive, per SARIF status' '
	ws=$TEST_TMP/sup && fb -w "$ws" init >/dev/null &&
	f=$S/sarif/spec-suppressions.sarif &&
	fb -w "$ws" ingest "$f" >/dev/null &&
	expect_eq "$(nstatus "$ws" false_positive)" \
		"$(jq "[.runs[].results[] | select(any(.suppressions[]?; (.status // \"accepted\") == \"accepted\"))] | length" "$f")"
'

test_expect_success 'sarif: a suppression taken back reopens; a person'"'"'s triage stays' '
	ws=$TEST_TMP/sup && f=$S/sarif/spec-suppressions.sarif &&
	n=$(nstatus "$ws" false_positive) &&
	id=$(sql "$ws" "SELECT min(id) FROM findings WHERE status=\"open\"") &&
	fb -w "$ws" finding fp "$id" --reason "reviewed: test code" >/dev/null &&
	jq "del(.runs[].results[].suppressions)" "$f" >unsuppressed.sarif &&
	fb -w "$ws" ingest unsuppressed.sarif >/dev/null &&
	expect_eq "$(nstatus "$ws" false_positive)" 1 &&
	expect_eq "$(sql "$ws" "SELECT status FROM findings WHERE id=$id")" false_positive &&
	expect_eq "$(sql "$ws" "SELECT count(*) FROM findings WHERE status=\"open\" AND status_reason LIKE \"seen again in ingest #%\"")" "$n"
'

test_expect_success 'sarif: semgrep rules written after the results still give titles and levels' '
	ws=$TEST_TMP/sg && fb -w "$ws" init >/dev/null &&
	f=$S/sarif/semgrep-oss-1.69.sarif &&
	fb -w "$ws" ingest "$f" >/dev/null &&
	expect_eq "$(sql "$ws" "SELECT DISTINCT source FROM findings")" \
		"$(jq -r ".runs[0].tool.driver.name | ascii_downcase | gsub(\"[^a-z0-9._-]+\"; \"-\")" "$f")" &&
	r=$(jq -r ".runs[0].results[0].ruleId" "$f") &&
	short=$(jq -r --arg r "$r" ".runs[0].tool.driver.rules[] | select(.id == \$r) | .shortDescription.text" "$f" | head -c 60) &&
	sql "$ws" "SELECT title FROM findings" >titles &&
	grep -F -q -- "$short" titles
'

test_expect_success 'trivy and grype: the scanned image is an asset (image ID)' '
	ws=$TEST_TMP/img && fb -w "$ws" init >/dev/null &&
	fb -w "$ws" ingest "$S/trivy/alpine-310-image.json" "$S/grype/realworld-0.94-epss.json" >/dev/null &&
	for id in "$(jq -r .Metadata.ImageID "$S/trivy/alpine-310-image.json")" \
	    "$(jq -r .source.target.imageID "$S/grype/realworld-0.94-epss.json")"; do
		expect_eq "$(nasset "$ws" image "$id")" 1 || exit 1
	done &&
	expect_eq "$(img_findings "$ws" grype)" "$(jq ".matches | length" "$S/grype/realworld-0.94-epss.json")"
'

test_expect_success 'grype: the scan time (descriptor, after the matches) is each event time' '
	want=$(jq -r ".descriptor.timestamp | sub(\"\\\\.[0-9]+Z$\"; \"Z\")" "$S/grype/realworld-0.94-epss.json") &&
	expect_eq "$(sql "$TEST_TMP/img" "SELECT DISTINCT event_time FROM findings WHERE source=\"grype\"")" "$want"
'

test_expect_success 'cyclonedx: the ML-BOM model card is a model asset, no finding' '
	ws=$TEST_TMP/cdx && fb -w "$ws" init >/dev/null &&
	f=$S/cyclonedx/spec-valid-ml-bom-1.6.json &&
	fb -w "$ws" ingest "$f" >out && expect_grep " 0 new" out &&
	expect_eq "$(nasset "$ws" model)" \
		"$(jq "[.. | objects | select(.type? == \"machine-learning-model\")] | length" "$f")" &&
	sql "$ws" "SELECT attributes FROM assets WHERE type=$(q model)" >attrs &&
	expect_eq "$(jq -r .task attrs)" "$(jq -r "[.. | objects | select(.type? == \"machine-learning-model\")][0].modelCard.modelParameters.task" "$f")"
'

test_expect_success 'cyclonedx: components with a purl are package assets' '
	ws=$TEST_TMP/cdx2 && fb -w "$ws" init >/dev/null &&
	f=$S/cyclonedx/trivy-npm-cdx.json &&
	fb -w "$ws" ingest "$f" >/dev/null &&
	expect_eq "$(nasset "$ws" package)" \
		"$(jq "[(.metadata.component // empty), (.components[]? | recurse(.components[]?)) | .purl // empty] | unique | length" "$f")"
'

test_expect_success 'trivy: an image report without Results declares its scope, resolving older findings' '
	ws=$TEST_TMP/scope && fb -w "$ws" init >/dev/null &&
	f=$S/trivy/image-no-results.json &&
	name=$(jq -r .ArtifactName "$f") &&
	jq --arg n "$name" ".ArtifactName = \$n" "$S/trivy/alpine-310-image.json" >older.json &&
	fb -w "$ws" ingest older.json >/dev/null &&
	fb -w "$ws" ingest "$f" >out &&
	expect_grep "0 new, 0 repeat, $(expected trivy/alpine-310-image.json) resolved" out
'

test_expect_success 'ingest --list-formats names every adapter' '
	fb ingest --list-formats >fmts &&
	for f in trivy grype sarif osv-scanner pip-audit falco alertmanager cyclonedx modelscan garak; do
		expect_grep "^$f " fmts || exit 1
	done
'

test_done
