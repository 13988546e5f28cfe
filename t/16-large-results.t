#!/usr/bin/perl

# Large results are built in buffers a worker keeps from one request to the
# next (freshdesk_buffer_cache).  A kept buffer still holds the previous
# result: a smaller result after a larger one, and results of many sizes
# in turn, must come out exactly, with nothing of the one before; the same
# with the cache off (0) and with a cache too small to keep anything; and
# the same for bodies sent chunked, captured in pieces and joined.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use Test::More;
use JSON::PP ();

my $J = FreshdeskTest::json();

# sizes in bytes of the upstream list: over the 64k threshold and under,
# shrinking and growing again, so kept buffers are reused dirty
my @sizes = (600_000, 200_000, 90_000, 70_000, 1_200_000, 100_000, 30_000,
             600_000, 66_000, 300_000);

sub check_sizes {
    my ($t, $name, %o) = @_;

    for my $size (@sizes) {
        $t->fake_clear;
        $t->fake_fault(mode => 'big', bytes => $size,
                       path_prefix => '/api/v2/tickets',
                       $o{chunked} ? (chunked => JSON::PP::true) : ());

        # the whole records (by default a list keeps a few fields)
        my ($res, $r) = $t->call_tool('list_tickets', { fields => ['*'] });
        my $items = $r->{structuredContent}{items} // [];
        my $what = "$name, $size bytes" . ($o{chunked} ? ', chunked' : '');

        is($res->{status}, 200, "$what: 200");
        ok(!$r->{isError}, "$what: not isError")
            or diag(substr(FreshdeskTest::tool_text($r), 0, 300));
        cmp_ok(length $J->encode($items), '>=', $size,
               "$what: the whole list");
        is_deeply([map { $_->{id} } @$items], [1 .. scalar @$items],
                  "$what: every item, in order");
        is($items->[-1]{subject}, 'Bulk ticket ' . scalar @$items,
           "$what: the last item is complete");

        # the text is the same JSON as structuredContent, byte for byte
        # once decoded: nothing left over from a larger result before
        my $text = $J->decode($r->{content}[0]{text});
        is_deeply($text, $r->{structuredContent}, "$what: text is the same");

        # the default fields, selected in the same pass: every record,
        # the text the same, nothing left over in the reused buffers
        $t->fake_fault(mode => 'big', bytes => $size,
                       path_prefix => '/api/v2/tickets',
                       $o{chunked} ? (chunked => JSON::PP::true) : ());
        my ($dres, $d) = $t->call_tool('list_tickets', {});
        my $ditems = $d->{structuredContent}{items} // [];
        is_deeply([map { $_->{id} } @$ditems], [1 .. scalar @$items],
                  "$what, default fields: every item, in order");
        is_deeply([map { $_->{subject} } @$ditems],
                  [map { $_->{subject} } @$items],
                  "$what, default fields: the subjects");
        ok(!grep({ exists $_->{custom_fields} } @$ditems),
           "$what, default fields: trimmed");
        is_deeply($J->decode($d->{content}[0]{text} // 'null'),
                  $d->{structuredContent},
                  "$what, default fields: text is the same");
    }
}

# the default cache (16m), one worker: every buffer is reused
{
    my $t = FreshdeskTest->new->start_fake->standard_conf->run;
    check_sizes($t, 'cache 16m');

    # no Content-Length: captured in growing pieces, then joined
    check_sizes($t, 'cache 16m', chunked => 1);
    $t->check_log;
}

# a list inside an object ({"results": [...], "total": N}, as search
# answers): its escaped span is found in text escaped as it came
sub check_wrapped {
    my ($t, $name, %o) = @_;

    for my $size (300_000, 70_000, 900_000) {
        $t->fake_clear;
        $t->fake_fault(mode => 'big', bytes => $size, wrap => 'results',
                       path_prefix => '/api/v2/search/tickets',
                       $o{chunked} ? (chunked => JSON::PP::true) : ());

        my ($res, $r) = $t->call_tool('search_tickets',
                                      { query => 'priority:4',
                                        fields => ['*'] });
        my $sc = $r->{structuredContent} // {};
        my $items = $sc->{items} // [];
        my $what = "$name, search, $size bytes"
                   . ($o{chunked} ? ', chunked' : '');

        ok(!$r->{isError}, "$what: not isError")
            or diag(substr(FreshdeskTest::tool_text($r), 0, 300));
        cmp_ok(length $J->encode($items), '>=', $size, "$what: the list");
        is($sc->{total}, scalar @$items, "$what: total");
        is_deeply([map { $_->{id} } @$items], [1 .. scalar @$items],
                  "$what: every item, in order");
        is_deeply($J->decode($r->{content}[0]{text} // 'null'), $sc,
                  "$what: text is the same");
    }
}

{
    my $t = FreshdeskTest->new->start_fake->standard_conf->run;
    check_wrapped($t, 'cache 16m');
    check_wrapped($t, 'cache 16m', chunked => 1);
    $t->check_log;
}

# no cache, and a cache smaller than one buffer: always fresh memory
for my $size ('0', '100k') {
    my $t = FreshdeskTest->new->start_fake->standard_conf(
        http => "freshdesk_buffer_cache $size;")->run;
    check_sizes($t, "cache $size");
    check_sizes($t, "cache $size", chunked => 1);
    $t->check_log;
}

# two workers, each with its own cache: the calls land on either
{
    my $t = FreshdeskTest->new(workers => 2)->start_fake->standard_conf(
        http => 'freshdesk_buffer_cache 4m;')->run;
    check_sizes($t, 'two workers');
    $t->check_log;
}

# the directive: a size, in the http block only
{
    my $t = FreshdeskTest->new->standard_conf(
        http => 'freshdesk_buffer_cache lots;');
    my ($ok, $out) = $t->test_conf;
    ok(!$ok, 'freshdesk_buffer_cache lots: refused');
    like($out, qr/"freshdesk_buffer_cache" directive invalid value/,
         'freshdesk_buffer_cache lots: message');

    $t = FreshdeskTest->new->standard_conf(
        mcp => 'freshdesk_buffer_cache 1m;');
    ($ok, $out) = $t->test_conf;
    ok(!$ok, 'freshdesk_buffer_cache in a location: refused');
    like($out, qr/"freshdesk_buffer_cache" directive is not allowed here/,
         'freshdesk_buffer_cache in a location: message');
}

done_testing;
