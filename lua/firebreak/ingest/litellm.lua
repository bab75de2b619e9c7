-- litellm: LiteLLM proxy SpendLogs rows and StandardLoggingPayload objects,
-- as JSON Lines, concatenated objects or one array. api_key is LiteLLM's
-- SHA-256 of the key: its first 16 hex digits are the key id. Parsed and
-- judged in C (native = "litellm"); see firebreak-ingest(5).
local M = {
  version = "1",
  description = "LiteLLM spend logs and standard logging payloads (JSON)",
  native = "litellm",
}

function M.detect(sample)
  local s = sample:sub(1, 8192)
  if not s:find("^%s*[%[{]") then return 0 end
  if s:find('"call_type"', 1, true) and s:find('"startTime"', 1, true) and
      (s:find('"spend"', 1, true) or s:find('"response_cost"', 1, true)) then
    return 0.9
  end
  return 0
end

return M
