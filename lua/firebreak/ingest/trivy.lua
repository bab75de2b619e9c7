-- trivy: Trivy JSON (`trivy image|fs|repo|k8s -f json`, SchemaVersion 2).
-- Streamed: each element of Results[].Vulnerabilities, .Misconfigurations
-- and .Secrets is one record (record_path Results.*.*.*; Packages and
-- other arrays there are told apart by their shape and skipped).
-- Identity (firebreak-ingest(5)):
--   vulnerability  Fingerprint when Trivy gives one, else VulnerabilityID,
--                  PkgIdentifier.PURL or PkgID or PkgName@InstalledVersion,
--                  PkgPath, Target, artifact (Metadata.ImageID or
--                  ArtifactName)
--   misconfig      ID (or AVDID), Target, CauseMetadata.StartLine/EndLine,
--                  artifact; passed checks are skipped
--   secret         RuleID, Target, StartLine, artifact
-- Severity UNKNOWN..CRITICAL (UNKNOWN is medium: a known advisory without
-- a rating). Scope: ArtifactType:ArtifactName, declared even when the
-- report has no Results; legacy output `null` is an empty report.

local fmt = require("firebreak.fmt")
local str, tab = fmt.str, fmt.tab

local M = {
  version = "1",
  description = "Trivy JSON (vulnerabilities, misconfigurations, secrets)",
  record_path = "Results.*.*.*",
  context = {
    "created=CreatedAt", "artifact=ArtifactName", "atype=ArtifactType",
    "image_id=Metadata.ImageID", "repo_digests=Metadata.RepoDigests",
    "repo_tags=Metadata.RepoTags", "os=Metadata.OS",
    "target=Results.*.Target", "class=Results.*.Class", "rtype=Results.*.Type",
  },
}

function M.detect(sample)
  local c, p = fmt.first(sample)
  if c == nil then return 0 end
  if c == "n" and sample:sub(p, p + 3) == "null" and
      fmt.first(sample:sub(p + 4)) == nil then
    return 0.3 -- legacy Trivy: no results at all
  end
  if c ~= "{" then return 0 end
  local head = sample:sub(1, 4096)
  if fmt.has(head, '"SchemaVersion"') and
      fmt.has(head, '"ArtifactName"', '"Results"', '"ArtifactType"') then
    return 0.95
  end
  return 0
end

local sev = {
  UNKNOWN = "medium", LOW = "low", MEDIUM = "medium", HIGH = "high",
  CRITICAL = "critical",
}

local function artifact(ctx)
  return str(ctx.image_id, 200) or str(ctx.artifact, 1024)
end

local function scope(ctx)
  local a = str(ctx.artifact, 900)
  if a == nil then return nil end
  return (str(ctx.atype, 64) or "artifact") .. ":" .. a
end

