-- What the wrk scripts of the webhook benchmarks share (ingest.lua and storm.lua load it from beside them): the run's
-- number, each thread's number, where the alerts go and how their fingerprints are made.
local bench = {}
-- Fingerprints and instances are new in every run: the run's number (set by the benchmark, else the clock), the
-- thread and a counter, each formatted on its own (wrk's LuaJIT formats integers in 32 bits).
bench.run = tonumber(os.getenv("BENCH_RUN") or os.time()) % 2147483647
-- BENCH_TARGET=alertmanager: the alerts to Alertmanager's API v2 (/api/v2/alerts), as Prometheus sends them.
bench.target = os.getenv("BENCH_TARGET") or "bot"
-- BENCH_FINGERPRINTS=hashed: fingerprints spread as Alertmanager's are (a hash of the labels: random hex), not in the
-- order they are made; each thread's sequence seeded by the run and the thread.
local hashed = os.getenv("BENCH_FINGERPRINTS") == "hashed"
local thread_id = 0
setup = function(thread) thread:set("tid", thread_id); thread_id = thread_id + 1 end
init = function(args) math.randomseed(bench.run % 16777216 * 64 + tid) end
function bench.fingerprint(id, i)
  if hashed then return string.format("%08x%08x", math.random(0, 2147483646), math.random(0, 2147483646)) end
  return string.format("%s%x", id, i)
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
return bench
