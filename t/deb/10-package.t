#!/usr/bin/perl

# The Debian package (make deb): lintian finds nothing; installed with
# dpkg it puts the module, its load snippet and the examples where Debian's
# nginx modules go; an nginx in a private prefix that includes
# /etc/nginx/modules-enabled loads it and serves MCP; dpkg --purge leaves
# nothing behind.  The system nginx is never started, stopped or reloaded:
# the test skips when it runs, and a policy-rc.d denies any action meanwhile.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";
use FreshdeskTest;
use File::Temp qw(tempdir);
use Test::More;

my $ROOT = $FreshdeskTest::ROOT;
my ($deb) = glob "$ROOT/build/deb/libnginx-mod-http-freshdesk_*.deb";

plan(skip_all => 'not root') if $> != 0;
plan(skip_all => 'no package: run make deb') unless $deb;
plan(skip_all => 'the system nginx runs: its reload trigger would fire')
    if `pgrep -f 'nginx: master process /usr/sbin/nginx\$'`;
plan(skip_all => 'the package is installed already: not touching it')
    if `dpkg-query -W -f='\${Status}' libnginx-mod-http-freshdesk 2>/dev/null`
       =~ /installed/;

my $pkg = 'libnginx-mod-http-freshdesk';
my $so = '/usr/lib/nginx/modules/ngx_http_freshdesk_module.so';
my $avail = '/usr/share/nginx/modules-available/mod-http-freshdesk.conf';
my $doc = "/usr/share/doc/$pkg";

# --- lintian ---------------------------------------------------------------

SKIP: {
    skip 'no lintian', 1 unless `which lintian 2>/dev/null`;
    # errors, warnings and infos: none (the one override is explained in
    # debian/libnginx-mod-http-freshdesk.lintian-overrides)
    my $out = `lintian -I --tag-display-limit 0 $deb 2>&1`;
    my @tags = grep { /^[EWI]: / } split /\n/, $out;
    is(scalar @tags, 0, 'lintian: no error, warning or info') or diag($out);
}

my $contents = `dpkg-deb -c $deb`;
like($contents, qr{\./usr/lib/nginx/modules/ngx_http_freshdesk_module\.so$}m,
     'the package holds the module');
my $fields = `dpkg-deb -f $deb Depends`;
like($fields, qr/nginx-abi-1\.22\.1-7/, 'depends on the nginx ABI');
like($fields, qr/libjansson4/, 'depends on jansson (shlibs)');
like($fields, qr/libssl3/, 'depends on OpenSSL (shlibs)');

# --- install ----------------------------------------------------------------

sub snapshot {
    return join "\n", sort map { glob "$_/*" } '/etc/nginx/modules-enabled',
        '/usr/share/nginx/modules-available', '/usr/lib/nginx/modules';
}

my $before = snapshot();

# no service action of any package while this runs
my $norc = !-e '/usr/sbin/policy-rc.d';
if ($norc) {
    open my $fh, '>', '/usr/sbin/policy-rc.d' or die;
    print $fh "#!/bin/sh\nexit 101\n";
    close $fh;
    chmod 0755, '/usr/sbin/policy-rc.d';
}

# whatever happens below, nothing of the package stays
my $installed;
END {
    if ($installed) {
        system("dpkg --purge $pkg >/dev/null 2>&1");
        unlink '/usr/sbin/policy-rc.d' if $norc;
    }
}

$installed = 1;
my $out = `dpkg -i $deb 2>&1`;
is($?, 0, 'dpkg -i') or diag($out);

ok(-f $so, 'the module is installed');
ok(-f $avail, 'its load snippet is in modules-available');
my ($link) = grep { readlink($_) // '' eq $avail }
             glob '/etc/nginx/modules-enabled/*';
ok($link, 'and enabled through modules-enabled');
like(do { local $/; open my $f, '<', $avail; <$f> // '' },
     qr{^load_module modules/ngx_http_freshdesk_module\.so;$}m,
     'the snippet loads the module');
ok(-e "$doc/examples/conf.example" || -e "$doc/examples/conf.example.gz",
   'conf.example in the documentation');
ok(-e "$doc/README.Debian" || -e "$doc/README.Debian.gz", 'README.Debian');

# --- an nginx of our own, through /etc/nginx/modules-enabled ---------------

my $t = FreshdeskTest->new;
my $d = $t->dir;
my $port = $t->port('http');

# the layout of the packaged nginx's prefix: modules/ is the modules
# directory, which the load snippets name relative to the prefix
symlink '/usr/lib/nginx/modules', "$d/modules" or die "symlink: $!\n";

$t->write_conf(<<"CONF");
include /etc/nginx/modules-enabled/*.conf;
pid $d/nginx.pid;
error_log $d/logs/error.log info;
worker_processes 1;
user nobody nogroup;
events { worker_connections 64; }
http {
@{[ $t->http_globals ]}
    freshdesk_quota_zone fd:1m;
    server {
        listen 127.0.0.1:$port;
        location = /mcp {
            freshdesk_mcp;
            freshdesk_tenant packaged;
            freshdesk_api_key unused;
            freshdesk_quota fd;
        }
    }
}
CONF
my ($ok, $msg) = $t->test_conf;
ok($ok, 'nginx -t with the packaged module') or diag($msg);

$t->run;
my ($res) = $t->mcp({ jsonrpc => '2.0', id => 1, method => 'tools/list' });
ok(@{$res->{json}{result}{tools} // []} > 60,
   'the packaged module serves tools/list');
$t->check_log;

# --- remove, purge ----------------------------------------------------------

$out = `dpkg -r $pkg 2>&1`;
is($?, 0, 'dpkg -r') or diag($out);
ok(!-e $so, 'removed: the module is gone');

$out = `dpkg --purge $pkg 2>&1`;
is($?, 0, 'dpkg --purge') or diag($out);
is(snapshot(), $before, 'purged: modules-enabled, modules-available and '
                        . 'the modules directory as before');
ok(!-e $doc, 'purged: no documentation left');
unlike(`dpkg-query -W -f='\${Status}' $pkg 2>&1`, qr/installed/,
       'dpkg knows it no more');

unlink '/usr/sbin/policy-rc.d' if $norc;
$installed = 0;

done_testing();
