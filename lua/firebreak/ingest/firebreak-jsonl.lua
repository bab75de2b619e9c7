-- firebreak-jsonl: firebreak's own finding format, one JSON object per line.
-- Documented in firebreak-ingest(5). Every line is one finding:
--   {"source":"my-scanner","kind":"vulnerability","rule_id":"CVE-2024-1",
--    "title":"...","severity":"high","event_time":"2026-11-26T10:00:00Z",
--    "identity":{"rule_id":"CVE-2024-1","host":"gpu-1"},
--    "assets":[{"type":"host","value":"gpu-1"}],
--    "locations":[{"host":"gpu-1","path":"/srv/models/m.pt"}],
--    "scope":"my-scanner:gpu-1", "detail":"...", "secrets":["..."]}
-- "identity" may be omitted: it then defaults to source, rule_id and the
-- assets, so the same rule on the same asset is one finding.

local M = {
  version = "1",
  description = "firebreak's own JSON Lines finding format",
  jsonl = true,
}

function M.detect(sample)
  -- the first line only, found with plain searches (patterns on a large
  -- sample are refused by the sandbox's cost bound)
  local nl = sample:find("\n", 1, true)
  local first = sample:sub(1, (nl or #sample + 1) - 1)
  local start = first:find("{", 1, true)
  if start == nil or first:sub(1, start - 1):find("%S") then return 0 end
  if first:find('"title"', 1, true) and first:find('"severity"', 1, true) and
      (first:find('"identity"', 1, true) or first:find('"rule_id"', 1, true)) then
    return 0.9
  end
  return 0
end

local function strings(t)
  local out = {}
  if type(t) ~= "table" then return out end
  for _, v in ipairs(t) do
    if type(v) == "string" then out[#out + 1] = v end
  end
  return out
end

function M.parse_record(rec, ctx, emit)
  if type(rec) ~= "table" then
    error("line " .. (ctx.record_index + 1) .. ": expected a JSON object")
  end
  local identity = rec.identity
  if type(identity) ~= "table" then
    identity = { rule_id = rec.rule_id, title = rec.rule_id == nil and rec.title or nil }
    if type(rec.assets) == "table" then
      for i, a in ipairs(rec.assets) do
        if type(a) == "table" and a.type and a.value then
          identity["asset" .. i] = tostring(a.type) .. ":" .. tostring(a.value)
        end
      end
    end
  end
  local secrets = strings(rec.secrets)
  local raw = {}
  for k, v in pairs(rec) do
    if k ~= "secrets" then raw[k] = v end
  end
  emit {
    source = rec.source or "firebreak",
    kind = rec.kind or "finding",
    rule_id = rec.rule_id,
    title = rec.title,
    detail = rec.detail,
    severity = rec.severity,
    event_time = rec.event_time,
    status = rec.status,
    scope = rec.scope,
    identity = identity,
    assets = rec.assets,
    locations = rec.locations,
    secrets = secrets,
    raw = raw,
  }
end

return M
