-- GET one fixed path (BENCH_PATH) as browsers would: 2,000 distinct browser
-- readers per wrk thread, so counting views does its real work (a new
-- visitor key, or a repeat within 30 minutes). Requests are built once.
package.path = package.path .. ";" .. (os.getenv("BENCH_LUA_DIR") or ".") .. "/?.lua"
require("report")
local path = os.getenv("BENCH_PATH") or "/"
local requests, n, i = {}, 2000, 0
function init_scenario(args)
  for k = 1, n do
    local agent = string.format("Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0 reader/%d-%d", id or 0, k)
    requests[k] = wrk.format("GET", path, { ["User-Agent"] = agent })
  end
end
request = function()
  i = i % n + 1
  return requests[i]
end
