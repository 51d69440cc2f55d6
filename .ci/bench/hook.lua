-- wrk script: POST a finished chat with a unique email to /hooks/chat-finished.
local counter = 0
local thread_id = 0
setup = function(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
end
init = function(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end
request = function()
  counter = counter + 1
  local score = (counter * 37) % 100
  local body = string.format('{"email":"lead-%d-%d@example.com","name":"ana silva","company":"Acme","score":%d,"transcript":"Hello, I would like a demo."}', id, counter, score)
  return wrk.format(nil, nil, nil, body)
end
