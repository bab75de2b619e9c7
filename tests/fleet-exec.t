#!/bin/sh
# fleet exec against real sshd hosts on loopback: fan-out, partial results,
# timeouts, output caps, MaxStartups, remote_exec rows and audit.
. "$(dirname "$0")/lib.sh"
require_prog jq
require_prog sqlite3
require_prog sha256sum
fleet_require

for i in 01 02 03 04 05 06 07 08 09 10; do
	fleet_host gpu-$i || { echo "1..0 # cannot start sshd"; exit 1; }
	fleet_trust gpu-$i
done
fleet_down gpu-down
fb init -w "$WS" >/dev/null
export FIREBREAK_WORKSPACE="$WS"

test_expect_success 'exec on 10 hosts: each answers from its own /srv' '
	fb fleet exec "gpu-*:!gpu-down" --json -- cat /srv/hostname >out &&
	expect_eq "$(jq -s length out)" 10 &&
	expect_eq "$(jq -r "select(.kind==\"ok\" and .exit_status==0 and .stdout==(.host+\"\\n\")) | .host" out | wc -l)" 10
'

test_expect_success 'each host is a remote_exec row with the output hash' '
	want=$(printf "gpu-07\n" | sha256sum | cut -c1-64) &&
	got=$(sqlite3 "$WS/store.db" "SELECT stdout_sha256 FROM remote_exec WHERE host=\"gpu-07\" AND command=\"cat /srv/hostname\"") &&
	expect_eq "$got" "$want" &&
	expect_eq "$(sqlite3 "$WS/store.db" "SELECT count(*) FROM remote_exec WHERE kind=\"ok\" AND host_key LIKE \"SHA256:%\"")" 10
'

test_expect_success 'the fan-out is one audit row with counts' '
	fb audit ls --json | jq -c "select(.action==\"fleet.exec\")" >a &&
	expect_eq "$(jq -s length a)" 1 &&
	expect_eq "$(jq -r .detail.hosts a 2>/dev/null || jq -r ".detail|fromjson|.hosts" a)" 10
'

test_expect_code 4 'one host down: partial, exit 4, the others answer' '
	fb fleet exec all -- true >out 2>err; rc=$?;
	grep -q "^== gpu-down: unreachable" out &&
	grep -q "11 hosts, 10 ok, 1 failed (1 unreachable)" err &&
	[ "$(grep -c "(exit 0" out)" -eq 10 ] && exit $rc
'

test_expect_success 'a failing command is not a failed host' '
	fb fleet exec gpu-01 --json -- "echo oops >&2; exit 3" >out &&
	expect_eq "$(jq -r .exit_status out)" 3 &&
	expect_eq "$(jq -r .stderr out)" oops
'

test_expect_code 6 'timeout: the command is cut off and reported' '
	fb fleet exec gpu-02 --timeout 1 --json -- "echo started; sleep 30" >out; rc=$?;
	expect_eq "$(jq -r .kind out)" timeout &&
	expect_eq "$(jq -r .stdout out)" started &&
	expect_eq "$(sqlite3 "$WS/store.db" "SELECT kind FROM remote_exec ORDER BY id DESC LIMIT 1")" timeout &&
	exit $rc
'

test_expect_success 'output cap: kept bytes, total bytes and hash of all' '
	fb fleet exec gpu-03 --max-output 1000 --json -- head -c 100000 /dev/zero >out &&
	expect_eq "$(jq -r .stdout_bytes out)" 100000 &&
	expect_eq "$(jq -r .stdout_truncated out)" true &&
	expect_eq "$(jq -r ".stdout|length" out)" 1000 &&
	expect_eq "$(jq -r .stdout_sha256 out)" "$(head -c 100000 /dev/zero | sha256sum | cut -c1-64)" &&
	fb fleet exec gpu-03 --max-output 1000 -- "head -c 100000 /dev/zero | tr \\\\0 a" >out &&
	expect_grep "truncated: kept 1000 of 100000 bytes" out &&
	fb fleet exec gpu-03 -- head -c 100 /dev/zero >out &&
	expect_grep "binary, 100 bytes, sha256 $(head -c 100 /dev/zero | sha256sum | cut -c1-64)" out
'

test_expect_success 'no progress line when stderr is not a terminal' '
	fb fleet exec "gpu-0*" -- true >out 2>err &&
	! grep -q "running" err
'

test_expect_success 'a live progress line when stderr is a terminal' '
	command -v script >/dev/null || { echo "script(1) missing"; exit 1; }
	script -qec "$FB_BIN fleet exec \"gpu-0*\" -- true" /dev/null >tty.out 2>&1 &&
	expect_grep "fleet: [0-9]*/9 done, [0-9]* running" tty.out
'

test_expect_success 'ansible_become runs through sudo -n, never prompting' '
	sed -i "s|^gpu-05 .*|& ansible_become=true|" "$FLEET_INV" &&
	fb fleet exec gpu-05 --json -- id -u >out;
	jq -r .stderr out | grep -q "sudo" &&
	expect_eq "$(jq -r .kind out)" ok &&
	! expect_eq "$(jq -r .exit_status out)" 0 >/dev/null &&
	sed -i "s| ansible_become=true||" "$FLEET_INV"
'

test_expect_success 'a command line reaches the host as one shell command' '
	fb fleet exec gpu-04 --json -- echo "a  b" "\$(id -un)" >out &&
	expect_eq "$(jq -r .stdout out)" "a b fbfleet"
'

test_expect_success '20 hosts behind one sshd with default MaxStartups' '
	! grep -qi maxstartups "$(fleet_dir gpu-01)/sshd_config" &&
	fleet_shared 20 pod &&
	fb fleet exec pod -j 20 --json -- true >out &&
	expect_eq "$(jq -r "select(.kind==\"ok\")|.host" out | wc -l)" 20 &&
	expect_eq "$(grep -c "Accepted publickey" "$(fleet_dir shared-pod)/sshd.log")" 20 &&
	! grep "MaxStartups" "$(fleet_dir shared-pod)/sshd.log"
'

test_expect_success '--case: each transcript is evidence on the timeline' '
	fb case new "fleet test" >/dev/null &&
	fb fleet exec "gpu-0[1-3]" --case 1 -- uname -n >out &&
	fb evidence ls --json >ev &&
	expect_eq "$(jq -s "map(select(.kind==\"transcript\"))|length" ev)" 3 &&
	fb case timeline 1 >tl &&
	expect_grep "fleet exec on 3 hosts: uname -n" tl
'

test_expect_code 4 'SIGINT: the running host finishes, the rest never start and say so' '
	rm -f "$(fleet_dir gpu-01)/srv/data/started";
	"$FB_BIN" fleet exec "gpu-0[1-4]" -j 1 --json -- \
		"touch /srv/data/started; sleep 2; echo finished" >si 2>sie & pid=$!;
	i=0; while [ ! -e "$(fleet_dir gpu-01)/srv/data/started" ] && [ $i -lt 300 ]; do
		sleep 0.1; i=$((i + 1)); done;
	kill -INT $pid; wait $pid; rc=$?;
	expect_eq "$(jq -r "select(.host==\"gpu-01\")|.stdout" si)" finished &&
	expect_eq "$(jq -r "select(.error==\"interrupted before it started\")|.host" si | tr "\n" " ")" \
		"gpu-02 gpu-03 gpu-04 " &&
	[ ! -e "$(fleet_dir gpu-02)/srv/data/started" ] &&
	exit $rc
'

test_expect_code 2 'usage: the command goes after --' '
	fb fleet exec all true
'

test_done
