-- modelscan: ProtectAI modelscan JSON report (`modelscan -p PATH -r json`),
-- the current schema (issues[], summary{}) and the legacy 0.5 one
-- (issues_by_severity{SEVERITY: [...]}).
-- Identity: issue source (the file, or file:member for archives), module,
-- operator and scanner; an issue listed more than once is one finding at
-- its worst severity.
-- Severity: LOW, MEDIUM, HIGH, CRITICAL as given.
-- summary.timestamp has no zone (local time): stored as UTC and flagged.
-- Scope: the scanned path (summary.absolute_path or input_path), declared
-- even when nothing was found.

local fmt = require("firebreak.fmt")
local str, tab = fmt.str, fmt.tab

local M = {
  version = "1",
  description = "modelscan JSON report (current and 0.5 schema)",
  record_path = "",
}

function M.detect(sample)
  if fmt.first(sample) ~= "{" then return 0 end
  local head = sample:sub(1, 16384)
  if fmt.has(head, '"modelscan_version"') then return 0.95 end
  if fmt.has(head, '"total_issues_by_severity"') and fmt.has(head, '"issues"') then
    return 0.8
  end
  return 0
end

local sevmap = { LOW = "low", MEDIUM = "medium", HIGH = "high", CRITICAL = "critical" }

function M.parse_record(doc, ctx, emit)
  emit = fmt.bounded(emit)
  if type(doc) ~= "table" then error("expected a modelscan JSON object", 0) end
  local summary = tab(doc.summary)
  local issues = {}
  for _, i in ipairs(tab(doc.issues)) do
    if type(i) == "table" then issues[#issues + 1] = i end
  end
  if type(doc.issues_by_severity) == "table" then
    local keys = {}
    for k in pairs(doc.issues_by_severity) do
      if type(k) == "string" then keys[#keys + 1] = k end
    end
    table.sort(keys)
    for _, k in ipairs(keys) do
      for _, i in ipairs(tab(doc.issues_by_severity[k])) do
        if type(i) == "table" then
          local c = {}
          for kk, vv in pairs(i) do c[kk] = vv end
          c.severity = c.severity or k
          issues[#issues + 1] = c
        end
      end
    end
  end
  local root = str(summary.absolute_path, 2048) or str(summary.input_path, 2048) or
    str(doc.input_path, 2048)
  local when = fmt.time(summary.timestamp) or fmt.time(doc.timestamp)
  local version = str(summary.modelscan_version, 32) or str(doc.modelscan_version, 32)
  -- one finding per identity, at its worst severity
  local order, by = {}, {}
  for _, i in ipairs(issues) do
    local src = str(i.source, 2048) or "?"
    local key = table.concat({ src, str(i.module, 256) or "", str(i.operator, 256) or "",
      str(i.scanner, 256) or "" }, "\0")
    local sev = sevmap[string.upper(str(i.severity, 16) or "")] or "medium"
    local e = by[key]
    if e == nil then
      e = { issue = i, src = src, severity = sev, n = 0 }
      by[key] = e
      order[#order + 1] = key
    end
    e.n = e.n + 1
    e.severity = fmt.worse(e.severity, sev)
  end
  for _, key in ipairs(order) do
    local e = by[key]
    local i = e.issue
    local op = fmt.join(".", str(i.module, 256), str(i.operator, 256))
    local path = e.src
    emit {
      source = "modelscan", kind = "model",
      rule_id = str(i.scanner, 256) or "modelscan",
      title = "unsafe operator " .. (op ~= "" and op or "?") .. " in " .. str(path, 400),
      severity = e.severity,
      event_time = when,
      detail = fmt.lines({
        str(i.description, 4096),
        "scanner: " .. (str(i.scanner, 256) or "?"),
        e.n > 1 and ("listed " .. e.n .. " times in the report") or nil,
        version and ("modelscan " .. version) or nil,
      }),
      scope = root,
      identity = { source = e.src, module = str(i.module, 256),
        operator = str(i.operator, 256), scanner = str(i.scanner, 256) },
      assets = { { type = "file", value = path } },
      locations = { { path = path } },
      raw = i,
    }
  end
  if root then emit { declare_scope = root, source = "modelscan" } end
end

return M
