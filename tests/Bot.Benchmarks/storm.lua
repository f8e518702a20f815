-- wrk script for the storm benchmark (tests/Bot.Benchmarks): run by StormBenchmark, or by hand:
--   wrk -t2 -c50 -d10s --latency -s tests/Bot.Benchmarks/storm.lua http://127.0.0.1:8080
--   BENCH_TARGET=alertmanager wrk -t2 -c50 -d10s --latency -s tests/Bot.Benchmarks/storm.lua http://127.0.0.1:9093
-- One alert group (a DDoS on one service), each request bringing 5 new alerts (new instances, new fingerprints):
-- to the bot as an Alertmanager v4 webhook, or to Alertmanager itself on its API v2 (/api/v2/alerts), as
-- Prometheus sends them.
local bench = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "webhooks.lua")
local counter = 0
request = function()
  counter = counter + 1
  local id = string.format("%08x%02x%08x", bench.run, tid, counter)
  local alerts = {}
  for i = 0, 4 do
    local labels = string.format('{"alertname":"HighRequestRate","service":"transactions","instance":"edge-%s-%d","severity":"critical","team":"network"}', id, i)
    local annotations = '{"summary":"Request rate above 10x the baseline","runbook_url":"https://runbooks.example/ddos"}'
    if bench.target == "alertmanager" then
      alerts[#alerts + 1] = string.format('{"labels":%s,"annotations":%s,"startsAt":"2026-11-24T00:45:43.209Z","generatorURL":"http://prometheus/graph"}', labels, annotations)
    else
      alerts[#alerts + 1] = string.format('{"status":"firing","labels":%s,"annotations":%s,"startsAt":"2026-11-24T00:45:43.209Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus/graph","fingerprint":"%s"}', labels, annotations, bench.fingerprint(id, i))
    end
  end
  if bench.target == "alertmanager" then
    return wrk.format(nil, "/api/v2/alerts", nil, "[" .. table.concat(alerts, ",") .. "]")
  end
  local body = string.format('{"receiver":"bot","status":"firing","version":"4","groupKey":"{}:{alertname=\\"HighRequestRate\\", service=\\"transactions\\"}","externalURL":"http://127.0.0.1:9093","truncatedAlerts":0,"groupLabels":{"alertname":"HighRequestRate","service":"transactions"},"commonLabels":{"alertname":"HighRequestRate","service":"transactions","severity":"critical","team":"network"},"commonAnnotations":{},"alerts":[%s]}', table.concat(alerts, ","))
  return wrk.format(nil, "/webhooks/alertmanager", nil, body)
end
