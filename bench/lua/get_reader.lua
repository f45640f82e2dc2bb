-- GET one fixed path (BENCH_PATH) as browsers would (see readers.lua).
package.path = package.path .. ";" .. (os.getenv("BENCH_LUA_DIR") or ".") .. "/?.lua"
require("readers")
as_readers("GET", os.getenv("BENCH_PATH") or "/", {})
