#!/usr/bin/perl

# Metrics: tool calls by tool and outcome, requests by method, transport
# refusals by status, Freshdesk's and the gateway's time as histograms;
# exact under concurrency with two workers, kept across a reload, valid
# Prometheus text (promtool check metrics), and the JSON form.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use POSIX ();
use Test::More;

my $t = FreshdeskTest->new(workers => 2);

my $d = $t->dir;

$t->start_fake->standard_conf(
    http => "freshdesk_quota_zone fd:1m calls=1000/m actions=100000/month
                 state=$d/logs/quota.state;" . '
             freshdesk_quota_zone tiny:1m calls=1/m actions=100000/month;',
    mcp => 'freshdesk_quota fd;',
    server => 'location = /tiny/mcp {
            freshdesk_mcp;
            freshdesk_tenant $fd_tenant;
            freshdesk_api_key $fd_api_key;
            freshdesk_quota tiny;
        }
        location = /freshdesk/status { freshdesk_status; }',
)->run;
$t->worker_pids(2) unless $ENV{FRESHDESK_VALGRIND};

sub metrics {
    return $t->http_request(path => '/freshdesk/status')->{json}{metrics};
}

sub calls {
    my ($tool, $outcome) = @_;
    return metrics()->{tool_calls}{$tool}{$outcome} // 0;
}

# A request is counted when it is logged, which nginx may do just after
# the client has its answer (a lingering close): wait a little for it
sub settle {
    my ($check) = @_;
    for (1 .. 40) {
        return 1 if $check->();
        select undef, undef, undef, 0.05;
    }
    return 0;
}

sub calls_eventually {
    my ($tool, $outcome, $want) = @_;
    settle(sub { calls($tool, $outcome) == $want });
    return calls($tool, $outcome);
}

# --- exact under concurrency, two workers ---------------------------------

my @kids;
for my $k (1 .. 4) {
    my $pid = fork() // die;
    if ($pid == 0) {
        $t->call_tool('get_ticket', { ticket_id => 1 }) for 1 .. 10;
        POSIX::_exit(0);
    }
    push @kids, $pid;
}
waitpid $_, 0 for @kids;

is(calls_eventually('get_ticket', 'ok', 40), 40,
   '40 parallel calls over 2 workers: 40 ok');
is(metrics()->{requests}{'tools/call'}, 40, 'requests: 40 tools/call');

# --- every outcome ----------------------------------------------------------

$t->call_tool('get_ticket', { ticket_id => 999999 });           # 404
$t->fake_fault(mode => 'status', status => 503);
$t->call_tool('get_ticket', { ticket_id => 1 });
$t->fake_fault(mode => 'ratelimit', retry_after => 5);
$t->call_tool('get_ticket', { ticket_id => 1 });
$t->fake_fault(mode => 'reset');
$t->call_tool('get_ticket', { ticket_id => 1 });
$t->call_tool('get_ticket', { ticket_id => 'abc' });             # invalid
$t->call_tool('no_such_tool', {});                               # unknown
$t->call_tool('list_tickets', {}, path => '/tiny/mcp');          # ok
$t->call_tool('list_tickets', {}, path => '/tiny/mcp');          # quota

