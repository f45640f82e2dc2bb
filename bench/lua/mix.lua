-- A weighted mix of RealWorld requests. BENCH_MIX chooses the weights:
--   read-heavy:  list 60, article 25, tags 10, profile 5
--   write-heavy: list 25, article 25, create 30, comment 20
--   mixed:       list 45, article 25, tags 10, profile 5, create 10, comment 5
package.path = package.path .. ";" .. (os.getenv("BENCH_LUA_DIR") or ".") .. "/?.lua"
require("report")
local token = os.getenv("BENCH_TOKEN")
local user = os.getenv("BENCH_USER")
local mixes = {
  ["read-heavy"] = { list = 60, article = 25, tags = 10, profile = 5 },
  ["write-heavy"] = { list = 25, article = 25, create = 30, comment = 20 },
  ["mixed"] = { list = 45, article = 25, tags = 10, profile = 5, create = 10, comment = 5 },
}
local weights = mixes[os.getenv("BENCH_MIX") or "read-heavy"]
local slugs = {}
local counter = 0

function init_scenario(args)
  for line in io.lines(os.getenv("BENCH_SLUGS")) do table.insert(slugs, line) end
  math.randomseed(os.time() + (id or 0))
end

local function pick()
  local roll = math.random(1, 100)
  for _, name in ipairs({ "list", "article", "tags", "profile", "create", "comment" }) do
    local w = weights[name] or 0
    if roll <= w then return name end
    roll = roll - w
  end
  return "list"
end

local json = { ["Content-Type"] = "application/json", ["Authorization"] = "Token " .. (token or "") }

request = function()
  local kind = pick()
  local slug = slugs[math.random(1, #slugs)]
  if kind == "list" then
    return wrk.format("GET", "/api/articles?limit=20")
  elseif kind == "article" then
    return wrk.format("GET", "/api/articles/" .. slug)
  elseif kind == "tags" then
    return wrk.format("GET", "/api/tags")
  elseif kind == "profile" then
    return wrk.format("GET", "/api/profiles/" .. user)
  elseif kind == "create" then
    counter = counter + 1
    return wrk.format("POST", "/api/articles", json, string.format(
      '{"article":{"title":"Mix %d-%d-%d","description":"d","body":"b","tagList":["bench"]}}',
      id or 0, counter, math.random(1, 1000000000)))
  else
    return wrk.format("POST", "/api/articles/" .. slug .. "/comments", json,
      '{"comment":{"body":"A comment from the benchmark."}}')
  end
end
