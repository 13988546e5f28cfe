#!/usr/bin/perl

# The account guard: many tenants, one Freshdesk account, no 429s.  The
# fake enforces an account limit like Freshdesk (--account-rate); each
# scenario names a fresh account (X-Account header) and resets the fake.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use Test::More;
use POSIX ();
use Time::HiRes ();

my $t = FreshdeskTest->new(workers => 2);
my $d = $t->dir;

$t->start_fake('--account-rate', '20')->standard_conf(
    http => qq{
    freshdesk_quota_zone fd:1m calls=1000/m actions=100000/month;

    map \$fd_tenant \$fd_weight {
        globex  \$http_x_weight;
        default 1;
    }

    log_format guard '\$freshdesk_tenant q=\$freshdesk_quota_result '
                     'g=\$freshdesk_account_result '
                     'left=\$freshdesk_account_remaining '
                     'waited=\$freshdesk_account_waited';
    },
    mcp => 'freshdesk_quota fd;
            freshdesk_account_guard account=$http_x_account rate=100/m
                                    headroom=20% weight=$fd_weight;
            access_log ' . "$d/logs/guard.log" . ' guard;',
    server => 'location = /growth/mcp {
            freshdesk_mcp;
            freshdesk_tenant acme;
            freshdesk_api_key fd-test-key;
            freshdesk_quota fd;
            freshdesk_account_guard account=$http_x_account plan=growth
                                    headroom=0%;
        }
        location = /wait/mcp {
            freshdesk_mcp;
            freshdesk_tenant acme;
            freshdesk_api_key fd-test-key;
            freshdesk_quota fd;
            freshdesk_account_guard account=$http_x_account rate=20/m
                                    headroom=0% wait=3s;
            access_log ' . "$d/logs/guard.log" . ' guard;
        }
        location = /dry/mcp {
            freshdesk_mcp;
            freshdesk_tenant acme;
            freshdesk_api_key fd-test-key;
            freshdesk_quota fd;
            freshdesk_account_guard account=$http_x_account rate=20/m
                                    headroom=0%;
            freshdesk_account_guard_dry_run on;
            access_log ' . "$d/logs/guard.log" . ' guard;
        }
        location = /third/mcp {
            freshdesk_mcp;
            freshdesk_tenant initech;
            freshdesk_api_key fd-test-key;
            freshdesk_quota fd;
            freshdesk_account_guard account=$http_x_account rate=100/m
                                    headroom=20%;
        }
        location = /status {
            freshdesk_status;
        }',
)->run;

my $acct = 0;

