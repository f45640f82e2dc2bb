-- POST /api/v1/analyze with one text (BENCH_TEXT, a file; default the 1 KB
-- post) and three platforms, as a signed-in user (BENCH_TOKEN).
package.path = package.path .. ";" .. (os.getenv("BENCH_LUA_DIR") or ".") .. "/?.lua"
require("report")
local file = assert(io.open(os.getenv("BENCH_TEXT") or ((os.getenv("BENCH_LUA_DIR") or ".") .. "/../text/post-1k.md")))
local text = file:read("*a")
file:close()
local escaped = text:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end)
local body = '{"text":"' .. escaped .. '","platforms":["x","mastodon","bluesky"]}'
local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or "") }
request = function()
  return wrk.format("POST", "/api/v1/analyze", headers, body)
end
