-- firebreak.fmt: small helpers shared by the ingest adapters
-- (require "firebreak.fmt"). Nothing here touches the outside world.

local M = {}

local null = cjson.null

-- A string value of at most max bytes, "..." included when cut (on a
-- UTF-8 boundary), or nil.
function M.str(v, max)
  if type(v) ~= "string" or v == "" then return nil end
  max = max or 4096
  if #v <= max then return v end
  local cut = max - 3
  -- back off continuation bytes so the cut stays valid UTF-8
  while cut > 0 do
    local b = v:byte(cut + 1)
    if b == nil or b < 0x80 or b >= 0xC0 then break end
    cut = cut - 1
  end
  return v:sub(1, cut) .. "..."
end

-- A value that is a number or a numeric string, as a number, or nil.
function M.num(v)
  if type(v) == "number" then return v end
  if type(v) == "string" and #v <= 32 then return tonumber(v) end
  return nil
end

-- An integer, or nil.
function M.int(v)
  if math.type(v) == "integer" then return v end
  if type(v) == "number" and v == math.floor(v) and v > -2^53 and v < 2^53 then
    return math.tointeger(v)
  end
  if type(v) == "string" and #v <= 20 and v:find("^%-?%d+$") then
    return math.tointeger(tonumber(v))
  end
  return nil
end

-- t if it is a table (JSON object or array), else an empty table.
function M.tab(t)
  if type(t) == "table" then return t end
  return {}
end

function M.is_null(v) return v == nil or v == null end

M.rank = { info = 0, low = 1, medium = 2, high = 3, critical = 4 }
M.names = { [0] = "info", "low", "medium", "high", "critical" }

-- The worse of two severities (either may be nil).
function M.worse(a, b)
  if a == nil then return b end
  if b == nil then return a end
  if M.rank[b] > M.rank[a] then return b end
  return a
end

-- A CVSS base score (0..10) on the common scale; nil if not a score.
function M.cvss(score)
  local s = M.num(score)
  if s == nil or s ~= s or s < 0 or s > 10 then return nil end
  if s >= 9 then return "critical" end
  if s >= 7 then return "high" end
  if s >= 4 then return "medium" end
  if s > 0 then return "low" end
  return "info"
end

-- True if any of the plain strings occurs in s (no patterns: the sample
-- may be 64 KiB, and the sandbox bounds pattern cost).
function M.has(s, ...)
  for i = 1, select("#", ...) do
    if s:find((select(i, ...)), 1, true) then return true end
  end
  return false
end

function M.all(s, ...)
  for i = 1, select("#", ...) do
    if not s:find((select(i, ...)), 1, true) then return false end
  end
  return true
end

-- The first non-blank byte of s and its position.
function M.first(s)
  local p = s:find("[^ \t\r\n]")
  if p == nil then return nil end
  return s:sub(p, p), p
end

-- The first line of s (up to 64 KiB).
function M.first_line(s)
  local nl = s:find("\n", 1, true)
  return s:sub(1, (nl or #s + 1) - 1)
end

-- Sorted list of the string values of t (for stable identities).
function M.sorted_strings(t)
  local out = {}
  for _, v in ipairs(M.tab(t)) do
    if type(v) == "string" then out[#out + 1] = v end
  end
  table.sort(out)
  return out
end

-- Join non-nil parts with sep.
function M.join(sep, ...)
  local out = {}
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    if v ~= nil and v ~= "" then out[#out + 1] = tostring(v) end
  end
  return table.concat(out, sep)
end

-- A timestamp worth storing: RFC 3339 text that is not Go's zero time.
function M.time(v)
  if type(v) ~= "string" or #v < 10 or #v > 64 then return nil end
  if v:sub(1, 4) == "0001" then return nil end
  return v
end

-- Lines of detail text, bounded.
function M.lines(list, max)
  local out = {}
  for i = 1, 32 do -- literal lists with holes (nil parts): no ipairs
    local v = list[i]
    if type(v) == "string" and v ~= "" then out[#out + 1] = v end
  end
  local s = table.concat(out, "\n")
  return M.str(s, max or 16384)
end

-- emit, with the engine's bounds applied to the composed text fields, so
-- a long name in a report shortens a title instead of rejecting it.
local wrapped = setmetatable({}, { __mode = "k" })
function M.bounded(emit)
  local w = wrapped[emit]
  if w then return w end
  w = function(t)
    if type(t) == "table" then
      if type(t.title) == "string" then t.title = M.str(t.title, 1024) end
      if type(t.rule_id) == "string" then t.rule_id = M.str(t.rule_id, 512) end
      if type(t.scope) == "string" then t.scope = M.str(t.scope, 1024) end
      if type(t.source) == "string" then t.source = M.str(t.source, 64) end
      if type(t.declare_scope) == "string" then
        t.declare_scope = M.str(t.declare_scope, 1024)
      end
    end
    return emit(t)
  end
  wrapped[emit] = w
  return w
end

return M
