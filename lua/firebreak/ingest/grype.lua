-- grype: Grype JSON (`grype -o json`). Streamed: each element of matches[]
-- is one record. Grype writes "source" after the matches, so a prescan
-- pass reads it first (the scanned image names every finding's asset).
-- Identity: vulnerability.id, artifact.id (syft's package id) or else
-- name@version/type/purl, the sorted artifact.locations[].path, and the
-- scanned target (image ID, or the user's input).
-- Severity: Negligible -> info, Low, Medium, High, Critical; Unknown ->
-- medium. Scope: source.type:userInput (or target), also for matches: [].

local fmt = require("firebreak.fmt")
local str, tab = fmt.str, fmt.tab

local M = {
  version = "1",
  description = "Grype JSON (grype -o json)",
  record_path = "matches.*",
  prescan_path = "source",
  context = { "scanned=descriptor.timestamp" },
}

local SRC = nil   -- the report's source object, from the prescan
local SCANNED = nil -- descriptor.timestamp, from the prescan

function M.detect(sample)
  local c, p = fmt.first(sample)
  if c ~= "{" then return 0 end
  local head = sample:sub(p, p + 64)
  if head:find('^{%s*"matches"%s*:') then
    local rest = sample:sub(1, 65536)
    if fmt.has(rest, '"matchDetails"', '"descriptor"', "[]") then return 0.95 end
    return 0.5
  end
  if fmt.all(sample, '"matches"', '"matchDetails"', '"artifact"',
      '"vulnerability"') then
    return 0.8
  end
  return 0
end

function M.prescan(rec, ctx)
  if type(rec) == "table" then SRC = rec end
end

function M.prescan_finish(ctx)
  SCANNED = fmt.time(ctx.scanned)
end

local sev = {
  Negligible = "info", Low = "low", Medium = "medium", High = "high",
  Critical = "critical", Unknown = "medium",
}

local function target_info()
  local s = tab(SRC)
  local t = s.target
  local info = { type = str(s.type, 64) or "unknown" }
  if type(t) == "table" then
    info.image_id = str(t.imageID, 200)
    info.name = str(t.userInput, 1024)
    info.manifest = str(t.manifestDigest, 200)
    info.repo_digests = #tab(t.repoDigests) > 0 and t.repoDigests or nil
    info.tags = #tab(t.tags) > 0 and t.tags or nil
    info.path = str(t.path, 1024)
  elseif type(t) == "string" then
    info.name = str(t, 1024)
  end
  return info
end

local function scope(info)
  local n = info.name or info.path
  if n == nil or n == "unknown" then return nil end
  return info.type .. ":" .. n
end

function M.parse_record(m, ctx, emit)
  emit = fmt.bounded(emit)
  if type(m) ~= "table" then return end
  local v, a = tab(m.vulnerability), tab(m.artifact)
  local id = str(v.id, 200)
  if id == nil then
    error("match " .. ctx.record_index .. ": no vulnerability.id", 0)
  end
  local info = target_info()
  local paths = {}
  for _, l in ipairs(tab(a.locations)) do
    if type(l) == "table" and type(l.path) == "string" then
      paths[#paths + 1] = l.path
    end
  end
  table.sort(paths)
  local name, ver = str(a.name, 512) or "?", str(a.version, 200) or ""
  local purl = str(a.purl, 1024)
  local art = str(a.id, 200) or
    fmt.join("/", name .. "@" .. ver, str(a.type, 64), purl)
  local assets = {}
  if info.image_id then
    assets[#assets + 1] = { type = "image", value = info.image_id, role = "scanned",
      attributes = { name = info.name, manifest_digest = info.manifest,
        repo_digests = info.repo_digests, tags = info.tags } }
  end
  if purl then
    assets[#assets + 1] = { type = "package", value = purl, role = "affected" }
  end
  local locations = {}
  for i, p in ipairs(paths) do
    if i > 50 then break end
    locations[#locations + 1] = { path = p }
  end
  local fix = tab(v.fix)
  local fixed = {}
  for _, f in ipairs(tab(fix.versions)) do
    if type(f) == "string" then fixed[#fixed + 1] = f end
  end
  local aliases = {}
  for _, r in ipairs(tab(m.relatedVulnerabilities)) do
    if type(r) == "table" and type(r.id) == "string" then aliases[#aliases + 1] = r.id end
  end
  local title = id .. " in " .. name .. " " .. ver
  local severity = sev[v.severity] or "medium"
  emit {
    source = "grype", kind = "vulnerability", rule_id = id,
    title = title, severity = severity, event_time = SCANNED,
    detail = fmt.lines({
      str(v.description, 8192),
      "package: " .. fmt.join(" ", name, ver, str(a.type, 64), purl),
      #fixed > 0 and ("fixed in: " .. str(table.concat(fixed, ", "), 500)),
      str(fix.state) and ("fix state: " .. str(fix.state, 32)),
      #aliases > 0 and ("aliases: " .. str(table.concat(aliases, ", "), 500)),
      fmt.num(v.risk) and ("risk: " .. v.risk),
      str(v.dataSource) and ("see: " .. str(v.dataSource, 1024)),
    }),
    scope = scope(info),
    identity = { vuln = id, artifact = art, paths = paths,
      target = info.image_id or info.name or info.path },
    assets = assets, locations = locations,
    raw = m,
  }
end

function M.finish(ctx, emit)
  emit = fmt.bounded(emit)
  local s = scope(target_info())
  if s then emit { declare_scope = s, source = "grype" } end
end

return M
