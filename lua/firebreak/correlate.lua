-- correlate: which findings belong together, and why. Run by firebreak's
-- Lua host in the CORRELATE profile for `firebreak correlate` and
-- `firebreak case suggest`. The C side hands over rows of
-- (finding, asset); the rules decide which assets tie findings together
-- and word the reason every link records. Nothing here writes: proposals
-- are applied (or not) by the caller.
--
-- A row: {finding=ID, severity="high", title=..., source=..., status=...,
--         case=ID or 0, type="host", value="gpu-07"}

local M = { version = "1" }

-- Asset types that tie findings together, and how a reason names them.
M.types = {
  model = "model",
  host = "host",
  key = "API key",
  route = "route",
  image = "image",
}

-- An asset shared by more findings than this is too common to mean one
-- incident (a route every request takes, a base image every host runs).
M.max_fanout = 50

-- A group is an incident when at least this many tools saw it: one
-- scanner's many CVEs on one host are that scanner's report, not a case.
M.min_sources = 2

local sev_rank = { info = 0, low = 1, medium = 2, high = 3, critical = 4 }
local sev_name = { [0] = "info", "low", "medium", "high", "critical" }

-- The same thing written two ways by two tools is one asset: model and
-- image digests with or without "sha256:", in any case; hosts by name.
function M.normalize(t, v)
  if type(v) ~= "string" then return nil end
  if t == "model" then
    local h = v:lower():gsub("^sha256:", "")
    return "sha256:" .. h
  elseif t == "image" then
    local d = v:match("@(sha256:%x+)$")
    return d and d:lower() or v
  elseif t == "host" then
    return v:lower()
  end
  return v
end

local function key_of(row)
  if M.types[row.type] == nil then return nil end
  local v = M.normalize(row.type, row.value)
  if v == nil then return nil end
  return row.type .. ":" .. v
end

local function sorted_keys(t)
  local out = {}
  for k in pairs(t) do out[#out + 1] = k end
  table.sort(out)
  return out
end

-- group(rows, emit): connected groups of findings through shared assets.
-- Emits {title=, severity=, findings={{id=, reason=}...}} per group of two
-- or more findings.
function M.group(rows, emit)
  local by_asset, info, assets_of = {}, {}, {}
  for _, r in ipairs(rows) do
    local id = r.finding
    info[id] = info[id] or { id = id, severity = r.severity,
      title = r.title, source = r.source }
    local k = key_of(r)
    if k then
      by_asset[k] = by_asset[k] or {}
      by_asset[k][id] = true
      assets_of[id] = assets_of[id] or {}
      assets_of[id][k] = true
    end
  end
  -- union-find over findings joined by a shared, not-too-common asset
  local parent = {}
  local function find(x)
    while parent[x] and parent[x] ~= x do x = parent[x] end
    return x
  end
  local function union(a, b)
    local ra, rb = find(a), find(b)
    if ra ~= rb then
      if ra < rb then parent[rb] = ra else parent[ra] = rb end
    end
  end
  local usable = {}
  for _, k in ipairs(sorted_keys(by_asset)) do
    local ids = sorted_keys(by_asset[k])
    if #ids >= 2 and #ids <= M.max_fanout then
      usable[k] = ids
      for i = 2, #ids do union(ids[1], ids[i]) end
    end
  end
  local groups = {}
  for _, id in ipairs(sorted_keys(info)) do
    local root = find(id)
    groups[root] = groups[root] or {}
    table.insert(groups[root], id)
  end
  for _, root in ipairs(sorted_keys(groups)) do
    local ids = groups[root]
    if #ids >= 2 then
      local links, shared, sources, sev = {}, {}, {}, 0
      for _, id in ipairs(ids) do
        local f = info[id]
        sev = math.max(sev, sev_rank[f.severity] or 0)
        sources[f.source] = true
        local why = {}
        for _, k in ipairs(sorted_keys(assets_of[id] or {})) do
          local members = usable[k]
          if members then
            shared[k] = true
            local others = {}
            for _, o in ipairs(members) do
              if o ~= id then others[#others + 1] = "#" .. o end
            end
            why[#why + 1] = "shares " .. k .. " with " .. table.concat(others, ", ")
          end
        end
        links[#links + 1] = { id = id, reason = table.concat(why, "; ") }
      end
      local nsources = #sorted_keys(sources)
      if nsources < M.min_sources then goto continue end
      local names = sorted_keys(shared)
      local title = table.concat(names, ", ")
      if #title > 120 then title = title:sub(1, 117) .. "..." end
      emit {
        title = "Shared " .. title .. " (" .. table.concat(sorted_keys(sources), ", ") .. ")",
        severity = sev_name[sev],
        findings = links,
      }
    end
    ::continue::
  end
end

-- suggest(rows, emit): rows are findings outside the case sharing an
-- asset with it; emits {finding=ID, reason=...} once per finding.
function M.suggest(rows, emit)
  local why, order, seen = {}, {}, {}
  for _, r in ipairs(rows) do
    local k = key_of(r)
    if k then
      local id = r.finding
      if not why[id] then
        why[id] = {}
        order[#order + 1] = id
      end
      if not seen[id .. "\0" .. k] then
        seen[id .. "\0" .. k] = true
        table.insert(why[id], "shares " .. k)
      end
    end
  end
  for _, id in ipairs(order) do
    emit { finding = id, reason = table.concat(why[id], "; ") }
  end
end

return M
