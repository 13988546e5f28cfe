#!/usr/bin/perl

# The account guard's rules in Redis, driven directly: the quota script
# (taken from src/ngx_http_freshdesk_quota_redis.c as nginx sends it) is
# run with crafted reports, so that answers arriving out of order, late
# reports of an old window and a turn's probe can be set up exactly.
#   - a Remaining resyncs the credits left, the last one winning (not the
#     lowest of the window), never above the window's lowest Remaining
#     less the credits sent since;
#   - the window turned only when a call sent after the lowest Remaining
#     came (a higher ordinal) gets a higher one: a late or reordered
#     answer is no turn;
#   - a late report of the window before the turn changes nothing;
#   - credits taken during a turn's probe stay their tenant's.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use Test::More;

plan(skip_all => 'redis-server missing')
    unless `which redis-server 2>/dev/null`;

my $t = FreshdeskTest->new;
$t->start_redis;

# the script: the C string literal's pieces, unescaped
my $src = "$FindBin::Bin/../src/ngx_http_freshdesk_quota_redis.c";
open my $fh, '<', $src or die "$src: $!\n";
my ($in, $script) = (0, '');
while (<$fh>) {
    if (/ngx_http_freshdesk_quota_script\[\] =/) { $in = 1; next }
    next unless $in;
    last if /^;/;
    if (/^"(.*)"(;?)\s*$/) {
        my $s = $1;
        $s =~ s/\\(.)/$1 eq 'n' ? "\n" : $1/ge;
        $script .= $s;
        last if $2;
    }
}
close $fh;
ok(length $script > 2000 && $script =~ /local function guard/,
   'the script, from the module\'s source');

my $sha = $t->redis('SCRIPT', 'LOAD', $script);
like($sha, qr/^[0-9a-f]{40}$/, 'Redis loads it');

my @tm = gmtime;
my $ym = sprintf '%04d%02d', $tm[5] + 1900, $tm[4] + 1;
my $acct = 'freshdesk:{acct:a1}';
my $plan = '100 60000 0';          # 100 credits a minute, no headroom
my $seq = 0;

# one admission of tenant $who: the verdict's numbers
sub take {
    my ($who, $report) = @_;
    $seq++;
    my $out = $t->redis('EVALSHA', $sha, 2, "$acct:$who", $acct, 'take',
                        'conn1', $seq, 1000, 100000, 0,
                        0, $ym, 0, 0,
                        '', $who, '1 1 4 -1 0', $plan,
                        $report // '0 0 0 -1 -1 -1 0 0');
    my @l = split /\n/, $out;
    return split / /, $l[-1];
}

# a report alone (the sweep's): {remaining, limit}
sub report {
    my ($rem, $ord, $win) = @_;
    my $o = ($win // 0) * 16777216 + $ord;
    my @r = split /\n/, $t->redis('EVALSHA', $sha, 1, $acct, 'report',
                                  '', '', '1 0 4 -1 0', $plan,
                                  "1 0 0 100 $rem $o 0 0");
    return $r[0];
}

sub g { return $t->redis('HGET', "$acct:g", $_[0]) }

my @v;
@v = take('t1') for 1 .. 10;
is($v[0], 0, 'ten calls admitted');
is($v[5], 10, 'the tenth call\'s ordinal is 10');
is(g('rem'), 90, '90 credits left by the gateway\'s count');

# call 3's answer, late: Freshdesk counted 10 others before it answered
is(report(80, 3), 73, 'a late answer resyncs: 80 + its ordinal 3 - 10 used');
is(g('low'), 80, 'the window\'s lowest Remaining is kept');
is(g('win'), 0, 'no turn');

# call 9's answer, later still, says more is left: the last one wins,
# capped by the lowest Remaining less the credits sent since it came
is(report(82, 9), 80, 'a later answer raises it again, to the cap (80 + 10 - 10)');
is(g('win'), 0, 'a higher Remaining of a call sent before the lowest came is no turn');

# a higher Remaining, but of a call sent before the lowest: still no turn
is(report(95, 10), 80, 'reordered: capped, not taken for a turn');
is(g('win'), 0, 'the window number stays');

# a call sent after the lowest came gets a much higher Remaining: a turn
@v = take('t2');
is($v[5], 11, 'the next call\'s ordinal is 11');
is(report(99, 11), 99, 'a call sent after the lowest Remaining gets 99: the window turned');
is(g('win'), 1, 'the window number goes up');
is(g('used'), 0, 'the window\'s credits start over');
like($t->redis('HGET', "$acct:h", 't1'), qr/^1 0 \d+ 0$/,
     'the shares start over too');

# a late report of the old window's call changes nothing
is(report(5, 7, 0), 99, 'a late Remaining of the old window: no resync');
is(g('win'), 1, 'and no turn');

# the new window is spent down to 30 (by others, say)
@v = take('t2');
is(report(30, $v[5] % 16777216, 1), 30, 'the new window\'s Remaining falls to 30 (its one call counted)');

# a turn by the clock: two credits go out to test it, and stay their
# tenant's when an answer confirms it
$t->redis('HSET', "$acct:g", 'wend', 0);
@v = take('t3');
is($v[0], 0, 'after the window\'s end by the clock: a probe credit');
is(g('probe'), 1, 'the turn waits for an answer');
@v = take('t3');
is($v[0], 0, 'a second probe credit');
@v = take('t4');
is($v[0], 1, 'a third is refused while the probe is out');
my $ord = $v[5];
is(int($ord / 16777216), 1, 'the probe\'s calls are of window 1');
is(report(97, $ord % 16777216, 1), 97, 'the probe\'s answer: Freshdesk turned too');
is(g('win'), 2, 'the turn is confirmed');
like($t->redis('HGET', "$acct:h", 't3'), qr/^1 2 \d+ 0$/,
     'the probe\'s two credits stay the tenant\'s in the new window');
is(g('used'), 2, 'and the window\'s');

$t->stop_redis;
done_testing();
