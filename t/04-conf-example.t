#!/usr/bin/perl

# conf.example is complete and works: with only its paths, ports, the
# Freshdesk host and the API keys replaced for this sandbox, nginx accepts
# it and serves MCP over TLS + HTTP/2 against a TLS Freshdesk (the fake,
# with its own CA), quotas, scoping and the status page included.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use Test::More;

plan(skip_all => 'openssl or curl missing')
    unless `which openssl curl 2>/dev/null` =~ /curl/;

my $t = FreshdeskTest->new;
my $d = $t->dir;

$t->make_certs(names => ['mcp.example.com', 'acme.freshdesk.com']);

$t->start_fake('--tls-cert', "$d/server.crt", '--tls-key', "$d/server.key");

my $port = $t->port('http');
my $fake = $t->port('fake');

open my $in, '<', "$FreshdeskTest::ROOT/conf.example" or die;
my $conf = do { local $/; <$in> };

my %subst = (
    'load_module modules/ngx_http_freshdesk_module.so;'
        => "load_module $t->{module};",
    'worker_processes auto;' => "worker_processes 2;\nuser nobody nogroup;",
    '/var/log/nginx/' => "$d/logs/",
    '/run/nginx.pid' => "$d/nginx.pid",
    '/var/lib/nginx/freshdesk/quota.state' => "$d/logs/quota.state",
    '/etc/nginx/tls/mcp.example.com.fullchain.pem' => "$d/server.crt",
    '/etc/nginx/tls/mcp.example.com.key' => "$d/server.key",
    '/etc/ssl/certs/ca-certificates.crt' => "$d/ca.crt",
    'listen 443 ssl http2;' => "listen 127.0.0.1:$port ssl http2;",
    'listen [::]:443 ssl http2;' => '',
    'server acme.freshdesk.com:443;' => "server 127.0.0.1:$fake;",
    '"REPLACE-WITH-SUPPORT-AGENT-API-KEY"' => 'fd-test-key',
    '"REPLACE-WITH-BILLING-AGENT-API-KEY"' => 'fd-test-key',
);

for my $k (keys %subst) {
    my $n = ($conf =~ s/\Q$k\E/$subst{$k}/g);
    ok($n, "conf.example has \"$k\"");
}

# the temp paths of this sandbox (the packaged ones are root-only here)
$conf =~ s/^http \{/http {\n    client_body_temp_path $d\/tmp\/body;\n    proxy_temp_path $d\/tmp\/proxy;\n    fastcgi_temp_path $d\/tmp\/f;\n    uwsgi_temp_path $d\/tmp\/u;\n    scgi_temp_path $d\/tmp\/s;/m;

$t->write_conf($conf);

my ($ok, $out) = $t->test_conf;
ok($ok, 'nginx -t accepts conf.example') or diag($out);

$t->run;

sub curl {
    my ($path, $token, $body) = @_;
    my $res = `curl -s --http2 --cacert $d/ca.crt \\
        --resolve mcp.example.com:$port:127.0.0.1 -w '\\n%{http_code}' \\
        -H 'Content-Type: application/json' -H 'Authorization: Bearer $token' \\
        @{[ defined $body ? "--data-binary '$body'" : '' ]} \\
        https://mcp.example.com:$port$path`;
    my ($json, $status) = $res =~ /^(.*)\n(\d+)$/s;
    return ($status // 0, eval { FreshdeskTest::json()->decode($json) });
}

my $support = '3f9c0e5d1a7b4c28a9e6f1d2b7c4e8a0';
my $billing = '8b1d7e2c4f6a4e09b3c5d8f1a2e7c6b4';

my ($status, $res) = curl('/mcp', $support,
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_ticket","arguments":{"ticket_id":1}}}');
is($status, 200, 'TLS edge: 200');
is($res->{result}{structuredContent}{subject}, 'Printer on fire',
   'tools/call through the verified TLS upstream');

($status, $res) = curl('/mcp', $billing,
    '{"jsonrpc":"2.0","id":2,"method":"tools/list"}');
my @tools = @{$res->{result}{tools} // []};
ok(@tools > 10, 'billing tenant sees tools');
ok(!grep({ !$_->{annotations}{readOnlyHint} && $_->{name} ne 'freshdesk_request' } @tools),
   'billing tenant is read_only');

($status, $res) = curl('/mcp', $support,
    '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"delete_ticket","arguments":{"ticket_id":1}}}');
is($res->{error}{code}, -32602, 'support tenant: delete_* hidden');

($status, $res) = curl('/mcp', 'nope', '{"jsonrpc":"2.0","id":4,"method":"ping"}');
is($status, 401, 'unknown token: 401');

my $big = '{"jsonrpc":"2.0","id":5,"method":"ping","params":{"_meta":{"p":"'
          . ('x' x (3 * 1024 * 1024)) . '"}}}';
open my $bf, '>', "$d/big.json";
print $bf $big;
close $bf;
my $r = `curl -s --cacert $d/ca.crt --resolve mcp.example.com:$port:127.0.0.1 \\
    -H 'Content-Type: application/json' -H 'Authorization: Bearer $support' \\
    --data-binary \@$d/big.json -w '\\n%{http_code} %{content_type}' \\
    https://mcp.example.com:$port/mcp`;
like($r, qr/"Request body too large".*\n413 application\/json$/s,
     'over client_max_body_size: JSON 413 from the error_page');

my $audit = do { local $/; open my $f, '<', "$d/logs/freshdesk-audit.log"; <$f> } // '';
like($audit, qr/"tenant":"acme-support","rpc":"tools\/call","tool":"get_ticket","status":200,"upstream_status":"200","upstream_time":"\d+\.\d{3}","upstream_tries":"1","quota":"passed"/,
     'JSON audit log line');
unlike($audit, qr/fd-test-key/, 'no key in the audit log');

$t->finish;
