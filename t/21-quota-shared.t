#!/usr/bin/perl

# Quotas across worker processes: exactly the limit admitted under
# concurrent load, tenants independent; a full zone refuses loudly and
# forgets nobody's monthly usage.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use POSIX qw(_exit);
use Test::More;

my $t = FreshdeskTest->new(workers => 2);

$t->start_fake->standard_conf(
    http => q{
    freshdesk_quota_zone fd:1m calls=20/m actions=100000/month;
    freshdesk_quota_zone tiny:32k calls=1000/m actions=100000/month;
    },
    mcp => 'freshdesk_quota fd;',
    server => 'location = /tiny/mcp {
            freshdesk_mcp;
            freshdesk_tenant $http_x_tenant;
            freshdesk_api_key fd-test-key;
            freshdesk_quota tiny;
        }
        location = /freshdesk/status {
            freshdesk_status;
        }',
)->allow_log(qr/\[crit\].*quota zone "tiny" is full/)->run;

# both workers must be up and answering
my @workers = $t->worker_pids(2);
is(scalar @workers, 2, 'two worker processes');

# --- 8 clients x 10 calls for each of two tenants, all at once ---------

$t->fake_clear;

my $dir = $t->dir;
my @kids;

for my $c (1 .. 16) {
    my $pid = fork() // die "fork: $!";
    if ($pid == 0) {
        my $token = $c % 2 ? $FreshdeskTest::TOKEN : $FreshdeskTest::TOKEN2;
        my ($ok, $refused) = (0, 0);
        for (1 .. 10) {
            my ($r, $res) = $t->call_tool('get_ticket', { ticket_id => 1 },
                                          headers => { Authorization => $token });
            if ($res && !$res->{isError}) { $ok++ }
            elsif ($res && FreshdeskTest::tool_text($res) =~ /Rate limit/) {
                $refused++
            }
        }
        open my $f, '>', "$dir/kid.$c";
        print $f "$ok $refused\n";
        close $f;
        _exit(0);
    }
    push @kids, $pid;
}
waitpid($_, 0) for @kids;

my %tot = (1 => [0, 0], 0 => [0, 0]);
for my $c (1 .. 16) {
    open my $f, '<', "$dir/kid.$c" or next;
    my ($ok, $refused) = split ' ', <$f>;
    $tot{$c % 2}[0] += $ok;
    $tot{$c % 2}[1] += $refused;
}

is($tot{1}[0], 20, 'acme: exactly 20 of 80 concurrent calls admitted');
is($tot{1}[1], 60, 'acme: the other 60 refused');
is($tot{0}[0], 20, 'globex: exactly 20 admitted, unaffected by acme');
is($tot{0}[1], 60, 'globex: 60 refused');
is($t->fake_count, 40, 'Freshdesk received exactly 40 requests');

# --- a full zone -------------------------------------------------------

my ($first_refused, $n);
for $n (1 .. 2000) {
    my ($r, $res) = $t->call_tool('get_ticket', { ticket_id => 1 },
                                  path => '/tiny/mcp',
                                  headers => { 'X-Tenant' => "tenant-$n" });
    if ($res->{isError}) {
        $first_refused = $n;
        like(FreshdeskTest::tool_text($res), qr/quota zone full/,
             'full zone: clear refusal');
        like($r->{headers}{'retry-after'} // '', qr/^\d+$/,
             'full zone: Retry-After');
        last;
    }
}

ok($first_refused && $first_refused > 20,
   "zone held " . (($first_refused // 1) - 1) . " tenants before refusing");
like($t->error_log, qr/\[crit\].*quota zone "tiny" is full, call of tenant "tenant-$first_refused" refused/,
     'full zone: [crit] in error.log');

# nobody stored was forgotten: every admitted tenant still has its action
my $st = $t->http_request(path => '/freshdesk/status');
my ($tiny) = grep { $_->{name} eq 'tiny' } @{$st->{json}{zones}};
my %act = map { $_->{tenant} => $_->{actions_month} } @{$tiny->{tenants}};
my $kept = grep { ($act{"tenant-$_"} // 0) == 1 } 1 .. $first_refused - 1;
is($kept, $first_refused - 1, 'every stored tenant keeps its monthly count');

# known tenants still work when the zone is full
my ($r, $res) = $t->call_tool('get_ticket', { ticket_id => 1 },
                              path => '/tiny/mcp',
                              headers => { 'X-Tenant' => 'tenant-1' });
ok(!$res->{isError}, 'a stored tenant is still served');

$t->check_log;

# --- capacity: 60,000 tenants with monthly usage in a 10m zone ---------

my $t2 = FreshdeskTest->new;
my $d2 = $t2->dir;
my @gm = gmtime;
open my $sf, '>', "$d2/logs/big.state" or die;
printf $sf "freshdesk-quota 1\nmonth %04d%02d\n", $gm[5] + 1900, $gm[4] + 1;
printf $sf "%s 7 0\n", unpack('H*', sprintf('tenant-%05d', $_)) for 1 .. 60000;
close $sf;

$t2->start_fake->standard_conf(
    http => "freshdesk_quota_zone big:10m state=$d2/logs/big.state;",
    mcp => 'freshdesk_quota big;',
)->run;

like($t2->error_log, qr/quota state ".*big.state": 60000 tenants loaded/,
     'a 10m zone holds 60,000 tenants with monthly usage');
unlike($t2->error_log, qr/too small/, 'without running out of memory');

$t2->finish;
