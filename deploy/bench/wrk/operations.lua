-- Part 2: migrations and reversals through the service. Only one operation may be in flight per
-- datasource, so every request gets a datasource id of its own: <run>-<thread>-<counter>.
-- Arguments (after --): mode (migrate | reverse | mixed), run id. Odd requests migrate and even
-- ones reverse in mixed mode. The API key comes from wrk's -H.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local threads = 0
function setup(thread)
   threads = threads + 1
   thread:set("thread_number", threads)
end

local mode, run, counter = "mixed", "bench", 0
local body = '{"accountId":"1","catalog":"BenchCatalog","schema":"BenchSchema","table":"BenchTable"}'

local migrate_headers, reverse_headers = {}, {}

function init(args)
   mode = args[1] or mode
   run = args[2] or run
   for name, value in pairs(wrk.headers) do
      migrate_headers[name] = value
      reverse_headers[name] = value
   end
   migrate_headers["Content-Type"] = "application/json"
end

function request()
   counter = counter + 1
   local datasource = run .. "-" .. thread_number .. "-" .. counter
   local migrate = mode == "migrate" or (mode == "mixed" and counter % 2 == 1)
   if migrate then
      return wrk.format("POST", "/api/v1/datasources/" .. datasource .. "/migrations", migrate_headers, body)
   end
   return wrk.format("POST", "/api/v1/datasources/" .. datasource .. "/reversals", reverse_headers, "")
end