local function base_assets(ctx)
  local assets = {}
  local id = str(ctx.image_id, 200)
  if id ~= nil then
    assets[#assets + 1] = {
      type = "image", value = id, role = "scanned",
      attributes = { name = str(ctx.artifact, 1024),
        repo_digests = #tab(ctx.repo_digests) > 0 and ctx.repo_digests or nil,
        repo_tags = #tab(ctx.repo_tags) > 0 and ctx.repo_tags or nil },
    }
  end
  return assets
end

local function vulnerability(v, ctx, emit)
  local id = str(v.VulnerabilityID, 200)
  if id == nil then
    error("Results[" .. ctx.indices[1] .. "]: a vulnerability whose " ..
      "VulnerabilityID is not a string", 0)
  end
  local pid = tab(v.PkgIdentifier)
  local purl = str(pid.PURL, 1024)
  local pkgname = str(v.PkgName, 512) or "?"
  local ver = str(v.InstalledVersion, 200) or ""
  local pkg = purl or str(v.PkgID, 1024) or (pkgname .. "@" .. ver)
  local identity
  if str(v.Fingerprint, 200) then
    identity = { fingerprint = v.Fingerprint }
  else
    identity = { vuln = id, pkg = pkg, path = str(v.PkgPath, 1024),
      target = str(ctx.target, 1024), artifact = artifact(ctx) }
  end
  local assets = base_assets(ctx)
  if purl then
    assets[#assets + 1] = { type = "package", value = purl, role = "affected" }
  end
  local title = id .. " in " .. pkgname .. " " .. ver
  if str(v.Title) then title = title .. ": " .. str(v.Title, 300) end
  local where = str(v.PkgPath, 1024) or str(ctx.target, 1024)
  emit {
    source = "trivy", kind = "vulnerability", rule_id = id,
    title = title,
    severity = sev[v.Severity] or "medium",
    detail = fmt.lines({
      str(v.Description, 8192),
      "package: " .. pkg,
      str(v.FixedVersion) and ("fixed in: " .. str(v.FixedVersion, 500)),
      str(v.Status) and ("status: " .. str(v.Status, 64)),
      str(ctx.target) and ("target: " .. str(ctx.target, 1024)),
      str(v.PrimaryURL) and ("see: " .. str(v.PrimaryURL, 1024)),
    }),
    event_time = fmt.time(ctx.created),
    scope = scope(ctx),
    identity = identity,
    assets = assets,
    locations = where and { { path = where } } or nil,
    raw = v,
  }
end

local function misconfiguration(m, ctx, emit)
  if m.Status == "PASS" or m.Status == "EXCEPTION" then return end
  local id = str(m.ID, 200) or str(m.AVDID, 200) or "?"
  local cause = tab(m.CauseMetadata)
  local start, stop = fmt.int(cause.StartLine), fmt.int(cause.EndLine)
  local target = str(ctx.target, 1024)
  local title = id .. ": " .. (str(m.Title, 300) or "misconfiguration")
  if target then title = title .. " in " .. str(target, 300) end
  emit {
    source = "trivy", kind = "misconfiguration", rule_id = id,
    title = title,
    severity = sev[m.Severity] or "medium",
    detail = fmt.lines({
      str(m.Message, 4096), str(m.Description, 4096),
      str(m.Resolution) and ("resolution: " .. str(m.Resolution, 2048)),
      start and ("lines " .. start .. "-" .. (stop or start)),
      str(m.PrimaryURL) and ("see: " .. str(m.PrimaryURL, 1024)),
    }),
    event_time = fmt.time(ctx.created),
    scope = scope(ctx),
    identity = { id = id, target = target, start = start, ["end"] = stop,
      artifact = artifact(ctx) },
    assets = base_assets(ctx),
    locations = target and { { path = target, line = start } } or nil,
    raw = m,
  }
end

local function secret(s, ctx, emit)
  local rule = str(s.RuleID, 200) or "?"
  local target = str(ctx.target, 1024)
  local line = fmt.int(s.StartLine)
  local title = (str(s.Title, 300) or rule) .. " in " .. (str(target, 300) or "?")
  if line then title = title .. ":" .. line end
  emit {
    source = "trivy", kind = "secret", rule_id = rule,
    title = title,
    severity = sev[s.Severity] or "high",
    detail = fmt.lines({
      str(s.Category) and ("category: " .. str(s.Category, 200)),
      str(s.Match) and ("match: " .. str(s.Match, 1024)),
    }),
    event_time = fmt.time(ctx.created),
    scope = scope(ctx),
    identity = { rule = rule, target = target, line = line,
      artifact = artifact(ctx) },
    assets = base_assets(ctx),
    locations = target and { { path = target, line = line } } or nil,
    raw = s,
  }
end

function M.parse_record(rec, ctx, emit)
  emit = fmt.bounded(emit)
  if type(rec) ~= "table" then return end
  if rec.VulnerabilityID ~= nil then
    vulnerability(rec, ctx, emit)
  elseif rec.RuleID ~= nil and (rec.Match ~= nil or rec.Category ~= nil) then
    secret(rec, ctx, emit)
  elseif (rec.ID ~= nil or rec.AVDID ~= nil) and rec.Severity ~= nil and
      (rec.Status ~= nil or rec.CauseMetadata ~= nil or rec.Query ~= nil) then
    misconfiguration(rec, ctx, emit)
  end
end

function M.finish(ctx, emit)
  emit = fmt.bounded(emit)
  local s = scope(ctx)
  if s then emit { declare_scope = s, source = "trivy" } end
end

return M
