-- alertmanager: Prometheus Alertmanager webhook payload (version 4, also
-- Grafana's superset). Each alerts[] entry is one finding.
-- Identity: the alert's full label set (sorted), not its fingerprint,
-- which other generators reuse across different alerts.
-- Status: an alert whose status (or the group's) is resolved resolves
-- its finding; firing again opens it again.
-- Severity: labels.severity, free-form: critical, emergency, page,
-- disaster -> critical; error, high, major -> high; warning, warn,
-- average, medium, minor -> medium; low -> low; info, informational,
-- none, notice -> info; anything else or missing -> medium.
-- Assets: host from labels host, hostname, node, nodename or instance
-- (without :port); container, pod; the route (generatorURL's path is not
-- kept). No scope: one payload is one group's change, not a full list.

local fmt = require("firebreak.fmt")
local str, tab = fmt.str, fmt.tab

local M = {
  version = "1",
  description = "Prometheus Alertmanager webhook JSON (version 4)",
  record_path = "",
}

function M.detect(sample)
  if fmt.first(sample) ~= "{" then return 0 end
  local head = sample:sub(1, 16384)
  if fmt.has(head, '"alerts"') and fmt.has(head, '"startsAt"') and
      fmt.has(head, '"receiver"', '"groupKey"', '"groupLabels"') then
    return 0.9
  end
  return 0
end

local sevmap = {
  critical = "critical", emergency = "critical", page = "critical",
  disaster = "critical", fatal = "critical",
  error = "high", high = "high", major = "high",
  warning = "medium", warn = "medium", average = "medium", medium = "medium",
  minor = "medium", low = "low",
  info = "info", informational = "info", none = "info", notice = "info",
}

local function hostname(labels)
  for _, k in ipairs({ "host", "hostname", "nodename", "node", "instance" }) do
    local v = str(labels[k], 256)
    if v then
      if k == "instance" then
        -- drop a :port, keep IPv6 brackets intact
        local h = v:match("^(%[[^%]]+%]):%d+$") or v:match("^([^:]+):%d+$")
        v = h or v
      end
      return v
    end
  end
  return nil
end

function M.parse_record(doc, ctx, emit)
  emit = fmt.bounded(emit)
  if type(doc) ~= "table" or type(doc.alerts) ~= "table" then
    error("expected an Alertmanager webhook payload with alerts[]", 0)
  end
  for i, a in ipairs(doc.alerts) do
    if type(a) == "table" then
      local labels = {}
      for k, v in pairs(tab(a.labels)) do
        if type(k) == "string" and type(v) == "string" then labels[k] = v end
      end
      if next(labels) == nil then
        error("alert " .. i .. " has no labels", 0)
      end
      local ann = tab(a.annotations)
      local status = str(a.status, 16) or str(doc.status, 16)
      local name = str(labels.alertname, 200) or "alert"
      local host = hostname(labels)
      local summary = str(ann.summary, 300) or str(ann.description, 300) or
        str(ann.message, 300)
      local title = name
      if host then title = title .. " on " .. host end
      if summary then title = title .. ": " .. summary end
      local assets = {}
      if host then assets[#assets + 1] = { type = "host", value = host } end
      local cont = str(labels.container, 256) or str(labels.container_name, 256)
      if cont then
        assets[#assets + 1] = { type = "container", value = cont,
          attributes = { pod = str(labels.pod, 256), namespace = str(labels.namespace, 256) } }
      end
      local pairs_ = {}
      for k, v in pairs(labels) do pairs_[#pairs_ + 1] = k .. "=" .. v end
      table.sort(pairs_)
      emit {
        source = "alertmanager", kind = "runtime", rule_id = name,
        title = title,
        severity = sevmap[string.lower(labels.severity or "")] or "medium",
        status = status == "resolved" and "resolved" or nil,
        event_time = fmt.time(a.startsAt),
        detail = fmt.lines({
          str(ann.description, 4096),
          "status: " .. (status or "?"),
          fmt.time(a.endsAt) and status == "resolved" and ("ended: " .. a.endsAt) or nil,
          "labels: " .. str(table.concat(pairs_, ", "), 4096),
          str(a.generatorURL) and ("source: " .. str(a.generatorURL, 1024)),
          str(a.fingerprint) and ("alertmanager fingerprint: " .. str(a.fingerprint, 64)),
          str(doc.receiver) and ("receiver: " .. str(doc.receiver, 256)),
        }),
        identity = { labels = labels },
        assets = assets,
        locations = host and { { host = host } } or nil,
        raw = a,
      }
    end
  end
end

return M
