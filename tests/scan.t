#!/bin/sh
# scan: firebreak scan on the real model fixtures (their README is the
# oracle) and the committed generated ones; exit statuses; directory walks
# agree with find(1); hostile file names stay inert; --ingest stores one
# finding per model content with a location per path, and a re-scan adds
# no rows.
. "$FB_SRCDIR/tests/lib.sh"
require_prog jq
require_prog sqlite3
require_prog python3

GEN="$FB_SRCDIR/tests/fixtures/scan"
REAL="$FIREBREAK_FIXTURES/models"
sql() { sqlite3 "$WS/store.db" "$1"; }
# a dangerous pickle written here, opcode by opcode (never by pickling):
# protocol 2, GLOBAL posix system, the argument tuple, REDUCE, STOP
evil_pickle() {
	printf '\200\002cposix\nsystem\nq\000X\002\000\000\000idq\001\205q\002Rq\003.' >"$1"
}

test_expect_code 2 'no path is a usage error' '
	fb scan 2>err; rc=$?
	expect_grep "nothing to scan" err &&
	expect_grep "usage: firebreak scan" err && exit $rc
'

test_expect_success '--help prints every flag' '
	fb scan --help >out &&
	expect_grep "[-]-json" out && expect_grep "[-]-ingest" out
'

# The generated fixtures: what make-fixtures.py built each one to be.
while read -r file want fmt; do
	test_expect_success "generated $file: $want ($fmt)" "
		fb scan --json '$GEN/$file' >out
		expect_eq \"\$(jq -r .verdict out)\" $want &&
		expect_eq \"\$(jq -r .format out)\" $fmt
	"
done <<'EOF'
memo-indirection.pkl dangerous pickle
stack-global-memo.pkl dangerous pickle
missing-memo.pkl dangerous pickle
truncated-dangerous.pkl dangerous pickle
truncated-benign.pkl error pickle
invalid-opcode.pkl error pickle
proto0-inst.pkl dangerous pickle
unknown-global.pkl suspicious pickle
benign-p2.pkl safe pickle
joblib-array-then-evil.joblib dangerous joblib
joblib-array-benign.joblib safe joblib
object-array.npy dangerous npy
plain-array.npy safe npy
object-array.npz dangerous npz
evil-torch.pt dangerous pytorch-zip
good.safetensors safe safetensors
overlap.safetensors error safetensors
plain.zip not-model zip
text.txt not-model none
EOF

test_expect_success 'a dangerous file names its global, in the table and in JSON' '
	evil_pickle evil.pkl &&
	fb scan --json evil.pkl >json; fb scan evil.pkl >text
	expect_eq "$(jq -r ".globals[] | select(.class == \"dangerous\") | .module + \".\" + .name" json)" posix.system &&
	expect_eq "$(jq -r ".findings[0].rule" json)" pickle.dangerous-global &&
	expect_eq "$(jq -r .sha256 json)" "$(sha256sum evil.pkl | cut -c1-64)" &&
	expect_grep "^dangerous  *pickle  *evil.pkl$" text &&
	expect_grep "critical  *pickle.dangerous-global: .*posix.system" text &&
	expect_grep "^1 file: 1 dangerous, 0 error, 0 suspicious, 0 safe, 0 not a model$" text
'

# Exit statuses (firebreak-scan(1), EXIT STATUS).
test_expect_code 0 'only safe and not-model files: exit 0' '
	fb scan "$GEN/benign-p2.pkl" "$GEN/good.safetensors" "$GEN/text.txt" >out
'
test_expect_code 1 'a suspicious file among safe ones: exit 1' '
	fb scan "$GEN/benign-p2.pkl" "$GEN/unknown-global.pkl" "$GEN/text.txt" >out
'
test_expect_code 1 'a dangerous file among safe ones: exit 1' '
	evil_pickle evil.pkl &&
	fb scan "$GEN/benign-p2.pkl" evil.pkl "$GEN/good.safetensors" >out
'
test_expect_code 1 'a file in error: exit 1' '
	fb scan "$GEN/good.safetensors" "$GEN/overlap.safetensors" >out
'
test_expect_code 3 'nothing readable: exit 3 and one error per path' '
	fb scan missing-1 missing-2 >out 2>err; rc=$?
	expect_eq "$(grep -c "^error: " err)" 2 &&
	expect_grep "missing-1" err && exit $rc
