-- wrk script: POST one tools/call to /mcp.  Env: TOOL, ARGS (JSON),
-- TENANTS (number of distinct tenants, sent in X-Tenant; 0 = no header).
local tool = os.getenv("TOOL") or "get_ticket"
local args = os.getenv("ARGS") or '{"ticket_id":1}'
local tenants = tonumber(os.getenv("TENANTS") or "0")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"'
           .. tool .. '","arguments":' .. args .. '}}'

-- CLOSE=1: a new connection per request (no keep-alive)
if os.getenv("CLOSE") == "1" then
    wrk.headers["Connection"] = "close"
end

-- REST=1: the baseline, a plain GET of the equivalent REST resource
local rest = os.getenv("REST") == "1"
if rest then
    wrk.method = "GET"
    wrk.body = nil
    wrk.headers["Content-Type"] = nil
end

local n = 0
request = function()
    if tenants > 0 then
        -- a tenant per request (costs wrk the same for 1 or 10,000)
        n = n + 1
        wrk.headers["X-Tenant"] = "tenant-" .. (n % tenants)
    end
    return wrk.format()
end

local errors = 0
response = function(status, headers, body)
    if status ~= 200
       or (not rest and string.find(body, '"isError":true', 1, true))
    then
        errors = errors + 1
        if errors == 1 then
            io.stderr:write("bad response: " .. status .. " "
                            .. string.sub(body, 1, 300) .. "\n")
        end
    end
end

