#!/usr/bin/perl

# The account guard across nodes: two nginx nodes (two prefixes) share one
# Redis (started here) and one fake Freshdesk with an account limit
# (--account-rate).  The account's budget, its shares and a 429's pause
# live in Redis: the nodes together stay under the budget minus headroom;
# a 429 seen by one node stops the other; admission (the tenant's quota
# and the account's credit) is one EVALSHA a call; a tenant's month
# counter under the old "{tenant}" key is moved to the account's tag.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use Test::More;
use Time::HiRes qw(sleep);

plan(skip_all => 'redis-server missing')
    unless `which redis-server 2>/dev/null`;

my $main = FreshdeskTest->new(workers => 2);
$main->start_fake('--account-rate', '20');
$main->start_redis;

my $redis = $main->port('redis');
my @t = gmtime;
my $month = sprintf '%04d%02d', $t[5] + 1900, $t[4] + 1;

my @nodes;

for my $i (1, 2) {
    my $n = $i == 1 ? $main : FreshdeskTest->new(workers => 2);
    $n->{ports}{fake} = $main->port('fake');
    $n->{ports}{redis} = $redis;
    $n->standard_conf(
        http => "freshdesk_quota_zone fd:1m calls=1000/m
                     actions=100000/month;
                 freshdesk_quota_redis fd 127.0.0.1:$redis timeout=500ms
                     fail=local;
                 map \$http_x_tenant \$fd_t {
                     ''      acme;
                     default \$http_x_tenant;
                 }",
        server => 'location = /g/mcp {
                freshdesk_mcp;
                freshdesk_tenant $fd_t;
                freshdesk_api_key fd-test-key;
                freshdesk_quota fd;
                freshdesk_account_guard account=$http_x_account rate=100/m
                                        headroom=20%;
            }
            location = /z/mcp {
                freshdesk_mcp;
                freshdesk_tenant $fd_t;
                freshdesk_api_key fd-test-key;
                freshdesk_quota fd;
                freshdesk_account_guard account=$http_x_account rate=20/m
                                        headroom=0%;
            }
            location = /r/mcp {
                freshdesk_mcp;
                freshdesk_tenant $fd_t;
                freshdesk_api_key fd-test-key;
                freshdesk_quota fd;
                freshdesk_retry tries=3 wait=2s;
                freshdesk_account_guard account=$http_x_account rate=100/m
                                        headroom=0%;
            }
            location = /status {
                freshdesk_status;
            }',
    );
    $n->run;
    push @nodes, $n;
}

my $acct = 0;

# a fresh account at the fake (a new window) and in the guard
sub scenario {
    my (%o) = @_;
    $main->control('POST', 'account', { rate => $o{rate} // 20,
                                        outside_rate => 0, sublimits => {} });
    $main->control('POST', 'reset');
    $acct++;
    return "acct$acct";
}

