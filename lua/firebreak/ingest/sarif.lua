-- sarif: SARIF 2.1.0 from any producer (Trivy, Grype, OSV-Scanner, CodeQL,
-- Semgrep, Gitleaks, ...). Streamed: each runs[].results[] is a record; a
-- prescan reads every run's tool (driver name and rules) first, since some
-- producers (Semgrep) write the tool after the results.
-- Source: the driver's name, lower-cased, other than [a-z0-9._-] as "-"
-- ("sarif" when it has none).
-- Identity: the driver name, and the first of: result.fingerprints;
-- ruleId + partialFingerprints; correlationGuid; ruleId + the primary
-- location's uri, startLine and startColumn.
-- Severity: rules[].properties["security-severity"] (CVSS-like 0..10,
-- >= 9 critical, >= 7 high, >= 4 medium, > 0 low), else the level
-- (result.level, else the rule's defaultConfiguration.level, else
-- warning): error -> high, warning -> medium, note -> low, none -> info.
-- Results of kind pass, notApplicable or informational are skipped.
-- Suppressions become the status: accepted (or no status) ->
-- false_positive, underReview -> acknowledged, rejected -> none.
-- No scope: SARIF does not say what the run covered. `runs: []` is empty.

local fmt = require("firebreak.fmt")
local str, tab = fmt.str, fmt.tab

local M = {
  version = "1",
  description = "SARIF 2.1.0 from any producer (rules, levels, security-severity)",
  record_path = "runs.*.results.*",
  prescan_path = "runs.*.tool",
}

local TOOLS = {}   -- run index (0-based) -> { name, byid, list }

function M.detect(sample)
  local c = fmt.first(sample)
  if c ~= "{" then return 0 end
  local head = sample:sub(1, 8192)
  if fmt.has(head, '"runs"') and
      fmt.has(head, "sarif-schema", "sarif-2.1", '"2.1.0"', "/sarif") then
    return 0.95
  end
  return 0
end

local function text(v, max)
  if type(v) == "table" then return str(v.text, max) or str(v.markdown, max) end
  return nil
end

