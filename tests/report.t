#!/bin/sh
# report.html in a real browser: headless Chromium prints it to PDF and
# pdftotext shows a hostile finding title as literal text (its script did
# not run, its markup did not render), with the page's own text around it.
. "$FB_SRCDIR/tests/lib.sh"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || skip_file "chromium not installed"
require_prog pdftotext

fb -w "$WS" init >/dev/null
fbw() { fb -w "$WS" "$@"; }
cat >f.jsonl <<'EOF'
{"source":"falco","kind":"runtime","rule_id":"xss","title":"<script>document.body.innerHTML='PWNED'</script><img src=x onerror=alert(1)><b>bold</b> & \"q\"","severity":"critical","assets":[{"type":"host","value":"gpu-1"}]}
EOF
fbw ingest f.jsonl >/dev/null
fbw case new "report check" --from 1 >/dev/null
sleep 1
T=$(date -u +%Y-%m-%dT%H:%M:%SZ)

test_expect_success 'export and extract the bundle' '
	fbw export 1 -o b.tar.gz --as-of "$T" >/dev/null &&
	mkdir x && tar -xzf b.tar.gz -C x
'

test_expect_success 'headless Chromium prints report.html to PDF' '
	args="--headless --disable-gpu --no-pdf-header-footer --user-data-dir=$TEST_TMP/chrome"
	[ "$(id -u)" -ne 0 ] || args="$args --no-sandbox"
	timeout 180 "$CHROMIUM" $args --print-to-pdf="$TEST_TMP/report.pdf" \
		"file://$TEST_TMP/x/report.html" >chrome.out 2>&1 &&
	[ -s report.pdf ] && pdftotext report.pdf report.txt
'

test_expect_success 'the hostile title is literal text, and the script did not run' '
	flat() { tr -d " \n\t\f" <"$1"; } &&
	flat report.txt >flat.txt &&
	expect_grep "<script>document.body.innerHTML=.PWNED.</script><imgsrc=xonerror=alert(1)><b>bold</b>&\"q\"" flat.txt &&
	expect_grep "Findings(1)" flat.txt && expect_grep "Timeline(" flat.txt &&
	expect_grep "Case1:reportcheck" flat.txt &&
	! grep -qx "PWNED" report.txt
'
test_done
