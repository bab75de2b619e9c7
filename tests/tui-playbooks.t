#!/bin/sh
# tui-playbooks: the console's playbook view on the loopback fleet. A
# responder picks a playbook, sets its parameters and hosts in the form,
# plans it, runs it, approves it by typing its name in the run's view,
# and undoes it; what each host holds afterwards is read from its own /srv.
. "$FB_SRCDIR/tests/lib.sh"
require_prog tmux
require_prog sqlite3
require_prog jq
fleet_require

for h in pc-1 pc-2; do
	fleet_host $h || { echo "1..0 # cannot start sshd"; exit 1; }
	fleet_trust $h
done
export FIREBREAK_WORKSPACE="$WS"
fb init >/dev/null
q() { sqlite3 "$WS/store.db" "$1"; }
marks() { { cat "$(fleet_dir "$1")/srv/data/marker" 2>/dev/null || :; } | grep -c . || :; }

# The user's playbooks: sorted first, before the shipped ones.
PB="$FB_SRCDIR/tests/fixtures/playbooks"
mkdir -p "$XDG_CONFIG_HOME/firebreak/playbooks"
cp "$PB/bad-decl.lua" "$PB/hostile.lua" "$PB/marker.lua" \
	"$XDG_CONFIG_HOME/firebreak/playbooks/"
# Every character the prompt takes that a shell would act on.
value="-x a b; \$(touch /srv/data/pwned) 'q\" \`id\` | &"

test_expect_success 'the playbooks view lists the user and shipped playbooks' '
	tmux_start 160 40 "exec \"$FB_BIN\" tui playbooks" &&
	tmux_wait "revoke-key" && tmux_capture >pane &&
	grep "hostile" pane | grep -q " no .* 1 .* 1 config .*Write the value" &&
	grep "marker" pane | grep -q " required .* 2 .* 2 config" &&
	grep "bad-decl.lua" pane | grep -q "broken" &&
	grep "revoke-key" pane | grep -q " required .*shipped" &&
	expect_grep "7 Playbooks" pane
'

test_expect_success 'a playbook file added now appears on Ctrl-L' '
	cp "$PB/waits.lua" "$XDG_CONFIG_HOME/firebreak/playbooks/" &&
	tmux_keys C-l && tmux_wait "Wait for approval, then log" &&
	rm "$XDG_CONFIG_HOME/firebreak/playbooks/waits.lua" &&
	tmux_keys C-l && tmux_wait_gone "Wait for approval, then log"
'

test_expect_success 'a broken playbook shows why it does not load' '
	tmux_keys g Enter && tmux_wait "does not load" &&
	tmux_wait "firebreak playbook lint" && tmux_keys Escape &&
	tmux_wait "revoke-key"
'

test_expect_success 'the form shows params, defaults and steps; a missing param blocks x' '
	tmux_keys j Enter && tmux_wait "playbook hostile" && tmux_capture >pane &&
	grep "value" pane | grep -q "string *required *= (not set) *any text" &&
	expect_grep "params  playbook '\''hostile'\'' needs -e value=" pane &&
	expect_grep "1. write (check, apply)" pane &&
	tmux_keys x && tmux_wait "needs -e value" &&
	expect_eq "$(q "SELECT count(*) FROM runs")" 0
'

test_expect_success 'Enter sets a hostile value and the hosts; x runs on pc-1 only' '
	tmux_keys Enter && tmux_wait "value (string) =" &&
	tmux_type "$value" && tmux_keys Enter &&
	tmux_wait "params  {\"value\":" &&
	tmux_keys j Enter && tmux_wait "hosts (pattern) =" &&
	tmux_type pc-1 && tmux_keys Enter &&
	tmux_wait "= pc-1" && tmux_keys x && tmux_wait "run hostile on pc-1 with" &&
	tmux_wait "[y/N]" && tmux_keys y &&
	tmux_wait "Press Enter to return" && tmux_capture >pane &&
	expect_grep "pc-1 *write the value" pane &&
	tmux_keys Enter && tmux_wait "run 1  hostile  done" &&
	printf %s "$value" >expected &&
	cmp expected "$(fleet_dir pc-1)/srv/data/argv" &&
	cmp expected "$(fleet_dir pc-1)/srv/data/quoted" &&
	[ ! -e "$(fleet_dir pc-2)/srv/data/argv" ] &&
	[ ! -e "$(fleet_dir pc-1)/srv/data/pwned" ] &&
	expect_eq "$(q "SELECT params FROM runs WHERE id=1")" \
		"$(printf "%s" "$value" | jq -Rc "{value: .}")"
'

test_expect_success 'Esc goes back to the form, with the values kept' '
	tmux_keys Escape && tmux_wait "playbook hostile" && tmux_capture >pane &&
	expect_grep "= pc-1" pane
'

test_expect_success 'unreachable takes stop or skip only' '
	tmux_keys j j j Enter && tmux_wait "unreachable (stop|skip) =" &&
	tmux_type maybe && tmux_keys Enter && tmux_wait "'"'"'maybe'"'"': stop or skip" &&
	tmux_keys Enter && tmux_wait "unreachable (stop|skip) =" &&
	tmux_type skip && tmux_keys Enter && tmux_wait "= skip " &&
	tmux_keys Escape && tmux_wait "revoke-key"
