-- nginx: NGINX "combined" access log lines:
--   $remote_addr - $remote_user [$time_local] "$request" $status
--   $body_bytes_sent "$http_referer" "$http_user_agent"
-- A key in the query (api_key, apikey, key, access_token) is hashed into
-- its key id. Parsed and judged in C (native = "nginx"), line by line;
-- see firebreak-ingest(5).
local M = {
  version = "1",
  description = "NGINX combined access log lines",
  native = "nginx",
}

function M.detect(sample)
  -- address, ident and user, then the bracketed time: the sandbox bounds
  -- a pattern's cost by its subject, so look at a short prefix in two steps
  local head = sample:sub(1, 160)
  local _, e = head:find("^%S+ %S+ %S+ %[")
  if e == nil then return 0 end
  if head:sub(e, e + 29):find('^%[%d%d/%a%a%a/%d%d%d%d:%d%d:%d%d:%d%d [%+%-]%d%d%d%d%] "') then
    return 0.8
  end
  return 0
end

return M
