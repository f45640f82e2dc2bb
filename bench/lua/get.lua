-- GET one fixed path (set with the BENCH_PATH environment variable).
package.path = package.path .. ";" .. (os.getenv("BENCH_LUA_DIR") or ".") .. "/?.lua"
require("report")
local path = os.getenv("BENCH_PATH") or "/"
request = function()
  return wrk.format("GET", path)
end
