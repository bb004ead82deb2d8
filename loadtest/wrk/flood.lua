-- wrk script of `bun scripts/bench-memory.ts`: every request asks for a key nobody asked for before,
-- so each one is a miss that the cache then keeps (a flood meant to grow memory).
--
--   wrk -t2 -c32 -d60s -s loadtest/wrk/flood.lua http://127.0.0.1:PORT -- KIND
--
-- Kinds: video-404 (GET /videos/{random uuid}), transcript-404 (GET /videos/{random uuid}/transcript),
-- search (GET /search?q=coffee+<random word>), list (GET /videos?channel=<random name>).

local kind
local counter = 0

function setup(thread)
  thread:set("seed", math.random(1, 2 ^ 30))
end

function init(args)
  kind = args[1] or "video-404"
  math.randomseed(seed or os.time())
end

local function hex(n)
  local out = {}
  for i = 1, n do out[i] = string.format("%x", math.random(0, 15)) end
  return table.concat(out)
end

local function uuid()
  return hex(8) .. "-" .. hex(4) .. "-4" .. hex(3) .. "-8" .. hex(3) .. "-" .. hex(12)
end

request = function()
  counter = counter + 1
  local path
  if kind == "video-404" then
    path = "/videos/" .. uuid()
  elseif kind == "transcript-404" then
    path = "/videos/" .. uuid() .. "/transcript"
  elseif kind == "search" then
    path = "/search?q=coffee+" .. hex(10) .. counter
  elseif kind == "list" then
    path = "/videos?channel=" .. hex(12) .. counter
  else
    error("unknown flood kind " .. kind)
  end
  return wrk.format("GET", path, { ["Accept-Encoding"] = "gzip" })
end
