-- Load for `POST /api/v1/reports`: distinct reporters (user agents) over 50 services, so every
-- report is counted and stored the way a real flood is. See docs/performance.md, "Report intake".
--   aftermath ingest --format services benches/load/services.toml
--   aftermath serve --report-rate 1000000000
--   wrk -t2 -c64 -d10s --latency -s benches/load/report_intake.lua http://127.0.0.1:8080
local counter = 0
local threads = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  -- A new reporter namespace each run, so a second run is not all duplicates of the first.
  math.randomseed(os.time() * 16 + id)
  run = math.random(1, 1000000000)
end

function request()
  counter = counter + 1
  local body = string.format('{"service":"svc-%d","symptom":"login"}', counter % 50)
  return wrk.format("POST", "/api/v1/reports", {
    ["Content-Type"] = "application/json",
    ["User-Agent"] = string.format("load-%d-%d-%d", run, id, counter),
  }, body)
end
