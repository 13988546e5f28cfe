#!/usr/bin/perl

# Soak: two nodes (2 workers each, fail=local) count one budget in a Redis
# with an append-only file, under wrk for about 30 s, while a node
# reloads, workers are killed, Redis is paused (SIGSTOP) three times,
# restarted twice (its AOF keeps the counts) and loses its scripts twice.
# Afterwards: nothing doubled, nothing lost: the month's actions in Redis
# are the REST requests the fake Freshdesk received, give or take the
# calls in flight in a killed worker.  Then a short second round where
# Redis is killed (SIGKILL) instead: its AOF (fsync every second) may lose
# the last second's writes, so Redis may then count fewer, never more.
# Bounded: about 30 + 10 s of load, the whole file under 90 s.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use Test::More;
use Time::HiRes qw(sleep time);

plan(skip_all => 'wrk or redis-server missing')
    unless `which wrk 2>/dev/null` && `which redis-server 2>/dev/null`;

my $CONNS = 8;          # wrk connections per node
my $TENANTS = 4;

my $main = FreshdeskTest->new(workers => 2);
$main->start_fake;

my @redis_args = ('--appendonly', 'yes', '--appendfsync', 'everysec');
$main->start_redis(@redis_args);

my $redis = $main->port('redis');
my @t = gmtime;
my $month = sprintf '%04d%02d', $t[5] + 1900, $t[4] + 1;

# one request per connection (a reload closes idle keep-alive ones), the
# tenant round robin over $TENANTS
my $lua = $main->dir . '/soak.lua';
open my $lf, '>', $lua or die;
print $lf <<"EOF";
local n = 0
local body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":'
             .. '{"name":"get_ticket","arguments":{"ticket_id":1}}}'
local headers = { ["Content-Type"] = "application/json",
                  ["Connection"] = "close" }
request = function()
    n = n + 1
    return wrk.format("POST", "/load/mcp?t=" .. (n % $TENANTS), headers, body)
end
EOF
close $lf;

my @nodes;

for my $i (1, 2) {
    my $n = $i == 1 ? $main : FreshdeskTest->new(workers => 2);
    $n->{ports}{fake} = $main->port('fake');
    $n->{ports}{redis} = $redis;
    my $d = $n->dir;
    $n->standard_conf(
        http => "freshdesk_quota_zone fd:1m calls=1000000/m
                     actions=100000000/month;
                 freshdesk_quota_redis fd 127.0.0.1:$redis timeout=100ms
                     fail=local;
                 log_format load '\$status \$freshdesk_upstream_status "
                 . "\$freshdesk_quota_result';",
        server => "location = /load/mcp {
                access_log $d/logs/load.log load;
                freshdesk_mcp;
                freshdesk_tenant soak\$arg_t;
                freshdesk_api_key fd-test-key;
                freshdesk_quota fd;
            }
            location = /freshdesk/status {
                freshdesk_status;
            }",
    );
    # a killed worker is reported by its master as an [alert]: expected
    $n->allow_log(qr/worker process \d+ exited on signal 9/);
    $n->run;
    $n->worker_pids(2);
    push @nodes, $n;
}

$main->fake_clear;

sub actions_in_redis {
    my $sum = 0;
    for my $k (0 .. $TENANTS - 1) {
        my $v = $main->redis('GET', "freshdesk:{soak$k}:m:$month");
        $sum += $v if $v =~ /^\d+$/;
    }
    return $sum;
}

sub owed {
    my $sum = 0;
    for my $n (@nodes) {
        my $st = $n->http_request(path => '/freshdesk/status');
        return undef unless $st->{json};
        $sum += $st->{json}{zones}[0]{redis}{owed_actions};
    }
    return $sum;
}

sub load {
    my ($secs) = @_;
    my @pids;
    for my $n (@nodes) {
        my $port = $n->port('http');
        my $out = $n->dir . '/wrk.out';
        my $pid = fork() // die;
        if ($pid == 0) {
            exec("wrk -t1 -c$CONNS -d${secs}s -s $lua"
                 . " http://127.0.0.1:$port/load/mcp >$out 2>&1");
            exit 127;
        }
        push @pids, $pid;
    }
    return @pids;
}

sub pause_redis {
    kill 'STOP', $main->{redis_pid};
    sleep 1.5;
    kill 'CONT', $main->{redis_pid};
}

sub kill_worker {
    my ($n) = @_;
    my @w = $n->worker_pids(2);
    kill 'KILL', $w[0] if @w;
}

# waits until Redis and the fake agree and the nodes owe nothing, or 15 s;
# returns (Redis's actions, the fake's requests, owed)
sub settle {
    my ($redis_n, $fake_n, $owed);
    my $end = time + 15;
    my $last = '';
    while (time < $end) {
        $fake_n = $main->fake_count;
        $redis_n = actions_in_redis();
        $owed = owed() // -1;
        last if $owed == 0 && $redis_n == $fake_n;
        # stable for a second with nothing owed: settled, if unequal
        my $now = "$redis_n $fake_n $owed";
        if ($now eq $last && $owed == 0) {
            sleep 1;
            last if $now eq join ' ', actions_in_redis(), $main->fake_count,
                                      owed() // -1;
        }
        $last = $now;
        sleep 0.25;
    }
    return ($redis_n, $fake_n, $owed);
}

