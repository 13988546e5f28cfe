#!/usr/bin/perl

# A corpus of hostile requests.  Each has its expected status and error;
# after each, nginx still answers, the fake Freshdesk received nothing it
# should not have, and (checked at the end) error.log has no alert.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use Test::More;

my $t = FreshdeskTest->new->start_fake->standard_conf(
    server => FreshdeskTest::mcp_location('/ro/mcp',
                                          'freshdesk_tools read_only;'),
)->run;

my $J = FreshdeskTest::json();

sub call_body {
    my ($name, $args) = @_;
    return '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"'
           . $name . '","arguments":' . $args . '}}';
}

# a real cursor of acme's, to replay and to forge from
my (undef, $page1) = $t->call_tool('list_tickets', { per_page => 10 });
my $cursor = $page1->{structuredContent}{nextCursor} // '';
ok(length $cursor, 'got a cursor to attack');
(my $tampered = $cursor) =~ s/^(.)/$1 eq 'A' ? 'B' : 'A'/e;

my $deep = ('[' x 100000) . (']' x 100000);
my $over = '{"jsonrpc":"2.0","id":1,"method":"ping","params":{"_meta":{"p":"'
           . ('x' x (1024 * 1024)) . '"}}}';

# [ name, body, expect, %options ]
#   expect: [status, code] for JSON-RPC errors, or qr// for an isError text
#   options: headers, path, upstream => 1 (may reach Freshdesk)
my @cases = (
    # broken JSON
    ['truncated', '{"jsonrpc":"2.0","id":1,', [400, -32700]],
    ['trailing comma', '{"jsonrpc":"2.0","id":1,"method":"ping",}', [400, -32700]],
    ['single quotes', "{'jsonrpc':'2.0','id':1,'method':'ping'}", [400, -32700]],
    ['unquoted key', '{jsonrpc:"2.0",id:1,method:"ping"}', [400, -32700]],
    ['bare word', 'ping', [400, -32700]],
    ['two documents', '{"jsonrpc":"2.0","id":1,"method":"ping"}{}', [400, -32700]],
    ['NaN', '{"jsonrpc":"2.0","id":NaN,"method":"ping"}', [400, -32700]],
    ['comment', '{"jsonrpc":"2.0",/*x*/"id":1,"method":"ping"}', [400, -32700]],
    ['depth 100,000', $deep, [400, -32700]],
    ['depth 65 objects', '{"jsonrpc":"2.0","id":1,"method":"ping","params":'
        . ('{"a":' x 64) . '1' . ('}' x 64) . '}', [400, -32700]],
    ['raw NUL byte', qq({"jsonrpc":"2.0","id":1,"method":"pi\x00ng"}), [400, -32700]],
    ['escaped NUL', '{"jsonrpc":"2.0","id":1,"method":"pi\u0000ng"}', [400, -32700]],
    ['invalid UTF-8 in a value', call_body('get_ticket', qq({"ticket_id":"\xc3\x28"})), [400, -32700]],
    ['overlong UTF-8', qq({"jsonrpc":"2.0","id":1,"method":"\xc0\xafping"}), [400, -32700]],
    ['lone surrogate escape', '{"jsonrpc":"2.0","id":"\ud800","method":"ping"}', [400, -32700]],
    ['duplicate keys', '{"jsonrpc":"2.0","id":1,"id":2,"method":"ping"}', [400, -32700]],
    ['duplicate tool name', '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_ticket","name":"delete_ticket","arguments":{"ticket_id":1}}}', [400, -32700]],
    ['huge integer id', '{"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"ping"}', [400, -32700]],
    ['body over the limit', $over, [413, -32000]],

    # envelope and types
    ['id true', '{"jsonrpc":"2.0","id":true,"method":"ping"}', [400, -32600]],
    ['id array', '{"jsonrpc":"2.0","id":[1],"method":"ping"}', [400, -32600]],
    ['id float', '{"jsonrpc":"2.0","id":1.0,"method":"ping"}', [400, -32600]],
    ['jsonrpc number', '{"jsonrpc":2.0,"id":1,"method":"ping"}', [400, -32600]],
    ['method null', '{"jsonrpc":"2.0","id":1,"method":null}', [400, -32600]],
    ['method object', '{"jsonrpc":"2.0","id":1,"method":{}}', [400, -32600]],
    ['empty batch', '[]', [400, -32600]],
    ['batch of ping', '[{"jsonrpc":"2.0","id":1,"method":"ping"}]', [400, -32600]],
    ['batch of notifications', '[{"jsonrpc":"2.0","method":"notifications/initialized"}]', [400, -32600]],
    ['batch under 2025-03-26', '[{"jsonrpc":"2.0","id":1,"method":"ping"}]', [400, -32600],
        headers => { 'MCP-Protocol-Version' => '2025-03-26' }],
    ['params string', '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":"x"}', [200, -32602]],
    ['name number', '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":7}}', [200, -32602]],
    ['arguments string', '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_ticket","arguments":"ticket_id=1"}}', [200, -32602]],
    ['arguments number', '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_ticket","arguments":1}}', [200, -32602]],
    ['method with a space', '{"jsonrpc":"2.0","id":1,"method":"tools/call "}', [200, -32601]],
    ['method upper case', '{"jsonrpc":"2.0","id":1,"method":"TOOLS/CALL"}', [200, -32601]],

    # unknown and hidden tools
    ['unknown tool', call_body('drop_database', '{}'), [200, -32602]],
    ['tool name with CR/LF', call_body('get_ticket\r\nX: y', '{}'), [200, -32602]],
    ['very long tool name', call_body('x' x 100000, '{}'), [200, -32602]],
    ['hidden write tool', call_body('create_ticket', '{"subject":"x","description":"y","email":"a@b.co"}'),
        [200, -32602], path => '/ro/mcp'],
    ['hidden delete tool', call_body('delete_ticket', '{"ticket_id":1}'), [200, -32602], path => '/ro/mcp'],

    # argument types
    ['ticket_id string', call_body('get_ticket', '{"ticket_id":"1"}'), qr/ticket_id must be a positive integer/],
    ['ticket_id float', call_body('get_ticket', '{"ticket_id":1.5}'), qr/ticket_id must be a positive integer/],
    ['ticket_id exponent', call_body('get_ticket', '{"ticket_id":1e5}'), qr/ticket_id must be a positive integer/],
    ['ticket_id negative', call_body('get_ticket', '{"ticket_id":-1}'), qr/ticket_id must be a positive integer/],
    ['ticket_id null', call_body('get_ticket', '{"ticket_id":null}'), qr/ticket_id must be a positive integer/],
    ['ticket_id object', call_body('get_ticket', '{"ticket_id":{"$gt":0}}'), qr/ticket_id must be a positive integer/],
    ['include string', call_body('get_ticket', '{"ticket_id":1,"include":"stats"}'), qr/include must be an array/],
    ['include unknown value', call_body('get_ticket', '{"ticket_id":1,"include":["notes"]}'), qr/include must be an array of values from/],
    ['per_page 0', call_body('list_tickets', '{"per_page":0}'), qr/per_page must be an integer from 1 to 100/],
    ['per_page 101', call_body('list_tickets', '{"per_page":101}'), qr/per_page must be an integer from 1 to 100/],
    ['huge ticket_id', call_body('get_ticket', '{"ticket_id":9223372036854775807}'),
        qr/ticket 9223372036854775807 was not found/, upstream => 1],
    ['subject too long', call_body('create_ticket', '{"subject":"' . ('s' x 70000) . '","description":"d","email":"a@b.co"}'),
        qr/subject must be a string of/],
    ['unknown argument', call_body('get_ticket', '{"ticket_id":1,"__proto__":1}'), qr/unknown argument "__proto__"/],
    ['empty update', call_body('update_ticket', '{"ticket_id":1}'), qr/give at least one of/],

    # CR/LF, %0d%0a and path tricks in everything that reaches a path,
    # query or header
    ['CR/LF in ticket_id', call_body('get_ticket', '{"ticket_id":"1\r\nHost: evil"}'), qr/ticket_id must be a positive integer/],
    ['%0d%0a in ticket_id', call_body('get_ticket', '{"ticket_id":"1%0d%0aX"}'), qr/ticket_id must be a positive integer/],
    ['../ in ticket_id', call_body('get_ticket', '{"ticket_id":"../admin"}'), qr/ticket_id must be a positive integer/],
    ['%2e%2e/ in ticket_id', call_body('get_ticket', '{"ticket_id":"%2e%2e/1"}'), qr/ticket_id must be a positive integer/],
    ['CR/LF in job_id', call_body('get_job', '{"job_id":"abc\r\nX: y"}'), qr/job_id must be an identifier/],
    ['../ in job_id', call_body('get_job', '{"job_id":"../tickets"}'), qr/job_id must be an identifier/],
    ['%2e%2e in record_id', call_body('get_custom_object_record', '{"schema_id":30,"record_id":"%2e%2e"}'), qr/record_id must be an identifier/],
    ['CR/LF in email filter', call_body('list_tickets', '{"email":"a@b.co\r\nX: y"}'), qr/email must be an email address/],
    ['CR/LF in search tag', call_body('search_tickets', '{"tag":"vip\r\nX"}'), qr/tag must be a string without control characters|tag must be a value without/],
    ['quote in search tag', call_body('search_tickets', q({"tag":"vip' OR status:2"})), qr/tag must be a value without quotes/],
    ['CR/LF in raw query', call_body('search_tickets', '{"query":"status:2\r\nX: y"}'), qr/query must be a string without control characters/],
    ['double quote in raw query', call_body('search_tickets', '{"query":"status:2\" OR \"1"}'), qr/must not contain double quotes/],
    ['CR/LF in autocomplete term', call_body('autocomplete_contacts', '{"term":"ab\r\nX"}'), qr/term must be a string without control characters/],
    ['%0d%0a in autocomplete term', call_body('autocomplete_contacts', '{"term":"ab%0d%0a"}'), qr/^\{/, upstream => 1],
    ['CR/LF in a filter value', call_body('list_custom_object_records', '{"schema_id":30,"filters":{"status":"a\r\nb"}}'), qr/filters must be an object/],
    ['bad filter operator', call_body('list_custom_object_records', '{"schema_id":30,"filters":{"age":{"ne":3}}}'), qr/filters must be an object/],
    ['bracket in a filter name', call_body('list_custom_object_records', '{"schema_id":30,"filters":{"a[gt]":1}}'), qr/filters must be an object/],

    # freshdesk_request
    ['request: ..', call_body('freshdesk_request', '{"path":"/tickets/../admin"}'), qr/path must be a relative API path/],
    ['request: %2e%2e', call_body('freshdesk_request', '{"path":"/tickets/%2e%2e/admin"}'), qr/path must be a relative API path/],
    ['request: //', call_body('freshdesk_request', '{"path":"//evil.example.com/x"}'), qr/path must be a relative API path/],
    ['request: absolute URL', call_body('freshdesk_request', '{"path":"http://evil.example.com/x"}'), qr/path must be a relative API path/],
    ['request: no slash', call_body('freshdesk_request', '{"path":"tickets"}'), qr/path must be a relative API path/],
    ['request: query string', call_body('freshdesk_request', '{"path":"/tickets?x=1"}'), qr/path must be a relative API path/],
    ['request: fragment', call_body('freshdesk_request', '{"path":"/tickets#x"}'), qr/path must be a relative API path/],
    ['request: CR/LF', call_body('freshdesk_request', '{"path":"/tickets\r\nX: y"}'), qr/path must be a relative API path/],
    ['request: backslash', call_body('freshdesk_request', '{"path":"/tickets\\\\..\\\\x"}'), qr/path must be a relative API path/],
    ['request: write refused', call_body('freshdesk_request', '{"path":"/tickets/1","method":"DELETE"}'), qr/may only use GET/],
    ['request: CR/LF in query', call_body('freshdesk_request', '{"path":"/tickets","query":{"a":"b\r\nc"}}'), qr/query must be an object/],

    # cursors
    ['forged cursor', call_body('list_tickets', '{"per_page":10,"cursor":"eyJwYWdlIjoyfQ.AAAA"}'), qr/cursor is not valid/],
    ['tampered cursor', call_body('list_tickets', qq({"per_page":10,"cursor":"$tampered"})), qr/cursor is not valid/],
    ['cursor with other arguments', call_body('list_tickets', qq({"per_page":20,"cursor":"$cursor"})), qr/cursor is not valid/],
    ['cursor of another tool', call_body('list_contacts', qq({"per_page":10,"cursor":"$cursor"})), qr/cursor is not valid/],
    ["another tenant's cursor", call_body('list_tickets', qq({"per_page":10,"cursor":"$cursor"})), qr/cursor is not valid/,
        headers => { Authorization => $FreshdeskTest::TOKEN2 }],
    ['cursor of 3000 characters', call_body('list_tickets', '{"cursor":"' . ('A' x 3000) . '"}'), qr/cursor must be a string of/],

    # protocol versions and headers
    ['version with a space', '{"jsonrpc":"2.0","id":1,"method":"ping"}', [400, -32022],
        headers => { 'MCP-Protocol-Version' => '2025-11-25 x' }],
    ['version list', '{"jsonrpc":"2.0","id":1,"method":"ping"}', [400, -32022],
        headers => { 'MCP-Protocol-Version' => '2025-11-25, 2025-06-18' }],
    # 2026-07-28 without its routing header, or ping (gone in it)
    ['version 2026-07-28 without Mcp-Method', '{"jsonrpc":"2.0","id":1,"method":"ping"}', [400, -32020],
        headers => { 'MCP-Protocol-Version' => '2026-07-28' }],
    ['2026-07-28 ping', '{"jsonrpc":"2.0","id":1,"method":"ping","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}', [404, -32601],
        headers => { 'MCP-Protocol-Version' => '2026-07-28', 'Mcp-Method' => 'ping' }],
    ['2026-07-28 Mcp-Method mismatch', '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}', [400, -32020],
        headers => { 'MCP-Protocol-Version' => '2026-07-28', 'Mcp-Method' => 'tools/call' }],
    ['2026-07-28 bad base64 header', '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}', [400, -32020],
        headers => { 'MCP-Protocol-Version' => '2026-07-28', 'Mcp-Method' => '=?base64?!!!?=' }],
    ['2026 _meta under a 2025 header', '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}', [400, -32020],
        headers => { 'MCP-Protocol-Version' => '2025-11-25' }],
    ['json-patch content type', '{"jsonrpc":"2.0","id":1,"method":"ping"}', [415, -32000],
        headers => { 'Content-Type' => 'application/json-patch+json' }],
    ['two Origin headers', '{"jsonrpc":"2.0","id":1,"method":"ping"}', [403, -32000],
        headers => { Origin => ['http://127.0.0.1', 'http://evil.example.com'] }],
    ['null origin', '{"jsonrpc":"2.0","id":1,"method":"ping"}', [403, -32000],
        headers => { Origin => 'null' }],
);

ok(@cases >= 60, scalar(@cases) . ' hostile cases');

for my $c (@cases) {
    my ($name, $body, $expect, %o) = @$c;

    my $before = $t->fake_count;
    my $res = $t->mcp($body, path => $o{path} // '/mcp',
                      headers => $o{headers} // {});

    if (ref $expect eq 'ARRAY') {
        is($res->{status}, $expect->[0], "$name: HTTP $expect->[0]");
        is($res->{json}{error}{code}, $expect->[1], "$name: code $expect->[1]")
            or diag(substr($res->{raw}, 0, 400));
    } else {
        is($res->{status}, 200, "$name: HTTP 200");
        my $r = $res->{json}{result} // {};
        if ("$expect" =~ /\^\\\{/) {
            ok(!$r->{isError}, "$name: passed on safely")
                or diag(substr($res->{raw}, 0, 400));
        } else {
            ok($r->{isError}, "$name: isError")
                or diag(substr($res->{raw}, 0, 400));
            like(FreshdeskTest::tool_text($r), $expect, "$name: message");
        }
    }

    if ($o{upstream}) {
        my $reqs = $t->fake_requests;
        my $last = $reqs->[-1] // {};
        unlike("$last->{path}?$last->{query}", qr/[\r\n]|%0[dDaA]%0[aA]/,
               "$name: what reached Freshdesk is clean");
    } else {
        is($t->fake_count, $before, "$name: nothing sent to Freshdesk");
    }

    my $ping = $t->mcp('{"jsonrpc":"2.0","id":1,"method":"ping"}');
    is($ping->{status}, 200, "$name: nginx still answers");
}

# nothing upstream ever carried a client credential or an injected header
for my $q (@{$t->fake_requests}) {
    ok(!grep({ /t0k3n|evil/ } values %{$q->{headers}}),
       "no client credential or injected header upstream ($q->{path})");
}

$t->finish;
