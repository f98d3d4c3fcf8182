-- wrk's script for bench/cluster.py. One connection per wrk thread: each thread is one
-- person with a state of its own, read from the file CLUSTER_PEOPLE, one line each:
--   candidate TOKEN INTERVIEW_ID COOKIE|-   (- : signs in through the magic link first)
--   staff EMAIL PASSWORD                    (signs in through the login form, with CSRF)
-- CLUSTER_MODE "page": candidates load their interview page again and again. "mix":
-- candidates go overview -> interview page -> confirm (POST with the page's CSRF token),
-- staff load the dashboard. done() writes counts and latency percentiles to CLUSTER_OUT.
local people = {}
for line in io.lines(os.getenv("CLUSTER_PEOPLE")) do table.insert(people, line) end
local threads = {}
local made = 0

function setup(thread)
  made = made + 1
  thread:set("line", people[((made - 1) % #people) + 1])
  -- wrk asks the first thread's script for one request it never sends (to check it).
  thread:set("unsent", made == 1 and 1 or 0)
  table.insert(threads, thread)
end

function init(args)
  local f = {}
  for w in line:gmatch("%S+") do table.insert(f, w) end
  kind = f[1]
  mix = os.getenv("CLUSTER_MODE") == "mix"
  counts = {ok = 0, bad = 0, lost = 0, signins = 0, confirmed = 0, s5xx = 0, s4xx = 0,
            failed = 0, people_failed = 0, worst = 0}
  waiting = false  -- a request of ours is out and unanswered
  mine = 0         -- requests of this person that failed (an error status or no answer)
  cookie = nil
  csrf = nil
  if kind == "candidate" then
    token, interview = f[2], f[3]
    if f[4] ~= "-" then cookie = f[4]; step = "page" else step = "link" end
  else
    email, password = f[2], f[3]
    step = "loginpage"
  end
end

local form = "application/x-www-form-urlencoded"

local function failed()
  mine = mine + 1
  counts.failed = counts.failed + 1
  if mine == 1 then counts.people_failed = counts.people_failed + 1 end
  if mine > counts.worst then counts.worst = mine end
end

function request()
  -- Asked again while the last one is unanswered: its connection broke (wrk reconnected).
  if unsent > 0 then unsent = unsent - 1
  else
    if waiting then failed() end
    waiting = true
  end
  local h = {["Accept-Language"] = "sv"}
  if cookie then h["Cookie"] = "portal_session=" .. cookie end
  if step == "link" then return wrk.format("GET", "/c/" .. token, h) end
  if step == "overview" then return wrk.format("GET", "/portal/", h) end
  if step == "page" then return wrk.format("GET", "/portal/interviews/" .. interview, h) end
  if step == "confirm" then
    h["Content-Type"] = form
    return wrk.format("POST", "/portal/interviews/" .. interview .. "/response", h,
                      "csrf_token=" .. csrf .. "&answer=confirmed")
  end
  if step == "loginpage" then return wrk.format("GET", "/staff/login", h) end
  if step == "login" then
    h["Content-Type"] = form
    return wrk.format("POST", "/staff/login", h, "csrf_token=" .. csrf .. "&email=" ..
                      email:gsub("@", "%%40") .. "&password=" .. password)
  end
  return wrk.format("GET", "/staff/", h)
end

local function bad(what)
  counts.bad = counts.bad + 1
  if what then counts[what] = counts[what] + 1 end
end

function response(status, headers, body)
  waiting = false
  if status >= 500 then failed() end
  local h = {}
  for k, v in pairs(headers) do h[k:lower()] = v end
  local host = h["x-backend"]
  if host then counts["host_" .. host] = (counts["host_" .. host] or 0) + 1 end
  local set = h["set-cookie"]
  if set then
    local v = set:match("portal_session=([^;]*)")
    if v and v ~= "" then cookie = v end
  end
  local location = h["location"] or ""
  if status >= 400 then
    local key = "status_" .. status .. "_" .. step
    counts[key] = (counts[key] or 0) + 1
  end
  if status >= 500 then bad("s5xx"); return end  -- the same step again
  if status >= 400 and step ~= "confirm" and step ~= "login" then bad("s4xx"); return end
  if location:find("/portal/link") or location:find("/staff/login") then
    bad("lost")
    step = kind == "candidate" and "link" or "loginpage"
    return
  end
  if step == "link" then
    if status == 303 then counts.ok = counts.ok + 1; counts.signins = counts.signins + 1
      step = mix and "overview" or "page" else bad() end
  elseif step == "overview" then
    if status == 200 then counts.ok = counts.ok + 1; step = "page" else bad() end
  elseif step == "page" then
    if status == 200 then
      counts.ok = counts.ok + 1
      csrf = body:match('name="csrf_token"[^>]-value="([^"]+)"')
        or body:match('name="csrf%-token" content="([^"]+)"') or csrf
      if mix then step = "confirm" end
    else bad() end
  elseif step == "confirm" then
    if status == 303 then counts.ok = counts.ok + 1; counts.confirmed = counts.confirmed + 1
    else bad("s4xx") end
    step = "overview"
  elseif step == "loginpage" then
    if status == 200 then
      counts.ok = counts.ok + 1
      csrf = body:match('name="csrf_token"[^>]-value="([^"]+)"')
      step = "login"
    else bad() end
  elseif step == "login" then
    if status == 303 then counts.ok = counts.ok + 1; counts.signins = counts.signins + 1
      step = "dashboard" else bad("s4xx"); step = "loginpage" end
  else
    if status == 200 then counts.ok = counts.ok + 1 else bad() end
  end
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("counts")) do
      if k == "worst" then total[k] = math.max(total[k] or 0, v)
      else total[k] = (total[k] or 0) + v end
    end
  end
  local e = summary.errors
  local out = io.open(os.getenv("CLUSTER_OUT"), "w")
  out:write(string.format('{"requests": %d, "duration_us": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d, "p50": %d, "p95": %d, "p99": %d',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
  for k, v in pairs(total) do out:write(string.format(', "%s": %d', k, v)) end
  out:write("}\n")
  out:close()
end
