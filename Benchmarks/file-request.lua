-- wrk script: POST a retrieval request for 20 random sources (feasibility computed at filing), with a bearer token.
-- usage: wrk ... -s file-request.lua URL -- ids.txt TOKEN PATH   (PATH: /v1/requests or /v1/requests:preview)
local ids = {}
local token = ""
local path = "/v1/requests"
local window = ""

function init(args)
  for line in io.lines(args[1]) do ids[#ids + 1] = line end
  token = args[2]
  path = args[3] or path
  local now = os.time()
  window = string.format('{"from":"%s","to":"%s"}', os.date("!%Y-%m-%dT%H:%M:%SZ", now - 5 * 86400), os.date("!%Y-%m-%dT%H:%M:%SZ", now - 86400))
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

function request()
  local chosen, seen = {}, {}
  while #chosen < 20 do
    local id = ids[math.random(#ids)]
    if not seen[id] then seen[id] = true; chosen[#chosen + 1] = '"' .. id .. '"' end
  end
  local body = '{"incident_reference":"INC-BENCH","purpose":"benchmark","priority":"serious","window":' .. window ..
               ',"hints":{"hosts":["h1"]},"sources":[' .. table.concat(chosen, ",") .. ']}'
  return wrk.format("POST", path, { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
end

done = function(summary, latency, requests)
  io.write(string.format("non2xx=%d p50=%.1fms p90=%.1fms p99=%.1fms max=%.1fms\n", summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
