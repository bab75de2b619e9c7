#!/bin/sh
# Host keys: unknown refused then --accept-new, changed key refused with a
# marker proving nothing ran, hashed and bad known_hosts lines, @revoked,
# fb_host_key pins, ed25519 preferred over ECDSA, agent and RSA-only auth.
. "$(dirname "$0")/lib.sh"
require_prog jq
require_prog sqlite3
fleet_require

fp() { ssh-keygen -lf "$(fleet_dir "$1")/hostkey.pub" | awk '{print $2}'; }
marker() { echo "$(fleet_dir "$1")/srv/data/marker"; }
kh="$HOME/.ssh/known_hosts"

fleet_host new1
fleet_host changed
fleet_host hashed
fleet_host pinned
FLEET_ECDSA=1 fleet_host dual
fleet_trust changed
fleet_trust hashed
fleet_trust dual
fb init -w "$WS" >/dev/null
export FIREBREAK_WORKSPACE="$WS"

# changed: known_hosts holds another key for its address
ssh-keygen -q -t ed25519 -N "" -f other
sed -i "s|^\(\[$(cat "$(fleet_dir changed)/addr")\]:[0-9]* \).*|\1$(cut -d" " -f1,2 other.pub)|" "$kh"

test_expect_code 6 'unknown key: refused with its fingerprint, nothing runs' '
	fb fleet exec new1 -- touch /srv/data/marker >out 2>&1; rc=$?;
	grep -q "not known: ssh-ed25519 $(fp new1)" out &&
	grep -q -- "--accept-new" out &&
	[ ! -e "$(marker new1)" ] && exit $rc
'

test_expect_success '--accept-new: runs, records the key, audits it' '
	fb fleet exec new1 --accept-new -- touch /srv/data/marker >out 2>&1 &&
	[ -e "$(marker new1)" ] &&
	grep -q "$(cut -d" " -f2 "$(fleet_dir new1)/hostkey.pub")" "$WS/known_hosts" &&
	fb audit ls --json | jq -r "select(.action==\"fleet.hostkey.accept\")|.object" >a &&
	expect_eq "$(cat a)" new1
'

test_expect_success 'the workspace known_hosts is private in a private workspace' '
	expect_eq "$(stat -c %a "$WS/known_hosts")" 600
'

test_expect_success '--accept-new in a team workspace: known_hosts is the team'"'"'s (0660)' '
	fb init -w "$TEST_TMP/team" --group 0 >/dev/null &&
	FIREBREAK_WORKSPACE="$TEST_TMP/team" fb fleet exec new1 --accept-new -- true >out 2>&1 &&
	expect_eq "$(stat -c %a "$TEST_TMP/team/known_hosts")" 660
'

test_expect_success 'the recorded key is trusted afterwards' '
	rm -f "$(marker new1)" &&
	fb fleet exec new1 -- touch /srv/data/marker &&
	[ -e "$(marker new1)" ]
'

test_expect_code 6 'changed key: refused loudly, the marker proves nothing ran' '
	fb fleet exec changed --accept-new -- touch /srv/data/marker >out 2>&1; rc=$?;
	grep -q "HOST KEY OF .changed. HAS CHANGED" out &&
	grep -q "$(fp changed)" out &&
	[ ! -e "$(marker changed)" ] &&
	expect_eq "$(sqlite3 "$WS/store.db" "SELECT kind||\" \"||host_key FROM remote_exec WHERE host=\"changed\"")" "host_key $(fp changed)" &&
	! grep -q "Accepted publickey" "$(fleet_dir changed)/sshd.log" &&
	exit $rc
'

test_expect_success 'hashed entries, and a bad line never hides the rest' '
	ssh-keygen -q -H -f "$kh" 2>/dev/null && rm -f "$kh.old" &&
	! grep -q "^\[" "$kh" &&
	{ echo "garbage line that is not a key"; echo "@cert-authority * ssh-ed25519 AAAA"; cat "$kh"; } >kh.new &&
	mv kh.new "$kh" &&
	fb fleet exec hashed -- true >out 2>err &&
	expect_grep "skipped 2 unreadable known_hosts lines" err &&
	expect_grep "(exit 0" out
'

test_expect_code 6 '@revoked is honoured' '
	cp "$kh" kh.save &&
	echo "@revoked * $(cut -d" " -f1,2 "$(fleet_dir hashed)/hostkey.pub")" >>"$kh" &&
	fb fleet exec hashed -- touch /srv/data/marker >out 2>&1; rc=$?;
	cp kh.save "$kh";
	grep -q "@revoked" out && [ ! -e "$(marker hashed)" ] && exit $rc
'

test_expect_success 'fb_host_key pin: the right key runs without known_hosts' '
	sed -i "s|^pinned .*|& fb_host_key=$(fp pinned)|" "$FLEET_INV" &&
	fb fleet exec pinned -- touch /srv/data/marker &&
	[ -e "$(marker pinned)" ]
'

test_expect_code 6 'fb_host_key pin: another key is refused' '
	rm -f "$(marker pinned)" &&
	sed -i "s|fb_host_key=[^ ]*|fb_host_key=$(ssh-keygen -lf other.pub | cut -d" " -f2)|" "$FLEET_INV" &&
	fb fleet exec pinned -- touch /srv/data/marker >out 2>&1; rc=$?;
	grep -q "DOES NOT MATCH" out && [ ! -e "$(marker pinned)" ] && exit $rc
'

test_expect_success 'a host with ECDSA and ed25519 keys: the known ed25519 is used' '
	fb fleet exec dual --json -- true >out &&
	expect_eq "$(jq -r .kind out)" ok &&
	expect_eq "$(jq -r .host_key out)" "$(fp dual)"
'

test_expect_success 'ssh-agent is used first' '
	eval "$(ssh-agent -s -a "$TEST_TMP/agent.sock")" >/dev/null &&
	ssh-add -q "$HOME/.ssh/id_ed25519" 2>/dev/null &&
	mv "$HOME/.ssh/id_ed25519" "$HOME/.ssh/moved" &&
	fb fleet exec dual -- true >out 2>&1; rc=$?;
	mv "$HOME/.ssh/moved" "$HOME/.ssh/id_ed25519";
	kill "$SSH_AGENT_PID"; unset SSH_AUTH_SOCK;
	[ $rc -eq 0 ] && expect_grep "(exit 0" out
'

test_expect_code 6 'RSA keys only: an error that explains libssh2s limit' '
	mv "$HOME/.ssh/id_ed25519" "$HOME/.ssh/moved" &&
	ssh-keygen -q -t rsa -b 2048 -N "" -f "$HOME/.ssh/id_rsa" &&
	fb fleet exec dual -- true >out 2>&1; rc=$?;
	mv "$HOME/.ssh/moved" "$HOME/.ssh/id_ed25519"; rm -f "$HOME/.ssh/id_rsa"*;
	grep -q "^== dual: auth: only RSA keys" out && grep -q "SHA-1" out && exit $rc
'

test_done
