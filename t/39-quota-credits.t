#!/usr/bin/perl

# Monthly actions in Freshdesk credits (freshdesk_quota_zone charge=credits):
# a call Freshdesk charges 3 credits for (include=requester) costs the
# tenant's month 3 actions, where the default (charge=requests) counts 1.
# Seen in RateLimit, $freshdesk_actions_remaining and the status page.
# Bad values and the Redis combination are refused by nginx -t.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use Test::More;

my $t = FreshdeskTest->new;
my $d = $t->dir;

$t->start_fake('--account-rate', '1000')->standard_conf(
    http => q{
    freshdesk_quota_zone req:1m calls=1000/m actions=100/month;
    freshdesk_quota_zone cred:1m calls=1000/m actions=100/month
                         charge=credits;
    log_format credits '$freshdesk_tenant $freshdesk_quota_result '
                       'left=$freshdesk_actions_remaining';
    },
    mcp => 'freshdesk_quota req;',
    server => 'location = /credits/mcp {
            freshdesk_mcp;
            freshdesk_tenant acme;
            freshdesk_api_key fd-test-key;
            freshdesk_quota cred;
            access_log ' . "$d/logs/credits.log" . ' credits;
        }
        location = /guarded/mcp {
            freshdesk_mcp;
            freshdesk_tenant globex;
            freshdesk_api_key fd-test-key;
            freshdesk_quota cred;
            freshdesk_account_guard account=one plan=pro;
        }
        location = /status { freshdesk_status; }',
)->run;

sub actions_r {
    my ($res) = @_;
    my ($r) = ($res->{headers}{ratelimit} // '') =~ /"actions";r=(\d+)/;
    return $r;
}

sub month_of {
    my ($zone, $tenant) = @_;
    my $s = $t->http_request(method => 'GET', path => '/status');
    for my $z (@{ $s->{json}{zones} // [] }) {
        next unless $z->{name} eq $zone;
        for my $x (@{ $z->{tenants} // [] }) {
            return $x->{actions_month} if $x->{tenant} eq $tenant;
        }
    }
    return undef;
}

sub embed {
    my ($path) = @_;
    return $t->call_tool('list_tickets', { include => ['requester'] },
                         path => $path);
}

sub ok_call { my ($r, $x) = @_; return $r->{status} == 200 && $x && !$x->{isError} }

# --- default: one action a request, whatever Freshdesk charged ---------------

$t->control('POST', 'reset');
my ($r, $x) = embed('/mcp');
ok(ok_call($r, $x), 'a list with include=requester');
is($t->control('GET', 'stats')->{credits_used}, 3, 'Freshdesk charged 3 credits');
is(actions_r($r), 99, 'charge=requests (default): 1 action of 100');
is(month_of('req', 'acme'), 1, 'status: 1 action this month');

# --- charge=credits: the credits Freshdesk said --------------------------------

($r, $x) = embed('/credits/mcp');
ok(ok_call($r, $x), 'the same call, zone with charge=credits');
is(actions_r($r), 97, 'charge=credits: 3 actions of 100 (RateLimit)');
is(month_of('cred', 'acme'), 3, 'status: 3 actions this month');

($r, $x) = $t->call_tool('get_ticket', { ticket_id => 1 }, path => '/credits/mcp');
ok(ok_call($r, $x), 'a call without embeds');
is(actions_r($r), 96, 'costs 1 credit, 1 action');
is(month_of('cred', 'acme'), 4, 'status: 4 actions this month');

my $log = '';
for (1 .. 50) {
    $log = $t->access_log_file("$d/logs/credits.log");
    last if ($log =~ tr/\n//) >= 2;
    select(undef, undef, undef, 0.1);
}
like($log, qr/^acme passed left=97$/m, '$freshdesk_actions_remaining after the embed');
like($log, qr/^acme passed left=96$/m, 'and after the plain call');

# --- with the account guard too ---------------------------------------------------

($r, $x) = embed('/guarded/mcp');
ok(ok_call($r, $x), 'a guarded call with an embed');
is(actions_r($r), 97, 'guarded, charge=credits: 3 actions');
is(month_of('cred', 'globex'), 3, 'status: 3 actions for globex');

# --- the month's limit: the last call is charged in full ------------------------------

for (1 .. 40) {
    ($r, $x) = embed('/credits/mcp');
    last unless ok_call($r, $x);
}
like(FreshdeskTest::tool_text($x), qr/Monthly quota reached: 100 actions/,
     'the month ends in credits');
my $m = month_of('cred', 'acme');
ok($m >= 100 && $m <= 102, "the month counts what Freshdesk charged ($m)");

# --- nginx -t ------------------------------------------------------------------------

$t->allow_log(qr/\[emerg\]/);
my $http = $t->http_globals;
for my $bad (
    ['charge=tokens', '', qr/invalid parameter "charge=tokens"/],
    ['charge=', '', qr/invalid parameter "charge="/],
    ['charge=Credits', '', qr/invalid parameter "charge=Credits"/],
    ['charge=credits', 'freshdesk_quota_redis fd 127.0.0.1:1;',
     qr/freshdesk_quota_zone "fd" has "charge=credits", which counts in this node's shared memory only: it cannot be used with "freshdesk_quota_redis"/],
) {
    my $t2 = FreshdeskTest->new;
    $t2->write_conf($t->main_block . "http {\n$http\n"
        . " freshdesk_quota_zone fd:1m $bad->[0];\n $bad->[1]\n"
        . " server { listen 127.0.0.1:1; location /mcp { freshdesk_mcp; "
        . "freshdesk_tenant x; freshdesk_api_key k; freshdesk_quota fd; } }\n}\n");
    my ($good, $out) = $t2->test_conf;
    ok(!$good, "nginx -t refuses $bad->[0] $bad->[1]");
    like($out, $bad->[2], '... naming it') or diag($out);
}

my $t3 = FreshdeskTest->new;
$t3->write_conf($t->main_block . "http {\n$http\n"
    . " freshdesk_quota_zone fd:1m charge=requests;\n"
    . " freshdesk_quota_zone fd2:1m charge=credits;\n"
    . " server { listen 127.0.0.1:1; location /mcp { freshdesk_mcp; "
    . "freshdesk_tenant x; freshdesk_api_key k; freshdesk_quota fd; } }\n}\n");
my ($good3, $out3) = $t3->test_conf;
ok($good3, 'charge=requests and charge=credits are accepted') or diag($out3);

$t->finish;
