-- revoke-key: take an API key id or an SSH key (by fingerprint) out of
-- service: show the blast radius, remove the SSH key from authorized_keys,
-- deny the API key at the gateway, mark it revoked, verify.
local P = fb.params

local function sh(host, script, ...)
	local r = fb.exec(host, { "sh", "-c", script, "sh", ... })[host]
	if not r.ok then
		error(("%s: %s"):format(host, r.error or
		    (r.stderr ~= "" and r.stderr or "exit " .. tostring(r.exit))), 0)
	end
	return r
end

-- "api" for a key id (16 lowercase hex digits), "ssh" for an SSH key's
-- SHA256 fingerprint as ssh-keygen -l prints it; anything else raises.
local function kind()
	local k = P.key
	if #k == 16 and k:match("^[0-9a-f]+$") then return "api" end
	if #k == 50 and k:match("^SHA256:[%w+/]+$") then return "ssh" end
	error("key must be an API key id (16 hex digits) or an SSH key " ..
	    "fingerprint (SHA256: and 43 base64 digits, as ssh-keygen -l " ..
	    "prints it); refusing '" .. k .. "'", 0)
end

-- The numbers of the lines of $1 whose key has fingerprint $2, one a
-- line; each line is fingerprinted on its own (options and all) by
-- ssh-keygen -l, so blank lines, comments and bad keys never match.
local FIND = '[ -f "$1" ] || exit 0; n=0; ' ..
    'while IFS= read -r line || [ -n "$line" ]; do n=$((n + 1)); ' ..
    'case $line in ""|"#"*) continue ;; esac; ' ..
    'got=$(printf "%s\\n" "$line" | ssh-keygen -lf - 2>/dev/null) || continue; ' ..
    'got=${got#* }; got=${got%% *}; ' ..
    '[ "$got" = "$2" ] && echo "$n"; done < "$1"; exit 0'

-- Keep $1 as it is now in $1.fb-revoke-<12 hex of the key> (or a note
-- that it did not exist), once: a resumed apply keeps the first copy.
local BACKUP = 'b="$1.fb-revoke-$(printf %s "$2" | sha256sum | cut -c1-12)"; ' ..
    'if [ ! -e "$b" ] && [ ! -e "$b.absent" ]; then ' ..
    'if [ -e "$1" ]; then cp -p -- "$1" "$b"; else : > "$b.absent"; fi; fi'
-- Put $1 back from that copy.
local RESTORE = 'set -e; b="$1.fb-revoke-$(printf %s "$2" | sha256sum | cut -c1-12)"; ' ..
    'if [ -e "$b" ]; then cp -p -- "$b" "$1.fb-new"; mv -f -- "$1.fb-new" "$1"; ' ..
    'rm -f -- "$b"; elif [ -e "$b.absent" ]; then rm -f -- "$1" "$b.absent"; fi'

