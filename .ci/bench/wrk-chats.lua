-- wrk script posting finished chats like .ci/bench/load (a unique email
-- each, scores spread over 0..99), for measuring as issue 20's harness
-- did. Start a server as .ci/bench/vendor does (the flow
-- vendor-call.json published with its sink's URL, --http-allow-private,
-- --hook-rate 0 --hook-concurrency 0), then:
--
--   wrk -t2 -c16 -d10s --latency -s .ci/bench/wrk-chats.lua \
--     http://127.0.0.1:PORT/hooks/chat-finished
--
-- and count the calls that reached the sink (GET /count on the sink).
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  prefix = "wrk" .. id .. "-" .. os.time()
  seq = 0
end

function request()
  seq = seq + 1
  local body = string.format(
    '{"email":"%s-%d@example.com","name":"ana silva","phone":"+34 600%06d","company":"Acme","score":%d,' ..
    '"transcript":"Hello, I would like a demo of your product for our sales team."}',
    prefix, seq, seq % 1000000, (seq * 37 + id * 11) % 100)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
