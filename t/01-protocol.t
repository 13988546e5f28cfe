#!/usr/bin/perl

# MCP transport and JSON-RPC rules at POST /mcp: versions, methods,
# headers, errors, notifications, body handling.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use Test::More;

my $t = FreshdeskTest->new->start_fake->standard_conf(
    server => FreshdeskTest::mcp_location('/small/mcp',
                                          'client_body_buffer_size 1k;')
              . FreshdeskTest::mcp_location('/limited/mcp',
                                            'freshdesk_max_body_size 2k;'),
)->run;

my $J = FreshdeskTest::json();

sub rpc { { jsonrpc => '2.0', @_ } }

sub is_json_error {
    my ($res, $status, $code, $name, %o) = @_;
    is($res->{status}, $status, "$name: HTTP $status");
    like($res->{headers}{'content-type'} // '', qr{^application/json},
         "$name: JSON content type");
    is($res->{json}{error}{code}, $code, "$name: code $code")
        or diag($res->{raw});
    if (exists $o{id}) {
        is_deeply($res->{json}{id}, $o{id}, "$name: id echoed");
    } else {
        ok(!exists $res->{json}{id}, "$name: no id");
    }
    like($res->{json}{error}{message}, $o{message}, "$name: message")
        if $o{message};
}

# --- initialize and version negotiation --------------------------------

for my $case (['2025-11-25', '2025-11-25'], ['2025-06-18', '2025-06-18'],
              ['2025-03-26', '2025-03-26'], ['2024-11-05', '2024-11-05'],
              ['2099-01-01', '2025-11-25'], ['2026-07-28', '2025-11-25'])
{
    my ($ask, $get) = @$case;
    my $res = $t->mcp(rpc(id => 1, method => 'initialize', params => {
        protocolVersion => $ask, capabilities => {},
        clientInfo => { name => 't', version => '1' } }));
    is($res->{status}, 200, "initialize $ask: 200");
    is($res->{json}{result}{protocolVersion}, $get,
       "initialize $ask: answered $get");
}

{
    my $res = $t->mcp(rpc(id => 1, method => 'initialize', params => {
        protocolVersion => '2025-11-25', capabilities => {},
        clientInfo => { name => 't', version => '1' } }));
    my $r = $res->{json}{result};
    is_deeply($r->{capabilities}, { tools => { listChanged => JSON::PP::false } },
              'initialize: tools capability only');
    is($r->{serverInfo}{name}, 'ngx_http_freshdesk_module', 'serverInfo name');
    like($r->{serverInfo}{version}, qr/^\d+\.\d+\.\d+$/, 'serverInfo version');
    like($r->{instructions}, qr/Freshdesk/, 'instructions');
    ok(!exists $res->{headers}{'mcp-session-id'}, 'stateless: no session id');
}

is_json_error($t->mcp(rpc(id => 5, method => 'initialize', params => {})),
              200, -32602, 'initialize without protocolVersion', id => 5);
is_json_error($t->mcp(rpc(id => 6, method => 'initialize',
                          params => { protocolVersion => 20251125 })),
              200, -32602, 'initialize with numeric protocolVersion', id => 6);

# --- ping and ids ------------------------------------------------------

for my $id (0, -1, 7, "abc", "", 9007199254740993) {
    my $enc = $J->encode($id);
    my $res = $t->mcp('{"jsonrpc":"2.0","id":' . $enc . ',"method":"ping"}');
    is($res->{status}, 200, "ping id $enc: 200");
    is($res->{body}, '{"jsonrpc":"2.0","id":' . $enc . ',"result":{}}',
       "ping id $enc: id echoed byte for byte, result {}");
}

{
    my $res = $t->mcp('{"jsonrpc":"2.0","id":3,"method":"ping","params":{"_meta":{"progressToken":1}}}');
    is_deeply($res->{json}{result}, {}, 'ping with _meta');
}