'
test_expect_code 4 'some paths unreadable, the rest safe: exit 4 (partial)' '
	fb scan missing "$GEN/benign-p2.pkl" >out 2>err; rc=$?
	expect_grep "^safe .*benign-p2.pkl" out &&
	expect_grep "1 unreadable" out && exit $rc
'
test_expect_code 1 'a dangerous file wins over an unreadable path' '
	evil_pickle evil.pkl &&
	fb scan missing evil.pkl >out 2>/dev/null
'

test_expect_success 'a directory scan lists exactly the regular files find lists' '
	mkdir -p tree/sub/deeper && cp "$GEN"/* tree/ && cp "$GEN"/*.pkl tree/sub/ &&
	evil_pickle tree/sub/deeper/evil.pkl && ln -s ../text.txt tree/sub/link &&
	find tree -type f | sort >want &&
	fb scan --json tree >json; [ $? -eq 1 ] &&
	jq -r .path json | sort >got &&
	expect_eq "$(wc -l <got)" "$(wc -l <want)" &&
	cmp want got &&
	fb scan tree >text; [ $? -eq 1 ] &&
	expect_grep "^$(wc -l <want) files: $(jq -r "select(.verdict==\"dangerous\")" json | jq -s length) dangerous" text
'

test_expect_success 'verdict counts in the summary match the JSON lines' '
	fb scan --json tree >json; fb scan tree >text
	for v in dangerous error suspicious safe; do
		n=$(jq -r "select(.verdict == \"$v\") | .path" json | wc -l)
		expect_grep " $n $v" text || exit 1
	done
	n=$(jq -r "select(.verdict == \"not-model\") | .path" json | wc -l)
	expect_grep " $n not a model" text
'

test_expect_success 'hostile file names never reach the terminal raw' '
	esc=$(printf "\033") && rlo=$(printf "\342\200\256") &&
	mkdir hostile &&
	name="hostile/evil${esc}]0;pwned$(printf "\007")${rlo}lkp.pt" &&
	evil_pickle "$name" &&
	cp "$GEN/benign-p2.pkl" "hostile/ok${esc}[2J.pkl" &&
	fb scan hostile >text 2>err; [ $? -eq 1 ] &&
	fb scan --json hostile >json; [ $? -eq 1 ] &&
	fb scan "hostile/missing${esc}[31m${rlo}" >out 2>err2; [ $? -eq 3 ] &&
	for f in text err json out err2; do
		if grep -q "$esc" $f || grep -q "$rlo" $f || grep -q "$(printf "\007")" $f; then
			echo "raw control or bidi bytes in $f"; exit 1
		fi
	done &&
	expect_eq "$(jq -s length json)" 2 &&
	expect_eq "$(jq -r "select(.verdict == \"dangerous\") | .globals[0].name" json)" system &&
	expect_grep "^dangerous .*hostile/evil" text &&
	expect_grep "^error: .*hostile/missing" err2
'

test_expect_success '--ingest without a workspace fails before scanning' '
	evil_pickle evil.pkl &&
	! fb -w "$TEST_TMP/nowhere" scan --ingest evil.pkl >out 2>err &&
	expect_grep "^error: " err &&
	! grep -q "evil.pkl" out
'

test_expect_success '--ingest: one finding per dangerous, error or suspicious file' '
	fb -w "$WS" init >/dev/null &&
	fb scan --json "$GEN" >json
	want=$(jq -r "select(.verdict == \"dangerous\" or .verdict == \"error\" or .verdict == \"suspicious\") | .sha256" json | sort -u | wc -l) &&
	fb -w "$WS" scan --ingest "$GEN" >out; [ $? -eq 1 ] &&
	expect_grep "^ingested .* as #1: $want new" out &&
	fb -w "$WS" finding ls --json >found &&
	expect_eq "$(wc -l <found)" "$want" &&
	expect_eq "$(jq -r ".kind + \" \" + .source" found | sort -u)" "model firebreak-scan" &&
	expect_eq "$(jq -r "select(.rule_id == \"pickle.dangerous-global\") | .severity" found | sort -u)" critical &&
	expect_eq "$(sql "SELECT count(*) FROM audit WHERE action LIKE \"%ingest%\"")" 1
'

test_expect_success '--ingest: a safe-only scan stores nothing' '
	before=$(sql "SELECT count(*) FROM findings") &&
	fb -w "$WS" scan --ingest "$GEN/benign-p2.pkl" >out &&
	expect_grep "nothing to ingest" out &&
	expect_eq "$(sql "SELECT count(*) FROM findings")" "$before"
'

test_expect_success '--ingest: one model at 3 paths is 1 finding with 3 locations' '
	rm -rf "$WS" && fb -w "$WS" init >/dev/null &&
	mkdir -p copies/a copies/b copies/c && evil_pickle copies/a/model.pt &&
	cp copies/a/model.pt copies/b/weights.bin && cp copies/a/model.pt copies/c/x.pkl &&
	fb -w "$WS" scan --json --ingest copies >json 2>err; [ $? -eq 1 ] &&
	expect_eq "$(wc -l <json)" 3 &&
	expect_grep "1 new, 2 repeat" err &&
	fb -w "$WS" finding ls --json >found &&
	expect_eq "$(wc -l <found)" 1 &&
	id=$(jq -r .id found) &&
	fb -w "$WS" finding show --json "$id" >show &&
	expect_eq "$(jq -r ".locations | length" show)" 3 &&
	expect_eq "$(jq -r ".locations[].path" show | sort | tr "\n" " ")" \
		"$TEST_TMP/copies/a/model.pt $TEST_TMP/copies/b/weights.bin $TEST_TMP/copies/c/x.pkl " &&
	expect_eq "$(jq -r ".assets[] | select(.type == \"model\") | .value" show)" \
		"sha256:$(sha256sum copies/a/model.pt | cut -c1-64)" &&
	expect_eq "$(jq -r .identity.sha256 show)" "$(sha256sum copies/a/model.pt | cut -c1-64)" &&
	expect_grep "posix.system" show
'

test_expect_success 're-scan of the same set: already ingested, no new rows' '
	f=$(sql "SELECT count(*) FROM findings") && l=$(sql "SELECT count(*) FROM finding_locations") &&
	fb -w "$WS" scan --ingest copies >out; [ $? -eq 1 ] &&
	expect_grep "already ingested as #1" out &&
	expect_eq "$(sql "SELECT count(*) FROM findings")" "$f" &&
	expect_eq "$(sql "SELECT count(*) FROM finding_locations")" "$l"
'

test_expect_success 'a 4th copy: the same finding gains a location, no new finding' '
	mkdir copies/d && cp copies/a/model.pt copies/d/again.pt &&
	fb -w "$WS" scan --ingest copies >out; [ $? -eq 1 ] &&
	expect_grep "0 new, 4 repeat" out &&
	expect_eq "$(sql "SELECT count(*) FROM findings")" 1 &&
	expect_eq "$(sql "SELECT count(*) FROM finding_locations")" 4
'

test_expect_success 'saved scan --json output ingests through format detection' '
	rm -rf "$WS" && fb -w "$WS" init >/dev/null &&
	fb scan --json copies "$GEN/good.safetensors" >saved.jsonl
	fb -w "$WS" ingest --json saved.jsonl >out &&
	expect_eq "$(jq -r .format out)" firebreak-scan &&
	expect_eq "$(jq -r .new out)" 1 &&
	expect_eq "$(sql "SELECT count(*) FROM finding_locations")" 4
'

test_expect_success 'the scan adapter does not claim other JSON Lines' '
	printf "%s\n" "{\"source\":\"x\",\"rule_id\":\"r\",\"title\":\"t\",\"severity\":\"low\",\"path\":\"p\",\"verdict\":\"dangerous\"}" >other.jsonl &&
	fb -w "$WS" ingest --json other.jsonl >out &&
	expect_eq "$(jq -r .format out)" firebreak-jsonl
'

# The real artifacts (written by PyTorch, NumPy, safetensors): their
# README says what each must yield.
if [ -d "$REAL" ]; then
	while read -r file want global; do
		test_expect_success "real $file: $want${global:+, names $global}" "
			fb scan --json '$REAL/$file' >out
			expect_eq \"\$(jq -r .verdict out)\" $want &&
			if [ -n '$global' ]; then
				jq -r '.globals[] | select(.class == \"dangerous\") | .module + \".\" + .name' out >g &&
				expect_grep '^$global\$' g
			fi
		"
	done <<-'EOF'
	benign_state_dict.pt safe
	benign_legacy_format.pt safe
	full_module.pt suspicious
	malicious_os_system.pt dangerous posix.system
	malicious_p2.pkl dangerous posix.system
	malicious_p4.pkl dangerous posix.system
	malicious_object_array.npy dangerous posix.system
	benign_array.npy safe
	benign.safetensors safe
	EOF

	test_expect_code 0 'real benign models only: exit 0' '
		fb scan "$REAL/benign_state_dict.pt" "$REAL/benign_legacy_format.pt" \
			"$REAL/benign_array.npy" "$REAL/benign.safetensors" >out
	'
	test_expect_code 1 'a whole pickled module is suspicious: exit 1' '
		fb scan "$REAL/full_module.pt" >out
	'
	test_expect_code 1 'the real models directory: exit 1, every file listed' '
		fb scan "$REAL" >out; rc=$?
		expect_grep "^$(find "$REAL" -type f | wc -l) files: 4 dangerous" out &&
		exit $rc
	'
elif [ "${FIREBREAK_REQUIRE_ALL:-}" = 1 ]; then
	test_expect_success "real model fixtures at $REAL" 'false'
else
	echo "# SKIP real model fixtures: $REAL not found"
fi

test_expect_success 'a pickle holding floats (BINFLOAT) is safe, not invalid' '
	printf "\200\002G\077\370\000\000\000\000\000\000." >float.pkl &&
	fb scan --json float.pkl >f.json &&
	expect_eq "$(jq -r .verdict f.json)" safe
'

test_expect_success 'a dense 16 MB pickle (over 2^20 memo keys) is walked, not refused' '
	python3 -c "
import pickle, sys
sys.stdout.buffer.write(pickle.dumps([str(i) for i in range(1500000)], protocol=2))
" >dense.pkl &&
	fb scan --json dense.pkl >d.json &&
	expect_eq "$(jq -r .verdict d.json)" safe &&
	expect_eq "$(jq -r "[.findings[].rule] | join(\",\")" d.json)" ""
'

test_expect_success 'the shipped policy is data: an unknown global is suspicious' '
	fb scan --json "$GEN/unknown-global.pkl" >p.json; rc=$?
	expect_eq "$rc" 1 &&
	expect_eq "$(jq -r .verdict p.json)" suspicious &&
	expect_eq "$(jq -r ".globals[0].class" p.json)" unknown
'

test_expect_success '--policy FILE: the user allows their own classes' '
	cat >mine.lua <<-\EOF &&
	return { rules = { { "mylib.*", "*", "safe" } } }
	EOF
	fb scan --policy mine.lua --json "$GEN/unknown-global.pkl" >p.json &&
	expect_eq "$(jq -r .verdict p.json)" safe
'

test_expect_success 'the user policy in $XDG_CONFIG_HOME is consulted first' '
	mkdir -p cfg/firebreak &&
	cat >cfg/firebreak/scan-policy.lua <<-\EOF &&
	return { rules = { { "numpy", "dtype", "dangerous" } } }
	EOF
	XDG_CONFIG_HOME=$PWD/cfg fb scan --json "$GEN/joblib-array-benign.joblib" >p.json; rc=$?
	expect_eq "$rc" 1 &&
	expect_eq "$(jq -r .verdict p.json)" dangerous &&
	jq -r ".globals[] | select(.class == \"dangerous\") | .module + \".\" + .name" p.json >g &&
	expect_grep "^numpy.dtype\$" g
'

test_expect_success 'dangerous_names from a policy apply to attribute paths' '
	cat >names.lua <<-\EOF &&
	return { dangerous_names = { "_utils" } }
	EOF
	fb scan --json "$GEN/dotted-safe.pkl" >p.json &&
	expect_eq "$(jq -r .verdict p.json)" safe &&
	fb scan --policy names.lua --json "$GEN/dotted-safe.pkl" >p.json; rc=$?
	expect_eq "$rc" 1 &&
	expect_eq "$(jq -r .verdict p.json)" dangerous
'

test_expect_code 3 'a malformed policy names the file and the rule, exit 3' '
	cat >bad.lua <<-\EOF &&
	return { rules = { { "ok", "*", "safe" }, { "x", "*", "maybe" } } }
	EOF
	fb scan --policy bad.lua "$GEN/benign-p2.pkl" >out 2>err; rc=$?
	expect_grep "bad.lua: rule 2" err && exit $rc
'

test_expect_success 'a policy file runs in the sandbox: no os.execute' '
	cat >evil.lua <<-\EOF &&
	os.execute("touch pwned")
	return { rules = {} }
	EOF
	fb scan --policy evil.lua "$GEN/benign-p2.pkl" >out 2>err
	rc=$?
	[ $rc -ne 0 ] && [ ! -e pwned ]
'

# joblib.dump(..., compress=...) wraps the pickle in one compressed stream.
compress_all() {
	src=$1 pre=$2
	python3 -c "
import sys, zlib
d = open(sys.argv[1], 'rb').read()
open(sys.argv[2] + '-zlib.joblib', 'wb').write(zlib.compress(d, 3))
open(sys.argv[2] + '-zf.joblib', 'wb').write(
    b'ZF' + hex(len(d)).encode().ljust(19) + zlib.compress(d))
" "$src" "$pre" &&
	gzip -c "$src" >"$pre-gzip.joblib" &&
	bzip2 -c "$src" >"$pre-bz2.joblib" &&
	xz -c "$src" >"$pre-xz.joblib" &&
	xz --format=lzma -c "$src" >"$pre-lzma.joblib" &&
	lz4 -q -c "$src" >"$pre-lz4.joblib" &&
	zstd -q -c "$src" >"$pre-zstd.joblib"
}
for p in gzip bzip2 xz lz4 zstd; do require_prog $p; done

test_expect_success 'compressed joblib (zlib, ZF, gzip, bz2, xz, lzma, lz4, zstd): looked inside' '
	mkdir -p cz && compress_all "$GEN/joblib-array-then-evil.joblib" cz/evil &&
	compress_all "$GEN/joblib-array-benign.joblib" cz/good &&
	fb scan --json cz >cz.json; rc=$?
	expect_eq "$rc" 1 &&
	expect_eq "$(jq -r "select(.path | test(\"evil\")) | .verdict" cz.json | sort -u)" dangerous &&
	expect_eq "$(jq -r "select(.path | test(\"good\")) | .verdict" cz.json | sort -u)" safe &&
	expect_eq "$(jq -r "select(.verdict == \"dangerous\") | .globals[] | select(.class == \"dangerous\") | .module + \".\" + .name" cz.json | sort -u)" posix.system &&
	expect_eq "$(jq -s length cz.json)" 16 &&
	expect_eq "$(jq -r ".findings[] | select(.rule == \"scan.compressed\") | .message" cz.json | sed "s/ stream.*//" | sort -u | tr "\n" " ")" \
		"bzip2 gzip lz4 lzma xz zlib zlib (joblib ZF) zstd "
