-- quarantine-model: take model M version V out of service on the selected
-- hosts, keeping its bytes (mode 000) and their hashes as evidence.
local P = fb.params

local function sh(host, script, ...)
	local r = fb.exec(host, { "sh", "-c", script, "sh", ... })[host]
	if not r.ok then
		error(("%s: %s"):format(host, r.error or
		    (r.stderr ~= "" and r.stderr or "exit " .. tostring(r.exit))), 0)
	end
	return r
end

local function dirs()
	local m = P.root .. "/" .. P.model
	return {
		model = m,
		version = m .. "/" .. P.version,
		link = m .. "/" .. P.link,
		qdir = P.quarantine .. "/" .. P.model,
		q = P.quarantine .. "/" .. P.model .. "/" .. P.version,
		manifest = P.quarantine .. "/" .. P.model .. "/" .. P.version .. ".sha256",
	}
end

-- The SHA-256 of a version, as the model registry records it: the file's
-- own hash when the version holds one file (firebreak model register NAME
-- VERSION FILE), else the hash of its sorted "sha256sum" listing.
local HASH_DIR = 'cd -- "$1" && if [ "$(find . -type f -printf x | wc -c)" -eq 1 ]; ' ..
    'then find . -type f -exec sha256sum -- {} + | cut -c1-64; ' ..
    'else find . -type f -print0 | LC_ALL=C sort -z | ' ..
    'xargs -0r sha256sum -- | sha256sum | cut -c1-64; fi'

local function names_ok()
	for _, k in ipairs({ "model", "version", "link" }) do
		local v = P[k]
		if v == "" or v:find("/", 1, true) or v == "." or v == ".." then
			error(k .. " must be a plain name, not '" .. v .. "'", 0)
		end
	end
	if P.safe_version ~= "" and (P.safe_version:find("/", 1, true) or
	    P.safe_version == P.version) then
		error("safe_version must be a plain name other than version", 0)
	end
end

-- The safe version's expected hash: the registry's when there is one,
-- else the safe_sha256 param; nil when neither is known.
local function expected_safe_hash()
	local ok, m = pcall(fb.model.get, P.model, P.safe_version)
	if ok and type(m) == "table" and m.sha256 then
		return m.sha256
	end
	if P.safe_sha256 ~= "" then return P.safe_sha256 end
	return nil
end

