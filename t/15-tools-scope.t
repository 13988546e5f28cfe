#!/usr/bin/perl

# freshdesk_tools: which tools a location (or a tenant, through a
# variable) lists and may call.  A hidden tool is answered exactly like
# an unknown one (-32602 "Unknown tool: name"), whatever its arguments,
# and never reaches Freshdesk.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use Test::More;

sub loc {
    my ($path, $tools) = @_;
    return "location = $path {
            freshdesk_mcp;
            freshdesk_tenant \$fd_tenant;
            freshdesk_api_key \$fd_api_key;
            freshdesk_tools $tools;
        }\n";
}

my $t = FreshdeskTest->new->start_fake->standard_conf(
    http => 'map $fd_tenant $fd_tools {
        acme    read_only;
        globex  "get_ticket,list_tickets";
    }',
    server => loc('/ro/mcp', 'read_only')
              . loc('/some/mcp', '"list_* get_ticket"')
              . loc('/nodelete/mcp', '"all !delete_*"')
              . loc('/nohatch/mcp', '!freshdesk_request')
              . loc('/tenant/mcp', '$fd_tools'),
)->run;

my $T = JSON::PP::true;

sub names {
    my (%o) = @_;
    my $res = $t->mcp({ jsonrpc => '2.0', id => 1, method => 'tools/list' },
                      %o);
    is($res->{status}, 200, "tools/list on $o{path}: 200");
    return { map { $_->{name} => $_ } @{$res->{json}{result}{tools} // []} };
}

# a tools/call that must look exactly like one of an unknown tool
sub hidden {
    my ($name, $args, %o) = @_;
    my $where = $o{path} . ($o{headers} ? ' (globex)' : '');

    $t->fake_clear;
    my $res = $t->mcp({ jsonrpc => '2.0', id => 42, method => 'tools/call',
                        params => { name => $name, arguments => $args } }, %o);
    my $ref = $t->mcp({ jsonrpc => '2.0', id => 42, method => 'tools/call',
                        params => { name => 'no_such_tool',
                                    arguments => $args } }, %o);

    is($res->{status}, 200, "$name hidden on $where: HTTP 200");
    is_deeply($res->{json},
              { jsonrpc => '2.0', id => 42,
                error => { code => -32602,
                           message => "Unknown tool: $name" } },
              "$name hidden on $where: -32602 Unknown tool");
    (my $msg = $ref->{json}{error}{message} // '') =~ s/no_such_tool/$name/;
    is_deeply({ %{$res->{json}},
                error => { %{$res->{json}{error} // {}} } },
              { %{$ref->{json}},
                error => { %{$ref->{json}{error} // {}}, message => $msg } },
              "$name hidden on $where: same answer as an unknown tool");
    is($res->{headers}{'content-type'}, $ref->{headers}{'content-type'},
       "$name hidden on $where: same content type");
    is($t->fake_count, 0, "$name hidden on $where: nothing sent upstream");
}

sub visible {
    my ($name, $args, %o) = @_;
    my $where = $o{path} . ($o{headers} ? ' (globex)' : '');
    $t->fake_clear;
    my ($res, $r) = $t->call_tool($name, $args, %o);
    ok($r && !$r->{isError}, "$name callable on $where")
        or diag($res->{body});
    is($t->fake_count, 1, "$name on $where: sent upstream");
}

my $all = names(path => '/mcp');
cmp_ok(scalar keys %$all, '>=', 79, 'default: the whole catalog');

my @ro = grep { $all->{$_}{annotations}{readOnlyHint} } sort keys %$all;
my @lists = grep { /^list_/ } sort keys %$all;

# --- read_only ----------------------------------------------------------

{
    my $ro = names(path => '/ro/mcp');
    my @bad = grep { !$ro->{$_}{annotations}{readOnlyHint}
                     && $_ ne 'freshdesk_request' } sort keys %$ro;
    is_deeply(\@bad, [], 'read_only: every listed tool is read-only');
    is_deeply([sort keys %$ro], [sort @ro, 'freshdesk_request'],
              'read_only: all read-only tools and freshdesk_request');
    cmp_ok(scalar keys %$ro, '<', scalar keys %$all, 'read_only: fewer tools');

    hidden('create_ticket', { subject => 's', description => 'd',
                              email => 'a@example.com' }, path => '/ro/mcp');
    hidden('create_ticket', {}, path => '/ro/mcp');
    hidden('delete_ticket', { ticket_id => 1 }, path => '/ro/mcp');
    hidden('merge_tickets', { primary_id => 1, ticket_ids => [2] },
           path => '/ro/mcp');
    visible('get_ticket', { ticket_id => 1 }, path => '/ro/mcp');
    visible('search_tickets', { status => [2] }, path => '/ro/mcp');
    visible('freshdesk_request', { path => '/tickets/1' }, path => '/ro/mcp');
}

# --- "list_* get_ticket" -------------------------------------------------

{
    my $some = names(path => '/some/mcp');
    is_deeply([sort keys %$some], [sort @lists, 'get_ticket'],
              'list_* get_ticket: exactly the list tools and get_ticket');
    hidden('get_contact', { contact_id => 1001 }, path => '/some/mcp');
    hidden('search_tickets', { status => [2] }, path => '/some/mcp');
    hidden('freshdesk_request', { path => '/tickets/1' }, path => '/some/mcp');
    visible('list_groups', {}, path => '/some/mcp');
    visible('get_ticket', { ticket_id => 2 }, path => '/some/mcp');
}

# --- "all !delete_*" -------------------------------------------------------

{
    my $nd = names(path => '/nodelete/mcp');
    my @deletes = grep { /^delete_/ } sort keys %$all;
    cmp_ok(scalar @deletes, '>=', 6, 'there are delete tools to hide');
    is_deeply([sort keys %$nd],
              [grep { !/^delete_/ } sort keys %$all],
              'all !delete_*: everything but the delete tools');
    hidden($_, { ticket_id => 1, contact_id => 1001, company_id => 1,
                 conversation_id => 5001, time_entry_id => 3001,
                 schema_id => 30, record_id => 'BKG-1' },
           path => '/nodelete/mcp') for @deletes;
    visible('bulk_delete_tickets', { ids => [4] }, path => '/nodelete/mcp');
    ok(job_for(4), "bulk_delete_tickets (not a delete_* tool) started a job");
}

sub job_for {
    my ($id) = @_;
    my ($job) = @{$t->control('GET', 'state/jobs')};
    return $job && grep { $_ == $id } @{$job->{_ids}};
}

# --- only denials --------------------------------------------------------

{
    my $nh = names(path => '/nohatch/mcp');
    is_deeply([sort keys %$nh],
              [grep { $_ ne 'freshdesk_request' } sort keys %$all],
              '!freshdesk_request: all but the escape hatch');
    hidden('freshdesk_request', { path => '/tickets/1' },
           path => '/nohatch/mcp');
}

# --- per tenant, through a map -----------------------------------------------

{
    my $acme = names(path => '/tenant/mcp');
    is_deeply([sort keys %$acme], [sort @ro, 'freshdesk_request'],
              'tenant acme (read_only): read-only tools');

    my %g = (path => '/tenant/mcp',
             headers => { Authorization => $FreshdeskTest::TOKEN2 });
    my $globex = names(%g);
    is_deeply([sort keys %$globex], ['get_ticket', 'list_tickets'],
              'tenant globex: get_ticket and list_tickets');

    hidden('add_note', { ticket_id => 1, body => 'x' }, path => '/tenant/mcp');
    visible('list_agents', {}, path => '/tenant/mcp');
    hidden('list_agents', {}, %g);
    hidden('search_tickets', { status => [2] }, %g);
    visible('list_tickets', {}, %g);
    visible('get_ticket', { ticket_id => 1 }, %g);

    # the same tool list in the default location for both tenants
    is_deeply([sort keys %{names(path => '/mcp', headers => $g{headers})}],
              [sort keys %$all], 'globex sees everything on /mcp');
}

$t->finish;
