-- garak: NVIDIA garak LLM scanner output, both JSON Lines files:
--   report (garak.<run>.report.jsonl): the eval rows become findings, one
--     per probe and detector with failures against the target
--     (identity: probe, detector, generator); attempts are not repeated
--     as findings. Severity: the digest's absolute_defcon for that probe
--     and detector when present (1 critical, 2 high, 3 medium, 4 low,
--     5 info), else the failure rate (>= 50% high, >= 10% medium, else
--     low). Scope: "garak:" and the generator, so a later run where a
--     probe passes resolves it.
--   hitlog (*.hitlog.jsonl): each row is one hit (identity: run_id,
--     attempt_id, attempt_idx, detector); severity from the detector's
--     score: >= 0.75 high, >= 0.5 medium, else low. No scope.
-- Times are local without a zone: stored as UTC and flagged.

local fmt = require("firebreak.fmt")
local str, tab = fmt.str, fmt.tab

local M = {
  version = "1",
  description = "garak report and hitlog JSON Lines (LLM vulnerability scanner)",
  jsonl = true,
}

function M.detect(sample)
  local line = fmt.first_line(sample)
  if fmt.first(line) ~= "{" then return 0 end
  if fmt.has(line, '"entry_type"') and
      fmt.has(line, '"start_run setup"', '"init"', '"garak_version"', "garak") then
    return 0.9
  end
  if fmt.all(line, '"attempt_id"', '"detector"', '"probe"', '"score"') then
    return 0.9
  end
  return 0
end

local defcon = { [1] = "critical", [2] = "high", [3] = "medium", [4] = "low", [5] = "info" }

local function generator(ctx)
  return ctx.generator or "unknown"
end

local function hit(h, ctx, emit)
  local score = fmt.num(h.score) or 0
  local sev = score >= 0.75 and "high" or (score >= 0.5 and "medium" or "low")
  local probe, det = str(h.probe, 200) or "?", str(h.detector, 200) or "?"
  local gen = str(h.generator, 256)
  local prompt = h.prompt
  if type(prompt) == "table" then
    local t = tab(tab(tab(tab(prompt.turns)[1]).content))
    prompt = t.text
  end
  local output = h.output
  if type(output) == "table" then output = output.text end
  emit {
    source = "garak", kind = "llm", rule_id = probe,
    title = "garak hit: " .. probe .. " / " .. det .. (gen and (" against " .. gen) or ""),
    severity = sev,
    detail = fmt.lines({
      str(h.goal) and ("goal: " .. str(h.goal, 1000)),
      str(prompt) and ("prompt: " .. str(prompt, 4000)) or nil,
      str(output) and ("output: " .. str(output, 4000)) or nil,
      "score: " .. tostring(score),
    }),
    identity = { run_id = str(h.run_id, 100), attempt_id = str(h.attempt_id, 100),
      attempt_idx = fmt.int(h.attempt_idx), detector = det },
    assets = gen and { { type = "model", value = gen, role = "target" } } or nil,
    raw = h,
  }
end

function M.parse_record(r, ctx, emit)
  emit = fmt.bounded(emit)
  if type(r) ~= "table" then
    error("line " .. (ctx.record_index + 1) .. ": expected a JSON object", 0)
  end
  local et = r.entry_type
  if et == nil then
    if r.attempt_id ~= nil and r.detector ~= nil then return hit(r, ctx, emit) end
    error("line " .. (ctx.record_index + 1) .. ": neither a report entry nor a hit", 0)
  end
  if et == "start_run setup" then
    local tt, tn = str(r["plugins.target_type"], 128), str(r["plugins.target_name"], 128)
    if tt or tn then ctx.generator = fmt.join(" ", tt, tn) end
    ctx.run_id = str(r["transient.run_id"], 100)
    ctx.start = fmt.time(r["transient.starttime_iso"])
  elseif et == "init" then
    ctx.run_id = ctx.run_id or str(r.run, 100)
    ctx.start = ctx.start or fmt.time(r.start_time)
    ctx.version = str(r.garak_version, 32)
  elseif et == "eval" then
    ctx.evals = ctx.evals or {}
    if #ctx.evals < 100000 then ctx.evals[#ctx.evals + 1] = r end
  elseif et == "digest" then
    ctx.digest = r
  end
  ctx.report = true
end

-- digest.eval.<group>.<probe>.<detector>.absolute_defcon
local function digest_defcon(digest, probe, det)
  local ev = tab(tab(digest).eval)
  for _, group in pairs(ev) do
    if type(group) == "table" then
      local p = group[probe]
      if type(p) == "table" and type(p[det]) == "table" then
        local d = fmt.int(p[det].absolute_defcon)
        if d then return defcon[d] end
      end
    end
  end
  return nil
end

function M.finish(ctx, emit)
  emit = fmt.bounded(emit)
  if not ctx.report then return end
  local gen = generator(ctx)
  for _, e in ipairs(ctx.evals or {}) do
    local fails = fmt.int(e.fails) or 0
    local total = fmt.int(e.total_evaluated) or fmt.int(e.total) or 0
    if fails > 0 then
      local probe, det = str(e.probe, 200) or "?", str(e.detector, 200) or "?"
      local rate = total > 0 and fails / total or 1
      local sev = digest_defcon(ctx.digest, probe, det) or
        (rate >= 0.5 and "high" or (rate >= 0.1 and "medium" or "low"))
      local ci = ""
      if fmt.num(e.confidence_lower) and fmt.num(e.confidence_upper) then
        ci = string.format(" (%s CI %.2f-%.2f)", str(e.confidence, 8) or "",
          e.confidence_lower, e.confidence_upper)
      end
      emit {
        source = "garak", kind = "llm", rule_id = probe,
        title = string.format("garak probe %s failed %d/%d with detector %s against %s",
          probe, fails, total, det, gen),
        severity = sev,
        event_time = ctx.start,
        detail = fmt.lines({
          string.format("failure rate %.1f%%%s", rate * 100, ci),
          ctx.run_id and ("run: " .. ctx.run_id) or nil,
          ctx.version and ("garak " .. ctx.version) or nil,
        }),
        scope = "garak:" .. gen,
        identity = { probe = probe, detector = det, generator = gen },
        assets = { { type = "model", value = gen, role = "target" } },
        raw = e,
      }
    end
  end
  emit { declare_scope = "garak:" .. gen, source = "garak" }
end

return M
