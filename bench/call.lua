-- wrk script: POST one tools/call to /mcp.  Env: TOOL, ARGS (JSON),
-- TENANTS (number of distinct tenants, sent in X-Tenant; 0 = no header).
local tool = os.getenv("TOOL") or "get_ticket"
local args = os.getenv("ARGS") or '{"ticket_id":1}'
local tenants = tonumber(os.getenv("TENANTS") or "0")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
-- as a client of the current revision sends after initialize
wrk.headers["MCP-Protocol-Version"] = "2025-11-25"
wrk.body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"'
           .. tool .. '","arguments":' .. args .. '}}'

-- ERA=2026: the same call as a client of revision 2026-07-28 sends it
if os.getenv("ERA") == "2026" then
    wrk.headers["MCP-Protocol-Version"] = "2026-07-28"
    wrk.headers["Mcp-Method"] = "tools/call"
    wrk.headers["Mcp-Name"] = tool
    wrk.body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"'
               .. tool .. '","arguments":' .. args .. ',"_meta":{'
               .. '"io.modelcontextprotocol/protocolVersion":"2026-07-28",'
               .. '"io.modelcontextprotocol/clientCapabilities":{}}}}'
end

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
    wrk.headers["MCP-Protocol-Version"] = nil
end

-- a tenant per request (costs wrk the same for 1 or 10,000); without
-- TENANTS wrk sends its prebuilt request, its fast path
if tenants > 0 then
    local n = 0
    request = function()
        n = n + 1
        wrk.headers["X-Tenant"] = "tenant-" .. (n % tenants)
        return wrk.format()
    end
end

-- no response() callback: it would make wrk hand every body to Lua, which
-- costs wrk more for the gateway's bigger answers than for the baseline's.
-- run.sh checks every answer in nginx's access log instead.