sub wrk_total {
    my $total = 0;
    for my $n (@nodes) {
        my $out = do { local $/; open my $f, '<', $n->dir . '/wrk.out'; <$f> }
                  // '';
        my ($r) = $out =~ /(\d+) requests in/;
        $total += $r // 0;
    }
    return $total;
}

# --- round 1: Redis stopped, paused, restarted, flushed ----------------

my $start = time;
my @wrk = load(30);
my $kills = 0;

# [at second, what]: kills while Redis is well, away from its outages, so
# that a killed worker holds no owed actions on their way to Redis
my @plan = (
    [2,  sub { pause_redis() }],
    [5,  sub { $nodes[0]->reload }],
    [7.5, sub { kill_worker($nodes[1]); $kills++ }],
    [9,  sub { $main->redis('SCRIPT', 'FLUSH') }],
    [11, sub { pause_redis() }],
    [14, sub { $main->stop_redis; sleep 0.3; $main->start_redis(@redis_args) }],
    [17, sub { $main->redis('SCRIPT', 'FLUSH') }],
    [19, sub { pause_redis() }],
    [21, sub { $nodes[1]->reload }],
    [23, sub { $main->stop_redis; sleep 0.3; $main->start_redis(@redis_args) }],
    [26.5, sub { kill_worker($nodes[0]); $kills++ }],
);

for my $p (@plan) {
    my $wait = $start + $p->[0] - time;
    sleep $wait if $wait > 0;
    $p->[1]->();
}

waitpid($_, 0) for @wrk;

my $total = wrk_total();
ok($total > 1000, "round 1: wrk made $total calls");

my ($in_redis, $requests, $owed) = settle();

is($owed, 0, 'round 1: the nodes owe Redis nothing once it is back');

# the calls in flight in a killed worker: each counted in Redis, its REST
# request perhaps not yet made; at most one per wrk connection of that
# node, and one more per connection for the tenant's owed actions a take
# carried: kills x connections x 2
my $slack = $kills * $CONNS * 2;

ok(abs($in_redis - $requests) <= $slack,
   "round 1: Redis counted $in_redis actions for $requests REST requests"
   . " (within $slack: $kills killed workers x $CONNS connections x 2)");

for my $i (0, 1) {
    my ($res, $r) = $nodes[$i]->call_tool('get_ticket', { ticket_id => 1 });
    ok($r && !$r->{isError}, 'round 1: node ' . ($i + 1) . ' answers a call')
        or diag(explain($res));
}

my $log = join '', map { $_->error_log } @nodes;
my @stale = $log =~ /refused a command run already/g;
my @full = $log =~ /no room for a doubt/g;
my @merged = $log =~ /merged with another of their connection/g;
note('round 1: ' . scalar(@stale) . ' stale commands refused, '
     . scalar(@merged) . ' doubts merged, ' . scalar(@full)
     . ' without room');

# --- round 2: Redis killed (SIGKILL) instead of stopped ------------------

my $base_redis = actions_in_redis();
my $base_fake = $main->fake_count;

$start = time;
@wrk = load(10);
$kills = 0;

@plan = (
    [2, sub { pause_redis() }],
    [5, sub {
        kill 'KILL', $main->{redis_pid};
        waitpid(delete $main->{redis_pid}, 0);
        sleep 0.3;
        $main->start_redis(@redis_args);
    }],
);

for my $p (@plan) {
    my $wait = $start + $p->[0] - time;
    sleep $wait if $wait > 0;
    $p->[1]->();
}

waitpid($_, 0) for @wrk;

my $total2 = wrk_total();
ok($total2 > 100, "round 2: wrk made $total2 calls");

($in_redis, $requests, $owed) = settle();
is($owed, 0, 'round 2: the nodes owe Redis nothing once it is back');

# what the AOF had not yet written when Redis was killed is lost (about a
# second of calls), so Redis may hold less than the requests; never more
# (round 1 may leave Redis a call or two short at its end -- an owed
# action on its way in a sync when "owes nothing" was read -- which
# arrives during round 2: the totals are compared, not the deltas)
my $d_redis = $in_redis - $base_redis;
my $d_fake = $requests - $base_fake;
my $over = $in_redis - $requests;
my $over_before = $base_redis - $base_fake;
ok($over <= ($over_before > 0 ? $over_before : 0),
   "round 2: Redis holds $in_redis for $requests REST requests, not more"
   . " ($d_redis for $d_fake in the round)")
    or diag("Redis $in_redis (was $base_redis), fake $requests "
            . "(was $base_fake)");
ok($d_redis >= $d_fake - $total2 / 10 * 2 - $CONNS * 2,
   'round 2: at most about the last second of Redis\'s writes lost');

for my $i (0, 1) {
    my ($res, $r) = $nodes[$i]->call_tool('get_ticket', { ticket_id => 1 });
    ok($r && !$r->{isError}, 'round 2: node ' . ($i + 1) . ' answers a call')
        or diag(explain($res));
}

ok(time - $^T < 90, 'the whole file ran in under 90 s (' . (time - $^T)
                    . ' s)');

$nodes[1]->check_log;
$main->finish;
