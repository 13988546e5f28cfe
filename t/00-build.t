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

$t->finish;
