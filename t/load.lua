-- wrk script for t/32-reload-load.t: POST one tools/call over a new
-- connection each time; results are checked in nginx's access log
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Connection"] = "close"
wrk.body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":'
           .. '{"name":"get_ticket","arguments":{"ticket_id":1}}}'