local function lines(host)
	local out = sh(host, FIND, P.authorized_keys, P.key).stdout
	local l = {}
	for n in out:gmatch("%d+") do l[#l + 1] = n end
	return l
end

local function denied(host)
	local r = sh(host, 'if [ -f "$1" ] && grep -qxF -- "$2" "$1"; then ' ..
	    'echo yes; else echo no; fi', P.deny_list, P.key)
	return r.stdout:match("^yes") ~= nil
end

return {
	name = "revoke-key",
	confirm = "key",
	description = "Revoke an API key id (16 hex digits) or an SSH key " ..
	    "fingerprint (SHA256:...). First the blast radius: the hosts whose " ..
	    "authorized_keys hold the SSH key (in the plan, line by line), " ..
	    "the findings and routes that reference the key and the deny " ..
	    "lists already holding it. Then remove the SSH key's lines from " ..
	    "authorized_keys (fingerprints computed on the host with ssh-keygen " ..
	    "-lf, every other line kept byte for byte), append the API key id " ..
	    "to the gateway's deny-list file on the selected hosts, mark the " ..
	    "key revoked in the key registry (the gateway detector then flags " ..
	    "any later use as critical), and verify. Undo restores " ..
	    "authorized_keys and the deny list as they were before the run; " ..
	    "it does not lift the registry revocation.",
	params = {
		key = { type = "string", required = true,
		    description = "API key id or SSH key fingerprint (SHA256:...)" },
		authorized_keys = { type = "string", default = ".ssh/authorized_keys",
		    description = "authorized_keys file (relative: to the login's home)" },
		deny_list = { type = "string", default = "/etc/firebreak/denied-keys",
		    description = "the gateway's deny-list file, one key id a line" },
		reason = { type = "string", default = "",
		    description = "why, for the registry (empty: the run)" },
	},
	steps = {
		{
			name = "blast-radius",
			description = "hosts, findings and routes that reference the key",
			run = function()
				local k = kind()
				local hosts = fb.hosts()
				local held = 0
				for _, h in ipairs(hosts) do
					if k == "ssh" then
						local l = lines(h)
						if #l > 0 then
							held = held + 1
							fb.log(("host %s: %s line %s"):format(h,
							    P.authorized_keys, table.concat(l, ", ")))
						end
					elseif denied(h) then
						fb.log(("host %s: %s already denies it"):format(h,
						    P.deny_list))
					end
				end
				local fs = fb.findings(("key:%q"):format(P.key), 1000) or {}
				local routes, seen = {}, {}
				for _, f in ipairs(fs) do
					fb.log(("finding #%d [%s] %s"):format(f.id, f.severity,
					    f.title))
					for _, a in ipairs(f.assets or {}) do
						if a.type == "route" and not seen[a.value] then
							seen[a.value] = true
							routes[#routes + 1] = a.value
						end
					end
				end
				table.sort(routes)
				fb.log(("blast radius of %s: %d of %d hosts hold it, %d " ..
				    "findings, routes: %s"):format(P.key, held, #hosts, #fs,
				    #routes > 0 and table.concat(routes, " ") or "none"))
			end,
		},
		{
			name = "authorized-keys",
			destructive = true,
			description = "remove the SSH key's lines from authorized_keys",
			check = function(host)
				if kind() ~= "ssh" then return nil end
				local l = lines(host)
				if #l == 0 then return nil end
				return ("remove %s line %s (%s)"):format(P.authorized_keys,
				    table.concat(l, ", "), P.key)
			end,
			apply = function(host)
				local l = lines(host)
				if #l == 0 then return end
				local args = {}
				for _, n in ipairs(l) do args[#args + 1] = "-e" ; args[#args + 1] = n .. "d" end
				sh(host, BACKUP .. ' && f=$1 && shift 2 && cp -p -- "$f" "$f.fb-new" && ' ..
				    'sed "$@" -- "$f" > "$f.fb-new" && mv -f -- "$f.fb-new" "$f"',
				    P.authorized_keys, P.key, table.unpack(args))
			end,
			undo = function(host)
				sh(host, RESTORE, P.authorized_keys, P.key)
			end,
		},
		{
			name = "deny-list",
			destructive = true,
			description = "append the API key id to the gateway's deny list",
			check = function(host)
				if kind() ~= "api" or denied(host) then return nil end
				return ("add %s to %s"):format(P.key, P.deny_list)
			end,
			apply = function(host)
				sh(host, 'mkdir -p -- "$(dirname -- "$1")" && ' .. BACKUP .. ' && ' ..
				    '{ if [ -s "$1" ] && [ -n "$(tail -c1 -- "$1")" ]; then echo; fi; ' ..
				    'printf "%s\\n" "$2"; } >> "$1"', P.deny_list, P.key)
			end,
			undo = function(host)
				sh(host, RESTORE, P.deny_list, P.key)
			end,
		},
		{
			name = "registry",
			description = "mark the API key revoked in the key registry",
			run = function()
				if kind() ~= "api" then
					fb.log("an SSH key: the key registry holds API key ids only")
					return
				end
				local ok, why = fb.key.revoke(P.key, P.reason ~= "" and P.reason or nil)
				if not ok then error("registry: " .. tostring(why), 0) end
				fb.log("key", P.key, "revoked in the registry")
			end,
		},
		{
			name = "verify",
			description = "no host keeps the SSH key; every deny list holds the id",
			run = function()
				local k = kind()
				local hosts = fb.hosts()
				local bad = {}
				for _, h in ipairs(hosts) do
					if k == "ssh" and #lines(h) > 0 then
						bad[#bad + 1] = h .. " still authorizes it"
					elseif k == "api" and not denied(h) then
						bad[#bad + 1] = h .. " does not deny it"
					end
				end
				if #bad > 0 then
					error("verify failed: " .. table.concat(bad, "; "), 0)
				end
				fb.log(("verified: %s revoked on %d hosts"):format(P.key, #hosts))
			end,
		},
	},
}
