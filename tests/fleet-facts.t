#!/bin/sh
# fleet facts: OS, kernel, uptime, clock offset and nvidia-smi -q -x GPU
# facts (real H200 output and a project-owned two-GPU file), as assets.
. "$(dirname "$0")/lib.sh"
require_prog jq
require_prog sqlite3
require_prog python3
require_fixtures
fleet_require

gpu="$FIREBREAK_FIXTURES/gpu"
[ -f "$gpu/q-busy.xml" ] || skip_file "GPU fixtures missing"
fleet_host h200 "$gpu/q-busy.xml"
fleet_host a100 "$FB_SRCDIR/tests/fixtures/fleet/gpu-2x.xml"
fleet_host cpu
for h in h200 a100 cpu; do fleet_trust $h; done
fb init -w "$WS" >/dev/null
export FIREBREAK_WORKSPACE="$WS"

# The oracle: Python's own XML parser over the same files.
oracle() {
	python3 - "$1" "$2" <<'PY'
import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
g = [g for g in r.findall("gpu") if g.findtext("uuid") == sys.argv[2]][0]
print(g.findtext("product_name"), g.findtext("serial"),
      g.findtext("pci/pci_bus_id"), g.findtext("mig_mode/current_mig"),
      len(g.findall("processes/process_info")),
      " ".join(p.findtext("pid") for p in g.findall("processes/process_info")))
PY
}
asset() {
	sqlite3 "$WS/store.db" "SELECT json_extract(attributes,'\$.name')||' '||json_extract(attributes,'\$.serial')||' '||json_extract(attributes,'\$.bus_id')||' '||json_extract(attributes,'\$.mig_mode')||' '||json_array_length(attributes,'\$.processes')||' '||coalesce((SELECT group_concat(json_extract(value,'\$.pid'),' ') FROM json_each(attributes,'\$.processes')),'') FROM assets WHERE type='gpu' AND value='$1'"
}

test_expect_success 'facts from three hosts' '
	fb fleet facts all >out 2>err &&
	expect_grep "3 hosts, 3 ok" err &&
	expect_grep "^h200 .*1 x NVIDIA H200, 2 processes" out &&
	expect_grep "^a100 .*2 x NVIDIA A100-SXM4-80GB, 2 processes" out
'

test_expect_success 'the H200 and its tenants, as nvidia-smi said' '
	u=$(python3 -c "import xml.etree.ElementTree as E;print(E.parse(\"$gpu/q-busy.xml\").getroot().find(\"gpu\").findtext(\"uuid\"))") &&
	expect_eq "$(asset "$u")" "$(oracle "$gpu/q-busy.xml" "$u")" &&
	expect_eq "$(sqlite3 "$WS/store.db" "SELECT json_extract(attributes,\"\$.host\") FROM assets WHERE value=\"$u\"")" h200
'

test_expect_success 'two GPUs with MIG on one, from the project fixture' '
	x="$FB_SRCDIR/tests/fixtures/fleet/gpu-2x.xml" &&
	for u in GPU-00000000-1111-2222-3333-444444444401 GPU-00000000-1111-2222-3333-444444444402; do
		expect_eq "$(asset $u)" "$(oracle "$x" $u)" || return 1
	done
'

test_expect_success 'host facts: kernel, OS, uptime, clock offset, GPU list' '
	sqlite3 "$WS/store.db" "SELECT attributes FROM assets WHERE type=\"host\" AND value=\"a100\"" >h &&
	expect_eq "$(jq -r .kernel h)" "$(uname -sr)" &&
	expect_eq "$(jq -r .hostname h)" a100 &&
	expect_eq "$(jq -r .os h)" "$(sed -n "s/^PRETTY_NAME=//p" /etc/os-release | tr -d \")" &&
	[ "$(jq -r .uptime_s h)" -gt 0 ] &&
	off=$(jq -r .clock_offset_ms h) && [ "${off#-}" -lt 2000 ] &&
	expect_eq "$(jq -r ".gpus|length" h)" 2 &&
	expect_eq "$(jq -r .host_key h)" "$(ssh-keygen -lf "$(fleet_dir a100)/hostkey.pub" | cut -d" " -f2)"
'

test_expect_success 'a host whose nvidia-smi fails says so' '
	sqlite3 "$WS/store.db" "SELECT attributes FROM assets WHERE type=\"host\" AND value=\"cpu\"" >h &&
	expect_eq "$(jq -r .gpu_state h)" error &&
	expect_grep "^cpu .*error: nvidia-smi XML" out
'

test_expect_success 'a tenant name with a bidi override survives, as JSON' '
	fb fleet facts a100 --json >j &&
	expect_eq "$(jq -r ".gpus[0].processes[1].name" j)" "$(printf "miner\342\200\256exe.txt")"
'

test_expect_success 'idle now: facts are replaced, not appended' '
	cp "$gpu/q-idle.xml" "$(fleet_dir h200)/srv/gpu.xml" &&
	fb fleet facts h200 --json >j &&
	expect_eq "$(jq -r ".gpus[0].processes|length" j)" 0 &&
	u=$(jq -r ".gpus[0].uuid" j) &&
	expect_eq "$(asset "$u")" "$(oracle "$gpu/q-idle.xml" "$u")"
'

test_expect_success 'facts are commands: remote_exec rows and an audit row' '
	expect_eq "$(sqlite3 "$WS/store.db" "SELECT count(*) FROM remote_exec WHERE command=\"(fleet facts)\"")" 5 &&
	expect_eq "$(fb audit ls --json | jq -s "map(select(.action==\"fleet.facts\"))|length")" 3
'

test_done
