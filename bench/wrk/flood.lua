-- Origin flood: a new random Origin on every request. The runner passes a chunk id (`-- ID`) so
-- that successive wrk runs never repeat an origin: distinct origins = requests sent.
dofile(debug.getinfo(1, "S").source:match("@(.*/)") .. "common.lua")
local chunk = "0"
local n = 0
function init(args)
  chunk = args[1] or "0"
  math.randomseed(os.time() + tonumber(chunk))
end
function request()
  n = n + 1
  local origin = string.format("https://%06x-%s-%d.flood.example", math.random(0, 0xffffff), chunk, n)
  return wrk.format("GET", "/api/items", { ["Origin"] = origin, ["X-Tenant-Id"] = "acme" })
end
