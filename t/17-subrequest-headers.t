#!/usr/bin/perl

# The REST subrequest carries headers of its own, built by the module: the
# client's headers (its bearer token, cookies, anything else) never reach
# Freshdesk, even through a bare internal location ("internal; proxy_pass"
# and nothing else), and the tenant's Freshdesk key always does.  With the
# recommended location (proxy_pass_request_headers off, proxy_set_header
# lines) nothing is sent twice.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use MIME::Base64 qw(encode_base64);
use Test::More;

my $t = FreshdeskTest->new->start_fake;
my $fake = $t->port('fake');
my $port = $t->port('http');
my $json = FreshdeskTest::json;

my $TOKEN = $FreshdeskTest::TOKEN;
my $BASIC = 'Basic ' . encode_base64('fd-test-key:X', '');

$t->write_conf($t->main_block . <<"EOF")->run;
http {
@{[ $t->http_globals ]}
    map \$http_authorization \$fd_tenant {
        "$TOKEN"  acme;
        default   "";
    }

    server {
        listen 127.0.0.1:$port;
        server_name localhost;

        # the internal location as bare as it gets
        location = /mcp {
            freshdesk_mcp;
            freshdesk_tenant \$fd_tenant;
            freshdesk_api_key fd-test-key;
            freshdesk_upstream /_bare;
        }

        location /_bare/ {
            internal;
            proxy_pass http://127.0.0.1:$fake/api/v2/;
        }

        # the recommended one (conf.example)
        location = /std/mcp {
            freshdesk_mcp;
            freshdesk_tenant \$fd_tenant;
            freshdesk_api_key fd-test-key;
        }

@{[ $t->upstream_location ]}
    }
}
EOF

# what a client may send that must stay between it and the gateway
my %client = (
    'Cookie'              => 'session=secret-cookie',
    'X-Custom'            => 'leak-me',
    'Proxy-Authorization' => 'Basic cHJveHk6c2VjcmV0',
    'X-Forwarded-For'     => '203.0.113.7',
    'User-Agent'          => 'client-agent/9.9',
    'Referer'             => 'http://client.example/page',
    'Accept-Language'     => 'de',
    'If-None-Match'       => '"etag-of-client"',
    'Range'               => 'bytes=0-10',
    'Mcp-Session-Id'      => 'client-session',
);

my @secret = ('t0k3n-acme', 'secret-cookie', 'leak-me', 'cHJveHk6c2VjcmV0',
              '203.0.113.7', 'client-agent', 'client.example', 'etag-of-client',
              'client-session', 'bytes=0-10');

# one call; returns the single request the fake recorded for it
sub one_call {
    my ($path, $tool, $args) = @_;

    $t->fake_clear;

    my ($res, $result) = $t->call_tool($tool, $args,
                                       path => $path, headers => {%client});

    is($res->{status}, 200, "$path $tool: answered");
    ok($result && !$result->{isError}, "$path $tool: succeeded")
        or diag(explain($res->{json}));

    my $reqs = $t->fake_requests;
    is(scalar @$reqs, 1, "$path $tool: one request upstream");

    return $reqs->[0] // { headers => {} };
}

sub no_client_headers {
    my ($label, $req) = @_;
    my $h = $req->{headers};
    my $all = $json->encode($h);

    for my $name (qw(cookie x-custom proxy-authorization x-forwarded-for
                     referer accept-language if-none-match range
                     mcp-session-id origin transfer-encoding expect))
    {
        ok(!exists $h->{$name}, "$label: no $name upstream");
    }

    for my $s (@secret) {
        unlike($all, qr/\Q$s\E/, "$label: nothing of \"$s\" upstream");
    }

    is($h->{authorization}, $BASIC,
       "$label: the tenant's Basic authorization, once");
    is($h->{accept}, 'application/json', "$label: Accept: application/json");
}


# a read through the bare location

my $req = one_call('/mcp', 'get_ticket', { ticket_id => 1 });

is($req->{method}, 'GET', 'bare get: GET');
is($req->{path}, '/api/v2/tickets/1', 'bare get: path');
no_client_headers('bare get', $req);
is($req->{headers}{host}, "127.0.0.1:$fake", 'bare get: Host of proxy_pass');
like($req->{headers}{'user-agent'} // '', qr/^ngx_http_freshdesk_module\//,
     'bare get: User-Agent names the module');
ok(!exists $req->{headers}{'content-type'}, 'bare get: no Content-Type');
ok(!exists $req->{headers}{'content-length'}
   || $req->{headers}{'content-length'} eq '0',
   'bare get: no body length');
is($req->{body}, '', 'bare get: no body (the JSON-RPC text stays here)');


# a write with a body

my %ticket = (subject => 'Headers of its own', description => '<p>x</p>',
              email => 'emily.garcia@acme.com', priority => 1, status => 2);

$req = one_call('/mcp', 'create_ticket', \%ticket);

is($req->{method}, 'POST', 'bare create: POST');
no_client_headers('bare create', $req);
is($req->{headers}{'content-type'}, 'application/json',
   'bare create: Content-Type: application/json');
is($req->{headers}{'content-length'}, length $req->{body},
   'bare create: Content-Length is the body\'s');
my $sent = eval { $json->decode($req->{body}) } // {};
is($sent->{subject}, 'Headers of its own', 'bare create: the call\'s body');
unlike($req->{body}, qr/jsonrpc|tools\/call/, 'bare create: not the client\'s');


# a write without a body

$req = one_call('/mcp', 'delete_ticket', { ticket_id => 4 });

is($req->{method}, 'DELETE', 'bare delete: DELETE');
no_client_headers('bare delete', $req);
ok(!exists $req->{headers}{'content-type'}, 'bare delete: no Content-Type');


# a client whose own body is chunked: nothing of its framing goes on

$t->fake_clear;
my $res = $t->mcp({ jsonrpc => '2.0', id => 77, method => 'tools/call',
                    params => { name => 'get_ticket',
                                arguments => { ticket_id => 2 } } },
                  headers => {%client}, chunked => 1, chunk_size => 16);
is($res->{status}, 200, 'chunked client: answered');
ok(!$res->{json}{result}{isError}, 'chunked client: succeeded');
$req = $t->fake_requests->[0] // { headers => {} };
no_client_headers('chunked client', $req);
is($req->{body}, '', 'chunked client: no body upstream');


# the recommended location: the same, nothing twice

$req = one_call('/std/mcp', 'create_ticket', \%ticket);

no_client_headers('std create', $req);
is($req->{headers}{host}, 'acme.freshdesk.com', 'std create: its Host');
is($req->{headers}{'content-type'}, 'application/json',
   'std create: one Content-Type');
is($req->{headers}{'content-length'}, length $req->{body},
   'std create: Content-Length');

$req = one_call('/std/mcp', 'get_ticket', { ticket_id => 1 });
no_client_headers('std get', $req);


# the client's own request is untouched: its tenant still comes from its
# bearer token, and another token is still refused

$res = $t->call_tool('get_ticket', { ticket_id => 1 },
                     headers => { Authorization => 'Bearer wrong' });
is($res->{status}, 401, 'a client without a tenant is still refused');

$t->finish;