# a fresh account at the fake and in the guard
sub scenario {
    my (%o) = @_;
    $t->control('POST', 'account', { rate => $o{rate} // 20,
                                     outside_rate => $o{outside} // 0,
                                     sublimits => $o{sublimits} // {} });
    $t->control('POST', 'reset');
    $acct++;
    return "acct$acct";
}

sub call {
    my ($account, %o) = @_;
    my ($res, $result) = $t->call_tool($o{tool} // 'get_ticket',
                                       $o{args} // { ticket_id => 1 },
                                       headers => { 'X-Account' => $account,
                                                    %{ $o{headers} // {} } },
                                       path => $o{path} // '/mcp');
    return ($res, $result);
}

sub ok_call { my ($r, $x) = @_; return $r->{status} == 200 && $x && !$x->{isError} }

sub status_account {
    my ($name) = @_;
    my $s = $t->http_request(method => 'GET', path => '/status');
    for my $z (@{ $s->{json}{zones} // [] }) {
        for my $a (@{ $z->{accounts} // [] }) {
            return $a if $a->{account} eq $name;
        }
    }
    return undef;
}

sub stats { $t->control('GET', 'stats') }

# --- the limit learned from X-RateLimit-Total; headroom kept -------------

my $a = scenario(rate => 20);
my ($ok, $refused, $text, $res) = (0, 0, '', undef);
for (1 .. 25) {
    my ($r, $x) = call($a);
    if (ok_call($r, $x)) { $ok++; next }
    $refused++;
    ($res, $text) = ($r, FreshdeskTest::tool_text($x));
}
is($ok, 16, 'an account of 20 credits, 20% headroom: 16 calls go (configured 100, learned 20)');
is($refused, 9, 'the other 9 are refused by the gateway');
like($text, qr/account's API credits are in use .*20 a minute, 20% kept free/,
     'a clear tool error') or diag($text);
like($res->{headers}{'retry-after'} // '', qr/^\d+$/, 'with Retry-After');
my $st = stats();
is($st->{too_many}, 0, 'Freshdesk answered no 429');
is($st->{requests}, 16, 'Freshdesk saw the 16 calls only');
ok($st->{window}{remaining} >= 4, "the account kept its headroom ($st->{window}{remaining} left)");
my $sa = status_account($a);
is($sa->{limit}, 20, 'status: the limit Freshdesk said');
is($sa->{remaining}, 4, 'status: 4 credits left');
like($t->access_log_file("$d/logs/guard.log"), qr/acme q=account g=refused left=\d+/,
     '$freshdesk_quota_result is "account", $freshdesk_account_result "refused"');

# --- another integration on the account: headroom on top of its use --------

$a = scenario(rate => 40, outside => 600);     # 10 credits a second
call($a);                                      # opens the window
$t->control('POST', 'clock', { advance => 1 });    # 10 credits outside
($ok, $refused) = (1, 0);
for (1 .. 40) {
    my ($r, $x) = call($a);
    ok_call($r, $x) ? $ok++ : $refused++;
    last if $refused > 2;
}
$st = stats();
is($st->{too_many}, 0, 'outside use: no 429 for the gateway');
# 40 - 8 headroom - 10 outside (and a few more while the loop ran)
ok($ok >= 16 && $ok <= 22, "outside use: the gateway took $ok of 40 - 8 - 10");

# --- fair shares: one tenant cannot take another's share ------------------

$a = scenario(rate => 40);
# both tenants active; shares of 40 (headroom 20%: 32) are 16 each
my ($r0, $x0) = call($a);
my ($r1, $x1) = call($a, headers => { Authorization => $FreshdeskTest::TOKEN2 });
ok(ok_call($r0, $x0) && ok_call($r1, $x1), 'both tenants called once');
my $acme = 1;
for (1 .. 40) {
    my ($r, $x) = call($a);
    last unless ok_call($r, $x);
    $acme++;
}
ok($acme >= 15 && $acme <= 17, "acme alone stopped at its share: $acme of 32");
my $globex = 1;
for (1 .. 40) {
    my ($r, $x) = call($a, headers => { Authorization => $FreshdeskTest::TOKEN2 });
    last unless ok_call($r, $x);
    $globex++;
}
ok($globex >= 15 && $globex <= 17, "globex still had its share: $globex");
is(stats()->{too_many}, 0, 'fair shares: no 429');

# weights: globex 3, acme 1 -> 8 and 24 of 32
$a = scenario(rate => 40);
my %w = (headers => { Authorization => $FreshdeskTest::TOKEN2, 'X-Weight' => 3 });
call($a);
call($a, %w);
$acme = 1;
for (1 .. 40) {
    my ($r, $x) = call($a);
    last unless ok_call($r, $x);
    $acme++;
}
ok($acme >= 7 && $acme <= 9, "weight 1 of 4: acme stopped at $acme of 32");
$globex = 1;
for (1 .. 40) {
    my ($r, $x) = call($a, %w);
    last unless ok_call($r, $x);
    $globex++;
}
ok($globex >= 23 && $globex <= 25, "weight 3 of 4: globex took $globex");

# --- tenants that come late do not lock each other out ---------------------

# acme alone takes 24 of 32 (no other tenant active: nothing reserved);
# then globex and initech come: each is under its share (32 / 3), and the
# 8 credits left go to them both, though their reserves add up to more
$a = scenario(rate => 40);
$acme = 0;
for (1 .. 24) {
    my ($r, $x) = call($a);
    $acme++ if ok_call($r, $x);
}
is($acme, 24, 'acme alone took 24 of 32');
my ($gl, $in) = (0, 0);
for (1 .. 8) {
    my ($r, $x) = call($a, headers => { Authorization => $FreshdeskTest::TOKEN2 });
    $gl++ if ok_call($r, $x);
    ($r, $x) = call($a, path => '/third/mcp');
    $in++ if ok_call($r, $x);
}
is($gl + $in, 8, "the two late tenants spent the 8 credits left ($gl + $in)");
ok($gl >= 3 && $in >= 3, "neither late tenant was locked out: $gl and $in");
is(stats()->{too_many}, 0, 'late tenants: no 429');

# --- an early call's late answer is no new window ---------------------------
# Freshdesk counts a call when it comes and says what is left then; the
# answer may arrive after those of calls it counted later, with more left
# than they said.  That is no window's turn: the window's count goes on
# (a turn would start the shares over in the middle of the window).
{
    my $a = scenario(rate => 40);
    $t->fake_fault(mode => 'late', seconds => 2, count => 1);
    my $pid = fork() // die "fork: $!\n";
    if ($pid == 0) {
        call($a);
        POSIX::_exit(0);      # not exit: the test's servers stay up
    }
    Time::HiRes::sleep(0.5);
    my $ok = 0;
    for (1 .. 10) {
        $ok++ if ok_call(call($a));
    }
    is($ok, 10, 'ten calls go while the first one\'s answer is held');
    waitpid($pid, 0);
    my $s = status_account($a);
    is($s->{used_window}, 11,
       'the first call\'s late answer (39 left, the others said 29) '
       . 'started no new window: 11 credits of this one')
        or diag(explain($s));
    ok($s->{remaining} <= 29,
       "nor raised the credits left ($s->{remaining}; Freshdesk said 29)");
    is(stats()->{requests}, 11, 'Freshdesk saw the 11 calls');
}

# --- sub-limits of list endpoints, from the plan ---------------------------

$a = scenario(rate => 200);
my $lists = 0;
for (1 .. 25) {
    my ($r, $x) = call($a, path => '/growth/mcp', tool => 'list_tickets',
                       args => {});
    if (ok_call($r, $x)) { $lists++; next }
    $text = FreshdeskTest::tool_text($x);
    last;
}
is($lists, 20, 'Growth: 20 ticket lists a minute');
like($text, qr/limit for listing tickets on this account \(20 a minute\)/,
     'the 21st is refused for the sub-limit') or diag($text);
my ($rg, $xg) = call($a, path => '/growth/mcp');
ok(ok_call($rg, $xg), 'a single ticket still goes');
is(stats()->{too_many}, 0, 'sub-limit: no 429');

# --- embeds cost credits ------------------------------------------------------

$a = scenario(rate => 100);
my ($re, $xe) = call($a, tool => 'list_tickets', args => { include => ['requester'] });
ok(ok_call($re, $xe), 'a list with include=requester');
$st = stats();
is($st->{credits_used}, 3, 'Freshdesk charged 3 credits');
$sa = status_account($a);
is($sa->{used_window}, 3, 'the guard counted 3 for it');
is($sa->{remaining}, 97, 'and its budget is Freshdesk\'s');

# --- a 429 anyway: every worker holds, also across a reload ------------------

$a = scenario(rate => 100);
call($a);
$t->fake_fault(mode => 'ratelimit', retry_after => 30, count => 1);
my ($r4, $x4) = call($a);
like(FreshdeskTest::tool_text($x4), qr/429/, 'Freshdesk\'s 429 reaches that call');
my $before = stats()->{requests};
my $paused = 0;
for (1 .. 8) {
    my ($r, $x) = call($a);
    $paused++ if !ok_call($r, $x)
                 && FreshdeskTest::tool_text($x) =~ /rate limit is reached \(HTTP 429\)/;
}
is($paused, 8, 'then every call is held by the gateway (2 workers)');
is(stats()->{requests}, $before, 'none of them reached Freshdesk');
$sa = status_account($a);
ok($sa->{paused_for_ms} > 20000, "status: paused for $sa->{paused_for_ms} ms");
is($sa->{upstream_429}, 1, 'status: one upstream 429');

$t->reload;
my ($r5, $x5) = call($a);
like(FreshdeskTest::tool_text($x5), qr/HTTP 429\); the gateway holds/,
     'after a reload the pause holds');
is(stats()->{requests}, $before, 'still nothing sent');

my $prom = $t->http_request(method => 'GET', path => '/status?format=prometheus');
like($prom->{body}, qr/freshdesk_account_upstream_429_total\{zone="fd",account="$a"\} 1/,
     'Prometheus: the 429');
like($prom->{body}, qr/freshdesk_account_credits_limit\{zone="fd",account="$a"\} 100/,
     'Prometheus: the limit');
like($prom->{body}, qr/freshdesk_account_refused_total\{zone="fd",account="acct\d+",tenant="acme"\} [1-9]/,
     'Prometheus: refusals by tenant');

# --- a bounded wait: the pause ends within it ----------------------------------

$a = scenario(rate => 20);
call($a, path => '/wait/mcp');
# paused for 2 s: the next call, well within, waits (wait=3s)
$t->fake_fault(mode => 'ratelimit', retry_after => 2, count => 1);
call($a, path => '/wait/mcp');
my ($rw, $xw) = call($a, path => '/wait/mcp');
ok(ok_call($rw, $xw), 'a call that finds the account paused waits and goes');
# the log line is written after the answer is sent: wait for it
my $waited_re = qr/g=passed left=\d+ waited=(0\.[5-9]|[12]\.)\d*/;
for (1 .. 50) {
    last if $t->access_log_file("$d/logs/guard.log") =~ $waited_re;
    select(undef, undef, undef, 0.1);
}
like($t->access_log_file("$d/logs/guard.log"), $waited_re,
     '$freshdesk_account_waited says how long');
$prom = $t->http_request(method => 'GET', path => '/status?format=prometheus');
like($prom->{body}, qr/freshdesk_account_wait_seconds_count [1-9]/,
     'Prometheus: the wait in its histogram');
like($prom->{body}, qr/freshdesk_account_waited_total\{zone="fd",account="$a",tenant="acme"\} 1/,
     'Prometheus: the wait counted for the tenant');

# --- dry run: counted, never refused ---------------------------------------------

$a = scenario(rate => 20);
$ok = 0;
for (1 .. 25) {
    my ($r, $x) = call($a, path => '/dry/mcp');
    $ok++ if ok_call($r, $x);
}
is(stats()->{requests}, 25, 'dry run: every call goes to Freshdesk');
ok($ok >= 20, "dry run: $ok answered (the rest are Freshdesk's own 429s)");
like($t->error_log, qr/dry run: the account guard would refuse a call of tenant "acme"/,
     'dry run: what it would refuse is logged');
like($t->access_log_file("$d/logs/guard.log"), qr/g=dry_run/, 'dry run: $freshdesk_account_result');

# --- bad values refused by nginx -t ------------------------------------------------

$t->allow_log(qr/\[emerg\]|\[warn\].*429|\[warn\].*account guard/);
my $http = $t->http_globals;
for my $bad (
    ['rate=abc', qr/invalid parameter "rate=abc"/],
    ['rate=10/s', qr/invalid parameter "rate=10\/s"/],
    ['plan=platinum', qr/invalid parameter "plan=platinum"/],
    ['plan=pro headroom=95%', qr/invalid parameter "headroom=95%"/],
    ['plan=pro wait=soon', qr/invalid parameter "wait=soon"/],
    ['plan=pro list_tickets=-1', qr/invalid parameter "list_tickets=-1"/],
    ['plan=pro', qr/needs "account="/],
    ['account=x', qr/needs "plan=" or "rate="/],
) {
    my $guard = $bad->[0] =~ /account=/ ? $bad->[0] : "account=x $bad->[0]";
    $guard = $bad->[0] if $bad->[0] eq 'plan=pro';
    my $conf = $t->main_block . "http {\n$http\n freshdesk_quota_zone fd:1m;\n"
        . " server { listen 127.0.0.1:1; location /mcp { freshdesk_mcp; "
        . "freshdesk_tenant x; freshdesk_api_key k; freshdesk_quota fd; "
        . "freshdesk_account_guard $guard; } }\n}\n";
    my $t2 = FreshdeskTest->new;
    $t2->write_conf($conf);
    my ($good, $out) = $t2->test_conf;
    ok(!$good, "nginx -t refuses freshdesk_account_guard $guard");
    like($out, $bad->[1], '... naming the value') or diag($out);

}

my $t3 = FreshdeskTest->new;
$t3->write_conf($t->main_block . "http {\n$http\n"
    . " server { listen 127.0.0.1:1; location /mcp { freshdesk_mcp; "
    . "freshdesk_tenant x; freshdesk_api_key k; "
    . "freshdesk_account_guard account=x plan=pro; } }\n}\n");
my ($good3, $out3) = $t3->test_conf;
ok(!$good3, 'a guard without freshdesk_quota is refused');
like($out3, qr/"freshdesk_account_guard" keeps the account's budget in a quota zone/, '... saying why');


$t->finish;
