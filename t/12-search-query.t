#!/usr/bin/perl

# Search query building: the raw query and the structured arguments become
# query="..." with the outer double quotes added and everything
# URL-encoded; values that could break out of the quoting, mixing both
# forms, and queries over Freshdesk's 512 characters are refused before
# anything is sent.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use Test::More;

my $t = FreshdeskTest->new->start_fake->standard_conf->run;

sub text { FreshdeskTest::tool_text($_[0] // {}) }

# the query string Freshdesk should get for an inner query text
sub q_of {
    my ($inner) = @_;
    my $s = qq{"$inner"};
    $s =~ s/([^A-Za-z0-9._~-])/sprintf('%%%02X', ord $1)/ge;
    return "query=$s";
}

is(q_of('priority:3 AND status:2'),
   'query=%22priority%3A3%20AND%20status%3A2%22',
   'the reference encoding of the API documentation');

# --- accepted: exact query strings -----------------------------------------

my @ok = (
    [ 'raw query', 'search_tickets',
      { query => 'priority:3 AND status:2' },
      'query=%22priority%3A3%20AND%20status%3A2%22' ],
    [ 'raw query with quotes, parentheses, null and :>', 'search_tickets',
      { query => "tag:'vip' AND (status:2 OR status:3) AND "
                 . "agent_id:null AND created_at:>'2024-05-01'" },
      q_of("tag:'vip' AND (status:2 OR status:3) AND agent_id:null AND "
           . "created_at:>'2024-05-01'") ],
    [ 'status [2,3] and priority [4]', 'search_tickets',
      { status => [2, 3], priority => [4] },
      'query=%22%28status%3A2%20OR%20status%3A3%29%20AND%20priority%3A4%22' ],
    [ 'one status: no parentheses', 'search_tickets',
      { status => [2] }, 'query=%22status%3A2%22' ],
    [ 'strings quoted, dates cut to the day, :> and :<', 'search_tickets',
      { tag => 'vip', type => 'Incident',
        created_since => '2024-05-01T10:20:30Z',
        updated_since => '2024-05-01', due_before => '2030-01-01' },
      q_of("tag:'vip' AND type:'Incident' AND created_at:>'2024-05-01' AND "
           . "updated_at:>'2024-05-01' AND due_by:<'2030-01-01'") ],
    [ 'ids', 'search_tickets', { agent_id => 1, group_id => 12 },
      'query=%22agent_id%3A1%20AND%20group_id%3A12%22' ],
    [ 'contact email', 'search_contacts',
      { email => 'emily.garcia@acme.com' },
      'query=%22email%3A%27emily.garcia%40acme.com%27%22', 1 ],
    [ 'contact dates', 'search_contacts',
      { created_since => '2020-01-01', updated_since => '2020-01-01' },
      q_of("created_at:>'2020-01-01' AND updated_at:>'2020-01-01'") ],
    [ 'company name with a space', 'search_companies',
      { name => 'Acme Corp' }, 'query=%22name%3A%27Acme%20Corp%27%22', 1 ],
    [ 'company raw query', 'search_companies',
      { query => "domain:'globex.com' OR domain:'initech.com'" },
      q_of("domain:'globex.com' OR domain:'initech.com'"), 2 ],
);

for my $c (@ok) {
    my ($name, $tool, $args, $query, $total) = @$c;

    $t->fake_clear;
    my ($res, $r) = $t->call_tool($tool, $args);
    my $reqs = $t->fake_requests;

    ok(!$r->{isError}, "$name: Freshdesk accepted it") or diag(text($r));
    is(scalar @$reqs, 1, "$name: one request");
    is($reqs->[0]{query}, $query, "$name: exact query string");
    ok(defined $r->{structuredContent}{total}, "$name: total");
    is($r->{structuredContent}{total}, $total, "$name: $total found")
        if defined $total;
}

# structured filters give what Freshdesk finds for the same raw query
{
    my (undef, $a) = $t->call_tool('search_tickets',
                                   { status => [2, 3], priority => [4] });
    my (undef, $b) = $t->call_tool('search_tickets',
        { query => '(status:2 OR status:3) AND priority:4' });
    is_deeply($a->{structuredContent}, $b->{structuredContent},
              'structured and raw forms find the same tickets');
    cmp_ok($a->{structuredContent}{total}, '>', 0, 'and find some');
}

# exactly 510 characters inside the quotes still go out
{
    my $inner = "tag:'" . ('a' x 504) . "'";
    is(length $inner, 510, '510-character query');
    $t->fake_clear;
    my (undef, $r) = $t->call_tool('search_tickets', { query => $inner });
    ok(!$r->{isError}, '510 characters: accepted') or diag(text($r));
    is($t->fake_requests->[0]{query}, q_of($inner),
       '510 characters: sent whole');
}

# structured: 510 characters inside the quotes go out, 511 do not
{
    my %args = (name => 'n' x 255, domain => 'd' x 234);
    my $inner = "name:'$args{name}' AND domain:'$args{domain}'";
    is(length $inner, 510, 'structured query of 510 characters');
    $t->fake_clear;
    my (undef, $r) = $t->call_tool('search_companies', \%args);
    ok(!$r->{isError}, 'structured 510 characters: accepted')
        or diag(text($r));
    is($t->fake_requests->[0]{query}, q_of($inner),
       'structured 510 characters: sent whole');

    $args{domain} .= 'd';
    $t->fake_clear;
    (undef, $r) = $t->call_tool('search_companies', \%args);
    like(text($r), qr/longer than Freshdesk's limit of 512 characters/,
         'structured 511 characters: refused');
    is($t->fake_count, 0, 'structured 511 characters: nothing sent');
}

# --- refused: nothing sent ---------------------------------------------------

my @refused = (
    [ 'query and structured (tickets)', 'search_tickets',
      { query => 'status:2', priority => [1] },
      qr/^Invalid arguments: give either query or the structured filters, not both\.$/, 'query' ],
    [ 'query and structured (contacts)', 'search_contacts',
      { query => "tag:'vip'", company_id => 1 },
      qr/^Invalid arguments: give either query or the structured filters, not both\.$/, 'query' ],
    [ 'query and structured (companies)', 'search_companies',
      { query => "name:'Globex'", domain => 'globex.com' },
      qr/^Invalid arguments: give either query or the structured filters, not both\.$/, 'query' ],
    [ 'double quote in raw query', 'search_tickets',
      { query => 'status:2" OR "1' },
      qr/^Invalid arguments: query must not contain double quotes or backslashes; the gateway adds the outer double quotes, use single quotes around string values\.$/, 'query' ],
    [ 'backslash in raw query', 'search_tickets',
      { query => "tag:'a\\' OR status:2" },
      qr/^Invalid arguments: query must not contain double quotes or backslashes/, 'query' ],
    [ 'CR LF in raw query', 'search_tickets',
      { query => "status:2\r\nX-Evil: 1" },
      qr/^Invalid arguments: query must be a string without control characters/, 'query' ],
    [ 'LF in raw query', 'search_contacts', { query => "tag:'a'\nAND" },
      qr/^Invalid arguments: query must be a string without control characters/, 'query' ],
    [ 'single quote in tag', 'search_tickets', { tag => "vip' OR tag:'x" },
      qr/^Invalid arguments: tag must be a value without quotes, backslashes or control characters/, 'tag' ],
    [ 'double quote in type', 'search_tickets', { type => 'In"cident' },
      qr/^Invalid arguments: type must be a value without quotes, backslashes or control characters/, 'type' ],
    [ 'backslash in tag', 'search_tickets', { tag => 'vip\\' },
      qr/^Invalid arguments: tag must be a value without quotes, backslashes or control characters/, 'tag' ],
    [ 'CR in tag', 'search_tickets', { tag => "vip\r" },
      qr/^Invalid arguments: tag must be a string without control characters/, 'tag' ],
    [ 'LF in contact phone', 'search_contacts', { phone => "+1\n555" },
      qr/^Invalid arguments: phone must be a string without control characters/, 'phone' ],
    [ 'apostrophe in company name', 'search_companies',
      { name => "O'Reilly" },
      qr/^Invalid arguments: name must be a value without quotes/, 'name' ],
    [ 'raw query of 511 characters', 'search_tickets',
      { query => "tag:'" . ('a' x 505) . "'" },
      qr/^Invalid arguments: query must be a string of 1 to 510 characters/, 'query' ],
    [ 'empty raw query', 'search_tickets', { query => '' },
      qr/^Invalid arguments: query must be a string of 1 to 510 characters, got ""\.$/, 'query' ],
    [ 'structured query over 512 characters', 'search_companies',
      { name => 'n' x 255, domain => 'd' x 255 },
      qr/^Invalid arguments: the search query is longer than Freshdesk's limit of 512 characters\.$/, 'search query' ],
    [ 'structured contact query over 512 characters', 'search_contacts',
      { email => ('e' x 240) . '@example.com', phone => '5' x 50,
        company_id => 9223372036854775807, tag => 't' x 100, created_since => '2020-01-01',
        updated_since => '2020-01-01' },
      qr/^Invalid arguments: the search query is longer than Freshdesk's limit of 512 characters\.$/, 'search query' ],
    [ 'no filter at all', 'search_tickets', {},
      qr/^Invalid arguments: give at least one of: query, status, priority, agent_id, group_id, tag, type, created_since, updated_since, due_before\.$/, 'query' ],
    [ 'status 1 does not exist', 'search_tickets', { status => [1] },
      qr/^Invalid arguments: status must be an array of values from: 2, 3, 4, 5, 6, 7, got \[1\]\.$/, 'status' ],
    [ 'status not a list', 'search_tickets', { status => 2 },
      qr/^Invalid arguments: status must be an array of 1 to 6 values, got 2\.$/, 'status' ],
    [ 'date with time zone garbage', 'search_tickets',
      { updated_since => '2024-05-01T10:00:00 CET' },
      qr/^Invalid arguments: updated_since must be an ISO-8601 date/, 'updated_since' ],
);

for my $c (@refused) {
    my ($name, $tool, $args, $error, $arg) = @$c;

    $t->fake_clear;
    my ($res, $r) = $t->call_tool($tool, $args);

    is($r->{isError}, JSON::PP::true, "$name: isError");
    like(text($r), $error, "$name: message") or diag(text($r));
    like(text($r), qr/\b\Q$arg\E\b/, "$name: names $arg");
    is($t->fake_count, 0, "$name: nothing sent upstream");
}

$t->finish;
