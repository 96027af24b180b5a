-- SPDX-License-Identifier: BSD-3-Clause
-- wrk script for `make soak`: counts the answers by status, so the soak
-- can tell the 400s a forged keyId must get from real errors. Prints one
-- line: "statuses: 200=N 400=N other=N".
c200, c400, cother = 0, 0, 0
local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function response(status, headers, body)
    if status == 200 then
        c200 = c200 + 1
    elseif status == 400 then
        c400 = c400 + 1
    else
        cother = cother + 1
    end
end

function done(summary, latency, requests)
    local a, b, c = 0, 0, 0
    for _, t in ipairs(threads) do
        a = a + t:get("c200")
        b = b + t:get("c400")
        c = c + t:get("cother")
    end
    io.write(string.format("statuses: 200=%d 400=%d other=%d\n", a, b, c))
end
