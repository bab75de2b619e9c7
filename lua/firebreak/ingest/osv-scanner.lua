-- osv-scanner: OSV-Scanner JSON (`osv-scanner scan --format json`).
-- Each results[] entry (one lockfile, SBOM or directory) is a record.
-- One finding per package and alias group: identity = source.path,
-- package ecosystem, name and version (or commit), and the group's
-- lowest id (groups[].ids is the alias-merged set).
-- Severity: groups[].max_severity (a CVSS base score: >= 9 critical,
-- >= 7 high, >= 4 medium, > 0 low), else the worst
-- database_specific.severity of its advisories (GHSA LOW, MODERATE, HIGH,
-- CRITICAL), else medium. A 0-byte file is refused: OSV-Scanner always
-- writes a JSON document. No scope (the output does not name one run).

local fmt = require("firebreak.fmt")
local str, tab = fmt.str, fmt.tab

local M = {
  version = "1",
  description = "OSV-Scanner JSON (osv-scanner scan --format json)",
  record_path = "results.*",
}

function M.detect(sample)
  if fmt.first(sample) ~= "{" then return 0 end
  local head = sample:sub(1, 16384)
  if fmt.all(head, '"results"', '"packages"', '"source"') and
      fmt.has(head, '"groups"', '"vulnerabilities"', '"ecosystem"') then
    return 0.9
  end
  return 0
end

local ghsa = { LOW = "low", MODERATE = "medium", MEDIUM = "medium",
  HIGH = "high", CRITICAL = "critical" }

local function group_ids(g)
  local ids = fmt.sorted_strings(g.ids)
  return ids
end

function M.parse_record(res, ctx, emit)
  emit = fmt.bounded(emit)
  if type(res) ~= "table" then return end
  local src = tab(res.source)
  local path = str(src.path, 2048) or "?"
  for _, p in ipairs(tab(res.packages)) do
    if type(p) == "table" then
      local pkg = tab(p.package)
      local eco, name = str(pkg.ecosystem, 64), str(pkg.name, 512) or "?"
      local ver = str(pkg.version, 200) or str(pkg.commit, 200)
      local byid = {}
      for _, v in ipairs(tab(p.vulnerabilities)) do
        if type(v) == "table" and type(v.id) == "string" then byid[v.id] = v end
      end
      local groups = tab(p.groups)
      if #groups == 0 then
        -- older output: one group per advisory
        for id in pairs(byid) do groups[#groups + 1] = { ids = { id } } end
        table.sort(groups, function(a, b) return a.ids[1] < b.ids[1] end)
      end
      for _, g in ipairs(groups) do
        if type(g) == "table" then
          local ids = group_ids(g)
          if #ids > 0 then
            local canon = ids[1]
            local severity = fmt.cvss(g.max_severity)
            local summary, aliases = nil, {}
            for _, id in ipairs(ids) do
              local v = byid[id]
              if v then
                local ds = tab(v.database_specific)
                if severity == nil or ghsa[ds.severity] then
                  severity = fmt.worse(severity ~= nil and severity or nil,
                    ghsa[ds.severity])
                end
                summary = summary or str(v.summary, 300)
                for _, a in ipairs(tab(v.aliases)) do
                  if type(a) == "string" then aliases[#aliases + 1] = a end
                end
              end
            end
            local called = nil
            local ea = tab(g.experimental_analysis)
            for _, id in ipairs(ids) do
              local e = ea[id]
              if type(e) == "table" and type(e.called) == "boolean" then
                called = (called == true) or e.called
              end
            end
            local purl = nil
            local pe = eco and string.lower(eco)
            local ptype = ({ npm = "npm", pypi = "pypi", go = "golang",
              ["crates.io"] = "cargo", maven = "maven", nuget = "nuget",
              packagist = "composer", rubygems = "gem" })[pe or ""]
            if ptype and ver then purl = "pkg:" .. ptype .. "/" .. name .. "@" .. ver end
            local title = canon .. " in " .. name .. (ver and (" " .. ver) or "")
            if summary then title = title .. ": " .. summary end
            emit {
              source = "osv-scanner", kind = "vulnerability", rule_id = canon,
              title = title, severity = severity or "medium",
              detail = fmt.lines({
                "package: " .. fmt.join(" ", eco, name, ver),
                "advisories: " .. str(table.concat(ids, ", "), 1000),
                #aliases > 0 and ("aliases: " .. str(table.concat(aliases, ", "), 1000)),
                called == false and "reachability: not called" or nil,
                called == true and "reachability: called" or nil,
                "source: " .. path,
              }),
              identity = { path = path, ecosystem = eco, name = name,
                version = ver, group = canon },
              assets = purl and { { type = "package", value = purl, role = "affected" } } or nil,
              locations = { { path = path } },
              raw = { source = src, package = pkg, group = g },
            }
          end
        end
      end
    end
  end
end

return M
