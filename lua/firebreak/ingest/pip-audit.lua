-- pip-audit: pip-audit JSON (`pip-audit -f json`), both schemas: the
-- current {"dependencies":[...],"fixes":[...]} and the legacy top-level
-- array of the same dependency objects (so `[]` is an empty report).
-- Identity: the lower-cased package name, its version, and the advisory:
-- the lowest of its id and aliases, so PYSEC/GHSA/CVE names of one
-- advisory are one finding. Dependencies with skip_reason are not
-- audited and produce nothing.
-- Severity: pip-audit gives none; every finding is medium (a known
-- advisory that nobody rated). No scope: the output does not name the
-- environment it audited.

local fmt = require("firebreak.fmt")
local str, tab = fmt.str, fmt.tab

local M = {
  version = "1",
  description = "pip-audit JSON (current and legacy schema)",
  record_path = "",
}

function M.detect(sample)
  local c, p = fmt.first(sample)
  if c == "[" then
    local rest = sample:sub(p + 1)
    if fmt.first(rest) == "]" then return 0.2 end -- legacy, empty
    if fmt.all(sample:sub(1, 8192), '"name"', '"vulns"') then return 0.85 end
    return 0
  end
  if c ~= "{" then return 0 end
  local head = sample:sub(1, 8192)
  if fmt.has(head, '"dependencies"') and not fmt.has(head, '"bomFormat"') and
      fmt.has(head, '"vulns"', '"skip_reason"', '"fixes"') then
    return 0.85
  end
  return 0
end

local function pep503(name)
  return (string.lower(name):gsub("[_%.%-]+", "-"))
end

function M.parse_record(doc, ctx, emit)
  emit = fmt.bounded(emit)
  local deps
  if type(doc) ~= "table" then error("expected a JSON object or array", 0) end
  if doc.dependencies ~= nil then deps = tab(doc.dependencies) else deps = doc end
  for _, d in ipairs(deps) do
    if type(d) == "table" and type(d.name) == "string" and d.name ~= "" and
        d.skip_reason == nil then
      local name = str(d.name, 256)
      local lname = string.lower(name)
      local ver = str(d.version, 200)
      for _, v in ipairs(tab(d.vulns)) do
        if type(v) == "table" and type(v.id) == "string" then
          local ids = { v.id }
          for _, a in ipairs(tab(v.aliases)) do
            if type(a) == "string" then ids[#ids + 1] = a end
          end
          table.sort(ids)
          local fixes = {}
          for _, f in ipairs(tab(v.fix_versions)) do
            if type(f) == "string" then fixes[#fixes + 1] = f end
          end
          local purl = "pkg:pypi/" .. pep503(name) .. (ver and ("@" .. ver) or "")
          emit {
            source = "pip-audit", kind = "vulnerability", rule_id = str(v.id, 200),
            title = str(v.id, 200) .. " in " .. name .. (ver and (" " .. ver) or ""),
            severity = "medium",
            detail = fmt.lines({
              str(v.description, 8192),
              #ids > 1 and ("aliases: " .. str(table.concat(ids, ", "), 1000)) or nil,
              #fixes > 0 and ("fixed in: " .. str(table.concat(fixes, ", "), 500))
                or "no fixed version",
            }),
            identity = { name = lname, version = ver, advisory = ids[1] },
            assets = { { type = "package", value = purl, role = "affected" } },
            raw = { name = d.name, version = d.version, vuln = v },
          }
        end
      end
    end
  end
end

return M
