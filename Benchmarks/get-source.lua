-- wrk script: GET /v1/sources/{id} for random IDs from a file, with a bearer token.
-- usage: wrk ... -s get-source.lua URL -- ids.txt TOKEN
local ids = {}
local token = ""

function init(args)
  for line in io.lines(args[1]) do ids[#ids + 1] = line end
  token = args[2]
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

function request()
  return wrk.format("GET", "/v1/sources/" .. ids[math.random(#ids)], { ["Authorization"] = "Bearer " .. token })
end

done = function(summary, latency, requests)
  io.write(string.format("non2xx=%d\n", summary.errors.status))
end
