#!/usr/bin/perl

# Pagination end to end: link paging (list_tickets), search paging
# (search_tickets, 30 per page, at most 10 pages) and token paging
# (custom object records) followed through nextCursor to the end; cursors
# that were tampered with, belong to another tool, other arguments or
# another tenant, or have expired are refused without an upstream
# request; a response of several megabytes arrives whole, and one over
# freshdesk_max_response_size is refused.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use MIME::Base64 qw(encode_base64url);
use POSIX qw(ceil);
use Test::More;
use Time::HiRes qw(sleep);

my $t = FreshdeskTest->new->start_fake->standard_conf(
    server => FreshdeskTest::mcp_location('/small/mcp',
                                          'freshdesk_max_response_size 64k;'),
)->run;

my $J = FreshdeskTest::json();
my $CURSOR = qr/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/;
my $BAD_CURSOR = qr/^Invalid arguments: cursor is not valid for this call: use the nextCursor returned by the previous page of the same tool with the same arguments\.$/;

sub text { FreshdeskTest::tool_text($_[0] // {}) }

# one call; returns (result, the one upstream request)
sub page {
    my ($tool, $args, %o) = @_;
    $t->fake_clear;
    my ($res, $r) = $t->call_tool($tool, $args, %o);
    my $reqs = $t->fake_requests;
    return ($r, $reqs, $res);
}

# --- link paging: list_tickets ------------------------------------------

my $now = time;
my @window = sort { $a <=> $b } map { $_->{id} } grep {
    !$_->{spam} && !$_->{deleted}
    && parse_iso($_->{created_at}) >= $now - 30 * 86400
} @{$t->control('GET', 'state/tickets')};

sub parse_iso {
    my ($s) = @_;
    my ($y, $m, $d, $H, $M, $S) = $s =~ /^(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)Z$/
        or return 0;
    require Time::Local;
    return Time::Local::timegm($S, $M, $H, $d, $m - 1, $y);
}

cmp_ok(scalar @window, '>', 60, 'more than two pages of recent tickets');

{
    my (@seen, $cursor);
    my $pages = ceil(@window / 30);

    for my $n (1 .. $pages) {
        my $args = { per_page => 30 };
        $args->{cursor} = $cursor if $cursor;

        my ($r, $reqs) = page('list_tickets', $args);

        ok(!$r->{isError}, "list_tickets page $n: not isError")
            or diag(text($r));
        is(scalar @$reqs, 1, "list_tickets page $n: one upstream request");
        is($reqs->[0]{path}, '/api/v2/tickets', "list_tickets page $n: path");
        is($reqs->[0]{query},
           $n == 1 ? 'per_page=30' : "per_page=30&page=$n",
           "list_tickets page $n: page and per_page upstream");

        my $sc = $r->{structuredContent};
        push @seen, map { $_->{id} } @{$sc->{items}};

        if ($n < $pages) {
            is(scalar @{$sc->{items}}, 30, "list_tickets page $n: 30 items");
            like($sc->{nextCursor} // '', $CURSOR,
                 "list_tickets page $n: nextCursor");
            $cursor = $sc->{nextCursor};

        } else {
            is(scalar @{$sc->{items}}, @window - 30 * ($pages - 1),
               "list_tickets page $n: the rest");
            ok(!exists $sc->{nextCursor},
               "list_tickets page $n: last page has no nextCursor");
        }
    }

    is_deeply([sort { $a <=> $b } @seen], \@window,
              'list_tickets: every recent ticket exactly once');
}

# --- search paging: search_tickets --------------------------------------

my $Q = 'query=%22%28status%3A2%20OR%20status%3A3%20OR%20status%3A4'
        . '%20OR%20status%3A5%20OR%20status%3A6%29%22';

{
    my @match = grep { !$_->{spam} && !$_->{deleted} }
                @{$t->control('GET', 'state/tickets')};
    my $total = @match;
    my $pages = ceil($total / 30);
    my (@seen, $cursor);

    cmp_ok($pages, '>=', 3, "search: $total matches, $pages pages");

    for my $n (1 .. $pages) {
        my $args = { status => [2, 3, 4, 5, 6] };
        $args->{cursor} = $cursor if $cursor;

        my ($r, $reqs) = page('search_tickets', $args);
        my $sc = $r->{structuredContent};

        ok(!$r->{isError}, "search page $n: not isError") or diag(text($r));
        is(scalar @$reqs, 1, "search page $n: one upstream request");
        is($reqs->[0]{query}, $n == 1 ? $Q : "$Q&page=$n",
           "search page $n: query and page upstream");
        is($sc->{total}, $total, "search page $n: total");
        push @seen, map { $_->{id} } @{$sc->{items}};

        if ($n < $pages) {
            is(scalar @{$sc->{items}}, 30, "search page $n: 30 results");
            like($sc->{nextCursor} // '', $CURSOR, "search page $n: nextCursor");
            $cursor = $sc->{nextCursor};
        } else {
            ok(!exists $sc->{nextCursor},
               "search page $n: no nextCursor once total is reached");
        }
    }

    is_deeply([sort { $a <=> $b } @seen],
              [sort { $a <=> $b } map { $_->{id} } @match],
              'search: every match exactly once');
}

# Freshdesk serves at most 10 pages of 30 even when total is larger
{
    $t->fake_fault(mode => 'status', status => 200, count => 10,
                   path_prefix => '/api/v2/search/tickets',
                   headers => { 'Content-Type' => 'application/json' },
                   body => '{"results":[{"id":1}],"total":1000}');

    my $cursor;

    for my $n (1 .. 10) {
        my $args = { tag => 'vip' };
        $args->{cursor} = $cursor if $cursor;
        my ($r, $reqs) = page('search_tickets', $args);
        my $sc = $r->{structuredContent};

        is($sc->{total}, 1000, "capped search page $n: total 1000");
        like($reqs->[0]{query} // '', $n == 1 ? qr/%22$/ : qr/&page=$n$/,
             "capped search page $n: page $n requested");

        if ($n < 10) {
            ok($sc->{nextCursor}, "capped search page $n: nextCursor");
            $cursor = $sc->{nextCursor};
        } else {
            ok(!exists $sc->{nextCursor},
               'capped search page 10: no nextCursor (Freshdesk stops at 300)');
        }
    }

    $t->control('DELETE', 'fault');
}

# --- token paging: custom object records --------------------------------

# the fake's next_token: base64url of its JSON state, as Python writes it
sub token {
    my ($after, $filters) = @_;
    return encode_base64url(sprintf('{"schema":30,"after":%d,"filters":%s}',
                                    $after, $filters // '[]'));
}

{
    my (@seen, $cursor);
    my @queries = ('', 'next_token=' . token(20), 'next_token=' . token(40));

    for my $n (1 .. 3) {
        my $args = { schema_id => 30 };
        $args->{cursor} = $cursor if $cursor;

        my ($r, $reqs) = page('list_custom_object_records', $args);
        my $sc = $r->{structuredContent};

        ok(!$r->{isError}, "records page $n: not isError") or diag(text($r));
        is($reqs->[0]{path}, '/api/v2/custom_objects/schemas/30/records',
           "records page $n: path");
        is($reqs->[0]{query}, $queries[$n - 1],
           "records page $n: next_token passed on verbatim");
        push @seen, map { $_->{display_id} } @{$sc->{items}};

        if ($n < 3) {
            is(scalar @{$sc->{items}}, 20, "records page $n: 20 records");
            like($sc->{nextCursor} // '', $CURSOR, "records page $n: nextCursor");
            $cursor = $sc->{nextCursor};
        } else {
            is(scalar @{$sc->{items}}, 10, 'records page 3: the last 10');
            ok(!exists $sc->{nextCursor}, 'records page 3: no nextCursor');
        }
    }

    is_deeply(\@seen, [map { "BKG-$_" } 1 .. 50],
              'records: all 50 records in order');
}

# filters and page_size stay on every page, the token is added
{
    my $args = { schema_id => 30, page_size => 5,
                 filters => { guests => { gte => 4 }, status => 'confirmed' } };
    my $base = 'page_size=5&guests%5Bgte%5D=4&status=confirmed';

    my ($r) = page('list_custom_object_records', $args);
    my $cursor = $r->{structuredContent}{nextCursor};
    ok($cursor, 'filtered records: nextCursor');

    my $reqs;
    ($r, $reqs) = page('list_custom_object_records',
                       { %$args, cursor => $cursor });
    is($reqs->[0]{query},
       "$base&next_token="
       . token(27, '[["guests","gte",4],["status","eq","confirmed"]]'),
       'filtered records page 2: filters, page_size and token');
    is_deeply([map { $_->{display_id} } @{$r->{structuredContent}{items}}],
              ['BKG-33', 'BKG-39', 'BKG-45'], 'filtered records: the rest');
    ok(!exists $r->{structuredContent}{nextCursor},
       'filtered records: no nextCursor at the end');
}

# --- cursors that must be refused ---------------------------------------

my ($first) = page('list_tickets', { per_page => 10 });
my $good = $first->{structuredContent}{nextCursor};
like($good // '', $CURSOR, 'a cursor to play with');

sub refused {
    my ($name, $tool, $args, %o) = @_;
    my ($r, $reqs, $res) = page($tool, $args, %o);
    is($res->{status}, 200, "$name: HTTP 200");
    ok($r->{isError}, "$name: isError");
    like(text($r), $o{error} // $BAD_CURSOR, "$name: message");
    is(scalar @$reqs, 0, "$name: nothing sent upstream");
}

{
    my ($payload, $mac) = split /\./, $good;

    # a different page in an otherwise well-formed payload
    my $forged = encode_base64url('1|9999999999|7|') . ".$mac";
    refused('forged payload', 'list_tickets',
            { per_page => 10, cursor => $forged });

    my $flip = $mac;
    substr($flip, 5, 1) = substr($flip, 5, 1) eq 'A' ? 'B' : 'A';
    refused('tampered signature', 'list_tickets',
            { per_page => 10, cursor => "$payload.$flip" });

    refused('truncated cursor', 'list_tickets',
            { per_page => 10, cursor => substr($good, 0, -1) });

    refused('not a cursor', 'list_tickets',
            { per_page => 10, cursor => 'page=2' });
}

refused('cursor of another tool', 'list_contacts',
        { per_page => 10, cursor => $good });
refused('cursor with other arguments (per_page)', 'list_tickets',
        { per_page => 20, cursor => $good });
refused('cursor with an extra argument', 'list_tickets',
        { per_page => 10, order_type => 'asc', cursor => $good });
refused("another tenant's cursor", 'list_tickets',
        { per_page => 10, cursor => $good },
        headers => { Authorization => $FreshdeskTest::TOKEN2 });

{
    my ($s) = page('search_tickets', { status => [2, 3, 4, 5, 6] });
    my $sc = $s->{structuredContent}{nextCursor};
    refused('search cursor on another search tool', 'search_contacts',
            { tag => 'vip', cursor => $sc });
    refused('search cursor with another filter', 'search_tickets',
            { status => [2, 3], cursor => $sc });
}

# the same cursor still works for its owner, whatever the key order
{
    my $raw = '{"jsonrpc":"2.0","id":9,"method":"tools/call","params":'
              . '{"name":"list_tickets","arguments":{"cursor":"' . $good
              . '","per_page":10}}}';
    $t->fake_clear;
    my $res = $t->mcp($raw);
    ok(!$res->{json}{result}{isError}, 'cursor accepted with keys reordered');
    is($t->fake_requests->[0]{query}, 'per_page=10&page=2',
       'page 2 requested');
}

# --- a response of several megabytes --------------------------------------

{
    $t->fake_fault(mode => 'big', bytes => 2000000,
                   path_prefix => '/api/v2/tickets');
    # the whole records (by default a list keeps a few fields of each)
    my ($r, $reqs, $res) = page('list_tickets', { fields => ['*'] });
    my $items = $r->{structuredContent}{items} // [];

    ok(!$r->{isError}, 'big list: not isError') or diag(text($r));
    cmp_ok(length $res->{body}, '>', 2 * 1000 * 1000,
           'big list: response over 2 MB');
    cmp_ok(scalar @$items, '>', 500, 'big list: many items');
    is_deeply([map { $_->{id} } @$items], [1 .. scalar @$items],
              'big list: every item, in order');
    cmp_ok(length $J->encode($items), '>=', 2000000,
           'big list: the items hold the whole upstream body');
    is($items->[-1]{subject}, 'Bulk ticket ' . scalar @$items,
       'big list: the last item is complete');
}

{
    $t->fake_fault(mode => 'big', bytes => 2000000,
                   path_prefix => '/api/v2/tickets');
    my ($r, $reqs) = page('list_tickets', {}, path => '/small/mcp');

    ok($r->{isError}, 'over freshdesk_max_response_size: isError');
    is(text($r), "Freshdesk sent a bad response: larger than the gateway's "
                 . 'limit of 65536 bytes. Ask for fewer items (per_page) or '
                 . 'narrower filters.',
       'over freshdesk_max_response_size: message');
    is(scalar @$reqs, 1, 'over freshdesk_max_response_size: one request');

    my ($ok) = page('get_ticket', { ticket_id => 1 }, path => '/small/mcp');
    is($ok->{structuredContent}{id}, 1, 'small responses still pass there');
}

# --- expired cursors (an instance with freshdesk_cursor_ttl 1s) -----------

{
    my $e = FreshdeskTest->new->start_fake->standard_conf(
        http => 'freshdesk_cursor_ttl 1s;')->run;

    my (undef, $r) = $e->call_tool('list_tickets', { per_page => 10 });
    my $cursor = $r->{structuredContent}{nextCursor};
    ok($cursor, 'short-lived cursor');

    sleep 2.2;

    $e->fake_clear;
    (undef, $r) = $e->call_tool('list_tickets',
                                { per_page => 10, cursor => $cursor });
    ok($r->{isError}, 'expired cursor: isError');
    is(text($r), 'Invalid arguments: cursor has expired; start again '
                 . 'without a cursor.', 'expired cursor: message');
    is($e->fake_count, 0, 'expired cursor: nothing sent upstream');

    $e->stop;
    $e->stop_fake;
    my @bad = $e->bad_log_lines;
    ok(!@bad, 'ttl instance: clean error.log') or diag(join "\n", @bad);
}

$t->finish;
