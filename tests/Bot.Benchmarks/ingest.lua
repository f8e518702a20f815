-- wrk script for the ingest benchmark (tests/Bot.Benchmarks): run by IngestBenchmark, or by hand:
--   wrk -t2 -c50 -d10s --latency -s tests/Bot.Benchmarks/ingest.lua http://127.0.0.1:8080
-- Alertmanager v4 payloads of 5 alerts with new fingerprints per request.
local counter = 0
local thread_id = 0
-- Fingerprints and instances are new in every run: the run's number (set by the benchmark, else the clock), the
-- thread and a counter, each formatted on its own (wrk's LuaJIT formats integers in 32 bits).
local run = tonumber(os.getenv("BENCH_RUN") or os.time()) % 2147483647
setup = function(thread) thread:set("tid", thread_id); thread_id = thread_id + 1 end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  counter = counter + 1
  local id = string.format("%08x%02x%08x", run, tid, counter)
  local group = counter % 100
  local alerts = {}
  for i = 0, 4 do
    alerts[#alerts + 1] = string.format('{"status":"firing","labels":{"alertname":"Load%d","instance":"host-%s-%d","severity":"warning","team":"network"},"annotations":{"summary":"load test alert"},"startsAt":"2026-11-24T00:45:43.209Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus/graph","fingerprint":"%s%x"}', group, id, i, id, i)
  end
  local body = string.format('{"receiver":"bot","status":"firing","version":"4","groupKey":"{}:{alertname=\\"Load%d\\"}","externalURL":"http://127.0.0.1:9093","truncatedAlerts":0,"groupLabels":{},"commonLabels":{},"commonAnnotations":{},"alerts":[%s]}', group, table.concat(alerts, ","))
  return wrk.format(nil, "/webhooks/alertmanager", nil, body)
end
