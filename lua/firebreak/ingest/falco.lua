-- falco: Falco JSON alerts (json_output: true), one object per line, as
-- Falco, falcosidekick and most log shippers write them.
-- Identity: rule, hostname, output_fields["container.id"],
-- ["proc.cmdline"] and ["fd.name"]: one rule firing again for the same
-- process and file on the same container is one finding with a count.
-- Severity (priority): Emergency, Alert, Critical -> critical; Error ->
-- high; Warning -> medium; Notice -> low; Informational, Info, Debug ->
-- info. No scope: an alert stream never says what stopped happening.

local fmt = require("firebreak.fmt")
local str, tab = fmt.str, fmt.tab

local M = {
  version = "1",
  description = "Falco JSON alerts (one per line)",
  jsonl = true,
}

function M.detect(sample)
  local line = fmt.first_line(sample)
  if fmt.first(line) ~= "{" then return 0 end
  if fmt.all(line, '"rule"', '"priority"', '"output"') and
      fmt.has(line, '"time"', '"output_fields"') then
    return 0.9
  end
  return 0
end

local prio = {
  emergency = "critical", alert = "critical", critical = "critical",
  error = "high", warning = "medium", notice = "low",
  informational = "info", info = "info", debug = "info",
}

local function field(of, k, max)
  local v = of[k]
  if type(v) == "string" then return str(v, max or 1024) end
  if math.type(v) == "integer" then return tostring(v) end
  return nil
end

function M.parse_record(a, ctx, emit)
  emit = fmt.bounded(emit)
  if type(a) ~= "table" or type(a.rule) ~= "string" or a.rule == "" then
    error("line " .. (ctx.record_index + 1) .. ": not a Falco alert (no rule)", 0)
  end
  local of = tab(a.output_fields)
  local host = str(a.hostname, 256)
  local cid = field(of, "container.id", 128)
  if cid == "host" then cid = nil end
  local cmd = field(of, "proc.cmdline", 2048)
  local fd = field(of, "fd.name", 2048)
  local assets = {}
  if host then assets[#assets + 1] = { type = "host", value = host } end
  if cid then
    assets[#assets + 1] = { type = "container", value = cid, attributes = {
      name = field(of, "container.name", 256),
      image = field(of, "container.image.repository", 512),
      tag = field(of, "container.image.tag", 256),
      pod = field(of, "k8s.pod.name", 256),
      namespace = field(of, "k8s.ns.name", 256) } }
  end
  local img = field(of, "container.image.digest", 200)
  if img then assets[#assets + 1] = { type = "image", value = img } end
  local tags = {}
  for _, t in ipairs(tab(a.tags)) do
    if type(t) == "string" and t ~= "" then tags[#tags + 1] = t end
  end
  local title = str(a.rule, 200)
  if host then title = title .. " on " .. host end
  if cid then title = title .. " in container " .. (field(of, "container.name", 100) or cid) end
  emit {
    source = "falco", kind = "runtime", rule_id = str(a.rule, 512),
    title = title,
    severity = prio[string.lower(str(a.priority, 32) or "")] or "medium",
    detail = fmt.lines({
      str(a.output, 8192),
      str(a.source) and ("event source: " .. str(a.source, 64)),
      #tags > 0 and ("tags: " .. str(table.concat(tags, ", "), 500)) or nil,
    }),
    event_time = fmt.time(a.time),
    identity = { rule = str(a.rule, 512), host = host, container = cid,
      cmdline = cmd, fd = fd },
    assets = assets,
    locations = (host or fd) and { { host = host, path = fd } } or nil,
    raw = a,
  }
end

return M