return {
	name = "quarantine-model",
	confirm = "model",
	description = "For model M version V on the selected hosts: record the " ..
	    "SHA-256 of the deployed files as evidence, move them to a " ..
	    "quarantine directory with mode 000, repoint the serving link to a " ..
	    "named safe version if given (only if that version's hash matches " ..
	    "the registry, or safe_sha256 while there is no registry), mark V " ..
	    "quarantined in the registry, then verify that nothing under the " ..
	    "model root serves the quarantined files. Models live in " ..
	    "ROOT/M/V/ with a serving link ROOT/M/current. Undo moves V back " ..
	    "and the link to V.",
	params = {
		model = { type = "string", required = true, description = "model name M" },
		version = { type = "string", required = true, description = "version V" },
		root = { type = "string", default = "/srv/models", description = "model root" },
		quarantine = { type = "string", default = "/srv/quarantine",
		    description = "where quarantined versions go" },
		link = { type = "string", default = "current",
		    description = "the serving link in ROOT/M" },
		safe_version = { type = "string", default = "",
		    description = "version to serve instead (empty: leave the link)" },
		safe_sha256 = { type = "string", default = "",
		    description = "the safe version's expected hash when there is no registry" },
	},
	steps = {
		{
			name = "record",
			description = "SHA-256 of each deployed file, as evidence",
			run = function()
				names_ok()
				local d = dirs()
				local hosts = fb.hosts()
				fb.exec(hosts, { "sh", "-c",
				    'cd -- "$1" 2>/dev/null || { echo "no $1"; exit 0; }; ' ..
				    'find . -type f -print0 | sort -z | xargs -0r sha256sum --',
				    "sh", d.version }, { evidence = P.model .. "-" .. P.version .. "-sha256" })
			end,
		},
		{
			name = "quarantine",
			destructive = true,
			description = "move V to the quarantine directory, mode 000",
			check = function(host)
				names_ok()
				local d = dirs()
				local r = sh(host, 'if [ -d "$1" ] && [ ! -L "$1" ]; then echo move; ' ..
				    'elif [ -e "$2" ]; then echo done; else echo missing; fi',
				    d.version, d.q)
				local s = r.stdout:match("^(%a+)")
				if s == "move" then
					return "move " .. d.version .. " to " .. d.q .. " (mode 000)"
				elseif s == "missing" then
					error(host .. ": no " .. d.version .. " and nothing quarantined", 0)
				end
				return nil
			end,
			apply = function(host)
				local d = dirs()
				sh(host, 'set -e; mkdir -p -- "$3"; (cd -- "$1" && find . -type f ' ..
				    '-print0 | sort -z | xargs -0r sha256sum --) > "$4.tmp"; ' ..
				    'mv -- "$4.tmp" "$4"; mv -T -- "$1" "$2"; ' ..
				    'find "$2" -type f -exec chmod 000 {} +; chmod 000 -- "$2"',
				    d.version, d.q, d.qdir, d.manifest)
			end,
			undo = function(host)
				local d = dirs()
				sh(host, 'set -e; chmod 700 -- "$2"; find "$2" -type f -exec ' ..
				    'chmod 644 {} +; chmod 755 -- "$2"; mv -T -- "$2" "$1"; ' ..
				    'rm -f -- "$3"', d.version, d.q, d.manifest)
			end,
		},
		{
			name = "repoint",
			destructive = true,
			description = "serve the safe version, if one is named",
			check = function(host)
				if P.safe_version == "" then return nil end
				local d = dirs()
				local cur = sh(host, 'readlink -- "$1" || :', d.link).stdout:gsub("%s+$", "")
				if cur == P.safe_version or cur == d.model .. "/" .. P.safe_version then
					return nil
				end
				return ("repoint %s from '%s' to '%s'"):format(d.link, cur, P.safe_version)
			end,
			apply = function(host)
				local d = dirs()
				local want = expected_safe_hash()
				if not want then
					error("no registry and no safe_sha256: the safe version's " ..
					    "hash cannot be verified", 0)
				end
				local got = sh(host, HASH_DIR, d.model .. "/" .. P.safe_version).stdout:gsub("%s+$", "")
				if got ~= want then
					error(("%s: %s/%s hashes to %s, expected %s"):format(host,
					    d.model, P.safe_version, got, want), 0)
				end
				sh(host, 'set -e; ln -sfn -- "$2" "$1.fb-new"; mv -T -- "$1.fb-new" "$1"',
				    d.link, P.safe_version)
			end,
			undo = function(host)
				local d = dirs()
				sh(host, 'set -e; ln -sfn -- "$2" "$1.fb-new"; mv -T -- "$1.fb-new" "$1"',
				    d.link, P.version)
			end,
		},
		{
			name = "registry",
			description = "mark V quarantined in the model registry",
			run = function()
				-- An unregistered version returns nil and why; a bad
				-- call raises. Either way the hosts stay quarantined.
				local ok, res, why = pcall(fb.model.set_status, P.model,
				    P.version, "quarantined")
				local err = not ok and res or (res == nil and why) or nil
				if err then
					fb.log("registry not updated:", err)
					fb.case.note(("model %s %s quarantined on the hosts; registry " ..
					    "not updated: %s"):format(P.model, P.version, tostring(err)))
				end
			end,
		},
		{
			name = "verify",
			description = "nothing under the model root has a quarantined file's hash",
			run = function()
				local d = dirs()
				local hosts = fb.hosts()
				local res = fb.exec(hosts, { "sh", "-c",
				    '[ -f "$2" ] || { echo "no manifest $2" >&2; exit 3; }; ' ..
				    'cut -c1-64 "$2" | sort -u > "$2.want"; ' ..
				    'find -L "$1" -type f -print0 2>/dev/null | xargs -0r sha256sum -- ' ..
				    '| cut -c1-64 | sort -u | comm -12 - "$2.want"; rm -f "$2.want"',
				    "sh", P.root, d.manifest })
				local bad = {}
				for _, h in ipairs(hosts) do
					local r = res[h]
					if not r.ok then
						bad[#bad + 1] = h .. " (" .. (r.error or r.stderr) .. ")"
					elseif r.stdout ~= "" then
						bad[#bad + 1] = h .. " still serves " .. r.stdout:gsub("\n", " ")
					end
				end
				if #bad > 0 then
					error("verify failed: " .. table.concat(bad, "; "), 0)
				end
				fb.log("verified: no host serves a quarantined file")
			end,
		},
	},
}
