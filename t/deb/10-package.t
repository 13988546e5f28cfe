#!/usr/bin/perl

# The Debian package (make deb): lintian finds nothing; installed with
# dpkg it puts the module, its load snippet and the examples where Debian's
# nginx modules go, and makes /var/lib/nginx/freshdesk for the quota state,
# owned by www-data; an nginx in a private prefix that includes
# /etc/nginx/modules-enabled loads it, serves MCP with its workers as
# www-data (the stock nginx.conf's user) and saves the monthly counts in
# /var/lib/nginx/freshdesk; a state file in root's /var/lib/nginx is
# reported at start; dpkg --purge leaves nothing behind.  The system nginx
# is never started, stopped or reloaded: the test skips when it runs, and a
# policy-rc.d denies any action meanwhile.

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
my $state_dir = '/var/lib/nginx/freshdesk';
my $root_only = '/var/lib/nginx/freshdesk-quota.state';
my ($www_uid, $www_gid) = (getpwnam('www-data'))[2, 3];

plan(skip_all => 'no www-data user') unless defined $www_uid;
plan(skip_all => "$state_dir exists already: not touching it")
    if -e $state_dir;
plan(skip_all => "$root_only exists: not touching it") if -e $root_only;

# --- lintian ---------------------------------------------------------------

