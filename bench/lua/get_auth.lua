-- GET one fixed path as a signed-in RealWorld user (BENCH_PATH, BENCH_TOKEN).
package.path = package.path .. ";" .. (os.getenv("BENCH_LUA_DIR") or ".") .. "/?.lua"
require("report")
local path = os.getenv("BENCH_PATH") or "/"
local headers = { ["Authorization"] = "Token " .. (os.getenv("BENCH_TOKEN") or "") }
request = function()
  return wrk.format("GET", path, headers)
end