# --- notifications and responses: 202, no body --------------------------

for my $n ('{"jsonrpc":"2.0","method":"notifications/initialized"}',
           '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3}}',
           '{"jsonrpc":"2.0","method":"notifications/whatever"}',
           '{"jsonrpc":"2.0","id":4,"result":{}}',
           '{"jsonrpc":"2.0","id":"x","error":{"code":-1,"message":"no"}}')
{
    my $res = $t->mcp($n, headers => { 'MCP-Protocol-Version' => '2025-11-25' });
    is($res->{status}, 202, "202 for $n");
    is($res->{body}, '', "no body for $n");
}

# --- JSON-RPC errors ---------------------------------------------------

is_json_error($t->mcp('{"jsonrpc":"2.0",'), 400, -32700, 'truncated JSON');
is_json_error($t->mcp('not json'), 400, -32700, 'not JSON');
is_json_error($t->mcp('{"jsonrpc":"2.0","id":1,"method":"ping"} x'), 400,
              -32700, 'trailing garbage');
is_json_error($t->mcp(qq({"jsonrpc":"2.0","id":1,"method":"p\xffing"})), 400,
              -32700, 'invalid UTF-8');
is_json_error($t->mcp(''), 400, -32700, 'empty body');
is_json_error($t->mcp(('[' x 100) . (']' x 100)), 400, -32700,
              'nesting 100 deep');
is_json_error($t->mcp('[{"jsonrpc":"2.0","id":1,"method":"ping"}]'), 400,
              -32600, 'batch', message => qr/batch/);
is_json_error($t->mcp('[{"jsonrpc":"2.0","id":1,"method":"ping"}]',
                      headers => { 'MCP-Protocol-Version' => '2025-03-26' }),
              400, -32600, 'batch under 2025-03-26');
is_json_error($t->mcp('"ping"'), 400, -32600, 'a string');
is_json_error($t->mcp('{"jsonrpc":"2.0","id":null,"method":"ping"}'), 400,
              -32600, 'null id');
is_json_error($t->mcp('{"jsonrpc":"2.0","id":1.5,"method":"ping"}'), 400,
              -32600, 'fractional id');
is_json_error($t->mcp('{"jsonrpc":"2.0","id":{},"method":"ping"}'), 400,
              -32600, 'object id');
is_json_error($t->mcp('{"id":1,"method":"ping"}'), 400, -32600,
              'no jsonrpc', id => 1);
is_json_error($t->mcp('{"jsonrpc":"1.0","id":2,"method":"ping"}'), 400,
              -32600, 'jsonrpc 1.0', id => 2);
is_json_error($t->mcp('{"jsonrpc":"2.0","id":3,"method":7}'), 400, -32600,
              'numeric method', id => 3);
is_json_error($t->mcp('{"jsonrpc":"2.0","id":4}'), 400, -32600,
              'no method', id => 4);
is_json_error($t->mcp('{"jsonrpc":"2.0","id":5,"method":"resources/list"}'),
              200, -32601, 'unknown method', id => 5,
              message => qr{resources/list});
is_json_error($t->mcp('{"jsonrpc":"2.0","id":"s","method":"logging/setLevel","params":{"level":"debug"}}'),
              200, -32601, 'logging/setLevel', id => 's');
is_json_error($t->mcp('{"jsonrpc":"2.0","id":0,"method":"server/discover"}'),
              200, -32601, 'server/discover without version header', id => 0);
is_json_error($t->mcp('{"jsonrpc":"2.0","id":6,"method":"ping","params":[1]}'),
              200, -32602, 'params an array', id => 6);
is_json_error($t->mcp('{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"cursor":"abc"}}'),
              200, -32602, 'tools/list with a cursor', id => 7);
is_json_error($t->mcp('{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{}}'),
              200, -32602, 'tools/call without name', id => 8);
