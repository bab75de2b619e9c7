-- verify-model-integrity: hash the model versions deployed on the hosts
-- and compare them with the model registry; each mismatch is a finding.
-- Read-only on the hosts.
local P = fb.params
local cjson = require("cjson")

local function sh(host, script, ...)
	local r = fb.exec(host, { "sh", "-c", script, "sh", ... })[host]
	if not r.ok then
		error(("%s: %s"):format(host, r.error or
		    (r.stderr ~= "" and r.stderr or "exit " .. tostring(r.exit))), 0)
	end
	return r
end

-- One "name<TAB>version<TAB>hash" line per version directory ROOT/M/V
-- (links such as ROOT/M/current are skipped; so are names with bytes
-- other than letters, digits, dot, dash and underscore). The hash is the
-- registry's: the file's own SHA-256 when the version holds one file,
-- else the SHA-256 of its sorted sha256sum listing.
local HASH_ALL = 'cd -- "$1" 2>/dev/null || exit 0; ' ..
    'for d in */*/; do d=${d%/}; [ -d "$d" ] && [ ! -L "$d" ] || continue; ' ..
    '[ ! -L "${d%%/*}" ] || continue; ' ..
    'm=${d%%/*}; v=${d#*/}; ' ..
    'case "$m/$v" in *[!A-Za-z0-9._/-]*|.*|*/.*) continue ;; esac; ' ..
    '[ -z "$2" ] || [ "$m" = "$2" ] || continue; ' ..
    'h=$(cd -- "$d" && if [ "$(find . -type f -printf x | wc -c)" -eq 1 ]; ' ..
    'then find . -type f -exec sha256sum -- {} + | cut -c1-64; ' ..
    'else find . -type f -print0 | LC_ALL=C sort -z | ' ..
    'xargs -0r sha256sum -- | sha256sum | cut -c1-64; fi); ' ..
    'printf "%s\\t%s\\t%s\\n" "$m" "$v" "$h"; done'

-- The versions on host whose hash differs from the registry's.
local function mismatches(host)
	local out = sh(host, HASH_ALL, P.root, P.model).stdout
	local bad = {}
	local pos = 1
	while pos <= #out do
		local nl = out:find("\n", pos, true) or #out + 1
		local line = out:sub(pos, nl - 1)
		pos = nl + 1
		-- one line at a time: the sandbox bounds a pattern's work
		local m, v, h = line:match("^([^\t]+)\t([^\t]+)\t(%x+)$")
		local reg = m and fb.model.get(m, v)
		if reg and reg.sha256 ~= h then
			bad[#bad + 1] = { model = m, version = v, got = h,
			    want = reg.sha256, status = reg.status }
		end
	end
	return bad
end

local found = 0

return {
	name = "verify-model-integrity",
	description = "Hash every model version deployed under ROOT/M/V on " ..
	    "the selected hosts (or only model M) and compare it with the " ..
	    "model registry (fb.model.get): a version's hash is its file's " ..
	    "SHA-256 when it holds one file, else the SHA-256 of its sorted " ..
	    "sha256sum listing. Each mismatch becomes a finding (source " ..
	    "playbook:verify-model-integrity, rule model-integrity.mismatch, " ..
	    "high) linked to the host and to the registered and deployed " ..
	    "model hashes, and to the run's case when there is one. " ..
	    "Versions the registry does not know are not judged. Read-only on " ..
	    "the hosts; nothing to undo.",
	params = {
		root = { type = "string", default = "/srv/models", description = "model root" },
		model = { type = "string", default = "",
		    description = "only this model (empty: every model under the root)" },
	},
	steps = {
		{
			name = "hash",
			description = "hash the deployed versions; record each mismatch as a finding",
			check = function(host)
				local bad = mismatches(host)
				if #bad == 0 then return nil end
				local t = {}
				for _, b in ipairs(bad) do
					t[#t + 1] = ("%s %s hashes to %s, registry %s"):format(
					    b.model, b.version, b.got, b.want)
				end
				return "mismatch: " .. table.concat(t, "; ")
			end,
			apply = function(host)
				for _, b in ipairs(mismatches(host)) do
					local path = P.root .. "/" .. b.model .. "/" .. b.version
					local r = fb.finding.add({
						kind = "model",
						rule_id = "model-integrity.mismatch",
						title = ("model %s %s on %s hashes to %s, not the " ..
						    "registered %s"):format(b.model, b.version, host,
						    b.got:sub(1, 12), b.want:sub(1, 12)),
						severity = "high",
						identity = { host = host, model = b.model,
						    version = b.version, sha256 = b.got },
						assets = {
							{ type = "host", value = host, role = "target" },
							{ type = "model", value = "sha256:" .. b.want,
							    role = "registered" },
							{ type = "model", value = "sha256:" .. b.got,
							    role = "deployed" },
							{ type = "file", value = host .. ":" .. path,
							    role = "location" },
						},
						detail = cjson.encode({ host = host, path = path,
						    model = b.model, version = b.version,
						    registered_sha256 = b.want, deployed_sha256 = b.got,
						    registry_status = b.status }),
					})
					if not r then error(host .. ": the finding was not recorded", 0) end
					found = found + 1
					local ok = fb.case.link(r.id, "deployed model differs from the registry")
					if not ok then fb.log("finding", r.id, "not linked: no case") end
				end
			end,
		},
		{
			name = "summary",
			run = function()
				fb.log(("model integrity: %d mismatches recorded this pass on %d hosts")
				    :format(found, #fb.hosts()))
			end,
		},
	},
}
