-- wrk script for bench/run.sh. Configured through the environment:
--   BENCH_URLS   file of request paths, one a line, used in rotation (each
--                thread starts at a different line). Placeholders make
--                every request a distinct variant: "{n}" a number unique to
--                the request, "{bg}" six hex digits unique to the request
--                (bg-{bg} changes the variant key but not the work when
--                nothing is padded or flattened), "{w}" 300..349 by request.
--                Unset: wrk's own URL path.
--   BENCH_RANGE  object size in bytes: each request asks for a random
--                1 MiB-aligned 1 MiB range of it.
--   BENCH_COUNT  "1": count answers by status (2xx, 503, other 5xx, other).
--                Costs a Lua call per answer and makes wrk buffer bodies,
--                so it is only used where bodies are small.
--   BENCH_BACKOFF_MS  with BENCH_COUNT: after a 503 the thread waits this
--                long before its next request, as a client honouring
--                Retry-After would (wrk's latency excludes the wait).
-- done() prints one machine-readable line:
--   BENCH requests=.. secs=.. bytes=.. p50_us=.. p99_us=.. max_us=.. non2xx=..
--         s2xx=.. s503=.. s5xx=.. sother=.. errconnect=.. errread=.. errwrite=.. errtimeout=..
-- and, with BENCH_COUNT, before it the first answer that was not 2xx:
--   BENCH_FIRST_ERR <status> <start of the body>

local urls_file = os.getenv("BENCH_URLS")
local range_size = tonumber(os.getenv("BENCH_RANGE") or "")
local counting = os.getenv("BENCH_COUNT") == "1"
local backoff = tonumber(os.getenv("BENCH_BACKOFF_MS") or "")
local last503 = false

local threads = {}
local nthreads = 0

function setup(thread)
  nthreads = nthreads + 1
  thread:set("tid", nthreads)
  table.insert(threads, thread)
end

local urls = {}
local idx = 0
local seq = 0
local range_chunks = 0

function init(args)
  tid = tid or 1
  if urls_file and urls_file ~= "" then
    for line in io.lines(urls_file) do
      if line ~= "" then urls[#urls + 1] = line end
    end
  end
  if #urls == 0 then urls[1] = wrk.path end
  idx = (tid - 1) * 7 -- stagger the threads over the files
  if range_size then
    range_chunks = math.max(1, math.floor(range_size / 1048576))
    math.randomseed(tid * 7919 + os.time())
  end
  s2xx, s503, s5xx, sother = 0, 0, 0, 0
end

local dynamic = (urls_file and urls_file ~= "") or range_size
if dynamic then
  function request()
    local path = urls[idx % #urls + 1]
    idx = idx + 1
    if path:find("{", 1, true) then
      seq = seq + 1
      local u = ((tid - 1) * 1048576 + seq) % 16777216
      path = path:gsub("{n}", tid .. "x" .. seq .. "x" .. os.time())
      path = path:gsub("{bg}", string.format("%06X", u))
      path = path:gsub("{w}", tostring(300 + u % 50))
    end
    local headers = nil
    if range_size then
      local start = math.random(0, range_chunks - 1) * 1048576
      headers = { Range = "bytes=" .. start .. "-" .. (start + 1048575) }
    end
    return wrk.format("GET", path, headers)
  end
end

if counting then
  function response(status, headers, body)
    last503 = false
    if status >= 200 and status < 300 then
      s2xx = s2xx + 1
    elseif status == 503 then
      s503 = s503 + 1
      last503 = true
    elseif status >= 500 then
      s5xx = s5xx + 1
    else
      sother = sother + 1
    end
    if (status < 200 or status >= 300) and not first_err then
      first_err = status .. " " .. (body or ""):sub(1, 60):gsub("[^%w%p ]", " ")
    end
  end
end

if counting and backoff then
  function delay()
    if last503 then
      last503 = false
      return backoff
    end
    return 0
  end
end

function done(summary, latency, requests)
  local c2, c503, c5, co = 0, 0, 0, 0
  if counting then
    for _, t in ipairs(threads) do
      c2 = c2 + (t:get("s2xx") or 0)
      c503 = c503 + (t:get("s503") or 0)
      c5 = c5 + (t:get("s5xx") or 0)
      co = co + (t:get("sother") or 0)
    end
  else
    c2, c503, c5, co = -1, -1, -1, -1
  end
  for _, t in ipairs(threads) do
    local fe = t:get("first_err")
    if fe then io.write("BENCH_FIRST_ERR ", fe, "\n"); break end
  end
  local e = summary.errors
  -- Without counting, wrk's own count of answers with status >= 400 stands
  -- for non-2xx (no 1xx/3xx are expected here).
  local non2xx = counting and (c503 + c5 + co) or e.status
  io.write(string.format(
    "BENCH requests=%d secs=%.3f bytes=%d p50_us=%d p99_us=%d max_us=%d non2xx=%d s2xx=%d s503=%d s5xx=%d sother=%d errconnect=%d errread=%d errwrite=%d errtimeout=%d\n",
    summary.requests, summary.duration / 1e6, summary.bytes,
    latency:percentile(50), latency:percentile(99), latency.max,
    non2xx, c2, c503, c5, co, e.connect, e.read, e.write, e.timeout))
end
