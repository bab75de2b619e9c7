-- firebreak-scan: the model scanner's JSON Lines (`firebreak scan --json`,
-- and what `firebreak scan --ingest` stores). One line is one scanned file:
--   {"path":"/srv/m.pt","size":5397,"sha256":"ab12...","format":"pytorch-zip",
--    "verdict":"dangerous","globals":[{"module":"posix","name":"system",
--    "class":"dangerous",...}],"findings":[{"severity":"critical",
--    "rule":"pickle.dangerous-global","message":"...","member":...}]}
-- A dangerous, error or suspicious file becomes one finding of kind "model"
-- whose identity is the file's SHA-256 and its worst rule, so one bad
-- checkpoint copied to 40 paths is one finding with 40 locations. Safe and
-- not-model files emit nothing. No scope is declared: a scan of one
-- directory says nothing about the models in another, so it resolves none.
-- Documented in firebreak-scan(1).

local M = {
  version = "1",
  description = "firebreak scan --json output (model-artifact scanner)",
  jsonl = true,
}

function M.detect(sample)
  -- the first line only, with plain searches (patterns on a large sample
  -- are refused by the sandbox's cost bound); scan_result_json writes
  -- path first and verdict, globals and findings always
  local nl = sample:find("\n", 1, true)
  local first = sample:sub(1, (nl or #sample + 1) - 1)
  if first:sub(1, 8) ~= '{"path":' then return 0 end
  if first:find('"verdict":', 1, true) and first:find('"globals":', 1, true)
      and first:find('"findings":', 1, true) and first:find('"format":', 1, true) then
    return 0.95
  end
  return 0
end

local reported = { dangerous = true, error = true, suspicious = true }
local sev_rank = { info = 0, low = 1, medium = 2, high = 3, critical = 4 }
local verdict_sev = { dangerous = "critical", error = "medium", suspicious = "low" }

local function str(v, max)
  if type(v) ~= "string" then return nil end
  if max and #v > max then return v:sub(1, max) .. "..." end
  return v
end

local function is_hex64(s)
  if type(s) ~= "string" or #s ~= 64 then return false end
  return s:find("^[0-9a-f]+$") ~= nil
end

-- The worst finding: highest severity, the first of equals.
local function worst(findings)
  local best, rank = nil, -1
  for _, f in ipairs(findings) do
    if type(f) == "table" then
      local r = sev_rank[f.severity] or -1
      if r > rank then best, rank = f, r end
    end
  end
  return best
end

local function global_names(globals, class, max)
  local names, n = {}, 0
  for _, g in ipairs(globals) do
    if type(g) == "table" and g.class == class and type(g.module) == "string"
        and type(g.name) == "string" then
      n = n + 1
      if n <= max then names[#names + 1] = g.module .. "." .. g.name end
    end
  end
  if n == 0 then return nil end
  local s = table.concat(names, ", ")
  if n > max then s = s .. " (+" .. (n - max) .. " more)" end
  return s
end

local function where(f)
  local s = ""
  if type(f.member) == "string" then s = " in '" .. f.member .. "'" end
  if math.type(f.offset) == "integer" then s = s .. " at offset " .. f.offset end
  return s
end

function M.parse_record(rec, ctx, emit)
  if type(rec) ~= "table" or type(rec.verdict) ~= "string" then
    error("line " .. (ctx.record_index + 1) ..
      ": expected a scan result object with a verdict")
  end
  if not reported[rec.verdict] then return end
  local path = str(rec.path)
  local sha = rec.sha256
  if not is_hex64(sha) then sha = nil end
  if path == nil and sha == nil then
    error("line " .. (ctx.record_index + 1) .. ": a result with neither path nor sha256")
  end
  local findings = type(rec.findings) == "table" and rec.findings or {}
  local globals = type(rec.globals) == "table" and rec.globals or {}
  local w = worst(findings)
  local rule = (w and str(w.rule, 200)) or ("scan." .. rec.verdict)
  local severity = (w and sev_rank[w.severity] and w.severity) or
    verdict_sev[rec.verdict]
  local format = str(rec.format, 40) or "unknown"

  local title
  if rec.verdict == "dangerous" then
    local names = global_names(globals, "dangerous", 3)
    title = "dangerous " .. format .. " model: " ..
      (names and ("imports " .. names) or str(w and w.message, 200) or rule)
  elseif rec.verdict == "error" then
    title = "malformed " .. format .. " model: " .. (str(w and w.message, 200) or rule)
  else
    local names = global_names(globals, "unknown", 3)
    title = format .. " model references code: " ..
      (names or str(w and w.message, 200) or rule)
  end

  local lines = { "verdict " .. rec.verdict .. ", format " .. format }
  if math.type(rec.size) == "integer" then lines[1] = lines[1] .. ", " .. rec.size .. " bytes" end
  for i, f in ipairs(findings) do
    if i > 50 then
      lines[#lines + 1] = "... " .. (#findings - 50) .. " more findings"
      break
    end
    if type(f) == "table" then
      lines[#lines + 1] = tostring(f.severity) .. " " .. tostring(f.rule) .. ": " ..
        (str(f.message, 500) or "") .. where(f)
    end
  end

  local identity = { rule = rule }
  local assets = {}
  if sha then
    identity.sha256 = sha
    assets[#assets + 1] = { type = "model", value = "sha256:" .. sha }
  else
    identity.path = path
  end
  local locations = {}
  local host = str(rec.host, 255)
  if host then
    assets[#assets + 1] = { type = "host", value = host }
  end
  if path then
    assets[#assets + 1] = { type = "file", value = path }
    locations[1] = { path = path, host = host }
  end

  emit {
    source = "firebreak-scan",
    kind = "model",
    rule_id = rule,
    title = title,
    detail = table.concat(lines, "\n"),
    severity = severity,
    identity = identity,
    assets = assets,
    locations = locations,
    raw = rec,
  }
end

return M
