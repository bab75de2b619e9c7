# fleet-lib.sh: a loopback fleet of real OpenSSH sshd hosts, for the fleet
# and playbook tests (sourced by lib.sh; nothing runs until called).
#
#   fleet_require             skip (or fail under FIREBREAK_REQUIRE_ALL) unless
#                             root, sshd, ssh-keygen and unshare are here;
#                             creates the client key and the login user
#   fleet_host NAME [GPUXML]  start host NAME: its own sshd on its own
#                             127.x.y.z address, its own /srv and a fake
#                             nvidia-smi printing GPUXML (in its own mount
#                             namespace); adds it to the inventory
#   fleet_trust NAME          put NAME's host key in ~/.ssh/known_hosts
#   fleet_shared N PREFIX     one sshd, N inventory hosts PREFIX-01.. behind it
#   fleet_down NAME           an inventory host with nothing listening
#   fleet_dir NAME            the host's directory (its /srv is $(fleet_dir)/srv)
#   FLEET_ECDSA=1             hosts started now also get an ECDSA host key
#
# The inventory is $FLEET_INV (exported as FIREBREAK_INVENTORY). Hosts log
# in as the throwaway user fbfleet (shell /bin/sh: no ~/.bashrc cost); its
# home is /srv/home, so each host has its own. Every sshd is stopped at exit.

FLEET_USER=fbfleet
FLEET_NEXT=1

fleet_require() {
	[ "$(id -u)" = 0 ] ||
		skip_file "the loopback fleet needs root (sshd, mount namespaces)"
	[ -x /usr/sbin/sshd ] || skip_file "sshd not installed (openssh-server)"
	require_prog ssh-keygen
	require_prog unshare
	FLEET_DIR="$TEST_TMP/fleet"
	FLEET_INV="$FLEET_DIR/inventory"
	export FIREBREAK_INVENTORY="$FLEET_INV"
	mkdir -p "$FLEET_DIR" "$HOME/.ssh" /run/sshd
	chmod 700 "$HOME/.ssh"
	: >"$FLEET_INV"
	# A network of our own (from the pid) so test files can run at once.
	FLEET_NET="127.$(($$ % 250 + 1)).$(($$ / 250 % 250 + 1))"
	FLEET_PORT=$((22000 + $$ % 20000))
	if ! id "$FLEET_USER" >/dev/null 2>&1; then
		useradd -r -M -d /srv/home -s /bin/sh "$FLEET_USER" 2>/dev/null ||
			id "$FLEET_USER" >/dev/null 2>&1 ||
			skip_file "cannot create the user $FLEET_USER"
	fi
	# '!' (locked) makes sshd refuse even key logins without PAM.
	usermod -p '*' "$FLEET_USER" 2>/dev/null || :
	unset SSH_AUTH_SOCK
	[ -f "$HOME/.ssh/id_ed25519" ] ||
		ssh-keygen -q -t ed25519 -N '' -C fleet-test -f "$HOME/.ssh/id_ed25519"
	at_exit fleet_stop_all
}

fleet_dir() { printf '%s\n' "$FLEET_DIR/hosts/$1"; }