'

test_expect_success 'd plans marker on every host and changes nothing' '
	tmux_keys g j j Enter && tmux_wait "playbook marker" &&
	tmux_keys j Enter && tmux_wait "line (string) =" &&
	tmux_keys C-u && tmux_type "from the console" && tmux_keys Enter &&
	tmux_wait "\"line\":\"from the console\"" &&
	tmux_keys j j Enter && tmux_wait "forks (number) =" && tmux_type 0 &&
	tmux_keys Enter && tmux_wait "'"'"'0'"'"' is not a number of hosts from 1 to 1000" &&
	tmux_keys Enter && tmux_wait "forks (number) =" && tmux_type 2 &&
	tmux_keys Enter && tmux_wait "= 2                    hosts at once" &&
	tmux_keys d && tmux_wait "plan marker on all (a dry run" &&
	tmux_keys y && tmux_wait "Press Enter to return" && tmux_capture >pane &&
	expect_eq "$(grep -c "append .from the console. to /srv/data/marker" pane)" 2 &&
	tmux_keys Enter && tmux_wait "run 2  marker  planned" &&
	expect_eq "$(marks pc-1)$(marks pc-2)" 00
'

test_expect_success 'x plans, then the run waits for approval; A with the line (confirm = "line") applies once per host' '
	tmux_keys Escape && tmux_wait "playbook marker" &&
	tmux_keys x && tmux_wait "destructive steps wait for approval)? [y/N]" &&
	tmux_keys y && tmux_wait "Press Enter to return" &&
	tmux_keys Enter && tmux_wait "run 3  marker  awaiting-approval" &&
	tmux_wait "awaits approval: A approves it" &&
	expect_eq "$(marks pc-1)$(marks pc-2)" 00 &&
	tmux_keys A && tmux_wait "type '\''from the console'\'' to confirm" &&
	tmux_type marker && tmux_keys Enter && tmux_wait "not confirmed: nothing changed" &&
	expect_eq "$(marks pc-1)$(marks pc-2)" 00 &&
	tmux_keys A && tmux_wait "type '\''from the console'\'' to confirm" &&
	tmux_type "from the console" && tmux_keys Enter &&
	tmux_wait "Press Enter to return" && tmux_keys Enter &&
	tmux_wait "run 3  marker  done" &&
	expect_eq "$(marks pc-1)$(marks pc-2)" 11 &&
	expect_eq "$(cat "$(fleet_dir pc-2)/srv/data/marker")" "from the console"
'

test_expect_success 'U with the name undoes the run on both hosts' '
	tmux_keys U && tmux_wait "type '\''from the console'\'' to confirm" &&
	tmux_type "from the console" && tmux_keys Enter &&
	tmux_wait "Press Enter to return" && tmux_keys Enter &&
	tmux_wait "run 3  marker  undone" &&
	expect_eq "$(marks pc-1)$(marks pc-2)" 00 &&
	tmux_keys Q && tmux_wait_dead
'

applying() { q "SELECT count(*) FROM run_steps WHERE run_id=$1 AND state='applying'"; }
test_expect_success 'Ctrl-C while approving stops between hosts; R finishes the run, once per host' '
	tmux_start 160 40 "exec \"$FB_BIN\" tui playbooks" && tmux_wait "revoke-key" &&
	tmux_keys g j j Enter && tmux_wait "playbook marker" &&
	tmux_keys Enter && tmux_wait "delay (number) =" && tmux_type 2 && tmux_keys Enter &&
	tmux_keys j Enter && tmux_wait "line (string) =" && tmux_type slow && tmux_keys Enter &&
	tmux_keys j j Enter && tmux_wait "forks (number) =" && tmux_type 1 && tmux_keys Enter &&
	tmux_wait "= 1                    hosts at once" &&
	tmux_keys x && tmux_wait "[y/N]" && tmux_keys y &&
	tmux_wait "Press Enter to return" && tmux_keys Enter &&
	tmux_wait "run 4  marker  awaiting-approval" &&
	tmux_keys A && tmux_wait "type '\''slow'\'' to confirm" &&
	tmux_type slow && tmux_keys Enter &&
	i=0; while [ "$(applying 4)" -lt 1 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done;
	tmux_keys C-c && tmux_wait "Stopped: some hosts failed, were not reached or were not started" &&
	tmux_keys Enter && tmux_wait "run 4  marker  interrupted" &&
	expect_eq "$(grep -cx slow "$(fleet_dir pc-1)/srv/data/marker" "$(fleet_dir pc-2)/srv/data/marker" | cut -d: -f2 | tr -d "\n")" 10 &&
	tmux_keys R && tmux_wait "type '\''slow'\'' to confirm" &&
	tmux_type slow && tmux_keys Enter &&
	tmux_wait "Press Enter to return" && tmux_keys Enter &&
	tmux_wait "run 4  marker  done" &&
	expect_eq "$(grep -cx slow "$(fleet_dir pc-1)/srv/data/marker" "$(fleet_dir pc-2)/srv/data/marker" | cut -d: -f2 | tr -d "\n")" 11 &&
	tmux_keys Q && tmux_wait_dead
'

test_done
