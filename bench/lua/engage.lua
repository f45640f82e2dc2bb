-- POST a view to the engagement endpoint (BENCH_PATH) as a static page's
-- script would, from 2,000 distinct readers per wrk thread. The requests
-- are built once per thread, so wrk spends its share of the two cores on
-- sending, not on formatting.
package.path = package.path .. ";" .. (os.getenv("BENCH_LUA_DIR") or ".") .. "/?.lua"
require("report")
local path = os.getenv("BENCH_PATH") or "/"
local body = '{"type":"view","referrer":"https://news.example/item?id=1","path":"/blog/post"}'
local requests, n, i = {}, 2000, 0
function init_scenario(args)
  for k = 1, n do
    local agent = string.format("Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0 reader/%d-%d", id or 0, k)
    requests[k] = wrk.format("POST", path, { ["Content-Type"] = "application/json", ["User-Agent"] = agent }, body)
  end
end
request = function()
  i = i % n + 1
  return requests[i]
end
