-- envoy: Envoy (and Envoy Gateway) JSON access logs, one object per line:
-- start_time, response_code, response_flags (RL: rate limited),
-- x-request-id, x-forwarded-for or downstream_remote_address, path.
-- Parsed and judged in C (native = "envoy"); see firebreak-ingest(5).
local M = {
  version = "1",
  description = "Envoy JSON access logs",
  native = "envoy",
}

function M.detect(sample)
  local nl = sample:find("\n", 1, true)
  local first = sample:sub(1, (nl or #sample + 1) - 1)
  if first:sub(1, 1) ~= "{" then return 0 end
  if first:find('"response_flags"', 1, true) and
      (first:find('"start_time"', 1, true) or first:find('"response_code"', 1, true)) then
    return 0.9
  end
  return 0
end

return M