is_json_error($t->mcp('{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"get_ticket","arguments":[]}}'),
              200, -32602, 'tools/call arguments an array', id => 9);
is_json_error($t->mcp('{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"no_such_tool","arguments":{}}}'),
              200, -32602, 'unknown tool', id => 10,
              message => qr/Unknown tool: no_such_tool/);

# --- transport checks --------------------------------------------------

{
    my $ping = '{"jsonrpc":"2.0","id":1,"method":"ping"}';

    is_json_error($t->mcp($ping, headers => { 'Content-Type' => 'text/plain' }),
                  415, -32000, 'text/plain body');
    is_json_error($t->mcp($ping, headers => { 'Content-Type' => undef }),
                  415, -32000, 'no Content-Type');
    is_json_error($t->mcp($ping, headers => { 'Content-Type' => 'application/jsonx' }),
                  415, -32000, 'application/jsonx');
    is($t->mcp($ping, headers => { 'Content-Type' => 'Application/JSON; charset=utf-8' })->{status},
       200, 'Content-Type with parameters and odd case accepted');

    is_json_error($t->mcp($ping, headers => { Accept => 'text/html' }),
                  406, -32000, 'Accept text/html');
    is($t->mcp($ping, headers => { Accept => undef })->{status}, 200,
       'no Accept is fine');
    is($t->mcp($ping, headers => { Accept => '*/*' })->{status}, 200,
       'Accept */*');
    is($t->mcp($ping, headers => { Accept => 'application/json' })->{status},
       200, 'Accept application/json alone');

    for my $v (qw(2025-11-25 2025-06-18 2025-03-26 2024-11-05)) {
        is($t->mcp($ping, headers => { 'MCP-Protocol-Version' => $v })->{status},
           200, "MCP-Protocol-Version $v accepted");
    }
    # -32022 with the revisions served and the one asked for
    my $unsup = $t->mcp($ping, headers => { 'MCP-Protocol-Version' => '1999-01-01' });
    is_json_error($unsup, 400, -32022, 'unsupported MCP-Protocol-Version',
                  message => qr/2025-11-25/, id => $J->decode($ping)->{id});
    is_deeply($unsup->{json}{error}{data},
              { supported => ['2026-07-28', '2025-11-25', '2025-06-18',
                              '2025-03-26', '2024-11-05'],
                requested => '1999-01-01' },
              'unsupported version: data.supported and data.requested');
    is_json_error($t->mcp($ping, headers => { 'MCP-Protocol-Version' => 'garbage' }),
                  400, -32022, 'garbage MCP-Protocol-Version',
                  id => $J->decode($ping)->{id});
    is_json_error($t->mcp($ping, headers => { 'MCP-Protocol-Version' => ['2025-11-25', '2025-06-18'] }),
                  400, -32000, 'two MCP-Protocol-Version headers');

    # a 2026-07-28 client probes with server/discover: served natively
    # (t/06 tests the revision)
    my $probe = $t->mcp('{"jsonrpc":"2.0","id":0,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}',
                        headers => { 'MCP-Protocol-Version' => '2026-07-28',
                                     'Mcp-Method' => 'server/discover' });
    is($probe->{status}, 200, '2026-07-28 probe: server/discover answered');
    is($probe->{json}{result}{supportedVersions}[0], '2026-07-28',
       '2026-07-28 probe: the current revision offered');

    for my $m (qw(GET PUT DELETE PATCH HEAD)) {
        my $res = $t->mcp($m eq 'PUT' || $m eq 'PATCH' ? $ping : undef,
                          method => $m);
        is($res->{status}, 405, "$m: 405");
        is($res->{headers}{allow}, 'POST, OPTIONS', "$m: Allow header");
        if ($m ne 'HEAD') {
            is($res->{json}{error}{code}, -32000, "$m: JSON body");
        }
    }
}

# --- tenant ------------------------------------------------------------

