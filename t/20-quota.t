#!/usr/bin/perl

# Per-tenant quotas: calls per rolling minute, actions per month, headers,
# refusals, dry run, refunds, status endpoint, access-log variables.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use Test::More;

my $t = FreshdeskTest->new;
my $d = $t->dir;

$t->start_fake->standard_conf(
    http => qq{
    freshdesk_quota_zone fd:1m calls=5/m actions=1000/month
                         state=$d/logs/quota.state state_interval=1s;

    map \$fd_tenant \$fd_calls {
        globex  3;
        default "";
    }

    log_format audit '\$freshdesk_tenant \$freshdesk_method \$freshdesk_tool '
                     'q=\$freshdesk_quota_result c=\$freshdesk_calls_remaining '
                     'a=\$freshdesk_actions_remaining '
                     'u=\$freshdesk_upstream_status';
    },
    mcp => 'freshdesk_quota fd;
            freshdesk_quota_calls $fd_calls;
            access_log ' . "$d/logs/audit.log" . ' audit;',
    server => 'location = /monthly/mcp {
            freshdesk_mcp;
            freshdesk_tenant monthly;
            freshdesk_api_key fd-test-key;
            freshdesk_quota fd;
            freshdesk_quota_calls 1000;
            freshdesk_quota_actions 4;
        }
        location = /dry/mcp {
            freshdesk_mcp;
            freshdesk_tenant dry;
            freshdesk_api_key fd-test-key;
            freshdesk_quota fd;
            freshdesk_quota_calls 2;
            freshdesk_quota_dry_run on;
        }
        location = /ra/mcp {
            freshdesk_mcp;
            freshdesk_tenant ratelimited;
            freshdesk_api_key fd-test-key;
            freshdesk_quota fd;
            freshdesk_quota_calls 1000;
        }
        location = /freshdesk/status {
            freshdesk_status;
        }',
)->run;