settle(sub { (metrics()->{requests}{'tools/call'} // 0) == 48 });
my $m = metrics();
is($m->{tool_calls}{get_ticket}{tool_error}, 1, 'outcome tool_error (404)');
is($m->{tool_calls}{get_ticket}{upstream_5xx}, 1, 'outcome upstream_5xx');
is($m->{tool_calls}{get_ticket}{upstream_429}, 1, 'outcome upstream_429');
is($m->{tool_calls}{get_ticket}{upstream_failure}, 1,
   'outcome upstream_failure (reset)');
is($m->{tool_calls}{get_ticket}{invalid_arguments}, 1,
   'outcome invalid_arguments');
is($m->{tool_calls}{_unknown}{unknown_tool}, 1,
   'an unknown tool: one row for all unknown names');
is($m->{tool_calls}{list_tickets}{ok}, 1, 'list_tickets ok');
is($m->{tool_calls}{list_tickets}{quota_refused}, 1, 'outcome quota_refused');

# --- methods and refusals --------------------------------------------------

$t->mcp({ jsonrpc => '2.0', id => 1, method => 'initialize',
          params => { protocolVersion => '2025-11-25', capabilities => {},
                      clientInfo => { name => 'm', version => '1' } } });
$t->mcp({ jsonrpc => '2.0', id => 2, method => 'ping' });
$t->mcp({ jsonrpc => '2.0', id => 3, method => 'tools/list' });
$t->mcp({ jsonrpc => '2.0', method => 'notifications/initialized' });
$t->mcp({ jsonrpc => '2.0', id => 4, method => 'resources/list' });
$t->mcp({ jsonrpc => '2.0', id => 5, method => 'ping' },
        headers => { Authorization => 'Bearer wrong' });           # 401
$t->mcp({ jsonrpc => '2.0', id => 6, method => 'ping' },
        headers => { 'Content-Type' => 'text/plain' });            # 415
$t->mcp('', method => 'GET');                                      # 405

settle(sub { (metrics()->{refused}{405} // 0) == 1 });
$m = metrics();
is($m->{requests}{initialize}, 1, 'requests: initialize');
is($m->{requests}{ping}, 1, 'requests: ping');
is($m->{requests}{'tools/list'}, 1, 'requests: tools/list');
is($m->{requests}{notification}, 1, 'requests: notification');
is($m->{requests}{other}, 1, 'requests: other (resources/list)');
is($m->{refused}{401}, 1, 'refused: 401');
is($m->{refused}{415}, 1, 'refused: 415');
is($m->{refused}{405}, 1, 'refused: 405');

my $calls = 40 + 8;
is($m->{upstream_seconds}{count}, 40 + 4 + 1,
   'Freshdesk histogram: every call that reached it');
is($m->{gateway_seconds}{count}, $calls, 'gateway histogram: every call');
is($m->{gateway_seconds}{buckets}{'+Inf'}, $calls, 'the +Inf bucket is all');
ok($m->{gateway_seconds}{buckets}{'0.005'} <= $calls, 'buckets cumulative');

# --- Prometheus text, checked by promtool -----------------------------------

my $prom = $t->http_request(path => '/freshdesk/status?format=prometheus');
like($prom->{body},
     qr/^freshdesk_tool_calls_total\{tool="get_ticket",outcome="ok"\} 40$/m,
     'prometheus: tool calls');
like($prom->{body},
     qr/^freshdesk_upstream_duration_seconds_bucket\{le="\+Inf"\} 45$/m,
     'prometheus: histogram');
like($prom->{body}, qr/^freshdesk_gateway_duration_seconds_count 48$/m,
     'prometheus: gateway histogram count');

SKIP: {
    skip 'no promtool', 1 unless `which promtool 2>/dev/null`;
    my $f = $t->dir . '/metrics.txt';
    open my $fh, '>', $f or die;
    print $fh $prom->{body};
    close $fh;
    my $out = `promtool check metrics < $f 2>&1`;
    is($?, 0, 'promtool check metrics: valid') or diag($out);
}

# --- the dashboard and the alert rules use what is exported ---------------

my %families = map { $_ => 1 } $prom->{body} =~ /^# TYPE (\S+)/mg;
# the Redis families need a Redis zone: t/22 shows them
$families{$_} = 1 for map { "freshdesk_redis_$_" }
    qw(up fallback_active commands_total errors_total fallbacks_total
       rtt_seconds owed_actions);

# the account guard's families need a guarded account: t/27 shows them
$families{$_} = 1 for map { "freshdesk_account_$_" }
    qw(credits_remaining credits_limit upstream_429_total waited_total
       refused_total);

for my $file ('contrib/grafana/freshdesk-mcp.json',
              'contrib/prometheus/freshdesk-alerts.yml')
{
    my $text = do { local $/; open my $f, '<', "$FreshdeskTest::ROOT/$file"
                    or die "$file: $!"; <$f> };
    # the queries only: "expr" of the dashboard's targets and the rules
    my $exprs = join "\n", $text =~ /"expr": "([^"]*)"/g,
                            $text =~ /expr: \|?\s*(.*?)\n\s+for:/sg;
    my %used = map { (my $n = $_) =~ s/_(bucket)$//; $n => 1 }
               $exprs =~ /\b(freshdesk_[a-z_]+)\b/g;
    ok(scalar keys %used, "$file: its queries found");
    my @missing = grep { !$families{$_} } sort keys %used;
    is("@missing", '', "$file: every metric it uses is exported");
}

ok(eval { FreshdeskTest::json()->decode(do { local $/;
        open my $f, '<', "$FreshdeskTest::ROOT/contrib/grafana/freshdesk-mcp.json"
        or die; <$f> }) }, 'the dashboard is JSON');

SKIP: {
    skip 'no promtool', 1 unless `which promtool 2>/dev/null`;
    my $out = `promtool check rules $FreshdeskTest::ROOT/contrib/prometheus/freshdesk-alerts.yml 2>&1`;
    is($?, 0, 'promtool check rules: valid') or diag($out);
}

# --- kept across a reload ---------------------------------------------------

SKIP: {
    skip 'no reload under valgrind', 2 if $ENV{FRESHDESK_VALGRIND};
    $t->reload;
    is(calls('get_ticket', 'ok'), 40, 'after a reload: the counts are kept');
    $t->call_tool('get_ticket', { ticket_id => 1 });
    is(calls_eventually('get_ticket', 'ok', 41), 41,
       'after a reload: and go on');
}

# --- kept across a restart, beside the quota state file --------------------

SKIP: {
    skip 'one process under valgrind', 4 if $ENV{FRESHDESK_VALGRIND};
    my $before = metrics();
    $t->stop;
    ok(-s "$d/logs/quota.state.metrics", 'saved beside the state file');
    $t->run;
    my $after = metrics();
    is_deeply($after->{tool_calls}, $before->{tool_calls},
              'after a restart: tool calls as before');
    is_deeply($after->{gateway_seconds}, $before->{gateway_seconds},
              'after a restart: the histogram as before');
    like($t->error_log, qr/freshdesk metrics ".*quota\.state\.metrics": \d+ counters loaded/,
         'the load is logged');
}

$t->finish;
