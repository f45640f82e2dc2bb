-- POST a view to the engagement endpoint (BENCH_PATH) as a static page's
-- script would, from 50,000 distinct readers.
package.path = package.path .. ";" .. (os.getenv("BENCH_LUA_DIR") or ".") .. "/?.lua"
require("report")
local path = os.getenv("BENCH_PATH") or "/"
local counter = 0
local body = '{"type":"view","referrer":"https://news.example/item?id=1","path":"/blog/post"}'
request = function()
  counter = counter + 1
  local agent = string.format("Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0 reader/%d-%d", id or 0, counter % 25000)
  return wrk.format("POST", path, { ["Content-Type"] = "application/json", ["User-Agent"] = agent }, body)
end
