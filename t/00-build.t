#!/usr/bin/perl

# The module under test loads into the packaged nginx; under test-asan the
# sanitizer runtime really is in the worker processes.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use Test::More;

my $t = FreshdeskTest->new;
ok(-f $t->{module}, "module built: $t->{module}");

$t->start_fake->standard_conf;
my ($ok, $out) = $t->test_conf;
ok($ok, 'nginx -t accepts the test configuration') or diag($out);

$t->run;
my @w = $t->worker_pids;
ok(@w >= 1, 'workers running');

my $maps = do { local $/; open my $f, '<', "/proc/$w[0]/maps"; <$f> } // '';
like($maps, qr/\Q$t->{module}\E/, 'the worker mapped this module');

if ($ENV{FRESHDESK_PRELOAD}) {
    like($maps, qr/libasan/, 'AddressSanitizer runtime loaded in the worker');
    like($maps, qr/libubsan/, 'UBSan runtime loaded in the worker');
    my $sym = `nm -D $t->{module} 2>/dev/null`;
    like($sym, qr/__asan_/, 'the module is instrumented');
}

# a configuration error is reported, not crashed on
$t->allow_log(qr/\[emerg\].*(needs "freshdesk_tenant"|too small|at least 16)/);
$t->write_conf($t->main_block . "http { server { location / { freshdesk_mcp; } } }\n");
($ok, $out) = $t->test_conf;
ok(!$ok, 'freshdesk_mcp without a tenant is refused by nginx -t');
like($out, qr/"freshdesk_mcp" needs "freshdesk_tenant"/, 'with a clear message');

$t->write_conf($t->main_block . "http { freshdesk_quota_zone z:1k; }\n");
($ok, $out) = $t->test_conf;
like($out, qr/zone "z:1k" is too small/, 'a tiny zone is refused');

$t->write_conf($t->main_block . "http { freshdesk_cursor_key short; }\n");
($ok, $out) = $t->test_conf;
like($out, qr/at least 16 characters/, 'a short cursor key is refused');

# the quota directives: an unknown zone, a zone of another kind, bad
# parameters, each named in the message
$t->allow_log(qr/\[emerg\]/);
my $http = $t->http_globals;
my @bad = (
    ['freshdesk_quota nosuchzone;',
     qr/"freshdesk_quota" names zone "nosuchzone", but no "freshdesk_quota_zone nosuchzone:size" is declared in \S+nginx\.conf:\d+/,
     'a freshdesk_quota naming no declared zone'],
    ['freshdesk_quota freshdesk_metrics;',
     qr/names zone "freshdesk_metrics", which is not a freshdesk_quota_zone/,
     'a freshdesk_quota naming the metrics zone'],
    ['freshdesk_quota_zone freshdesk_metrics:1m;',
     qr/duplicate zone "freshdesk_metrics": the module keeps its metrics/,
     'a quota zone named like the metrics zone'],
    ['freshdesk_quota_zone q:1m calls=lots;',
     qr/invalid parameter "calls=lots"/, 'calls= not a number'],
    ['freshdesk_quota_zone q:1m state_interval=10ms;',
     qr/invalid parameter "state_interval=10ms"/, 'state_interval too short'],
    ['freshdesk_quota_zone q:1m hello=1;',
     qr/invalid parameter "hello=1"/, 'an unknown zone parameter'],
    ['freshdesk_quota_zone calls=5;',
     qr/must have a "name:size" parameter first, not "calls=5"/,
     'a zone without its name'],
    ['freshdesk_quota_zone q:1m; freshdesk_quota_redis q 127.0.0.1:6379 fail=sometimes;',
     qr/invalid parameter "fail=sometimes"/, 'a Redis fail= of no kind'],
    ['freshdesk_quota_zone q:1m; freshdesk_quota_redis q 127.0.0.1:6379 connections=65;',
     qr/invalid parameter "connections=65"/, 'too many Redis connections'],
    ['freshdesk_quota_zone q:1m; freshdesk_quota_redis q 127.0.0.1:6379 local_share=0%;',
     qr/invalid parameter "local_share=0%"/, 'a local share of 0%'],
    ['freshdesk_quota_redis nozone 127.0.0.1:6379;',
     qr/no freshdesk_quota_zone "nozone" before this directive/,
     'Redis for a zone not declared'],
);
for my $b (@bad) {
    $t->write_conf($t->main_block . "http {\n$http\n    $b->[0]\n"
                   . "    server { listen 127.0.0.1:1; location / { } }\n}\n");
    ($ok, $out) = $t->test_conf;
    ok(!$ok, "nginx -t refuses $b->[2]");
    like($out, $b->[1], "$b->[2]: the message names it") or diag($out);
}

# and a good one passes, so that the refusals above are not the test's own
$t->write_conf($t->main_block . "http {\n$http\n"
    . "    freshdesk_quota_zone q:1m calls=10/m actions=100/month;\n"
    . "    freshdesk_quota_redis q 127.0.0.1:6379 fail=closed connections=3 local_share=50% timeout=20ms;\n"
    . "    server { listen 127.0.0.1:1; location / { freshdesk_quota q; } }\n}\n");
($ok, $out) = $t->test_conf;
ok($ok, 'nginx -t accepts good quota parameters') or diag($out);

$t->finish;
