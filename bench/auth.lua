-- wrk script for the auth-on benchmark: POST the body file $BENCH_BODY, each request with the
-- next JWT from $BENCH_TOKENS (one token a line, signed by bench/tokens.py), because the
-- service refuses a jti it has seen. Tokens are loaded into a table in init(), outside the
-- measured requests; request() only picks the next one. With several wrk threads, thread k
-- of T takes lines k+1, k+1+T, ... so no token is sent twice.
-- When the tokens run out the script starts again from the first (those requests then get
-- 401 and count as non_2xx) and reports how many were sent again ("tokens_reused"); for the
-- auth-off runs with the same client that is expected and harmless. $BENCH_THREADS = wrk -t.
-- Result line: the same BENCH_RESULT as post.lua, plus tokens_used / tokens_reused.
local threads = {}
local nthreads = 0

function setup(thread)
  thread:set("tid", nthreads)
  nthreads = nthreads + 1
  table.insert(threads, thread)
end

local tokens = {}
local n, i, wrapped = 0, 0, false
used, reused = 0, 0  -- globals, read by done() through thread:get
local body, path
local headers = {["Content-Type"] = "application/json", ["Accept-Language"] = "en"}

function init(args)
  local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
  body = f:read("*a")
  f:close()
  local step, k, line_no = tonumber(os.getenv("BENCH_THREADS") or "1"), tid or 0, 0
  for line in io.lines(os.getenv("BENCH_TOKENS")) do
    if line ~= "" then
      if line_no % step == k then
        n = n + 1
        tokens[n] = line
      end
      line_no = line_no + 1
    end
  end
  assert(n > 0, "no tokens in " .. os.getenv("BENCH_TOKENS"))
  path = wrk.path
end

function request()
  i = i + 1
  if i > n then
    i, wrapped = 1, true
  end
  used = used + 1
  if wrapped then reused = reused + 1 end
  headers["Authorization"] = "Bearer " .. tokens[i]
  return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  local u, r = 0, 0
  for _, t in ipairs(threads) do
    u = u + (t:get("used") or 0)
    r = r + (t:get("reused") or 0)
  end
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %.0f, "p99_us": %.0f, "max_us": %.0f, ' ..
    '"errors": %d, "non_2xx": %d, "tokens_used": %d, "tokens_reused": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.timeout, e.status, u, r))
end