{
    my $ping = '{"jsonrpc":"2.0","id":1,"method":"ping"}';
    my $res = $t->mcp($ping, headers => { Authorization => undef });
    is_json_error($res, 401, -32000, 'no bearer');
    is($res->{headers}{'www-authenticate'}, 'Bearer realm="mcp"',
       'WWW-Authenticate challenge');

    $res = $t->mcp($ping, headers => { Authorization => 'Bearer wrong' });
    is_json_error($res, 401, -32000, 'wrong bearer');
    is($res->{headers}{'www-authenticate'},
       'Bearer realm="mcp", error="invalid_token"', 'invalid_token challenge');
}

# --- Origin ------------------------------------------------------------

{
    my $ping = '{"jsonrpc":"2.0","id":1,"method":"ping"}';
    my $port = $t->port('http');

    is_json_error($t->mcp($ping, headers => { Origin => 'http://evil.example.com' }),
                  403, -32000, 'foreign Origin');
    my $res = $t->mcp($ping, host => "127.0.0.1:$port",
                      headers => { Origin => "http://127.0.0.1:$port" });
    is($res->{status}, 200, 'same-host Origin allowed by default');
    is($res->{headers}{'access-control-allow-origin'}, "http://127.0.0.1:$port",
       'CORS origin echoed');

    # rebinding: evil host and origin against the allow-listed location
    is_json_error($t->mcp($ping, path => '/conformance/mcp',
                          host => 'evil.example.com',
                          headers => { Origin => 'http://evil.example.com' }),
                  403, -32000, 'DNS rebinding refused on an allow-list');
    is($t->mcp($ping, path => '/conformance/mcp',
               headers => { Origin => "http://localhost:$port" })->{status},
       200, 'allow-listed origin');

    # preflight: before auth
    $res = $t->mcp(undef, method => 'OPTIONS',
                   headers => { Origin => "http://127.0.0.1:$port",
                                Authorization => undef,
                                'Access-Control-Request-Method' => 'POST' });
    is($res->{status}, 204, 'preflight 204 without credentials');
    like($res->{headers}{'access-control-allow-headers'}, qr/MCP-Protocol-Version/,
         'preflight allows the MCP headers');
    like($res->{headers}{'access-control-allow-methods'}, qr/POST/,
         'preflight allows POST');
}

# --- bodies: split, on disk, too large ----------------------------------

{
    my $pad = 'x' x (900 * 1024);
    my $big = '{"jsonrpc":"2.0","id":"big","method":"ping","params":'
              . '{"_meta":{"pad":"' . $pad . '"}}}';

    my $res = $t->mcp($big);
    is($res->{status}, 200, '900 KB body');
    is($res->{json}{id}, 'big', '900 KB body parsed');

    $res = $t->mcp($big, path => '/small/mcp');
    is($res->{status}, 200, '900 KB body with client_body_buffer_size 1k');
    is($res->{json}{id}, 'big', 'body read back from the temp file');

    $res = $t->mcp($big, path => '/small/mcp', chunked => 1, chunk_size => 700);
    is($res->{status}, 200, 'chunked 900 KB body in a temp file');
    is($res->{json}{id}, 'big', 'chunked body parsed');

    my $over = '{"jsonrpc":"2.0","id":1,"method":"ping","params":{"_meta":'
               . '{"pad":"' . ('y' x 2100) . '"}}}';
    is_json_error($t->mcp($over, path => '/limited/mcp'), 413, -32000,
                  'body over freshdesk_max_body_size');
    is_json_error($t->mcp($over, path => '/limited/mcp', chunked => 1),
                  413, -32600, 'chunked body over the limit');
    my $under = '{"jsonrpc":"2.0","id":1,"method":"ping","params":{"_meta":'
                . '{"pad":"' . ('y' x 1900) . '"}}}';
    is($t->mcp($under, path => '/limited/mcp')->{status}, 200,
       'body just under the limit');
}

$t->finish;
