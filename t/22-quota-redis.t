#!/usr/bin/perl

# Cluster quotas on Redis: two nginx nodes with two workers each share one
# budget per tenant through a private redis-server; exact under parallel
# load; Redis's clock, not the nodes'; the fail modes when Redis is
# stopped, paused, silent, without the script, out of memory or refusing
# the password; what was counted locally reaches Redis when it is back.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(time sleep);
use Test::More;

my $main = FreshdeskTest->new(workers => 2);
$main->start_fake->start_redis;

my $redis = $main->port('redis');
my @t = gmtime;
my $month = sprintf '%04d%02d', $t[5] + 1900, $t[4] + 1;

# a gateway node on the shared fake Freshdesk and Redis; %o: redis (the
# freshdesk_quota_redis parameters after the address), addr, calls, env
sub node {
    my (%o) = @_;
    my $n = $o{t} // FreshdeskTest->new(workers => 2);
    $n->{ports}{fake} = $main->port('fake');
    $n->{ports}{redis} = $redis;
    my $addr = $o{addr} // "127.0.0.1:$redis";
    my $calls = $o{calls} // 20;
    my $d = $n->dir;
    $n->standard_conf(
        http => "freshdesk_quota_zone fd:1m calls=$calls/m actions=100000/month
                     state=$d/logs/quota.state;
                 freshdesk_quota_redis fd $addr timeout=150ms "
                 . ($o{redis} // '') . ";
                 log_format q '\$freshdesk_tenant \$freshdesk_quota_result "
                 . "\$status fd=\$freshdesk_upstream_status';",
        mcp => "freshdesk_quota fd;
                access_log $d/logs/q.log q;",
    );
    $n->run;
    $n->worker_pids(2) unless $ENV{FRESHDESK_VALGRIND};
    return $n;
}

sub actions_in_redis {
    my ($tenant) = @_;
    my $v = $main->redis('GET', "freshdesk:{$tenant}:m:$month");
    return $v eq '' ? 0 : $v;
}

# $n calls for $tenant spread over the nodes by $par parallel clients;
# returns (admitted, refused, other)
sub burst {
    my ($nodes, $tenant, $n, $par) = @_;
    my $token = $tenant eq 'globex' ? $FreshdeskTest::TOKEN2
                                    : $FreshdeskTest::TOKEN;
    my @kids;
    for my $k (0 .. $par - 1) {
        pipe my $rd, my $wr or die;
        my $pid = fork() // die;
        if ($pid == 0) {
            close $rd;
            my ($ok, $no, $bad) = (0, 0, 0);
            for my $i (0 .. int($n / $par) - 1) {
                my $node = $nodes->[($k + $i) % @$nodes];
                my ($res, $r) = $node->call_tool('get_ticket',
                    { ticket_id => 1 },
                    headers => { Authorization => $token });
                if ($r && !$r->{isError}) { $ok++ }
                elsif ($r && FreshdeskTest::tool_text($r)
                             =~ /^Rate limit reached/) { $no++ }
                else { $bad++ }
            }
            print $wr "$ok $no $bad\n";
            close $wr;
            POSIX::_exit(0);
        }
        close $wr;
        push @kids, [$pid, $rd];
    }
    my @sum = (0, 0, 0);
    for my $k (@kids) {
        my $line = readline($k->[1]) // '0 0 0';
        waitpid $k->[0], 0;
        my @v = split ' ', $line;
        $sum[$_] += $v[$_] for 0 .. 2;
    }
    return @sum;
}

# --- two nodes, one budget ------------------------------------------------

my $a = node(t => $main);
my $b = node();

$main->fake_clear;

my ($ok, $no, $bad) = burst([$a, $b], 'acme', 60, 6);
is($ok, 20, 'two nodes x 2 workers, 60 parallel calls: exactly 20 admitted');
is($no, 40, '... and 40 refused with the rate limit');
is($bad, 0, '... and nothing else');
is($main->fake_count, 20, 'Freshdesk saw exactly the 20 admitted calls');
is(actions_in_redis('acme'), 20, 'the Redis month counts 20 actions');

my ($res, $r) = $b->call_tool('get_ticket', { ticket_id => 1 });
like(FreshdeskTest::tool_text($r), qr/^Rate limit reached: 20 tool calls/,
     'node b refuses acme too');
like($res->{headers}{ratelimit} // '', qr/"calls";r=0/,
     'RateLimit shows the cluster: no calls left');
ok(($res->{headers}{'retry-after'} // 0) > 0, 'Retry-After on the refusal');

($res, $r) = $a->call_tool('get_ticket', { ticket_id => 1 },
                           headers => { Authorization =>
                                        $FreshdeskTest::TOKEN2 });
ok(!$r->{isError}, 'another tenant is not affected');
like($res->{headers}{ratelimit} // '', qr/"calls";r=19/,
     'its RateLimit is its own');

like($main->redis('TTL', "freshdesk:{acme}:m:$month"), qr/^\d{7}$/,
     'the month key expires (weeks after the month)');
like($main->redis('TTL', 'freshdesk:{acme}:w'), qr/^(6[01]|[1-5]\d|\d)$/,
     'the window key expires within a minute');

$b->check_log;
$main->finish;