sub call {
    my ($node, $account, %o) = @_;
    return $node->call_tool('get_ticket', { ticket_id => 1 },
                            headers => { 'X-Account' => $account,
                                         'X-Tenant' => $o{tenant} // '' },
                            path => $o{path} // '/g/mcp');
}

sub ok_call { my ($r, $x) = @_; return $r->{status} == 200 && $x && !$x->{isError} }

sub stats { $main->control('GET', 'stats') }

sub evalsha {
    my $info = $main->redis('INFO', 'commandstats');
    return $info =~ /cmdstat_evalsha:calls=(\d+)/ ? $1 : 0;
}

# --- the budget is the cluster's: both nodes together ------------------------

my $a = scenario(rate => 20);
my ($ok, $refused, $text) = (0, 0, '');
for my $k (1 .. 30) {
    my ($r, $x) = call($nodes[$k % 2], $a);
    if (ok_call($r, $x)) { $ok++; next }
    $refused++;
    $text = FreshdeskTest::tool_text($x);
}
is($ok, 16, 'two nodes, an account of 20 credits, 20% headroom: 16 calls go in all');
is($refused, 14, 'the other 14 are refused by the gateway, on either node');
like($text, qr/account's API credits are in use .*20 a minute, 20% kept free/,
     'a clear tool error') or diag($text);
my $st = stats();
is($st->{too_many}, 0, 'Freshdesk answered no 429');
is($st->{requests}, 16, 'Freshdesk saw 16 requests: the budget minus headroom');
ok($st->{window}{remaining} >= 4, "the account kept its headroom ($st->{window}{remaining} left)");

my %g = split /\n/, $main->redis('HGETALL', "freshdesk:{acct:$a}:g");
is($g{lim}, 20, 'Redis: the limit learned from X-RateLimit-Total');
is($g{used}, 16, 'Redis: 16 credits used in the window');

# --- a 429 seen by one node stops the other ------------------------------------

$a = scenario(rate => 100);
ok(ok_call(call($nodes[0], $a)), 'node 1: a call goes');
$main->fake_fault(mode => 'ratelimit', retry_after => 30, count => 1);
my ($r4, $x4) = call($nodes[0], $a);
like(FreshdeskTest::tool_text($x4), qr/429/, 'node 1: Freshdesk\'s 429 reaches that call') or diag(FreshdeskTest::tool_text($x4) . ' ' . $main->json->encode($r4->{json} // {}));
my $before = stats()->{requests};
my $paused = 0;
for my $k (1 .. 6) {
    my ($r, $x) = call($nodes[1], $a);
    $paused++ if !ok_call($r, $x)
                 && FreshdeskTest::tool_text($x) =~ /rate limit is reached \(HTTP 429\)/;
}
is($paused, 6, 'node 2 holds every call: the pause is in Redis');
is(stats()->{requests}, $before, 'none of them reached Freshdesk');
%g = split /\n/, $main->redis('HGETALL', "freshdesk:{acct:$a}:g");
is($g{n429}, 1, 'Redis: one upstream 429');

# --- fair shares across nodes --------------------------------------------------

$a = scenario(rate => 20);
ok(ok_call(call($nodes[0], $a, tenant => 'big', path => '/z/mcp')), 'big calls');
ok(ok_call(call($nodes[1], $a, tenant => 'small', path => '/z/mcp')), 'small calls');
my $big = 1;
for (1 .. 20) {
    $big++ if ok_call(call($nodes[0], $a, tenant => 'big', path => '/z/mcp'));
}
my $small = 1;
for (1 .. 20) {
    $small++ if ok_call(call($nodes[1], $a, tenant => 'small', path => '/z/mcp'));
}
ok($big >= 9 && $big <= 11, "the tenant driven hard on node 1 got about its half ($big of 20)");
ok($small >= 9, "the other, on node 2, still got its share ($small)");
is($big + $small, 20, 'together the account\'s 20');
is(stats()->{too_many}, 0, 'no 429');

# --- one script call a tool call ------------------------------------------------

$a = scenario(rate => 1000);
call($nodes[0], $a);
sleep 1.5;                       # the sweep sends what no take carried
my $e0 = evalsha();
my $n = 10;
my $good = 0;
my $t0 = Time::HiRes::time();
for my $k (1 .. $n) {
    $good++ if ok_call(call($nodes[$k % 2], $a));
}
my $secs = Time::HiRes::time() - $t0;
is($good, $n, "$n calls admitted");
my $during = evalsha() - $e0;
# besides the calls' own: a worker's sweep (4 workers, once a second each)
# may send the one report its last call left, when no call carried it
my $sweeps = 4 * (int($secs) + 1);
ok($during >= $n && $during <= $n + $sweeps,
   "$during EVALSHA for $n calls in ${secs}s: admission (quota and account) "
   . "is one script call (at most $sweeps sweeps' reports beside)");

sleep 1.5;
my $after = evalsha() - $e0;
ok($after <= $n + $sweeps + 4,
   "what came after the answers: at most a report a worker a second ($after in all)");

# --- the month counter under the old {tenant} key moves over -------------------

$a = scenario(rate => 1000);
$main->redis('SET', "freshdesk:{mover}:m:$month", 7);
ok(ok_call(call($nodes[0], $a, tenant => 'mover')), 'a guarded call of tenant "mover"');
is($main->redis('GET', "freshdesk:{acct:$a}:mover:m:$month"), 8,
   'its month: the old key\'s 7 and this call');
is($main->redis('EXISTS', "freshdesk:{mover}:m:$month"), 0, 'the old key is gone');
ok(ok_call(call($nodes[1], $a, tenant => 'mover')), 'another, from node 2');
is($main->redis('GET', "freshdesk:{acct:$a}:mover:m:$month"), 9,
   'moved once: 9, nothing added twice');
# a node still on the old layout (no guard) writes the old key meanwhile
$main->redis('INCRBY', "freshdesk:{mover}:m:$month", 2);
ok(ok_call(call($nodes[0], $a, tenant => 'mover')), 'a third call');
is($main->redis('GET', "freshdesk:{acct:$a}:mover:m:$month"), 12,
   'what an old node counted meanwhile is moved too');

# --- a retry's try takes a credit in Redis too (the "action" mode) ------------

$a = scenario(rate => 1000);
$main->fake_clear;
$main->fake_fault(mode => 'status', status => 503);
my ($rr, $xr) = call($nodes[1], $a, tenant => 'retrier', path => '/r/mcp');
ok(ok_call($rr, $xr), '503 then 200: success');
is($main->fake_count, 2, 'two tries');
%g = split /\n/, $main->redis('HGETALL', "freshdesk:{acct:$a}:g");
is($g{used}, 2, 'Redis: each try took a credit') or diag(join ' ', %g);
is($main->redis('GET', "freshdesk:{acct:$a}:retrier:m:$month"), 2,
   'Redis: each try an action of the tenant, under the account\'s tag');

# --- Redis away: fail=local, the node's own guard -----------------------------

$a = scenario(rate => 20);
$main->stop_redis;
($ok, $refused) = (0, 0);
for (1 .. 20) {
    ok_call(call($nodes[0], $a)) ? $ok++ : $refused++;
}
ok($ok >= 14 && $ok <= 16, "Redis down: node 1 guards the account in its zone ($ok of 20)");
is(stats()->{too_many}, 0, 'still no 429');

for my $nd (@nodes) {
    $nd->allow_log(qr/Redis|redis/);
    $nd->check_log;
}

$_->stop for @nodes;
done_testing();
