#!/bin/sh
# fleet fetch: SFTP into the evidence store. Names a host sends are
# untrusted: symlinks, special files, control characters, "..", files over
# the limit; nothing may land outside the workspace.
. "$(dirname "$0")/lib.sh"
require_prog jq
require_prog sqlite3
require_prog sha256sum
fleet_require

fleet_host gpu-01
fleet_host gpu-02
fleet_trust gpu-01
fleet_trust gpu-02
fleet_down gpu-down
fb init -w "$WS" >/dev/null
export FIREBREAK_WORKSPACE="$WS"
fb case new "model tampering" >/dev/null

ev="$(fleet_dir gpu-01)/srv/data/ev"
mkdir -p "$ev/sub/deeper"
echo "nested" >"$ev/sub/deeper/nested.log"
echo "one down" >"$ev/sub/s.txt"
echo "loss 0.12" >"$ev/train.log"
head -c 5000 /dev/urandom >"$ev/model.bin"
head -c 3000 /dev/urandom >"$ev/big.bin"
ln -s /etc/shadow "$ev/shadow-link"
ln -s ../../../../../../tmp "$ev/up"
mkfifo "$ev/fifo"
: >"$ev/$(printf 'evil\033]0;pwn\007')"
: >"$ev/$(printf 'line\nbreak')"
echo dots >"$ev/..."
touch -d "2026-01-02 03:04:05 UTC" "$ev/train.log"
chmod 604 "$ev/train.log"
mkdir -p "$(fleet_dir gpu-02)/srv/data/ev"
echo "other host" >"$(fleet_dir gpu-02)/srv/data/ev/train.log"
touch "$TEST_TMP/before"

test_expect_code 4 'fetch a directory: regular files in, the rest refused' '
	fb fleet fetch "gpu-0*" /srv/data/ev --case 1 --max-size 4000 --json >out; rc=$?;
	jq -r "select(.status==\"fetched\" and .host==\"gpu-01\")|.path" out | sort >got &&
	printf "%s\n" /srv/data/ev/... /srv/data/ev/big.bin /srv/data/ev/train.log \
		/srv/data/ev/sub/s.txt /srv/data/ev/sub/deeper/nested.log | sort >want &&
	diff want got &&
	expect_eq "$(jq -r "select(.host==\"gpu-02\" and .status==\"fetched\")|.path" out)" /srv/data/ev/train.log &&
	exit $rc
'

test_expect_success 'each refusal says why' '
	jq -r "select(.status==\"refused\")|.path+\" \"+.reason" out >r &&
	expect_grep "shadow-link a symbolic link" r &&
	expect_grep "/up a symbolic link" r &&
	expect_grep "fifo not a regular file" r &&
	expect_grep "model.bin over the size limit (5000 bytes > 4000)" r &&
	expect_eq "$(grep -c "control characters" r)" 2
'

test_expect_code 4 '--depth 1 reads the named directory'"'"'s entries only' '
	fb fleet fetch gpu-01 /srv/data/ev --case 1 --depth 1 --max-size 4000 --json >d1; rc=$?;
	expect_eq "$(jq -r "select(.path==\"/srv/data/ev/sub\")|.reason" d1)" \
		"a directory deeper than the fetch depth (1)" &&
	! grep -q "nested.log" d1 && grep -q "train.log" d1 && exit $rc
'

test_expect_code 6 'a directory past 10000 entries: the rest is listed as not read' '
	d="$(fleet_dir gpu-01)/srv/data/many" && mkdir -p "$d" &&
	(cd "$d" && seq 1 10005 | split -l 1 -a 5 - f) &&
	fb fleet fetch gpu-01 /srv/data/many --case 1 --max-size 0 --json >m; rc=$?;
	expect_eq "$(grep -c "over the size limit" m)" 10000 &&
	expect_eq "$(jq -r "select(.path==\"/srv/data/many\")|.reason" m)" \
		"5 entries not read: a fetch takes at most 10000" && exit $rc
'

test_expect_success 'stored bytes match the host file, by hash' '
	sha=$(sha256sum "$ev/train.log" | cut -c1-64) &&
	expect_eq "$(jq -r "select(.host==\"gpu-01\" and .path==\"/srv/data/ev/train.log\")|.sha256" out)" "$sha" &&
	cmp "$ev/train.log" "$WS/blobs/$(echo "$sha" | cut -c1-2)/$(echo "$sha" | cut -c3-)"
'

test_expect_success 'evidence keeps host, host key, path, mtime, mode, owner' '
	sqlite3 -json "$WS/store.db" "SELECT * FROM evidence WHERE path=\"/srv/data/ev/train.log\" AND source_host=\"gpu-01\"" >e &&
	expect_eq "$(jq -r ".[0].host_key" e)" "$(ssh-keygen -lf "$(fleet_dir gpu-01)/hostkey.pub" | cut -d" " -f2)" &&
	expect_eq "$(jq -r ".[0].case_id" e)" 1 &&
	expect_eq "$(jq -r ".[0].collector" e)" "fleet fetch" &&
	expect_eq "$(jq -r ".[0].orig_owner" e)" "$(stat -c %u:%g "$ev/train.log")" &&
	expect_eq "$(jq -r ".[0].orig_mode" e)" "$(printf %d 0$(stat -c %f "$ev/train.log" | sed "s/^/x/;s/^x/0x/" | xargs printf %o))" &&
	expect_grep "2026-01-02T03:04:05Z" e &&
	off=$(jq -r ".[0].clock_offset_ms" e) && [ "${off#-}" -lt 2000 ]
'

test_expect_success 'nothing a host sent was written outside the workspace' '
	(cd "$WS" && find . -newer "$TEST_TMP/before" -type f) | sort >new &&
	grep -v -E "^\./(store\.db(-wal|-shm)?|blobs/[0-9a-f]{2}/[0-9a-f]{62})$" new >stray;
	expect_eq "$(cat stray)" "" &&
	! find "$TEST_TMP" /tmp -maxdepth 1 -newer "$TEST_TMP/before" \( -name "*evil*" -o -name "up" -o -name "shadow*" \) | grep -q .
'

test_expect_success 'an over-limit file is refused without reading it' '
	fb fleet fetch gpu-01 /srv/data/ev/model.bin --case 1 --max-size 1K >o2; rc=$?;
	[ $rc -eq 6 ] &&
	expect_grep "model.bin: over the size limit (5000 bytes > 1024)" o2 &&
	! sqlite3 "$WS/store.db" "SELECT path FROM evidence" | grep -q model.bin
'

test_expect_success 'the fetch is audited and on the case timeline' '
	fb audit ls --json | jq -c "select(.action==\"fleet.fetch\")" >a &&
	expect_eq "$(jq -s length a)" 4 &&
	fb case timeline 1 >tl &&
	expect_grep "collected from gpu-01: /srv/data/ev/train.log" tl
'

test_expect_code 2 'fetch needs --case' '
	fb fleet fetch gpu-01 /srv/data/ev/train.log
'

test_expect_code 2 'remote paths must be absolute' '
	fb fleet fetch gpu-01 ../etc/passwd --case 1
'

test_expect_code 4 'a host down is a partial fetch' '
	fb fleet fetch "gpu-01:gpu-down" /srv/data/ev/train.log --case 1 >o3 2>e3; rc=$?;
	expect_grep "gpu-down: unreachable" o3 && exit $rc
'

test_done
