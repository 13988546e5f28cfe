#!/usr/bin/perl

# The account guard across a full restart (stop, then start): a 429's pause
# still in force and the limit Freshdesk said are kept in the quota state
# file, so that the new nginx answers calls locally until the pause ends
# and sends nothing to Freshdesk meanwhile.  A state file without account
# lines still loads; a malformed account line is logged and skipped.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use Test::More;
use Time::HiRes qw(time sleep);

my $t = FreshdeskTest->new(workers => 2);
my $d = $t->dir;
my $state = "$d/logs/quota.state";

$t->start_fake('--account-rate', '50')->standard_conf(
    http => qq{
    freshdesk_quota_zone fd:1m calls=1000/m actions=100000/month
                         state=$state state_interval=1s;
    },
    mcp => 'freshdesk_quota fd;
            freshdesk_account_guard account=$http_x_account rate=100/m
                                    headroom=0%;',
    server => 'location = /status { freshdesk_status; }',
)->run;

sub call {
    my ($account) = @_;
    return $t->call_tool('get_ticket', { ticket_id => 1 },
                         headers => { 'X-Account' => $account });
}

sub ok_call { my ($r, $x) = @_; return $r->{status} == 200 && $x && !$x->{isError} }

sub stats { $t->control('GET', 'stats') }

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

sub read_state {
    open my $fh, '<', $state or return '';
    local $/;
    return <$fh> // '';
}

sub write_state {
    my ($text) = @_;
    open my $fh, '>', $state or die "$state: $!\n";
    print $fh $text;
    close $fh;
}

sub month {
    my @t = gmtime;
    return sprintf('%04d%02d', $t[5] + 1900, $t[4] + 1);
}

my $PAUSE = 10;
my $hex = unpack('H*', 'acct1');

# --- a 429: the account pauses; then nginx stops ---------------------------

$t->control('POST', 'account', { rate => 50 });
$t->control('POST', 'reset');

ok(ok_call(call('acct1')), 'a first call goes (Freshdesk says its limit: 50)');
$t->fake_fault(mode => 'ratelimit', retry_after => $PAUSE, count => 1);
my (undef, $x) = call('acct1');
my $paused_at = time;
like(FreshdeskTest::tool_text($x), qr/429/, 'Freshdesk answers 429');
my $before = stats()->{requests};

$t->stop;

my $saved = read_state();
like($saved, qr/^account $hex 50 (\d{13})$/m,
     'the state file keeps the account: its limit and the pause\'s end')
    or diag($saved);
my ($until) = $saved =~ /^account $hex 50 (\d+)$/m;
$until //= 0;
ok($until > $paused_at * 1000 && $until <= ($paused_at + $PAUSE + 1) * 1000,
   'the pause ends when Retry-After said');
like($saved, qr/\A[^\n]+\n[^\n]+\n(?:[0-9a-f]+ [^\n]*\n)*(?:account [^\n]*\n)+\z/,
     'account lines come after the tenants');

# --- started again: the pause holds, answered locally ------------------------

$t->run;
like($t->error_log, qr/quota state ".*": \d+ tenants loaded, 1 guarded accounts \(1 paused\)/,
     'the load says it');

my ($r, $y) = call('acct1');
my $left = $until / 1000 - time;
ok(!ok_call($r, $y), 'after a restart a call is refused');
like(FreshdeskTest::tool_text($y), qr/HTTP 429\); the gateway holds/,
     'by the gateway, for the pause') or diag(FreshdeskTest::tool_text($y));
my $ra = $r->{headers}{'retry-after'} // '';
like($ra, qr/^\d+$/, "with Retry-After ($ra)");
ok($ra ne '' && $ra >= 1 && $ra <= $left + 1,
   "Retry-After counts down the pause left ($ra s of " . sprintf('%.1f', $left) . ')');
is(stats()->{requests}, $before, 'no request reached Freshdesk');

my $sa = status_account('acct1');
is($sa->{limit}, 50, 'status: the limit Freshdesk said, kept');
ok(($sa->{paused_for_ms} // 0) > 0, 'status: the account is paused');

my ($r2) = call('acct1');
is(stats()->{requests}, $before, 'both workers hold it (still nothing sent)');

# a worker killed: the master forks another on the same zone
$t->allow_log(qr/\[alert\].*exited on signal 9/);
my @old = $t->worker_pids(2);
kill 'KILL', $old[0];
for (1 .. 100) {
    my %now = map { $_ => 1 } $t->worker_pids;
    last if !$now{$old[0]} && keys %now >= 2;
    sleep 0.05;
}
my %now = map { $_ => 1 } $t->worker_pids;
ok(!$now{$old[0]} && keys %now == 2, 'a worker killed, another forked');
for (1 .. 4) {
    my ($rk, $xk) = call('acct1');
    like(FreshdeskTest::tool_text($xk), qr/HTTP 429\); the gateway holds/,
         "after a worker's death the pause holds ($_)");
}
is(stats()->{requests}, $before, 'still nothing sent');

# --- the pause over: calls go again ---------------------------------------------

my $wait = $until / 1000 - time + 0.3;
sleep $wait if $wait > 0;
my ($r3, $z) = call('acct1');
ok(ok_call($r3, $z), 'after the pause calls go through')
    or diag(FreshdeskTest::tool_text($z));
is(stats()->{requests}, $before + 1, 'and reach Freshdesk');

# --- the pause written by the timer too, not only at exit ------------------------

$t->fake_fault(mode => 'ratelimit', retry_after => 30, count => 1);
my $again = time;
call('acct1');
my $timer_until = 0;
for (1 .. 40) {
    ($timer_until) = read_state() =~ /^account $hex 50 (\d+)$/m;
    last if ($timer_until // 0) >= ($again + 29) * 1000;
    sleep 0.1;
}
ok(($timer_until // 0) >= ($again + 29) * 1000,
   'a new pause is in the state file within state_interval, nginx running');

# --- an old state file, without account lines -------------------------------------

$t->stop;
write_state("freshdesk-quota 1\nmonth " . month() . "\n61636d65 7 0\n");
$t->run;
like($t->error_log, qr/: 1 tenants loaded, 0 guarded accounts/,
     'an old state file loads');
ok(ok_call(call('acct1')), 'and no pause comes from it');

# --- malformed account lines skipped; a past month keeps the pause ------------------

$t->stop;
my $future = int((time + 20) * 1000);
my $acct2 = unpack('H*', 'acct2');
write_state("freshdesk-quota 1\nmonth 199001\n"
            . "61636d65 7 0\n"
            . "account zz 50 0\n"
            . "account $acct2 abc 0\n"
            . "account $acct2 50\n"
            . "account $acct2 50 $future\n");
$t->run;
my $log = $t->error_log;
like($log, qr/\[error\].*malformed account line 4 skipped/, 'a bad account name is skipped');
like($log, qr/\[error\].*malformed account line 5 skipped/, 'a bad limit is skipped');
like($log, qr/\[error\].*malformed account line 6 skipped/, 'a short line is skipped');
like($log, qr/: 0 tenants loaded, 1 guarded accounts \(1 paused\)/,
     'the good line after them loads (whatever the month)');
$before = stats()->{requests};
($r, $y) = call('acct2');
like(FreshdeskTest::tool_text($y), qr/HTTP 429\); the gateway holds/,
     'its pause holds');
is(stats()->{requests}, $before, 'nothing sent');
ok(ok_call(call('acct1')), 'another account is not held');

$t->finish;
