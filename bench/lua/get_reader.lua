-- GET one fixed path (BENCH_PATH) as a browser would: a browser user agent
-- that cycles through 50,000 distinct readers, so counting views does its
-- real work (a new visitor key, or a repeat within 30 minutes).
package.path = package.path .. ";" .. (os.getenv("BENCH_LUA_DIR") or ".") .. "/?.lua"
require("report")
local path = os.getenv("BENCH_PATH") or "/"
local counter = 0
request = function()
  counter = counter + 1
  local agent = string.format("Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0 reader/%d-%d", id or 0, counter % 25000)
  return wrk.format("GET", path, { ["User-Agent"] = agent })
end