fleet_stop_all() {
	local p
	for p in "$FLEET_DIR"/hosts/*/sshd.pid; do
		[ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
	return 0
}

# fleet_sshd DIR ADDR PORT: start one sshd in its own mount namespace.
fleet_sshd() {
	local d extra i
	d=$1
	mkdir -p "$d/srv/ssh" "$d/srv/home" "$d/srv/data" "$d/bin"
	[ -f "$d/hostkey" ] ||
		ssh-keygen -q -t ed25519 -N '' -C "host" -f "$d/hostkey"
	extra=
	if [ -n "${FLEET_ECDSA:-}" ]; then
		[ -f "$d/hostkey-ecdsa" ] ||
			ssh-keygen -q -t ecdsa -N '' -f "$d/hostkey-ecdsa"
		extra="HostKey $d/hostkey-ecdsa"
	fi
	cp "$HOME/.ssh/id_ed25519.pub" "$d/srv/ssh/authorized_keys"
	chmod 755 "$d" "$d/srv" "$d/srv/ssh" "$d/bin"
	chmod 644 "$d/srv/ssh/authorized_keys"
	chown "$FLEET_USER" "$d/srv/home" "$d/srv/data"
	cat >"$d/bin/nvidia-smi" <<'EOF'
#!/bin/sh
# fake nvidia-smi: prints this host's fixture
if [ -f /srv/gpu.xml ]; then cat /srv/gpu.xml; exit 0; fi
echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver." >&2
exit 9
EOF
	chmod 755 "$d/bin/nvidia-smi"
	cat >"$d/sshd_config" <<EOF
Port $3
ListenAddress $2
HostKey $d/hostkey
$extra
PidFile $d/sshd.pid
AuthorizedKeysFile /srv/ssh/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
Subsystem sftp internal-sftp
UseDNS no
PrintMotd no
PrintLastLog no
LogLevel VERBOSE
EOF
	rm -f "$d/sshd.pid"
	unshare --mount --uts --propagation private sh -c \
		"hostname '$(basename "$d")' && mount --bind '$d/srv' /srv && mount --bind '$d/bin' /usr/local/bin && exec /usr/sbin/sshd -f '$d/sshd_config' -E '$d/sshd.log'" ||
		return 1
	i=0
	while [ ! -s "$d/sshd.pid" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -s "$d/sshd.pid" ] || { cat "$d/sshd.log"; return 1; }
}

fleet_host() {
	local n d
	n=$FLEET_NEXT
	FLEET_NEXT=$((FLEET_NEXT + 1))
	d="$FLEET_DIR/hosts/$1"
	mkdir -p "$d/srv"
	echo "$1" >"$d/srv/hostname"
	[ -n "${2:-}" ] && cp "$2" "$d/srv/gpu.xml"
	echo "$FLEET_NET.$n" >"$d/addr"
	echo "$FLEET_PORT" >"$d/port"
	fleet_sshd "$d" "$FLEET_NET.$n" "$FLEET_PORT" || return 1
	echo "$1 ansible_host=$FLEET_NET.$n ansible_port=$FLEET_PORT ansible_user=$FLEET_USER" >>"$FLEET_INV"
}

fleet_trust() {
	local d
	d="$FLEET_DIR/hosts/$1"
	echo "[$(cat "$d/addr")]:$(cat "$d/port") $(cut -d' ' -f1,2 "$d/hostkey.pub")" \
		>>"$HOME/.ssh/known_hosts"
}

fleet_shared() {
	local n d i
	n=$FLEET_NEXT
	FLEET_NEXT=$((FLEET_NEXT + 1))
	d="$FLEET_DIR/hosts/shared-$2"
	mkdir -p "$d/srv"
	echo "$FLEET_NET.$n" >"$d/addr"
	echo "$FLEET_PORT" >"$d/port"
	fleet_sshd "$d" "$FLEET_NET.$n" "$FLEET_PORT" || return 1
	echo "[$FLEET_NET.$n]:$FLEET_PORT $(cut -d' ' -f1,2 "$d/hostkey.pub")" \
		>>"$HOME/.ssh/known_hosts"
	echo "[$2]" >>"$FLEET_INV"
	i=1
	while [ $i -le "$1" ]; do
		printf '%s-%02d ansible_host=%s ansible_port=%s ansible_user=%s\n' \
			"$2" $i "$FLEET_NET.$n" "$FLEET_PORT" "$FLEET_USER" >>"$FLEET_INV"
		i=$((i + 1))
	done
	echo "[ungrouped]" >>"$FLEET_INV"
}

fleet_down() {
	# An address of our network where nothing listens.
	echo "$1 ansible_host=$FLEET_NET.250 ansible_port=$FLEET_PORT ansible_user=$FLEET_USER" >>"$FLEET_INV"
}
