#!/usr/bin/perl

# MCP 2026-07-28 beside the 2025 revisions on one endpoint: server/discover,
# tools/list with its cache hints, tools/call, every result with
# resultType and _meta serverInfo; the routing headers (MCP-Protocol-Version,
# Mcp-Method, Mcp-Name, base64 values) must agree with the body (-32020);
# methods the revision removed are 404 -32601.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use MIME::Base64 qw(encode_base64);
use Test::More;

my $t = FreshdeskTest->new;

$t->start_fake->standard_conf(
    http => 'freshdesk_quota_zone fd:1m calls=4/m actions=1000/month;
             limit_req_zone $freshdesk_mcp_name zone=tool:1m rate=1r/m;',
    mcp => 'freshdesk_quota fd;
            add_header X-Mcp-Method "$freshdesk_mcp_method" always;
            add_header X-Mcp-Name "$freshdesk_mcp_name" always;',
    # an operator limiting one tool, before the body is read
    server => FreshdeskTest::mcp_location('/lim/mcp', 'limit_req zone=tool;')
              . FreshdeskTest::mcp_location('/ro/mcp',
                                            'freshdesk_tools read_only;'),
)->run;

my $V = '2026-07-28';
my $id = 1;

# one request of the 2026 revision; %o: headers (added or replaced; undef
# drops one), meta (the _meta version), path
sub rpc26 {
    my ($method, $params, %o) = @_;
    $params = { %{$params // {}} };
    $params->{_meta} = {
        'io.modelcontextprotocol/protocolVersion' => $o{meta} // $V,
        'io.modelcontextprotocol/clientInfo' => { name => 't', version => '1' },
        'io.modelcontextprotocol/clientCapabilities' => {},
    } unless $o{no_meta};
    my %h = ('MCP-Protocol-Version' => $V, 'Mcp-Method' => $method);
    $h{'Mcp-Name'} = $params->{name} if defined $params->{name};
    %h = (%h, %{$o{headers} // {}});
    delete $h{$_} for grep { !defined $h{$_} } keys %h;
    my $msg = { jsonrpc => '2.0', method => $method, params => $params };
    $msg->{id} = $id++ unless $o{notification};
    return $t->mcp($msg, headers => \%h, path => $o{path} // '/mcp');
}

sub meta_ok {
    my ($res, $what) = @_;
    my $r = $res->{json}{result} // {};
    is($r->{resultType}, 'complete', "$what: resultType complete");
    is($r->{_meta}{'io.modelcontextprotocol/serverInfo'}{name},
       'ngx_http_freshdesk_module', "$what: _meta serverInfo");
}

sub mismatch {
    my ($res, $what) = @_;
    is($res->{status}, 400, "$what: 400");
    is($res->{json}{error}{code}, -32020, "$what: -32020");
}

# --- server/discover ------------------------------------------------------

my $res = rpc26('server/discover');
is($res->{status}, 200, 'server/discover: 200');
my $d = $res->{json}{result};
is_deeply($d->{supportedVersions},
          [$V, '2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'],
          'server/discover: the revisions served, newest first');
ok($d->{capabilities}{tools}, 'server/discover: tools capability');
like($d->{instructions}, qr/Freshdesk/, 'server/discover: instructions');
ok($d->{ttlMs} > 0, 'server/discover: ttlMs');
is($d->{cacheScope}, 'public', 'server/discover: cacheScope public');
meta_ok($res, 'server/discover');

# --- tools/list -------------------------------------------------------------

$res = rpc26('tools/list');
my $l = $res->{json}{result};
ok(@{$l->{tools}} > 60, 'tools/list: the catalog');
ok($l->{ttlMs} > 0, 'tools/list: ttlMs');
is($l->{cacheScope}, 'private',
   'tools/list: cacheScope private (it depends on the tenant\'s scope)');
meta_ok($res, 'tools/list');

my $legacy = $t->mcp({ jsonrpc => '2.0', id => 99, method => 'tools/list' });
is_deeply([map { $_->{name} } @{$l->{tools}}],
          [map { $_->{name} } @{$legacy->{json}{result}{tools}}],
          'tools/list: the same tools in the same (deterministic) order');
ok(!exists $legacy->{json}{result}{resultType},
   'a 2025 result has no resultType');

my $ro = rpc26('tools/list', {}, path => '/ro/mcp');
ok(@{$ro->{json}{result}{tools}} < @{$l->{tools}},
   'tools/list: a scoped tenant sees fewer tools');

# --- tools/call -------------------------------------------------------------

$t->fake_clear;
$res = rpc26('tools/call', { name => 'get_ticket',
                             arguments => { ticket_id => 1 } });
is($res->{status}, 200, 'tools/call: 200');
is($res->{json}{result}{structuredContent}{id}, 1, 'tools/call: the ticket');
meta_ok($res, 'tools/call');
is($t->fake_count, 1, 'tools/call: one REST request');

# Mcp-Name as base64 (the form for values outside plain ASCII)
$res = rpc26('tools/call', { name => 'get_ticket',
                             arguments => { ticket_id => 2 } },
             headers => { 'Mcp-Name' => '=?base64?'
                          . encode_base64('get_ticket', '') . '?=' });
is($res->{json}{result}{structuredContent}{id}, 2,
   'tools/call: a base64 Mcp-Name');

is($res->{headers}{'x-mcp-name'}, 'get_ticket',
   '$freshdesk_mcp_name: the decoded Mcp-Name');
is($res->{headers}{'x-mcp-method'}, 'tools/call', '$freshdesk_mcp_method');

# limit_req on the tool's name, from the routing header
my @lim = map { rpc26('tools/call', { name => 'get_ticket',
                                      arguments => { ticket_id => 1 } },
                      path => '/lim/mcp')->{status} } 1 .. 2;
is("@lim", '200 503', 'limit_req keyed on $freshdesk_mcp_name');
is(rpc26('tools/call', { name => 'get_contact',
                         arguments => { contact_id => 1001 } },
         path => '/lim/mcp')->{status}, 200, '... per tool');

# header names are case-insensitive
$res = rpc26('tools/call', { name => 'get_ticket',
                             arguments => { ticket_id => 1 } },
             headers => { 'Mcp-Name' => undef, 'mcp-name' => 'get_ticket',
                          'Mcp-Method' => undef, 'MCP-METHOD' => 'tools/call' });
is($res->{json}{result}{structuredContent}{id}, 1,
   'tools/call: header names in any case');

# a tool error is a result too
$res = rpc26('tools/call', { name => 'get_ticket',
                             arguments => { ticket_id => 999999 } });
ok($res->{json}{result}{isError}, 'tools/call 404: isError');
meta_ok($res, 'tools/call 404');

# a hidden tool is an unknown one
$res = rpc26('tools/call', { name => 'delete_ticket',
                             arguments => { ticket_id => 1 } },
             path => '/ro/mcp');
like($res->{json}{error}{message}, qr/Unknown tool: delete_ticket/,
     'tools/call: a hidden tool is unknown');

# the quota's refusal (4 calls a minute)
rpc26('tools/call', { name => 'get_ticket', arguments => { ticket_id => 1 } })
    for 1 .. 2;
$res = rpc26('tools/call', { name => 'get_ticket',
                             arguments => { ticket_id => 1 } });
like($res->{json}{result}{content}[0]{text}, qr/^Rate limit reached/,
     'tools/call: the quota refuses');
ok($res->{headers}{'retry-after'}, 'tools/call: Retry-After');
meta_ok($res, 'quota refusal');

# --- the routing headers must agree with the body ----------------------------

$t->fake_clear;
mismatch(rpc26('tools/call', { name => 'get_ticket',
                               arguments => { ticket_id => 1 } },
               headers => { 'Mcp-Name' => 'delete_ticket' }),
         'Mcp-Name disagrees');
mismatch(rpc26('tools/call', { name => 'get_ticket',
                               arguments => { ticket_id => 1 } },
               headers => { 'Mcp-Name' => undef }),
         'Mcp-Name missing');
mismatch(rpc26('tools/list', {}, headers => { 'Mcp-Method' => 'tools/call' }),
         'Mcp-Method disagrees');
$res = rpc26('tools/list', {}, headers => { 'Mcp-Method' => undef });
mismatch($res, 'Mcp-Method missing');
is($res->{json}{id}, $id - 1, 'Mcp-Method missing: the id echoed');
mismatch(rpc26('tools/list', {}, headers => { 'Mcp-Method' => ['tools/list',
                                                               'tools/list'] }),
         'two Mcp-Method headers');
mismatch(rpc26('tools/list', {}, meta => '2025-11-25'),
         '_meta version disagrees with the header');
$res = rpc26('tools/list', {}, no_meta => 1);
is($res->{status}, 400, '_meta missing: 400');
is($res->{json}{error}{code}, -32602, '_meta missing: -32602 invalid params');
is($res->{json}{id}, $id - 1, '_meta missing: the id echoed');
mismatch(rpc26('tools/list', {}, headers => { 'MCP-Protocol-Version' => '2025-11-25',
                                               'Mcp-Method' => undef }),
         '_meta 2026 under a 2025 header');
mismatch(rpc26('tools/list', {}, headers => { 'Mcp-Method' => '=?base64?@@@?=' }),
         'a broken base64 value');
is($t->fake_count, 0, 'nothing reached Freshdesk for any of them');

# --- methods the revision removed, and unknown ones: 404 -32601 -------------

for my $m (qw(initialize ping logging/setLevel resources/list)) {
    $res = rpc26($m);
    is($res->{status}, 404, "$m: 404");
    is($res->{json}{error}{code}, -32601, "$m: -32601");
    ok(defined $res->{json}{id}, "$m: the id echoed");
}

# notifications: nothing to answer
is(rpc26('notifications/cancelled', { requestId => 1 },
         notification => 1)->{status}, 202, 'a notification: 202');

# GET and DELETE stay 405
for my $m (qw(GET DELETE)) {
    is($t->mcp('', method => $m,
               headers => { 'MCP-Protocol-Version' => $V })->{status},
       405, "$m: 405");
}

# --- the 2025 revisions are untouched ---------------------------------------

$res = $t->mcp({ jsonrpc => '2.0', id => 7, method => 'initialize',
                 params => { protocolVersion => $V, capabilities => {},
                             clientInfo => { name => 't', version => '1' } } });
is($res->{json}{result}{protocolVersion}, '2025-11-25',
   'initialize asking for 2026-07-28 is answered with 2025-11-25');
is($t->mcp({ jsonrpc => '2.0', id => 8, method => 'ping' },
           headers => { 'MCP-Protocol-Version' => '2025-11-25' })->{status},
   200, 'a 2025 ping still works');

$t->finish;
