#!/usr/bin/perl

# TLS on both sides: an HTTP/2 TLS listener for the agents, and Freshdesk
# behind TLS with its own test CA and proxy_ssl_verify on.  A wrong CA or
# a wrong name is a clear isError result, never a crash.

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

# certificates made now: a CA that signed a server certificate used on
# both sides, and a second CA that signed nothing we use
$t->make_certs(cas => ['ca', 'other-ca'],
               names => ['localhost', 'acme.freshdesk.com', '127.0.0.1']);

$t->start_fake('--tls-cert', "$d/server.crt", '--tls-key', "$d/server.key");

my $tls = $t->port('tls');

sub tls_location {
    my ($name, $ca, $sni) = @_;
    return qq{
        location = /$name/mcp {
            freshdesk_mcp;
            freshdesk_tenant \$fd_tenant;
            freshdesk_api_key \$fd_api_key;
            freshdesk_upstream /_$name;
        }
} . $t->upstream_location(prefix => "/_$name", scheme => 'https',
                          extra => "proxy_ssl_server_name on;
            proxy_ssl_name $sni;
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate $d/$ca.crt;
            # a session resumed from a location that trusts another CA
            # would skip verification: no reuse across these test locations
            proxy_ssl_session_reuse off;");
}

my $tls_server = "
    server {
        listen 127.0.0.1:$tls ssl http2;
        server_name localhost;
        ssl_certificate $d/server.crt;
        ssl_certificate_key $d/server.key;
        ssl_protocols TLSv1.2 TLSv1.3;
" . tls_location('good', 'ca', 'acme.freshdesk.com')
  . tls_location('wrongca', 'other-ca', 'acme.freshdesk.com')
  . tls_location('wrongname', 'ca', 'evil.example.com') . "
    }
";

$t->standard_conf(http => $tls_server)->run;

sub curl_mcp {
    my ($path, $body, @extra) = @_;
    my $out = `curl -s --http2 --cacert $d/ca.crt -w '\\n%{http_code} %{http_version}' \\
        -H 'Content-Type: application/json' \\
        -H 'Accept: application/json, text/event-stream' \\
        -H 'Authorization: $FreshdeskTest::TOKEN' @extra \\
        --data-binary '$body' https://localhost:$tls$path 2>&1`;
    my ($json, $status, $ver) = $out =~ /^(.*)\n(\d+) (\S+)$/s;
    return ($status // 0, $ver // '', eval { FreshdeskTest::json()->decode($json) });
}

my $call = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_ticket","arguments":{"ticket_id":1}}}';

my ($status, $ver, $res) = curl_mcp('/good/mcp', $call);
is($status, 200, 'TLS + HTTP/2 listener: 200');
is($ver, '2', 'spoken over HTTP/2');
is($res->{result}{structuredContent}{subject}, 'Printer on fire',
   'valid chain upstream: the ticket');
is($t->fake_requests->[-1]{headers}{host}, 'acme.freshdesk.com',
   'Host header set for Freshdesk');

($status, $ver, $res) = curl_mcp('/good/mcp', '{"jsonrpc":"2.0","id":1,"method":"ping"}');
is_deeply($res->{result}, {}, 'ping over HTTP/2');

$t->fake_clear;
($status, $ver, $res) = curl_mcp('/wrongca/mcp', $call);
is($status, 200, 'wrong CA: still an MCP answer');
ok($res->{result}{isError}, 'wrong CA: isError');
like($res->{result}{content}[0]{text}, qr/Freshdesk unavailable/,
     'wrong CA: clear message');
is(scalar @{$t->fake_requests}, 0, 'wrong CA: no request got through');

($status, $ver, $res) = curl_mcp('/wrongname/mcp', $call);
ok($res->{result}{isError}, 'wrong name: isError');
like($res->{result}{content}[0]{text}, qr/Freshdesk unavailable/,
     'wrong name: clear message');

like($t->error_log, qr/upstream SSL certificate verify error|certificate does not match/,
     'verification failures logged by nginx');

# the worker survived all of it
($status, $ver, $res) = curl_mcp('/good/mcp', $call);
is($res->{result}{structuredContent}{id}, 1, 'still serving after TLS failures');

$t->allow_log(qr/\[crit\].*SSL_do_handshake\(\) failed/);
$t->finish;
