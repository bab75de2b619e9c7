-- firebreak-gateway: firebreak's own gateway event, one JSON object per line
-- (documented in firebreak-ingest(5)):
--   {"time":"2026-11-26T10:00:00Z","key_id":"9f3c1a2b4d5e6f70",
--    "client_ip":"203.0.113.7","route":"/v1/chat/completions",
--    "model":"llama-3-70b","status":200,"tokens_in":512,"tokens_out":900,
--    "latency_ms":1200,"request_id":"req-1"}
-- Records are parsed and judged in C (native = "firebreak-gateway"): this
-- file only recognises the format.
local M = {
  version = "1",
  description = "firebreak's own JSON Lines gateway event (key_id, client_ip, status, tokens)",
  native = "firebreak-gateway",
}

function M.detect(sample)
  local nl = sample:find("\n", 1, true)
  local first = sample:sub(1, (nl or #sample + 1) - 1)
  if first:sub(1, 1) ~= "{" then return 0 end
  if first:find('"client_ip"', 1, true) and first:find('"status"', 1, true) and
      first:find('"time"', 1, true) and (first:find('"key_id"', 1, true) or
      first:find('"tokens_out"', 1, true)) then
    return 0.9
  end
  return 0
end

return M