sub ratelimit {
    my ($res) = @_;
    my %h;
    ($h{calls_r}, $h{calls_t}) = ($res->{headers}{ratelimit} // '')
        =~ /"calls";r=(\d+);t=(\d+)/;
    ($h{actions_r}) = ($res->{headers}{ratelimit} // '') =~ /"actions";r=(\d+)/;
    return \%h;
}

# --- headers on every response, free methods do not count -------------

for my $m ('initialize', 'ping', 'tools/list') {
    my $res = $t->mcp({ jsonrpc => '2.0', id => 1, method => $m,
                        params => { protocolVersion => '2025-11-25',
                                    capabilities => {},
                                    clientInfo => { name => 'x', version => '1' } } });
    is($res->{status}, 200, "$m: 200");
    is($res->{headers}{'ratelimit-policy'},
       '"calls";q=5;w=60, "actions";q=1000;w=2592000', "$m: RateLimit-Policy");
    is(ratelimit($res)->{calls_r}, 5, "$m: all 5 calls remain");
}

my $res = $t->mcp('{"jsonrpc":"2.0","method":"notifications/initialized"}');
is($res->{status}, 202, 'notification 202');
like($res->{headers}{ratelimit} // '', qr/"calls";r=5/, 'headers on 202 too');

# --- calls per minute --------------------------------------------------

$t->fake_clear;

# a call with bad arguments never reaches the quota
my ($r, $result) = $t->call_tool('get_ticket', { ticket_id => 'x' });
ok($result->{isError}, 'invalid call refused');
is(ratelimit($r)->{calls_r}, 5, 'invalid arguments do not cost a call');

for my $i (1 .. 5) {
    ($r, $result) = $t->call_tool('get_ticket', { ticket_id => 1 });
    ok(!$result->{isError}, "call $i admitted");
    is(ratelimit($r)->{calls_r}, 5 - $i, "call $i: RateLimit r=" . (5 - $i));
}

($r, $result) = $t->call_tool('get_ticket', { ticket_id => 1 });
ok($result->{isError}, 'call 6 refused');
like(FreshdeskTest::tool_text($result),
     qr/^Rate limit reached: 5 tool calls per minute for this tenant\. Retry in \d+ s\.$/,
     'refusal names the limit and the reset');
like($r->{headers}{'retry-after'} // '', qr/^\d+$/, 'Retry-After on refusal');
ok($r->{headers}{'retry-after'} >= 1 && $r->{headers}{'retry-after'} <= 60,
   'Retry-After within the window');
is(ratelimit($r)->{calls_r}, 0, 'RateLimit r=0 when refused');
is($t->fake_count, 5, 'exactly 5 calls reached Freshdesk');

# another tenant, with its own (smaller) limit from a map
for my $i (1 .. 3) {
    ($r, $result) = $t->call_tool('get_ticket', { ticket_id => 2 },
                        headers => { Authorization => $FreshdeskTest::TOKEN2 });
    ok(!$result->{isError}, "globex call $i admitted");
}
like($r->{headers}{'ratelimit-policy'}, qr/"calls";q=3;/, 'per-tenant limit');
($r, $result) = $t->call_tool('get_ticket', { ticket_id => 2 },
                    headers => { Authorization => $FreshdeskTest::TOKEN2 });
like(FreshdeskTest::tool_text($result), qr/3 tool calls per minute/,
     'globex refused at its own limit');
is($t->fake_count, 8, 'tenants do not share a budget');

# --- actions per month -------------------------------------------------

for my $i (1 .. 4) {
    ($r, $result) = $t->call_tool('get_ticket', { ticket_id => 1 },
                                  path => '/monthly/mcp');
    ok(!$result->{isError}, "monthly action $i admitted");
}
is(ratelimit($r)->{actions_r}, 0, 'no actions left');
($r, $result) = $t->call_tool('get_ticket', { ticket_id => 1 },
                              path => '/monthly/mcp');
like(FreshdeskTest::tool_text($result),
     qr/^Monthly quota reached: 4 actions per month for this tenant\. It resets at the start of next month \(UTC\), in \d+ s\.$/,
     'monthly refusal');
ok($r->{headers}{'retry-after'} > 0, 'Retry-After until next month');

# --- an upstream 429 is the account's limit: refunded -----------------

($r, $result) = $t->call_tool('get_ticket', { ticket_id => 1 }, path => '/ra/mcp');
my $before = ratelimit($r)->{actions_r};
$t->fake_fault(mode => 'ratelimit', retry_after => 9);
($r, $result) = $t->call_tool('get_ticket', { ticket_id => 1 }, path => '/ra/mcp');
ok($result->{isError}, 'upstream 429 is an error');
is(ratelimit($r)->{actions_r}, $before, 'upstream 429 costs no action');
$t->fake_fault(mode => 'status', status => 500);
($r, $result) = $t->call_tool('get_ticket', { ticket_id => 1 }, path => '/ra/mcp');
is(ratelimit($r)->{actions_r}, $before - 1, 'upstream 500 costs an action');

# --- dry run: counts, never refuses ------------------------------------

$t->fake_clear;
for my $i (1 .. 4) {
    ($r, $result) = $t->call_tool('get_ticket', { ticket_id => 1 },
                                  path => '/dry/mcp');
    ok(!$result->{isError}, "dry run call $i admitted");
}
is(ratelimit($r)->{calls_r}, 0, 'dry run still counts');
is($t->fake_count, 4, 'dry run: every call went upstream');
like($t->error_log, qr/dry run: calls per minute quota exceeded for tenant "dry"/,
     'dry run logs what it would refuse');

# --- status endpoint ---------------------------------------------------

my $st = $t->http_request(path => '/freshdesk/status');
is($st->{status}, 200, 'status: 200');
my %tenants = map { $_->{tenant} => $_ } @{$st->{json}{zones}[0]{tenants}};
is($st->{json}{zones}[0]{name}, 'fd', 'status: zone name');
is($tenants{acme}{calls_window}, 5, 'status: acme calls in window');
is($tenants{acme}{refused}, 1, 'status: acme refusals');
is($tenants{acme}{actions_month}, 5, 'status: acme actions');
is($tenants{globex}{calls_limit}, 3, 'status: globex limit');
is($tenants{monthly}{actions_month}, 4, 'status: monthly actions');
is($tenants{monthly}{actions_limit}, 4, 'status: monthly limit');

my $pr = $t->http_request(path => '/freshdesk/status?format=prometheus');
like($pr->{headers}{'content-type'}, qr{^text/plain}, 'prometheus content type');
like($pr->{body}, qr/^# TYPE freshdesk_calls_window gauge$/m, 'prometheus TYPE');
like($pr->{body}, qr/^freshdesk_calls_window\{zone="fd",tenant="acme"\} 5$/m,
     'prometheus calls sample');
like($pr->{body}, qr/^freshdesk_actions_month\{zone="fd",tenant="monthly"\} 4$/m,
     'prometheus actions sample');
like($pr->{body}, qr/^freshdesk_refused_month\{zone="fd",tenant="acme"\} 1$/m,
     'prometheus refusals sample');

# --- access log variables ----------------------------------------------

my $audit = do { local $/; open my $f, '<', "$d/logs/audit.log"; <$f> } // '';
like($audit, qr/^acme tools\/call get_ticket q=passed c=0 a=\d+ u=200$/m,
     'audit: admitted call');
like($audit, qr/^acme tools\/call get_ticket q=rejected_calls c=0 a=\d+ u=-$/m,
     'audit: refused call');
like($audit, qr/^acme ping - q=- c=\d+ a=\d+ u=-$/m, 'audit: ping');
unlike($audit, qr/fd-test-key/, 'audit: no key');

# --- reload keeps the zone ---------------------------------------------

$t->reload;
($r) = $t->call_tool('get_ticket', { ticket_id => 1 }, path => '/monthly/mcp');
is(ratelimit($r)->{actions_r}, 0, 'reload: monthly count kept');
$res = $t->mcp('{"jsonrpc":"2.0","id":1,"method":"ping"}');
ok(ratelimit($res)->{calls_r} <= 1, 'reload: minute window kept');

# --- restart keeps monthly counts through the state file -------------

$t->stop;
ok(-s "$d/logs/quota.state", 'state file written at exit');
open my $sf, '<', "$d/logs/quota.state";
my $state = do { local $/; <$sf> };
like($state, qr/^freshdesk-quota 1\nmonth \d{6}\n/, 'state file header');
like($state, qr/^6d6f6e74686c79 4 \d+$/m, 'state file has tenant "monthly"');
ok(!-e "$d/logs/quota.state.tmp", 'no temp file left');

$t->run;
($r, $result) = $t->call_tool('get_ticket', { ticket_id => 1 },
                              path => '/monthly/mcp');
like(FreshdeskTest::tool_text($result), qr/Monthly quota reached/,
     'restart: monthly count restored');
($r, $result) = $t->call_tool('get_ticket', { ticket_id => 1 });
ok(!$result->{isError}, 'restart: minute window starts empty');
like($t->error_log, qr/quota state ".*": \d+ tenants loaded/, 'load logged');

# periodic writes
sleep 1.5;
open $sf, '<', "$d/logs/quota.state";
$state = do { local $/; <$sf> };
like($state, qr/^61636d65 [1-9]\d* \d+$/m, 'periodic state write has acme');

# --- a state file from a previous month -------------------------------

$t->stop;
open $sf, '>', "$d/logs/quota.state";
print $sf "freshdesk-quota 1\nmonth 199001\n6d6f6e74686c79 4 0\n";
close $sf;
$t->run;
($r, $result) = $t->call_tool('get_ticket', { ticket_id => 1 },
                              path => '/monthly/mcp');
ok(!$result->{isError}, 'previous month: counts start over');
like($t->error_log, qr/is from month 199001, monthly counts start over/,
     'previous month noticed');

# --- a corrupt state file ---------------------------------------------

for my $bad ("garbage\x00\xff", "freshdesk-quota 1\nmonth 2026xx\n",
             "freshdesk-quota 1\nmonth " . month() . "\n6d6f6e 3 0\nzz 1\n",
             "freshdesk-quota 1\nmonth " . month() . "\n6d6f6e74686c79 4")
{
    $t->stop;
    open $sf, '>', "$d/logs/quota.state";
    print $sf $bad;
    close $sf;
    $t->run;
    $res = $t->mcp('{"jsonrpc":"2.0","id":1,"method":"ping"}');
    is($res->{status}, 200, 'corrupt state file: nginx runs');
}
like($t->error_log, qr/\[error\].*quota state .* is corrupt/,
     'corrupt state reported in error.log');

sub month {
    my @t = gmtime;
    return sprintf('%04d%02d', $t[5] + 1900, $t[4] + 1);
}

$t->check_log;

# --- a state file the workers cannot write: said at start ------------

# the test directory is root's, mode 0755: the workers (nobody) cannot
# write there, only in its logs/
my $t2 = FreshdeskTest->new;
my $d2 = $t2->dir;
$t2->start_fake->standard_conf(
    http => qq{
    freshdesk_quota_zone ro:1m calls=5/m
                         state=$d2/quota.state state_interval=1s;
    freshdesk_quota_zone rw:1m calls=5/m
                         state=$d2/logs/quota.state state_interval=1s;},
    mcp => 'freshdesk_quota ro;',
    server => 'location = /rw/mcp {
            freshdesk_mcp;
            freshdesk_tenant rw;
            freshdesk_api_key fd-test-key;
            freshdesk_quota rw;
        }',
);

my $denied = qr/\[error\].*freshdesk_quota_zone "ro": state file "\Q$d2\E\/quota\.state" cannot be written by the worker user "nobody" \(directory "\Q$d2\E" is owned by root:\w+, mode 0755\); monthly counts will not survive a restart/;

my ($conf_ok, $conf_out) = $t2->test_conf;
ok($conf_ok, 'unwritable state directory: nginx -t still passes');
like($conf_out, qr/freshdesk_quota_zone "ro": state file "\Q$d2\E\/quota\.state" cannot be written by the worker user "nobody"/,
     'and says it too');

$t2->run;
like($t2->error_log, $denied,
     'unwritable state directory: error at start names the path, the '
     . 'worker user and the directory');
unlike($t2->error_log, qr/zone "rw": state file/,
       'a writable state directory is not reported');
($r, $result) = $t2->call_tool('get_ticket', { ticket_id => 1 });
ok(!$result->{isError}, 'unwritable state directory: the gateway serves');
($r, $result) = $t2->call_tool('get_ticket', { ticket_id => 1 },
                               path => '/rw/mcp');
ok(!$result->{isError}, 'and the other zone too');

$t2->stop;
ok(-s "$d2/logs/quota.state", 'the writable zone saved its state');
ok(!-e "$d2/quota.state", 'the unwritable one could not');

$t2->finish;
