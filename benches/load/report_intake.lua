-- Load for `POST /api/v1/reports`: distinct reporters over 50 services, so every report is
-- counted and stored the way a real flood is. A reporter is an address (an IPv6 /64), so wrk
-- plays a trusted proxy and names a new one in X-Forwarded-For on every report.
-- See docs/performance.md, "Report intake".
--   aftermath ingest --format services benches/load/services.toml
--   aftermath serve --report-rate 1000000000 --trusted-proxies 127.0.0.1
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
    -- A /64 of its own per report: this run, this thread, this report.
    ["X-Forwarded-For"] = string.format("%x:%x:%x:%x::1", 0x2001 + id, run % 65536,
      math.floor(counter / 65536) % 65536, counter % 65536),
  }, body)
end
