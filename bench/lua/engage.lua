-- POST a view to the engagement endpoint (BENCH_PATH) as a static page's
-- script would, from distinct browser readers (see readers.lua).
package.path = package.path .. ";" .. (os.getenv("BENCH_LUA_DIR") or ".") .. "/?.lua"
require("readers")
as_readers("POST", os.getenv("BENCH_PATH") or "/", { ["Content-Type"] = "application/json" },
  '{"type":"view","referrer":"https://news.example/item?id=1","path":"/blog/post"}')
