#!/usr/bin/perl

# conf.cluster.example is complete and works: two nodes made from it (only
# paths, ports, hosts and secrets replaced for this sandbox) share one
# budget through a private Redis with an ACL user and a password file.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use Test::More;

plan(skip_all => 'openssl, curl or redis-server missing')
    unless `which openssl curl redis-server 2>/dev/null` =~ /redis-server/;

my $main = FreshdeskTest->new;
my $d = $main->dir;

$main->make_certs(names => ['mcp.example.com', 'acme.freshdesk.com']);
$main->start_fake('--tls-cert', "$d/server.crt", '--tls-key',
                  "$d/server.key");
$main->start_redis('--user', 'default', 'off', '--user', 'freshdesk-gw',
                   'on', '>cluster-redis-pass', '~*', '&*', '+@all');
$main->{redis_auth} = ['--user', 'freshdesk-gw', '--pass',
                       'cluster-redis-pass', '--no-auth-warning'];

open my $pf, '>', "$d/redis.pass" or die;
print $pf "cluster-redis-pass\n";
close $pf;
chmod 0644, "$d/redis.pass";

open my $in, '<', "$FreshdeskTest::ROOT/conf.cluster.example" or die;
my $example = do { local $/; <$in> };

my @nodes;

for my $i (1, 2) {
    my $t = $i == 1 ? $main : FreshdeskTest->new;
    my $td = $t->dir;
    my $port = $t->port('http');
    my $conf = $example;

    my %subst = (
        'load_module modules/ngx_http_freshdesk_module.so;'
            => "load_module $t->{module};",
        'worker_processes auto;'
            => "worker_processes 2;\nuser nobody nogroup;",
        '/var/log/nginx/' => "$td/logs/",
        '/run/nginx.pid' => "$td/nginx.pid",
        '/var/lib/nginx/freshdesk/quota.state' => "$td/logs/quota.state",
        '/etc/nginx/tls/mcp.example.com.fullchain.pem' => "$d/server.crt",
        '/etc/nginx/tls/mcp.example.com.key' => "$d/server.key",
        '/etc/ssl/certs/ca-certificates.crt' => "$d/ca.crt",
        'listen 443 ssl http2;' => "listen 127.0.0.1:$port ssl http2;",
        'server acme.freshdesk.com:443;'
            => 'server 127.0.0.1:' . $main->port('fake') . ';',
        '10.0.0.5:6379' => '127.0.0.1:' . $main->port('redis'),
        '/etc/nginx/freshdesk/redis.pass' => "$d/redis.pass",
        '"REPLACE-WITH-SUPPORT-AGENT-API-KEY"' => 'fd-test-key',
    );

    for my $k (sort keys %subst) {
        my $n = ($conf =~ s/\Q$k\E/$subst{$k}/g);
        ok($n, "node $i: conf.cluster.example has \"$k\"") if $i == 1;
    }

    $conf =~ s/^http \{/http {\n    client_body_temp_path $td\/tmp\/body;\n    proxy_temp_path $td\/tmp\/proxy;\n    fastcgi_temp_path $td\/tmp\/f;\n    uwsgi_temp_path $td\/tmp\/u;\n    scgi_temp_path $td\/tmp\/s;/m;

    $t->write_conf($conf);

    my ($ok, $out) = $t->test_conf;
    ok($ok, "node $i: nginx -t accepts conf.cluster.example") or diag($out);

    $t->run;
    push @nodes, $t;
}

my @t = gmtime;
my $month = sprintf '%04d%02d', $t[5] + 1900, $t[4] + 1;

for my $i (0, 1, 0, 1) {
    my $port = $nodes[$i]->port('http');
    my $out = `curl -s --cacert $d/ca.crt --resolve mcp.example.com:$port:127.0.0.1 \\
        -H 'Content-Type: application/json' -H 'Accept: application/json' \\
        -H 'Authorization: Bearer 3f9c0e5d1a7b4c28a9e6f1d2b7c4e8a0' \\
        -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_ticket","arguments":{"ticket_id":1}}}' \\
        -D - https://mcp.example.com:$port/mcp`;
    like($out, qr/"structuredContent":\{"id":1,/, 'a call through node '
                                                  . ($i + 1));
}

is($main->redis('GET', "freshdesk:{acme-support}:m:$month"), '4',
   'Redis counts the calls of both nodes');

# the minute window too: a call decided locally (a slow first command)
# reaches it when Redis is back, with the node's next take or sweep
my %w = split /\n/, $main->redis('HGETALL', 'freshdesk:{acme-support}:w');
my $in_window = 0;
$in_window += $_ for values %w;
is($in_window, 4, 'Redis\'s minute window holds the 4 calls');

my $port = $nodes[1]->port('http');
my $st = `curl -s --cacert $d/ca.crt --resolve mcp.example.com:$port:127.0.0.1 https://mcp.example.com:$port/freshdesk/status`;
like($st, qr/"backend":"redis"/, 'status: on Redis');
like($st, qr/"tenant":"acme-support","calls_window":4,/,
     'status of node 2: the cluster\'s 4 calls');
unlike($st, qr/cluster-redis-pass/, 'status: no password');

$nodes[1]->check_log;
$main->finish;
