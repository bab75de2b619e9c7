-- rollback-model: serve an earlier version of model M after checking its
-- files against the registry (or an expected hash), restart, verify.
local P = fb.params

local function sh(host, script, ...)
	local r = fb.exec(host, { "sh", "-c", script, "sh", ... })[host]
	if not r.ok then
		error(("%s: %s"):format(host, r.error or
		    (r.stderr ~= "" and r.stderr or "exit " .. tostring(r.exit))), 0)
	end
	return r
end

-- The SHA-256 of a version, as the model registry records it: the file's
-- own hash when the version holds one file (firebreak model register NAME
-- VERSION FILE), else the hash of its sorted "sha256sum" listing.
local HASH_DIR = 'cd -- "$1" && if [ "$(find . -type f -printf x | wc -c)" -eq 1 ]; ' ..
    'then find . -type f -exec sha256sum -- {} + | cut -c1-64; ' ..
    'else find . -type f -print0 | LC_ALL=C sort -z | ' ..
    'xargs -0r sha256sum -- | sha256sum | cut -c1-64; fi'

local function plain(k)
	local v = P[k]
	if v == "" or v:find("/", 1, true) or v == "." or v == ".." then
		error(k .. " must be a plain name, not '" .. v .. "'", 0)
	end
	return v
end

local function paths()
	local m = P.root .. "/" .. plain("model")
	return { model = m, link = m .. "/" .. plain("link"),
	    target = m .. "/" .. plain("to_version"),
	    previous = m .. "/." .. P.link .. ".fb-previous" }
end

local function expected()
	local ok, m = pcall(fb.model.get, P.model, P.to_version)
	if ok and type(m) == "table" and m.sha256 then return m.sha256 end
	if P.expected_sha256 ~= "" then return P.expected_sha256 end
	error("no registry and no expected_sha256: the version's files cannot be checked", 0)
end

return {
	name = "rollback-model",
	confirm = "model",
	description = "Repoint model M's serving link (ROOT/M/current) to an " ..
	    "earlier version only after that version's files hash to what the " ..
	    "registry (or expected_sha256, while there is no registry) says, run " ..
	    "the service's restart command, and verify the expected hash is " ..
	    "live. Undo returns the link to the version it pointed to before.",
	params = {
		model = { type = "string", required = true, description = "model name M" },
		to_version = { type = "string", required = true,
		    description = "the version to serve" },
		root = { type = "string", default = "/srv/models", description = "model root" },
		link = { type = "string", default = "current", description = "the serving link in ROOT/M" },
		expected_sha256 = { type = "string", default = "",
		    description = "the version's hash (sorted sha256sum listing) when there is no registry" },
		restart = { type = "string", default = "",
		    description = "shell command restarting the service (empty: none)" },
	},
	steps = {
		{
			name = "repoint",
			destructive = true,
			check = function(host)
				local p = paths()
				local cur = sh(host, 'readlink -- "$1" || :', p.link).stdout:gsub("%s+$", "")
				if cur == P.to_version or cur == p.target then return nil end
				return ("repoint %s from '%s' to '%s'"):format(p.link, cur, P.to_version)
			end,
			apply = function(host)
				local p = paths()
				local want = expected()
				local got = sh(host, HASH_DIR, p.target).stdout:gsub("%s+$", "")
				if got ~= want then
					error(("%s: %s hashes to %s, expected %s"):format(host,
					    p.target, got, want), 0)
				end
				sh(host, 'set -e; readlink -- "$1" > "$3.tmp" || : > "$3.tmp"; ' ..
				    'mv -- "$3.tmp" "$3"; ln -sfn -- "$2" "$1.fb-new"; ' ..
				    'mv -T -- "$1.fb-new" "$1"', p.link, P.to_version, p.previous)
			end,
			undo = function(host)
				local p = paths()
				sh(host, 'set -e; prev=$(cat -- "$2"); [ -n "$prev" ]; ' ..
				    'ln -sfn -- "$prev" "$1.fb-new"; mv -T -- "$1.fb-new" "$1"; ' ..
				    'rm -f -- "$2"', p.link, p.previous)
			end,
		},
		{
			name = "restart",
			run = function()
				if P.restart == "" then
					fb.log("no restart command given")
					return
				end
				local hosts = fb.hosts()
				local res = fb.exec(hosts, { "sh", "-c", P.restart })
				for _, h in ipairs(hosts) do
					if not res[h].ok then
						error(h .. ": restart failed: " ..
						    (res[h].error or res[h].stderr), 0)
					end
				end
			end,
		},
		{
			name = "verify",
			run = function()
				local p = paths()
				local want = expected()
				local hosts = fb.hosts()
				local res = fb.exec(hosts, { "sh", "-c", HASH_DIR, "sh", p.link })
				for _, h in ipairs(hosts) do
					local got = (res[h].stdout or ""):gsub("%s+$", "")
					if not res[h].ok or got ~= want then
						error(("%s: %s serves %s, expected %s"):format(h, p.link,
						    got, want), 0)
					end
				end
				fb.log("verified:", #hosts, "hosts serve", want)
			end,
		},
	},
}
