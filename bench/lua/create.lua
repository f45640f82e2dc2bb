-- Authenticated article creation (RealWorld), a unique title per request and
-- the 1 KB Markdown post (bench/text/post-1k.md) as the body, as the
-- throughput issue specifies.
package.path = package.path .. ";" .. (os.getenv("BENCH_LUA_DIR") or ".") .. "/?.lua"
require("report")
local token = os.getenv("BENCH_TOKEN")
local file = assert(io.open((os.getenv("BENCH_LUA_DIR") or ".") .. "/../text/post-1k.md"))
local markdown = file:read("*a"):gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end)
file:close()
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format(
    '{"article":{"title":"Bench %d-%d-%d","description":"load test","body":"%s","tagList":["bench"]}}',
    id or 0, counter, math.random(1, 1000000000), markdown)
  return wrk.format("POST", "/api/articles",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Token " .. token }, body)
end
