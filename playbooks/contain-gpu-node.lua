-- contain-gpu-node: snapshot, then drain the node through the scheduler
-- (Slurm or Kubernetes, or a command of your own), optionally kill GPU
-- processes that are not on an allow list. Undo resumes the node.
local P = fb.params

local DRAINED = 'if command -v scontrol >/dev/null 2>&1; then ' ..
    'scontrol show node "$1" | grep -q "State=[A-Z+]*DRAIN"; ' ..
    'elif command -v kubectl >/dev/null 2>&1; then ' ..
    '[ "$(kubectl get node "$1" -o jsonpath={.spec.unschedulable})" = true ]; ' ..
    'else echo "no scontrol or kubectl" >&2; exit 2; fi'
local DRAIN = 'if command -v scontrol >/dev/null 2>&1; then ' ..
    'scontrol update NodeName="$1" State=DRAIN Reason="$2"; ' ..
    'elif command -v kubectl >/dev/null 2>&1; then kubectl cordon "$1"; ' ..
    'else echo "no scontrol or kubectl" >&2; exit 127; fi'
local RESUME = 'if command -v scontrol >/dev/null 2>&1; then ' ..
    'scontrol update NodeName="$1" State=RESUME; ' ..
    'elif command -v kubectl >/dev/null 2>&1; then kubectl uncordon "$1"; ' ..
    'else echo "no scontrol or kubectl" >&2; exit 127; fi'

local function node(host)
	return P.node ~= "" and P.node or host
end

local function sh(host, script, ...)
	local r = fb.exec(host, { "sh", "-c", script, "sh", ... })[host]
	return r
end

local function must(host, r, what)
	if not r.ok then
		error(("%s: %s: %s"):format(host, what, r.error or
		    (r.stderr ~= "" and r.stderr or "exit " .. tostring(r.exit))), 0)
	end
	return r
end

-- GPU processes (pid name) not on the allow list.
local function intruders(host)
	local r = must(host, sh(host, 'nvidia-smi --query-compute-apps=pid,process_name ' ..
	    '--format=csv,noheader'), "nvidia-smi")
	local allow = {}
	for a in P.allow:gmatch("[^,%s]+") do allow[a] = true end
	local out = {}
	for pid, name in r.stdout:gmatch("(%d+),%s*([^\n]+)") do
		local base = name:match("([^/]+)$") or name
		if not allow[base] then out[#out + 1] = pid .. " " .. base end
	end
	return out
end

return {
	name = "contain-gpu-node",
	description = "Contain GPU nodes: snapshot processes and GPU state as " ..
	    "evidence first, then drain each node through the scheduler " ..
	    "(Slurm: scontrol update NodeName=... State=DRAIN Reason=...; " ..
	    "Kubernetes: kubectl cordon; or drain_command), optionally kill GPU " ..
	    "processes whose names are not on the allow list. The commands get " ..
	    "the node name as $1 and the reason as $2. Undo resumes the node " ..
	    "(scontrol State=RESUME, kubectl uncordon, or resume_command).",
	params = {
		node = { type = "string", default = "",
		    description = "the scheduler's node name (default: the inventory name)" },
		reason = { type = "string", default = "firebreak containment",
		    description = "the drain reason" },
		drain_command = { type = "string", default = DRAIN,
		    description = "drains node $1 with reason $2" },
		drained_command = { type = "string", default = DRAINED,
		    description = "exits 0 when node $1 is already drained" },
		resume_command = { type = "string", default = RESUME,
		    description = "resumes node $1 (undo)" },
		kill_gpu_processes = { type = "boolean", default = false,
		    description = "kill GPU processes not on the allow list" },
		allow = { type = "string", default = "",
		    description = "process names allowed on the GPUs, comma-separated" },
	},
	steps = {
		{
			name = "snapshot",
			run = function()
				local hosts = fb.hosts()
				fb.exec(hosts, { "ps", "auxwwf" }, { evidence = "processes" })
				fb.exec(hosts, { "sh", "-c", "nvidia-smi -q -x" }, { evidence = "gpu" })
			end,
		},
		{
			name = "drain",
			destructive = true,
			check = function(host)
				local r = sh(host, P.drained_command, node(host))
				if r.ok then return nil end
				if r.kind ~= "ok" then must(host, r, "drained_command") end
				return ("drain %s (%s)"):format(node(host), P.reason)
			end,
			apply = function(host)
				must(host, sh(host, P.drain_command, node(host), P.reason), "drain")
			end,
			undo = function(host)
				must(host, sh(host, P.resume_command, node(host)), "resume")
			end,
		},
		{
			name = "kill",
			destructive = true,
			check = function(host)
				if not P.kill_gpu_processes then return nil end
				local list = intruders(host)
				if #list == 0 then return nil end
				return "kill GPU processes: " .. table.concat(list, ", ")
			end,
			apply = function(host)
				local pids = {}
				for _, e in ipairs(intruders(host)) do
					pids[#pids + 1] = e:match("^(%d+)")
				end
				if #pids > 0 then
					local argv = { "kill", "-TERM", "--" }
					for _, p in ipairs(pids) do argv[#argv + 1] = p end
					must(host, fb.exec(host, argv)[host], "kill")
				end
			end,
		},
	},
}
