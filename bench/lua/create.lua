-- Authenticated article creation (RealWorld), a unique title per request.
package.path = package.path .. ";" .. (os.getenv("BENCH_LUA_DIR") or ".") .. "/?.lua"
require("report")
local token = os.getenv("BENCH_TOKEN")
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format(
    '{"article":{"title":"Bench %d-%d-%d","description":"load test","body":"Created by the benchmark.","tagList":["bench"]}}',
    id or 0, counter, math.random(1, 1000000000))
  return wrk.format("POST", "/api/articles",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Token " .. token }, body)
end