'

test_expect_success 'a truncated compressed joblib is an error, not safe' '
	head -c 150 cz/good-zlib.joblib >cut.joblib &&
	head -c 150 cz/good-xz.joblib >cut2.joblib &&
	fb scan --json cut.joblib cut2.joblib >cut.json; rc=$?
	expect_eq "$rc" 1 &&
	expect_eq "$(jq -r .verdict cut.json | sort -u)" error &&
	expect_eq "$(jq -r ".findings[].rule" cut.json | sort -u)" scan.compressed-damaged
'

test_expect_success '--host and --root: copies from two hosts are one finding, located per host' '
	for h in gpu-a gpu-b; do
		mkdir -p "hosts/$h/srv/models/m/v7" &&
		evil_pickle "hosts/$h/srv/models/m/v7/model.pkl" || return 1
	done &&
	rm -rf "$WS" && fb -w "$WS" init >/dev/null &&
	fb -w "$WS" scan --ingest --host gpu-a --root hosts/gpu-a hosts/gpu-a >/dev/null
	fb -w "$WS" scan --ingest --host gpu-b --root hosts/gpu-b hosts/gpu-b >/dev/null
	fb scan --json --host gpu-a --root hosts/gpu-a hosts/gpu-a >h.json
	expect_eq "$(jq -r "[.host, .path] | join(\" \")" h.json)" "gpu-a /srv/models/m/v7/model.pkl" &&
	expect_eq "$(sql "SELECT count(*) FROM findings")" 1 &&
	expect_eq "$(sql "SELECT host || \" \" || path FROM finding_locations ORDER BY host")" \
		"$(printf "gpu-a /srv/models/m/v7/model.pkl\ngpu-b /srv/models/m/v7/model.pkl")" &&
	expect_eq "$(sql "SELECT group_concat(value) FROM (SELECT value FROM assets WHERE type = \"host\" ORDER BY value)")" "gpu-a,gpu-b"
'

test_expect_code 2 'a path outside --root is a usage error' '
	fb scan --root hosts/gpu-a hosts/gpu-b 2>err; rc=$?
	expect_grep "not under --root" err && exit $rc
'

test_expect_success 'an empty directory scans to nothing, exit 0' '
	mkdir -p emptydir && fb scan emptydir >out 2>&1
'

test_done