local function keep_rule(r)
  local props = tab(r.properties)
  local dc = tab(r.defaultConfiguration)
  local tags = {}
  for _, t in ipairs(tab(props.tags)) do
    if type(t) == "string" then tags[#tags + 1] = t end
  end
  return {
    id = str(r.id, 512), name = str(r.name, 512),
    short = text(r.shortDescription, 500), full = text(r.fullDescription, 2000),
    level = str(dc.level, 16),
    secsev = fmt.num(props["security-severity"]),
    tags = tags,
    help = str(r.helpUri, 1024),
  }
end

function M.prescan(tool, ctx)
  local run = (ctx.indices and ctx.indices[1]) or ctx.record_index
  local d = tab(tab(tool).driver)
  local t = { name = str(d.name, 64), byid = {}, list = {} }
  local function add(rules)
    for i, r in ipairs(tab(rules)) do
      if type(r) == "table" then
        local k = keep_rule(r)
        if t.list[i] == nil then t.list[i] = k end
        if k.id and t.byid[k.id] == nil then t.byid[k.id] = k end
      end
    end
  end
  add(d.rules)
  for _, e in ipairs(tab(tab(tool).extensions)) do
    if type(e) == "table" then add(e.rules) end
  end
  TOOLS[run] = t
end

local level_sev = { error = "high", warning = "medium", note = "low", none = "info" }
local skip_kind = { pass = true, notApplicable = true, informational = true }

local function status_of(supps)
  if type(supps) ~= "table" or #supps == 0 then return nil end
  local st = nil
  for _, s in ipairs(supps) do
    if type(s) == "table" then
      if s.status == nil or s.status == "accepted" then return "false_positive" end
      if s.status == "underReview" then st = "acknowledged" end
    end
  end
  return st
end

function M.parse_record(r, ctx, emit)
  emit = fmt.bounded(emit)
  if type(r) ~= "table" then return end
  if skip_kind[r.kind] then return end
  local run = ctx.indices and ctx.indices[1] or 0
  local tool = TOOLS[run] or { byid = {}, list = {} }
  local tname = tool.name or "sarif"
  local rid = str(r.ruleId, 512)
  local rule
  if rid then rule = tool.byid[rid] end
  local ridx = fmt.int(r.ruleIndex)
  if rule == nil and ridx ~= nil then rule = tool.list[ridx + 1] end
  if rule == nil and type(r.rule) == "table" then
    local rr = r.rule
    rid = rid or str(rr.id, 512)
    if rid then rule = tool.byid[rid] end
    local i = fmt.int(rr.index)
    if rule == nil and i then rule = tool.list[i + 1] end
  end
  rule = rule or {}
  -- Gitleaks 7 names no rule at all: its message is the rule.
  rid = rid or rule.id or str(text(r.message, 200), 200) or "?"

  local loc = tab(tab(tab(r.locations)[1]).physicalLocation)
  local uri = str(tab(loc.artifactLocation).uri, 2048)
  local region = tab(loc.region)
  local line, col = fmt.int(region.startLine), fmt.int(region.startColumn)

  local severity
  if rule.secsev then severity = fmt.cvss(rule.secsev) end
  local level = str(r.level, 16) or rule.level or "warning"
  severity = severity or level_sev[level] or "medium"

  local identity
  if type(r.fingerprints) == "table" and next(r.fingerprints) ~= nil then
    identity = { tool = tname, fingerprints = r.fingerprints }
  elseif type(r.partialFingerprints) == "table" and next(r.partialFingerprints) ~= nil then
    identity = { tool = tname, rule = rid, partial = r.partialFingerprints }
  elseif str(r.correlationGuid, 100) then
    identity = { tool = tname, correlation = r.correlationGuid }
  else
    -- the location's own message tells apart results at one place
    -- (Trivy: "image.tar: libssl1.1@1.1.1c-r0")
    identity = { tool = tname, rule = rid, uri = uri, line = line, column = col,
      where = str(text(tab(r.locations)[1] and tab(r.locations[1]).message, 500), 500) }
  end

  local msg = text(r.message, 4096)
  local title = rule.short or msg or rule.name or rid
  title = rid .. ": " .. (str(title, 400):gsub("[\r\n]+", " "))
  if uri then
    title = title .. " at " .. str(uri, 300)
    if line then title = title .. ":" .. line end
  end
  local locations = {}
  for i, l in ipairs(tab(r.locations)) do
    if i > 50 then break end
    local pl = tab(tab(l).physicalLocation)
    local u = str(tab(pl.artifactLocation).uri, 2048)
    if u then
      locations[#locations + 1] = { path = u, line = fmt.int(tab(pl.region).startLine) }
    end
  end
  -- "Semgrep OSS" -> semgrep-oss: one word for source=... filters
  local src = (string.lower(tname):gsub("[^%w%._]+", "-"))
  local kind = "code"
  if rid:find("^CVE%-") or rid:find("^GHSA%-") or rid:find("^PYSEC%-") or
      rid:find("^GO%-") or rid:find("^RUSTSEC%-") or rid:find("^OSV%-") then
    kind = "vulnerability"
  elseif src:find("leak", 1, true) or src:find("secret", 1, true) or
      src:find("trufflehog", 1, true) then
    kind = "secret"
  end
  emit {
    source = src, kind = kind,
    rule_id = rid, title = title, severity = severity,
    detail = fmt.lines({ msg, rule.full ~= msg and rule.full or nil,
      rule.help and ("see: " .. rule.help) }),
    status = status_of(r.suppressions),
    identity = identity,
    assets = uri and { { type = "file", value = uri } } or nil,
    locations = locations,
    raw = r,
  }
end

return M
