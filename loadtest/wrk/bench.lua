-- wrk script of `bun run bench` (loadtest/bench/run.ts): the k6 scenarios, driven by wrk.
--
--   wrk -t2 -c64 -d10s -s loadtest/wrk/bench.lua http://127.0.0.1:PORT -- MODE ARGS...
--
-- Modes (files are written by the runner, one entry per line, most popular first):
--   mixed DIR S WV WT WS  GET /videos/{id} : /videos/{id}/transcript : /search in the ratio WV:WT:WS,
--                         ids from DIR/ids.txt and query strings from DIR/queries.txt, each drawn
--                         with a Zipf popularity of exponent S
--   search DIR S          GET /search over DIR/queries.txt, Zipf exponent S
--   fixed PATH            GET PATH, every request
--   unique FILE THREADS   GET /search over the query strings in FILE, each sent once: thread t of
--                         THREADS takes lines t, t + THREADS, … in order (and starts over at the end)
--   stampede FILE BURST   GET /videos/{id}/transcript for the ids in FILE: each thread sends BURST
--                         requests for one id, then moves to the next, so all of its connections
--                         ask for the same cold key at once
--
-- Every request sends Accept-Encoding: gzip. response() counts X-Cache values and status classes;
-- done() prints one line `WRK_JSON {...}` with throughput, latency percentiles (µs), errors and
-- those counts, which the runner parses.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

-- Per-thread counters: globals, so done() can read them with thread:get().
hit_l1, hit_l2, miss, stale, bypass, no_header = 0, 0, 0, 0, 0, 0
s2xx, s3xx, s4xx, s5xx = 0, 0, 0, 0
sent, keys_touched = 0, 0

local next_request -- function () -> request string

local function read_lines(path)
  local lines = {}
  local f = assert(io.open(path, "r"), "cannot open " .. path)
  for line in f:lines() do
    if line ~= "" then lines[#lines + 1] = line end
  end
  f:close()
  assert(#lines > 0, path .. " is empty")
  return lines
end

-- cdf[r] = P(rank <= r) for ranks 1..n with weights 1/r^s.
local function zipf_cdf(n, s)
  local cdf, total = {}, 0
  for r = 1, n do
    total = total + 1 / (r ^ s)
    cdf[r] = total
  end
  for r = 1, n do cdf[r] = cdf[r] / total end
  cdf[n] = 1
  return cdf
end

local function draw(cdf)
  local u = math.random()
  local lo, hi = 1, #cdf
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cdf[mid] > u then hi = mid else lo = mid + 1 end
  end
  return lo
end

local headers = { ["Accept-Encoding"] = "gzip" }

local function get(path)
  return wrk.format("GET", path, headers)
end

-- Requests are formatted once, up front: request() only picks one.
local function prebuilt(paths)
  local out = {}
  for i, p in ipairs(paths) do out[i] = get(p) end
  return out
end

local function map(list, fn)
  local out = {}
  for i, v in ipairs(list) do out[i] = fn(v) end
  return out
end

function init(args)
  math.randomseed(os.time() + (tid or 0) * 7919)
  local mode = args[1]
  if mode == "mixed" then
    local dir, s = args[2], tonumber(args[3])
    local wv, wt, ws = tonumber(args[4]), tonumber(args[5]), tonumber(args[6])
    local ids = read_lines(dir .. "/ids.txt")
    local queries = read_lines(dir .. "/queries.txt")
    local videos = prebuilt(map(ids, function(id) return "/videos/" .. id end))
    local transcripts = prebuilt(map(ids, function(id) return "/videos/" .. id .. "/transcript" end))
    local searches = prebuilt(map(queries, function(q) return "/search?" .. q end))
    local id_cdf, query_cdf = zipf_cdf(#ids, s), zipf_cdf(#queries, s)
    local total = wv + wt + ws
    next_request = function()
      local u = math.random() * total
      if u < wv then return videos[draw(id_cdf)] end
      if u < wv + wt then return transcripts[draw(id_cdf)] end
      return searches[draw(query_cdf)]
    end
  elseif mode == "search" then
    local dir, s = args[2], tonumber(args[3])
    local queries = read_lines(dir .. "/queries.txt")
    local searches = prebuilt(map(queries, function(q) return "/search?" .. q end))
    local cdf = zipf_cdf(#queries, s)
    next_request = function() return searches[draw(cdf)] end
  elseif mode == "unique" then
    local searches = prebuilt(map(read_lines(args[2]), function(q) return "/search?" .. q end))
    local step = tonumber(args[3])
    local i = tid or 1
    next_request = function()
      local req = searches[i]
      i = i + step
      if i > #searches then i = tid or 1 end
      return req
    end
  elseif mode == "fixed" then
    local req = get(args[2])
    next_request = function() return req end
  elseif mode == "stampede" then
    local ids = read_lines(args[2])
    local burst = tonumber(args[3])
    local requests = prebuilt(map(ids, function(id) return "/videos/" .. id .. "/transcript" end))
    local n = 0
    next_request = function()
      local key = math.min(math.floor(n / burst) + 1, #requests)
      n = n + 1
      keys_touched = key
      return requests[key]
    end
  else
    error("unknown mode " .. tostring(mode) .. " (mixed, search, unique, fixed, stampede)")
  end
end

function request()
  sent = sent + 1
  return next_request()
end

function response(status, hdrs, body)
  if status < 300 then s2xx = s2xx + 1
  elseif status < 400 then s3xx = s3xx + 1
  elseif status < 500 then s4xx = s4xx + 1
  else s5xx = s5xx + 1 end
  local x = hdrs["x-cache"] or hdrs["X-Cache"]
  if x == "HIT-L1" then hit_l1 = hit_l1 + 1
  elseif x == "HIT-L2" then hit_l2 = hit_l2 + 1
  elseif x == "MISS" then miss = miss + 1
  elseif x == "STALE" then stale = stale + 1
  elseif x == "BYPASS" then bypass = bypass + 1
  else no_header = no_header + 1 end
end

local COUNTERS = { "hit_l1", "hit_l2", "miss", "stale", "bypass", "no_header", "s2xx", "s3xx", "s4xx", "s5xx", "sent" }

function done(summary, latency, requests)
  local totals = {}
  for _, name in ipairs(COUNTERS) do totals[name] = 0 end
  local keys = 0
  for _, t in ipairs(threads) do
    for _, name in ipairs(COUNTERS) do totals[name] = totals[name] + (t:get(name) or 0) end
    keys = math.max(keys, t:get("keys_touched") or 0)
  end
  local parts = {}
  local function add(k, v) parts[#parts + 1] = string.format("%q:%s", k, v) end
  add("requests", summary.requests)
  add("duration_us", summary.duration)
  add("bytes", summary.bytes)
  local e = summary.errors
  add("errors", string.format('{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}', e.connect, e.read, e.write, e.status, e.timeout))
  local pct = {}
  for _, p in ipairs({ 50, 75, 90, 95, 99, 99.9 }) do
    pct[#pct + 1] = string.format('"p%s":%d', tostring(p), latency:percentile(p))
  end
  add("latency_us", string.format('{"min":%d,"mean":%.1f,"stdev":%.1f,"max":%d,%s}', latency.min, latency.mean, latency.stdev, latency.max, table.concat(pct, ",")))
  local counts = {}
  for _, name in ipairs(COUNTERS) do counts[#counts + 1] = string.format("%q:%d", name, totals[name]) end
  add("counts", "{" .. table.concat(counts, ",") .. "}")
  add("keys_touched", keys)
  io.write("WRK_JSON {" .. table.concat(parts, ",") .. "}\n")
end