SKIP: {
    skip 'no lintian', 1 unless `which lintian 2>/dev/null`;
    # errors, warnings and infos: none (the one override is explained in
    # debian/libnginx-mod-http-freshdesk.lintian-overrides)
    my $out = `lintian -I --tag-display-limit 0 $deb 2>&1`;
    my @tags = grep { /^[EWI]: / } split /\n/, $out;

    # lintian reads spelling errors from strings(1) of the whole file, so
    # four bytes of machine code such as "\twtH" (09 77 74 48: cmp $9,%dl;
    # ja) pass for a misspelled word.  Such a tag counts only when the word
    # is in the module's data, where its messages are.
    my $x = tempdir(CLEANUP => 1);
    system("dpkg-deb -x $deb $x/root && objcopy -O binary"
           . " --only-section=.rodata --only-section=.data"
           . " --only-section=.data.rel.ro $x/root$so $x/data") == 0
        or die "cannot extract the module's data sections";
    my $data = do { local (@ARGV, $/) = "$x/data"; <> };
    my @code = grep {
        /spelling-error-in-binary (\S+) / && index($data, $1) < 0
    } @tags;
    my %code = map { $_ => 1 } @code;
    @tags = grep { !$code{$_} } @tags;
    diag("machine code, not a message: $_") for @code;
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
my ($installed, $override);
END {
    system("dpkg-statoverride --remove /var/lib/nginx/freshdesk") if $override;
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

my @st = stat $state_dir;
ok(-d _, "$state_dir made at install");
is($st[4], $www_uid, 'owned by www-data');
is($st[5], $www_gid, 'group www-data');
is(sprintf('%04o', $st[2] & 07777), '0750', 'mode 0750');

# installed again (as an upgrade is): the same, and no error
$out = `dpkg -i $deb 2>&1`;
is($?, 0, 'dpkg -i again') or diag($out);
@st = stat $state_dir;
ok(-d _ && $st[4] == $www_uid && ($st[2] & 07777) == 0750,
   'again: the directory as it was');

# an administrator's dpkg-statoverride wins, and only while it is there
my $nobody = getpwnam('nobody');
system("dpkg-statoverride --add nobody nogroup 0700 $state_dir") == 0
    or die "dpkg-statoverride --add failed\n";
$override = 1;
$out = `dpkg -i $deb 2>&1`;
@st = stat $state_dir;
ok(!$? && $st[4] == $nobody && ($st[2] & 07777) == 0700,
   'a statoverride of the directory is applied') or diag($out);
system("dpkg-statoverride --remove $state_dir");
$override = 0;
$out = `dpkg -i $deb 2>&1`;
@st = stat $state_dir;
ok(!$? && $st[4] == $www_uid && ($st[2] & 07777) == 0750,
   'without it, www-data 0750 again') or diag($out);

# --- an nginx of our own, through /etc/nginx/modules-enabled ---------------

my $t = FreshdeskTest->new;
my $d = $t->dir;
my $port = $t->port('http');

# the layout of the packaged nginx's prefix: modules/ is the modules
# directory, which the load snippets name relative to the prefix
symlink '/usr/lib/nginx/modules', "$d/modules" or die "symlink: $!\n";

# the workers as the stock /etc/nginx/nginx.conf has them: "user www-data;"
sub packaged_conf {
    my ($state) = @_;
    return <<"CONF";
include /etc/nginx/modules-enabled/*.conf;
pid $d/nginx.pid;
error_log $d/logs/error.log info;
worker_processes 1;
user www-data;
events { worker_connections 64; }
http {
@{[ $t->http_globals ]}
    freshdesk_quota_zone fd:1m calls=100/m actions=1000/month
                         state=$state state_interval=1s;
    server {
        listen 127.0.0.1:$port;
        location = /mcp {
            freshdesk_mcp;
            freshdesk_tenant packaged;
            freshdesk_api_key fd-test-key;
            freshdesk_quota fd;
        }
@{[ $t->upstream_location ]}
    }
}
CONF
}

my $state = "$state_dir/quota.state";
$t->start_fake;
$t->write_conf(packaged_conf($state));
my ($ok, $msg) = $t->test_conf;
ok($ok, 'nginx -t with the packaged module') or diag($msg);
unlike($msg, qr/cannot be written/, 'nginx -t: the state directory is fine');

$t->run;
my ($res) = $t->mcp({ jsonrpc => '2.0', id => 1, method => 'tools/list' });
ok(@{$res->{json}{result}{tools} // []} > 60,
   'the packaged module serves tools/list');

# a counted tool call; the state file is written within state_interval
my ($r, $result) = $t->call_tool('get_ticket', { ticket_id => 1 });
ok($result && !$result->{isError}, 'a tool call through the packaged module')
    or diag($r->{raw});
like($r->{headers}{ratelimit} // '', qr/"actions";r=999/, 'and it counted');

my $saved = '';
for (1 .. 100) {
    my $f;
    $saved = open($f, '<', $state) ? do { local $/; <$f> } : '';
    last if $saved =~ /^7061636b61676564 1 /m;    # hex "packaged"
    select undef, undef, undef, 0.1;
}
like($saved, qr/^freshdesk-quota 1\nmonth \d{6}\n/, 'state file written '
     . "in $state_dir by the workers");
like($saved, qr/^7061636b61676564 1 \d+$/m, 'with the monthly count');
@st = stat $state;
is($st[4], $www_uid, 'the state file is owned by www-data');
ok(($st[2] & 0600) == 0600, 'and readable and writable by it');
ok(!-e "$state.tmp", 'no temp file left');
unlike($t->error_log, qr/cannot be written|not saved/,
       'no state error in error.log');
$t->stop;

# restarted, the count is still there (read by the master, root)
$t->run;
($r, $result) = $t->call_tool('get_ticket', { ticket_id => 1 });
like($r->{headers}{ratelimit} // '', qr/"actions";r=998/,
     'restart: the monthly count survived');
$t->stop;

# --- a state file in root's /var/lib/nginx: an error at start ---------------

$t->write_conf(packaged_conf($root_only));
($ok, $msg) = $t->test_conf;
my $denied = qr/freshdesk_quota_zone "fd": state file "\Q$root_only\E" cannot be written by the worker user "www-data" \(directory "\/var\/lib\/nginx" is owned by root:root, mode \d{4}\); monthly counts will not survive a restart/;
ok($ok, 'root-only state directory: nginx -t passes');
like($msg, $denied, 'and names the file, the worker user and the directory');

$t->run;
like($t->error_log, qr/\[error\].*$denied/,
     'root-only state directory: the error at start is in error.log');
($r, $result) = $t->call_tool('get_ticket', { ticket_id => 1 });
ok($result && !$result->{isError}, 'and the gateway serves');
$t->check_log;
ok(!-e $root_only, 'nothing written in /var/lib/nginx');
unlink $root_only;

# --- remove, purge ----------------------------------------------------------

$out = `dpkg -r $pkg 2>&1`;
is($?, 0, 'dpkg -r') or diag($out);
ok(!-e $so, 'removed: the module is gone');
ok(-e $state, 'removed, not purged: the saved counts stay');

$out = `dpkg --purge $pkg 2>&1`;
is($?, 0, 'dpkg --purge') or diag($out);
is(snapshot(), $before, 'purged: modules-enabled, modules-available and '
                        . 'the modules directory as before');
ok(!-e $doc, 'purged: no documentation left');
ok(!-e $state_dir, "purged: $state_dir is gone");
unlike(`dpkg-query -W -f='\${Status}' $pkg 2>&1`, qr/installed/,
       'dpkg knows it no more');

unlink '/usr/sbin/policy-rc.d' if $norc;
$installed = 0;

done_testing();
