-- snapshot-evidence: collect volatile data first, then files, from every
-- host into the evidence store of the run's case (run with --case N).
local function list(s)
	local t = {}
	for item in (s or ""):gmatch("[^,]+") do
		item = item:match("^%s*(.-)%s*$")
		if item ~= "" then t[#t + 1] = item end
	end
	return t
end

-- Count each host's evidence items as they are collected.
local items = {}

local function collect(name, argv)
	local hosts = fb.hosts()
	local res = fb.exec(hosts, argv, { evidence = name })
	for _, h in ipairs(hosts) do
		local r = res[h]
		items[h] = items[h] or { n = 0, failed = {} }
		if r.evidence then
			items[h].n = items[h].n + 1
		else
			items[h].failed[#items[h].failed + 1] = name
		end
	end
end

-- A shell script that runs the first of several tools that exists.
local function first_of(...)
	local s = ""
	for _, cmd in ipairs({ ... }) do
		local tool = cmd:match("^(%S+)")
		s = s .. "if command -v " .. tool .. " >/dev/null 2>&1; then " ..
		    cmd .. "; exit $?; fi; "
	end
	return { "sh", "-c", s .. "echo 'none of the tools is installed' >&2; exit 127" }
end

return {
	name = "snapshot-evidence",
	description = "Collect volatile data first (processes, sockets, " ..
	    "logged-in users, GPU processes, containers), then model directory " ..
	    "listings with SHA-256, auth logs and the given files, from every " ..
	    "host into the evidence store of the run's case, with custody; a " ..
	    "per-host summary goes on the case timeline. Changes nothing on " ..
	    "the hosts. Run with --case N.",
	params = {
		model_root = { type = "string", default = "/srv/models",
		    description = "where models are deployed (listed with SHA-256)" },
		paths = { type = "string", default = "",
		    description = "more files to fetch, comma-separated absolute paths" },
		auth_logs = { type = "string",
		    default = "/var/log/auth.log,/var/log/secure",
		    description = "auth logs to fetch when present, comma-separated" },
		max_list = { type = "integer", default = 100000,
		    description = "most files hashed under model_root per host" },
	},
	steps = {
		{
			name = "volatile",
			description = "processes, sockets, users, GPU processes, containers",
			run = function()
				collect("processes", { "ps", "auxwwf" })
				collect("sockets", first_of("ss -tanpu", "netstat -tanpu"))
				collect("users", { "sh", "-c", "who; echo; w" })
				collect("gpu", first_of("nvidia-smi -q -x"))
				collect("containers", { "sh", "-c",
				    "found=0; if command -v docker >/dev/null 2>&1; then " ..
				    "found=1; docker ps -a --no-trunc; fi; if command -v " ..
				    "crictl >/dev/null 2>&1; then found=1; crictl ps -a; fi; " ..
				    "[ $found = 1 ] || echo 'no docker or crictl'" })
			end,
		},
		{
			name = "models",
			description = "model directory listing and SHA-256 of each file",
			run = function()
				local root = fb.params.model_root
				collect("model-listing", { "sh", "-c",
				    'cd -- "$1" 2>/dev/null || { echo "no $1"; exit 0; }; ' ..
				    'ls -laR .', "sh", root })
				collect("model-sha256", { "sh", "-c",
				    'cd -- "$1" 2>/dev/null || exit 0; find . -type f ' ..
				    '-print0 | head -zn "$2" | sort -z | xargs -0r sha256sum --',
				    "sh", root, tostring(fb.params.max_list) })
			end,
		},
		{
			name = "files",
			description = "auth logs and the given paths",
			run = function()
				local want = list(fb.params.auth_logs)
				for _, p in ipairs(list(fb.params.paths)) do
					if p:sub(1, 1) ~= "/" then
						error("path '" .. p .. "' is not absolute", 0)
					end
					want[#want + 1] = p
				end
				for _, h in ipairs(fb.hosts()) do
					items[h] = items[h] or { n = 0, failed = {} }
					for _, p in ipairs(want) do
						local present = fb.exec(h, { "test", "-f", p })[h]
						if present.ok then
							local ev, err = fb.fetch(h, p)
							if ev then
								items[h].n = items[h].n + 1
							else
								items[h].failed[#items[h].failed + 1] = p
								fb.log(h, err)
							end
						end
					end
				end
			end,
		},
		{
			name = "summary",
			run = function()
				for _, h in ipairs(fb.hosts()) do
					local it = items[h] or { n = 0, failed = {} }
					local text = ("snapshot of %s: %d evidence items"):format(h, it.n)
					if #it.failed > 0 then
						text = text .. ", not collected: " .. table.concat(it.failed, ", ")
					end
					fb.log(text)
					local ok, err = fb.case.note(text)
					if not ok and err then fb.log("no case note:", err) end
				end
			end,
		},
	},
}
