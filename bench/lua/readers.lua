-- Requests as browsers send them: 2,000 distinct readers (user agents) per
-- wrk thread, so counting views does its real work (a new visitor key, or a
-- repeat within 30 minutes). The requests are built once per thread, so wrk
-- spends its share of the two cores on sending, not on formatting.
require("report")
local requests, n, i = {}, 2000, 0

function as_readers(method, path, headers, body)
  function init_scenario(args)
    for k = 1, n do
      local h = { ["User-Agent"] = string.format("Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0 reader/%d-%d", id or 0, k) }
      for name, value in pairs(headers) do h[name] = value end
      requests[k] = wrk.format(method, path, h, body)
    end
  end
  request = function()
    i = i % n + 1
    return requests[i]
  end
end
