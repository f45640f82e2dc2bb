-- Shared by every scenario: counts non-2xx responses per thread and prints
-- one JSON line (prefixed BENCH_JSON) with throughput, latency percentiles
-- and errors when wrk finishes.
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  errors_non2xx = 0
  if init_scenario then init_scenario(args) end
end

function response(status, headers, body)
  if status < 200 or status >= 400 then
    errors_non2xx = errors_non2xx + 1
  end
end

function done(summary, latency, requests)
  local non2xx = 0
  for _, t in ipairs(threads) do
    non2xx = non2xx + (t:get("errors_non2xx") or 0)
  end
  local e = summary.errors
  local socket_errors = e.connect + e.read + e.write + e.timeout
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p95_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"non2xx":%d,"socket_errors":%d,"bytes":%d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, non2xx, socket_errors, summary.bytes))
end
