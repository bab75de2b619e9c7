-- cyclonedx: CycloneDX JSON SBOM / VEX / ML-BOM (spec 1.4 to 1.7).
-- Components (nested ones too) become assets without a finding: a package
-- (its purl) for each component with one, and a model for each
-- machine-learning-model component, named sha256:HEX when the BOM gives
-- its SHA-256, else its purl, else name@version; its model card's task,
-- architecture and datasets become attributes.
-- vulnerabilities[] become findings, one per affected component:
-- identity = the vulnerability id and the affected component's purl
-- (bom-refs are local to one document), else its bom-ref.
-- Severity: the worst ratings[].severity (critical, high, medium, low;
-- info, none -> info; unknown or missing -> medium).
-- VEX analysis.state: resolved -> resolved; false_positive, not_affected
-- -> false_positive; others leave the status alone.
-- Scope: the BOM's subject (metadata.component purl, else its name),
-- declared even when there are no vulnerabilities.

local fmt = require("firebreak.fmt")
local str, tab = fmt.str, fmt.tab

local M = {
  version = "1",
  description = "CycloneDX JSON (components, ML-BOM model cards, vulnerabilities)",
  record_path = "",
}

function M.detect(sample)
  if fmt.first(sample) ~= "{" then return 0 end
  local head = sample:sub(1, 16384)
  if fmt.has(head, '"bomFormat"') and fmt.has(head, "CycloneDX") then return 0.95 end
  if fmt.has(head, "cyclonedx.org/schema/bom") and fmt.has(head, '"specVersion"') then
    return 0.9
  end
  return 0
end

local sevmap = { critical = "critical", high = "high", medium = "medium",
  low = "low", info = "info", none = "info", unknown = nil }

local function sha256_of(c)
  for _, h in ipairs(tab(c.hashes)) do
    if type(h) == "table" and (h.alg == "SHA-256" or h.alg == "SHA256") and
        type(h.content) == "string" and #h.content == 64 and
        h.content:find("^%x+$") then
      return string.lower(h.content)
    end
  end
  return nil
end

local function model_attrs(c)
  local mc = tab(c.modelCard)
  local mp = tab(mc.modelParameters)
  local ds = {}
  for _, d in ipairs(tab(mp.datasets)) do
    if type(d) == "table" then
      ds[#ds + 1] = str(d.name, 200) or str(d.ref, 200)
    end
  end
  return {
    name = str(c.name, 256), version = str(c.version, 128),
    group = str(c.group, 256), purl = str(c.purl, 1024),
    task = str(mp.task, 128), architecture = str(mp.architectureFamily, 128),
    model_architecture = str(mp.modelArchitecture, 128),
    datasets = #ds > 0 and ds or nil,
    has_model_card = c.modelCard ~= nil or nil,
  }
end

-- Walk components depth-first (bounded), calling fn(c).
local function walk(list, fn, depth)
  if depth > 16 then return end
  for _, c in ipairs(tab(list)) do
    if type(c) == "table" then
      fn(c)
      walk(c.components, fn, depth + 1)
    end
  end
end

function M.parse_record(bom, ctx, emit)
  emit = fmt.bounded(emit)
  if type(bom) ~= "table" then error("expected a CycloneDX JSON object", 0) end
  local meta = tab(bom.metadata)
  local subject = tab(meta.component)
  local scope = str(subject.purl, 1000) or
    (str(subject.name, 900) and (str(subject.name, 900) ..
      (str(subject.version, 90) and ("@" .. subject.version) or "")))
  local byref = {}
  local assets = {}
  local function component(c)
    local ref = str(c["bom-ref"], 1024)
    local purl = str(c.purl, 1024)
    local sha = sha256_of(c)
    if ref then byref[ref] = c end
    if c.type == "machine-learning-model" then
      local v = sha and ("sha256:" .. sha) or purl or
        ((str(c.name, 256) or "model") .. (str(c.version, 128) and ("@" .. c.version) or ""))
      assets[#assets + 1] = { type = "model", value = v, attributes = model_attrs(c) }
    elseif purl then
      assets[#assets + 1] = { type = "package", value = purl,
        attributes = { name = str(c.name, 256), version = str(c.version, 128),
          sha256 = sha } }
    end
  end
  if next(subject) then component(subject) end
  walk(bom.components, component, 0)
  -- assets in batches (the engine caps one emit's list)
  for i = 1, #assets, 200 do
    local batch = {}
    for k = i, math.min(i + 199, #assets) do batch[#batch + 1] = assets[k] end
    emit { declare_assets = batch }
  end

  local when = fmt.time(meta.timestamp)
  for _, v in ipairs(tab(bom.vulnerabilities)) do
    if type(v) == "table" and type(v.id) == "string" and v.id ~= "" then
      local severity = nil
      for _, r in ipairs(tab(v.ratings)) do
        if type(r) == "table" then
          local s = sevmap[string.lower(str(r.severity, 16) or "")]
          if s == nil and fmt.num(r.score) then s = fmt.cvss(r.score) end
          severity = fmt.worse(severity, s)
        end
      end
      local an = tab(v.analysis)
      local status = nil
      if an.state == "resolved" or an.state == "resolved_with_pedigree" then
        status = "resolved"
      elseif an.state == "false_positive" or an.state == "not_affected" then
        status = "false_positive"
      end
      local affects = tab(v.affects)
      if #affects == 0 then affects = { { ref = nil } } end
      for _, af in ipairs(affects) do
        local ref = type(af) == "table" and str(af.ref, 1024) or nil
        local c = ref and byref[ref] or {}
        local purl = str(c.purl, 1024) or
          (ref and ref:sub(1, 4) == "pkg:" and ref) or nil
        local name = str(c.name, 256) or purl or ref or "?"
        local fa = {}
        if purl then fa[#fa + 1] = { type = "package", value = purl, role = "affected" } end
        local sha = sha256_of(c)
        if c.type == "machine-learning-model" and sha then
          fa[#fa + 1] = { type = "model", value = "sha256:" .. sha, role = "affected" }
        end
        local src = tab(v.source)
        emit {
          source = "cyclonedx", kind = "vulnerability", rule_id = str(v.id, 200),
          title = str(v.id, 200) .. " in " .. str(name, 300) ..
            (str(c.version, 100) and (" " .. c.version) or ""),
          severity = severity or "medium",
          status = status,
          event_time = fmt.time(v.updated) or fmt.time(v.published) or when,
          detail = fmt.lines({
            str(v.description, 8192), str(v.detail, 4096),
            str(v.recommendation) and ("recommendation: " .. str(v.recommendation, 1024)),
            str(an.state) and ("analysis: " .. str(an.state, 64) ..
              (str(an.justification) and (" (" .. str(an.justification, 200) .. ")") or "")),
            str(src.name) and ("source: " .. str(src.name, 200)),
          }),
          scope = scope,
          identity = { vuln = str(v.id, 200), component = purl or ref },
          assets = fa,
          raw = v,
        }
      end
    end
  end
  if scope then emit { declare_scope = scope, source = "cyclonedx" } end
end

return M
