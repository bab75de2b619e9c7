#!/bin/sh
# tui-views: the fleet and runs views in the console. No host is reached:
# the inventory's addresses are TEST-NET, facts and a remote_exec row are
# written with sqlite3 as `fleet facts` would store them, and the test
# playbooks never contact a host.
. "$FB_SRCDIR/tests/lib.sh"
require_prog tmux
require_prog sqlite3

PB="$FB_SRCDIR/tests/fixtures/playbooks"
export FIREBREAK_WORKSPACE="$WS"
fb init >/dev/null
q() { sqlite3 "$WS/store.db" "$1"; }

test_expect_success 'without an inventory the fleet view says how to make one' '
	XDG_CONFIG_HOME="$TEST_TMP/noconf" FIREBREAK_INVENTORY= \
	tmux_start 120 30 "exec \"$FB_BIN\" tui fleet" &&
	tmux_wait "no inventory at $TEST_TMP/noconf/firebreak/inventory" &&
	tmux_wait "FIREBREAK_INVENTORY" && tmux_keys Q && tmux_wait_dead
'

printf '[gpu]\ngpu-1 ansible_host=192.0.2.1\ngpu-2 ansible_host=192.0.2.2 ansible_port=2222\n' >inv
export FIREBREAK_INVENTORY="$TEST_TMP/inv"
# gpu-1's facts and GPU, in the shape fleet_facts_host_json and
# fleet_gpu_json write; gpu-2 has none and its last command failed.
q "INSERT INTO assets(type,value,attributes) VALUES
 ('host','gpu-1','{\"host\":\"gpu-1\",\"facts_time\":\"2026-11-26T09:15:00Z\",\"os\":\"Debian GNU/Linux 12\",\"kernel\":\"6.1.0-27-amd64\",\"uptime_s\":3600,\"gpus\":[\"GPU-aaaa\"]}'),
 ('gpu','GPU-aaaa','{\"host\":\"gpu-1\",\"uuid\":\"GPU-aaaa\",\"name\":\"NVIDIA H200\",\"bus_id\":\"00000000:19:00.0\",\"memory_total\":\"143771 MiB\",\"memory_used\":\"70001 MiB\",\"mig_mode\":\"Disabled\",\"processes\":[{\"pid\":4242,\"name\":\"python3 train.py\",\"type\":\"C\",\"used_memory\":\"69990 MiB\"}]}')"
q "INSERT INTO remote_exec(batch,actor,host,address,port,user,command,kind,error,start_time,end_time,duration_ms)
 VALUES ('b1','t','gpu-1','192.0.2.1',22,'root','true','ok',NULL,'2026-11-26T09:14:59Z','2026-11-26T09:15:00Z',10),
 ('b1','t','gpu-2','192.0.2.2',2222,'root','true','unreachable','connection refused','2026-11-26T09:14:59Z','2026-11-26T09:15:01Z',10)"

test_expect_success ':fleet lists the inventory with reachability and facts' '
	tmux_start 120 30 "exec \"$FB_BIN\" tui" && tmux_wait "Dashboard" &&
	tmux_keys : && tmux_type fleet && tmux_keys Enter &&
	tmux_wait "2 hosts" && tmux_capture >pane &&
	grep "gpu-1" pane | grep -q "reachable .* 1 .*Debian GNU/Linux 12 / 6.1.0-27-amd64" &&
	grep "gpu-2" pane | grep -q "192.0.2.2:2222 *unreachable .*no facts yet"
'

test_expect_success 'Enter shows the host: its GPU and the tenant process' '
	tmux_keys Enter && tmux_wait "host gpu-1" &&
	tmux_wait "NVIDIA H200" && tmux_capture >pane &&
	expect_grep "GPU 00000000:19:00.0" pane &&
	expect_grep "memory 70001 MiB of 143771 MiB, MIG Disabled" pane &&
	grep "4242" pane | grep -q "python3 train.py" &&
	tmux_keys Escape && tmux_wait "2 hosts"
'

test_expect_success 'a run of the escape playbook is listed with its steps' '
	fb playbook run -e how=check "$PB/escape.lua" >/dev/null &&
	sha=$(q "SELECT substr(plan_sha256,1,12) FROM runs WHERE id=1") &&
	tmux_keys 6 && tmux_wait "PLAYBOOK" && tmux_wait escape &&
	tmux_capture | grep " 1 *done *escape" | grep -q "$sha" &&
	tmux_keys Enter && tmux_wait "Steps x hosts" && tmux_capture >pane &&
	expect_grep "step 1: look" pane && expect_grep "step 2: try" pane &&
	grep -q "gpu-1  *unchanged" pane && grep -q "gpu-2  *unchanged" pane &&
	expect_grep "log(" pane &&
	tmux_keys Escape
'

test_expect_success 'a run awaiting approval: the wrong name approves nothing' '
	{ fb playbook run "$PB/waits.lua" >/dev/null; [ $? -eq 5 ]; } &&
	tmux_wait "awaiting-approval" &&
	tmux_keys g A && tmux_wait "type '\''waits'\'' to confirm" &&
	tmux_type "escape" && tmux_keys Enter && tmux_wait "not confirmed" &&
	expect_eq "$(q "SELECT state FROM runs WHERE id=2")" awaiting-approval
'

test_expect_success 'A with the playbook name approves through the engine' '
	tmux_keys A && tmux_wait "type '\''waits'\'' to confirm" &&
	tmux_type "waits" && tmux_keys Enter &&
	tmux_wait "Press Enter to return" && tmux_keys Enter &&
	tmux_wait "PLAYBOOK" &&
	expect_eq "$(q "SELECT state FROM runs WHERE id=2")" done &&
	expect_eq "$(q "SELECT count(*) FROM run_steps WHERE run_id=2 AND state=\"done\"")" 2
'

test_expect_success 'X aborts a waiting run after a confirmation' '
	{ fb playbook run "$PB/waits.lua" >/dev/null; [ $? -eq 5 ]; } &&
	tmux_wait "awaiting-approval" && tmux_keys g Enter &&
	tmux_wait "A approves" && tmux_keys X && tmux_wait "reason" &&
	tmux_type "not now" && tmux_keys Enter && tmux_wait "[y/N]" &&
	tmux_keys y && tmux_wait "run 3 aborted" &&
	expect_eq "$(q "SELECT state FROM runs WHERE id=3")" aborted
'

test_expect_success 'R on a finished run changes nothing and says why' '
	tmux_keys Escape && tmux_wait "PLAYBOOK" && tmux_keys G R &&
	tmux_wait "run 1 is done: '\''resume an interrupted or failed run'\'' does not apply" &&
	expect_eq "$(q "SELECT state FROM runs WHERE id=1")" done
'

test_expect_success 'E in the case view exports a bundle that verify accepts' '
	fb case new "gpu-1 tenant escape" --severity high >/dev/null &&
	tmux_keys : && tmux_type "case 1" && tmux_keys Enter &&
	tmux_wait "Incident clocks" && tmux_keys E &&
	tmux_wait "export to (.tar.zst, .tar.gz or .zip): case-1.tar.zst" &&
	tmux_keys Enter && tmux_wait "export case #1 as an evidence bundle to case-1.tar.zst? [y/N]" &&
	tmux_keys y && tmux_wait "case #1 exported" &&
	expect_grep "wrote case-1.tar.zst" "$TEST_TMP/pane" &&
	fb verify "$TEST_TMP/case-1.tar.zst" >out &&
	expect_eq "$(q "SELECT count(*) FROM audit WHERE action=\"case.export\"")" 1
'

test_done
