#!/usr/bin/perl

# freshdesk_request, the escape hatch: relative /api/v2 paths (a leading
# /api/v2 is stripped), the query object encoded by the gateway, GET only
# unless the location says freshdesk_request_writes on, and every path
# that could leave /api/v2 or smuggle a query, a host or a header refused
# before anything is sent.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use Test::More;

my $t = FreshdeskTest->new->start_fake->standard_conf(
    server => FreshdeskTest::mcp_location('/rw/mcp',
                                          'freshdesk_request_writes on;'),
)->run;

my $J = FreshdeskTest::json();
my ($T, $F) = (JSON::PP::true, JSON::PP::false);

sub text { FreshdeskTest::tool_text($_[0] // {}) }

sub req {
    my ($args, %o) = @_;
    $t->fake_clear;
    my ($res, $r) = $t->call_tool('freshdesk_request', $args, %o);
    return ($r, $t->fake_requests, $res);
}

# --- GET ------------------------------------------------------------------

for my $path ('/tickets/1', '/api/v2/tickets/1') {
    my ($r, $reqs) = req({ path => $path });

    ok(!$r->{isError}, "GET $path: not isError") or diag(text($r));
    is(scalar @$reqs, 1, "GET $path: one request");
    is($reqs->[0]{method}, 'GET', "GET $path: method");
    is($reqs->[0]{path}, '/api/v2/tickets/1', "GET $path: upstream path");
    is($reqs->[0]{query}, '', "GET $path: no query");
    is($reqs->[0]{body}, '', "GET $path: no body");
    is($r->{structuredContent}{subject}, 'Printer on fire',
       "GET $path: the ticket as Freshdesk sent it");
}

{
    my ($r, $reqs) = req({ path => '/tickets',
                           query => { updated_since => '2020-01-01T00:00:00Z',
                                      order_type => 'asc', per_page => 5,
                                      page => 2 } });
    ok(!$r->{isError}, 'GET with query: not isError') or diag(text($r));
    is($reqs->[0]{query},
       'order_type=asc&page=2&per_page=5&updated_since=2020-01-01T00%3A00%3A00Z',
       'GET with query: the object encoded as query parameters');
    is(scalar @{$r->{structuredContent}{items}}, 5,
       'GET with query: a list answer becomes items');
    ok(!exists $r->{structuredContent}{nextCursor},
       'GET with query: no cursor (the caller pages itself)');
}

{
    my ($r, $reqs) = req({ path => '/time_entries',
                           query => { billable => $T, agent_id => 1 } });
    ok(!$r->{isError}, 'booleans and numbers in query') or diag(text($r));
    is($reqs->[0]{query}, 'agent_id=1&billable=true',
       'booleans and numbers printed');
}

{
    my ($r, $reqs) = req({ path => '/contacts/autocomplete',
                           query => { term => 'a&b=c d+e/?#' } });
    is($reqs->[0]{query}, 'term=a%26b%3Dc%20d%2Be%2F%3F%23',
       'query values percent-encoded');
}

{
    my ($r, $reqs) = req({ path => '/tickets/999999/summary' });
    ok($r->{isError}, 'endpoint without tool, unknown: isError');
    like(text($r), qr/^Freshdesk: the requested resource was not found \(HTTP 404\)\./,
         'endpoint without tool: 404 message');
    is($reqs->[0]{path}, '/api/v2/tickets/999999/summary',
       'endpoint without tool: path passed on');
}

# --- writes ----------------------------------------------------------------

for my $m (qw(POST PUT DELETE)) {
    my ($r, $reqs) = req({ path => '/tickets/1', method => $m,
                           ($m ne 'DELETE' ? (body => { priority => 2 }) : ()) });
    ok($r->{isError}, "$m refused by default");
    is(text($r), 'freshdesk_request may only use GET here: the operator has '
                 . 'not enabled writes (freshdesk_request_writes).',
       "$m refused by default: message");
    is(scalar @$reqs, 0, "$m refused by default: nothing sent");
}

{
    my ($r, $reqs) = req({ path => '/tickets/1/notes', method => 'POST',
                           body => { body => '<p>Via the hatch</p>',
                                     private => $T } },
                         path => '/rw/mcp');
    ok(!$r->{isError}, 'POST with writes on') or diag(text($r));
    is($reqs->[0]{method}, 'POST', 'POST: method');
    is($reqs->[0]{path}, '/api/v2/tickets/1/notes', 'POST: path');
    is_deeply($J->decode($reqs->[0]{body}),
              { body => '<p>Via the hatch</p>', private => $T }, 'POST: body');
    like($reqs->[0]{headers}{'content-type'}, qr{^application/json},
         'POST: JSON content type');
    is($r->{structuredContent}{body_text}, 'Via the hatch',
       'POST: the created note');
}

{
    my ($r, $reqs) = req({ path => '/api/v2/tickets/2', method => 'PUT',
                           body => { priority => 3 } }, path => '/rw/mcp');
    ok(!$r->{isError}, 'PUT with writes on') or diag(text($r));
    is("$reqs->[0]{method} $reqs->[0]{path}", 'PUT /api/v2/tickets/2',
       'PUT: method and path');
    is($r->{structuredContent}{priority}, 3, 'PUT: changed');
}

{
    my ($r, $reqs) = req({ path => '/tickets/4', method => 'DELETE' },
                         path => '/rw/mcp');
    is("$reqs->[0]{method} $reqs->[0]{path}", 'DELETE /api/v2/tickets/4',
       'DELETE: method and path');
    is($reqs->[0]{body}, '', 'DELETE: no body');
    is_deeply($r->{structuredContent},
              { ok => $T, status => 204, message => 'done' },
              'DELETE: 204 confirmation');
}

{
    my ($r, $reqs) = req({ path => '/tickets/1/notes', method => 'POST' },
                         path => '/rw/mcp');
    is($reqs->[0]{body}, '', 'POST without body: empty body sent');
    like(text($r), qr/^Freshdesk error \(HTTP 400\): Validation failed: body: It should be a\/an String \(missing_field\)\./,
         'POST without body: Freshdesk validation error passed on');
}

for my $m (qw(GET DELETE)) {
    my ($r, $reqs) = req({ path => '/tickets/1', method => $m,
                           body => { x => 1 } }, path => '/rw/mcp');
    is(text($r), 'Invalid arguments: body is only allowed with POST or PUT.',
       "$m with a body: refused");
    is(scalar @$reqs, 0, "$m with a body: nothing sent");
}

{
    my ($r, $reqs) = req({ path => '/tickets/1', method => 'get' },
                         path => '/rw/mcp');
    like(text($r), qr/^Invalid arguments: method must be one of GET, POST, PUT, DELETE, got "get"\.$/,
         'lower-case method refused');
    is(scalar @$reqs, 0, 'lower-case method: nothing sent');
}

# --- paths and queries that are refused -------------------------------------

my @bad_paths = (
    '..', '/..', '/tickets/..', '/tickets/../admin', '/./tickets',
    '/tickets/.', '//tickets', '/tickets//1', '/%2e%2e/admin',
    '/tickets/%2E%2E', '/tickets?x=1', '/tickets#x', 'http://x',
    '/http://x/tickets', "/tickets\r\nHost: evil", "/tickets\n",
     'tickets/1', '', '/', '/tickets/ 1', "/tick\x{e9}ts", "/\x{2215}etc",
    '/tickets;x', '/tickets\\1', '/' . ('a' x 512), '/api/v2/../admin',
    '/api/v2//tickets',
);

for my $p (@bad_paths) {
    (my $show = $p) =~ s/([^\x20-\x7e])/sprintf('\\x%02x', ord $1)/ge;
    $show = substr($show, 0, 20) . '...' if length $show > 24;

    # sent as UTF-8 JSON text, as a real client would
    $t->fake_clear;
    my $res = $t->mcp(JSON::PP->new->utf8->encode({
        jsonrpc => '2.0', id => 3, method => 'tools/call',
        params => { name => 'freshdesk_request',
                    arguments => { path => $p } } }), path => '/rw/mcp');
    my ($r, $reqs) = ($res->{json}{result}, $t->fake_requests);
    ok($r->{isError}, "path \"$show\": isError");
    like(text($r), qr/^Invalid arguments: path must be a relative API path such as "\/tickets\/42"/,
         "path \"$show\": message names path");
    is(scalar @$reqs, 0, "path \"$show\": nothing sent");
}

{
    $t->fake_clear;
    my $res = $t->mcp('{"jsonrpc":"2.0","id":4,"method":"tools/call",'
                      . '"params":{"name":"freshdesk_request","arguments":'
                      . '{"path":"/tickets\\u0000/1"}}}');
    is($res->{json}{error}{code}, -32700, 'NUL in the path: parse error');
    is($t->fake_count, 0, 'NUL in the path: nothing sent');
}

{
    my ($r, $reqs) = req({ path => 123 });
    like(text($r), qr/^Invalid arguments: path must be a relative API path/,
         'numeric path refused');
    ($r, $reqs) = req({});
    is(text($r), 'Invalid arguments: path is required.', 'path required');
    is(scalar @$reqs, 0, 'no path: nothing sent');
}

my @bad_queries = (
    [ 'nested object', { a => { b => 1 } } ],
    [ 'array value', { ids => [1, 2] } ],
    [ 'null value', { a => undef } ],
    [ 'bracket in name', { 'a[gte]' => 1 } ],
    [ 'space in name', { 'a b' => 1 } ],
    [ 'CR LF in value', { a => "x\r\nHost: evil" } ],
    [ 'too many members', { map { ("p$_" => $_) } 1 .. 33 } ],
    [ 'not an object', 'page=2' ],
);

for my $c (@bad_queries) {
    my ($name, $q) = @$c;
    my ($r, $reqs) = req({ path => '/tickets', query => $q });
    ok($r->{isError}, "query $name: isError");
    like(text($r), qr/^Invalid arguments: query must be an object/,
         "query $name: message names query");
    is(scalar @$reqs, 0, "query $name: nothing sent");
}

$t->finish;
