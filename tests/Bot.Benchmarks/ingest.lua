-- wrk script for the ingest benchmark (tests/Bot.Benchmarks): run by IngestBenchmark, or by hand:
--   wrk -t2 -c50 -d10s --latency -s tests/Bot.Benchmarks/ingest.lua http://127.0.0.1:8080
--   BENCH_TARGET=alertmanager wrk -t2 -c50 -d10s --latency -s tests/Bot.Benchmarks/ingest.lua http://127.0.0.1:9093
-- 5 alerts with new fingerprints per request over 100 alert groups: to the bot as an Alertmanager v4 webhook, or to
-- Alertmanager itself on its API v2 (/api/v2/alerts), as Prometheus sends them.
local bench = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "webhooks.lua")
local counter = 0
-- GROUP_SHARE=k/n: only the groups g with g % n == k, as a replica would see them if each group's webhooks went to one
-- replica (ingest-postgres --partitioned: what two replicas take when they never lock the same incidents)
local share_index, share_count = (os.getenv("GROUP_SHARE") or "0/1"):match("(%d+)/(%d+)")
share_index, share_count = tonumber(share_index), tonumber(share_count)
request = function()
  counter = counter + 1
  local id = string.format("%08x%02x%08x", bench.run, tid, counter)
  local group = counter % 100
  if share_count > 1 then group = (counter % math.floor(100 / share_count)) * share_count + share_index end
  local alerts = {}
  for i = 0, 4 do
    local labels = string.format('{"alertname":"Load%d","instance":"host-%s-%d","severity":"warning","team":"network"}', group, id, i)
    if bench.target == "alertmanager" then
      alerts[#alerts + 1] = string.format('{"labels":%s,"annotations":{"summary":"load test alert"},"startsAt":"2026-11-24T00:45:43.209Z","generatorURL":"http://prometheus/graph"}', labels)
    else
      alerts[#alerts + 1] = string.format('{"status":"firing","labels":%s,"annotations":{"summary":"load test alert"},"startsAt":"2026-11-24T00:45:43.209Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus/graph","fingerprint":"%s"}', labels, bench.fingerprint(id, i))
    end
  end
  if bench.target == "alertmanager" then
    return wrk.format(nil, "/api/v2/alerts", nil, "[" .. table.concat(alerts, ",") .. "]")
  end
  local body = string.format('{"receiver":"bot","status":"firing","version":"4","groupKey":"{}:{alertname=\\"Load%d\\"}","externalURL":"http://127.0.0.1:9093","truncatedAlerts":0,"groupLabels":{},"commonLabels":{},"commonAnnotations":{},"alerts":[%s]}', group, table.concat(alerts, ","))
  return wrk.format(nil, "/webhooks/alertmanager", nil, body)
end
