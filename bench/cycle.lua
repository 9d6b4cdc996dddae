-- wrk script: POST a cohort of distinct patients, each request a chart never sent before.
--
--   BENCH_BODIES=FILE wrk -t2 -c16 -d5s -s bench/cycle.lua http://127.0.0.1:PORT/cds-services/igsub-patient-view
--
-- $BENCH_BODIES: request bodies, one a line (`python -m bench.patients write KIND N FILE`).
-- Each body holds the mark "@REV@" (patient id, every resource's meta.versionId, the hook
-- instance, the searchset ids); every request writes a number unique to it there, so no two
-- requests carry the same bytes even when the cohort comes round again. Thread k of T starts
-- at body k * N / T and takes the bodies in turn.
-- $BENCH_TOKENS (optional): signed JWTs, one a line (bench/tokens.py); thread k of T sends lines
-- k+1, k+1+T, ... one per request, so no jti is sent twice; past the end it starts again and
-- counts those requests as "tokens_reused" (401s from a service that checks). $BENCH_THREADS = T.
-- $BENCH_REVISION (optional): a fixed revision for every request instead, so the cohort's bodies
-- repeat byte for byte each time round (what a harness that only cycles patients measures).
-- Prints one line: BENCH_RESULT {...} (latencies in microseconds over the whole run).
local threads = {}
local nthreads = 0

function setup(thread)
  thread:set("tid", nthreads)
  nthreads = nthreads + 1
  table.insert(threads, thread)
end

local MARK = "@REV@"
local bodies, nb, b = {}, 0, 0
local tokens, nt, t, wrapped = {}, 0, 0, false
local counter = 0
local fixed = os.getenv("BENCH_REVISION")
used, reused = 0, 0  -- globals, read by done() through thread:get
local path
local headers = {["Content-Type"] = "application/json", ["Accept-Language"] = "en"}

local function split(body)
  local parts, start = {}, 1
  while true do
    local i, j = string.find(body, MARK, start, true)
    if not i then
      table.insert(parts, string.sub(body, start))
      return parts
    end
    table.insert(parts, string.sub(body, start, i - 1))
    start = j + 1
  end
end

function init(args)
  local step, k = tonumber(os.getenv("BENCH_THREADS") or "1"), tid or 0
  local file = os.getenv("BENCH_BODIES")
  assert(file, "set BENCH_BODIES")
  for line in io.lines(file) do
    if line ~= "" then
      nb = nb + 1
      bodies[nb] = split(line)
    end
  end
  assert(nb > 0, "no bodies in " .. os.getenv("BENCH_BODIES"))
  b = math.floor(k * nb / step)
  file = os.getenv("BENCH_TOKENS")
  if file and file ~= "" then
    local line_no = 0
    for line in io.lines(file) do
      if line ~= "" then
        if line_no % step == k then
          nt = nt + 1
          tokens[nt] = line
        end
        line_no = line_no + 1
      end
    end
    assert(nt > 0, "no tokens in " .. file)
  end
  counter = (k + 1) * 100000000
  path = wrk.path
end

function request()
  b = b % nb + 1
  counter = counter + 1
  used = used + 1
  if nt > 0 then
    t = t + 1
    if t > nt then
      t, wrapped = 1, true
    end
    if wrapped then reused = reused + 1 end
    headers["Authorization"] = "Bearer " .. tokens[t]
  end
  return wrk.format("POST", path, headers, table.concat(bodies[b], fixed or tostring(counter)))
end

function done(summary, latency, requests)
  local e = summary.errors
  local u, r = 0, 0
  for _, th in ipairs(threads) do
    u = u + (th:get("used") or 0)
    r = r + (th:get("reused") or 0)
  end
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %.0f, "p99_us": %.0f, "max_us": %.0f, ' ..
    '"errors": %d, "non_2xx": %d, "tokens_used": %d, "tokens_reused": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.timeout, e.status, u, r))
end
