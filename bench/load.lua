-- wrk script of bench/run.py: POSTs the benchmark operation, counts GraphQL errors, prints one JSON line.
--
-- BENCH_BODY is a file holding the JSON request body. With BENCH_VARYING=1, every "__FIRST__" in it is replaced
-- by a number unique to the request (BENCH_FIRST_BASE + thread + count * threads), so no two requests are equal.

local body_path = os.getenv("BENCH_BODY")
local varying = os.getenv("BENCH_VARYING") == "1"
local base = tonumber(os.getenv("BENCH_FIRST_BASE") or "1000")

local file = assert(io.open(body_path, "rb"))
local template = file:read("*a")
file:close()
local prefix, suffix = template:match("^(.-)__FIRST__(.*)$")
if varying then
  assert(prefix, "BENCH_BODY has no __FIRST__ placeholder")
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.body = template

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

function init(args)
  sent = 0
  graphql_errors = 0
  thread_total = tonumber(os.getenv("BENCH_THREADS") or "1")
end

function request()
  sent = sent + 1
  if not varying then
    return wrk.format()
  end
  local n = base + thread_index + sent * thread_total
  return wrk.format(nil, nil, nil, prefix .. n .. suffix)
end

function response(status, headers, body)
  -- a 200 whose body carries errors is a failed request too
  if status == 200 and body:find('"errors":', 1, true) then
    graphql_errors = graphql_errors + 1
  end
end

function done(summary, latency, requests)
  local errors, sent_total = 0, 0
  for _, thread in ipairs(threads) do
    errors = errors + thread:get("graphql_errors")
    sent_total = sent_total + thread:get("sent")
  end
  local e = summary.errors
  io.write(string.format(
    '\nBENCH_RESULT {"requests":%d,"sent":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,'
      .. '"write_errors":%d,"status_errors":%d,"timeouts":%d,"graphql_errors":%d,'
      .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d}\n',
    summary.requests, sent_total, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout, errors,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max
  ))
end
