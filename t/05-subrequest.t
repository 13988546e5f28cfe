#!/usr/bin/perl

# Tool calls are subrequests: the module sits inside an operator's server
# as any location does.  Server-level auth_request, mirror, limit_req,
# error_page and add_header apply once, to the client's POST /mcp, never to
# the REST call; many calls on one keepalive connection (HTTP/1.1 and
# HTTP/2) are all answered; optional retries of reads.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use IO::Socket::INET;
use Time::HiRes qw(time);
use POSIX ();
use Test::More;

my $t = FreshdeskTest->new;
my $fake = $t->port('fake');
my $h2 = $t->port('h2');
my $d = $t->dir;
my $closed = $t->port('closed');

my $server = <<"EOF";
        # what a platform team has at its edge, for every location
        auth_request /_auth;
        mirror /_mirror;
        limit_req zone=edge burst=4 nodelay;
        limit_req_status 429;
        error_page 500 502 503 504 /50x.html;
        add_header X-Edge "edge" always;

        location = /_auth {
            internal;
            proxy_pass http://127.0.0.1:$fake/__control/hook/auth;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URI \$request_uri;
            proxy_set_header X-Original-Method \$request_method;
        }

        location = /_mirror {
            internal;
            proxy_pass http://127.0.0.1:$fake/__control/hook/mirror;
            proxy_set_header X-Original-URI \$request_uri;
            proxy_set_header X-Original-Method \$request_method;
        }

        location = /50x.html {
            auth_request off;
            return 200 "<html>an error page</html>";
        }

        location = /retry/mcp {
            freshdesk_mcp;
            freshdesk_tenant \$fd_tenant;
            freshdesk_api_key \$fd_api_key;
            freshdesk_quota fd;
            freshdesk_retry tries=3 wait=2s deadline=8s;
            access_log $d/logs/calls.log calls;
        }

        # an upstream location whose errors nginx intercepts: the
        # subrequest is redirected to the page, and the capture goes on
        location = /intercept/mcp {
            freshdesk_mcp;
            freshdesk_tenant \$fd_tenant;
            freshdesk_api_key \$fd_api_key;
            freshdesk_upstream /_fdi;
        }

        location /_fdi/ {
            internal;
            proxy_pass http://127.0.0.1:$fake/api/v2/;
            proxy_pass_request_headers off;
            proxy_set_header Authorization \$freshdesk_upstream_authorization;
            proxy_intercept_errors on;
            error_page 404 /_fd404;
        }

        location = /_fd404 {
            internal;
            return 404 "INTERCEPTED-PAGE";
        }

        # Freshdesk unreachable: nothing is ever sent
        location = /down/mcp {
            freshdesk_mcp;
            freshdesk_tenant \$fd_tenant;
            freshdesk_api_key \$fd_api_key;
            freshdesk_quota fd;
            freshdesk_upstream /_down;
        }

        location /_down/ {
            internal;
            proxy_pass http://127.0.0.1:$closed/api/v2/;
        }

        location = /deadline/mcp {
            freshdesk_mcp;
            freshdesk_tenant \$fd_tenant;
            freshdesk_api_key \$fd_api_key;
            freshdesk_retry tries=10 wait=1s deadline=1s;
            access_log $d/logs/calls.log calls;
        }
    }

    server {
        listen 127.0.0.1:$h2 http2;
        server_name localhost;

        location = /mcp {
            freshdesk_mcp;
            freshdesk_tenant \$fd_tenant;
            freshdesk_api_key \$fd_api_key;
        }

@{[ $t->upstream_location ]}

EOF

$t->start_fake->standard_conf(
    http => qq{
    limit_req_zone \$http_x_limit zone=edge:1m rate=1r/m;
    freshdesk_quota_zone fd:1m calls=1000/m actions=100000/month;
    log_format calls '\$request_method \$uri \$status '
                     'fd=\$freshdesk_upstream_status '
                     'tries=\$freshdesk_upstream_tries '
                     't=\$freshdesk_upstream_time';
},
    mcp => "freshdesk_quota fd;
            access_log $d/logs/calls.log calls;",
    server => $server,
)->run;

sub hooks {
    my ($name) = @_;
    return [ grep { $_->{path} eq "/$name" } @{$t->control('GET', 'hooks')} ];
}

sub clear {
    $t->control('DELETE', 'hooks');
    $t->fake_clear;
    $t->control('DELETE', 'fault');
}

sub actions_left {
    my ($res) = @_;
    my ($n) = ($res->{headers}{ratelimit} // '') =~ /"actions";r=(\d+)/;
    return $n;
}

# --- server-level auth_request and mirror: once per tool call ------------

clear();

my $n = 4;
for my $i (1 .. $n) {
    my ($res, $r) = $t->call_tool('get_ticket', { ticket_id => 1 });
    is($res->{status}, 200, "call $i: 200");
    is($r->{structuredContent}{id}, 1, "call $i: the ticket");
    is($res->{headers}{'x-edge'}, 'edge', "call $i: server add_header on /mcp");
}

my $auth = hooks('auth');
is(scalar @$auth, $n, "auth_request: exactly $n auth requests for $n calls");
is(scalar(grep { $_->{headers}{'x-original-uri'} eq '/mcp'
                 && $_->{headers}{'x-original-method'} eq 'POST' } @$auth),
   $n, 'auth_request: every one for POST /mcp');

my $mirror = hooks('mirror');
is(scalar @$mirror, $n, "mirror: exactly $n mirrored requests");
is(scalar(grep { $_->{method} eq 'POST'
                 && $_->{headers}{'x-original-uri'} eq '/mcp' } @$mirror),
   $n, 'mirror: every one is the client POST /mcp');

is($t->fake_count, $n, "Freshdesk: exactly $n REST requests");

# tools/list and initialize are answered without Freshdesk: still once
clear();
$t->mcp({ jsonrpc => '2.0', id => 1, method => 'tools/list' });
is(scalar @{hooks('auth')}, 1, 'tools/list: one auth request');
is($t->fake_count, 0, 'tools/list: nothing upstream');

# --- server-level error_page and add_header do not alter tool results ---

clear();
for my $f ([status => 502], [status => 503], [status => 500]) {
    $t->fake_fault(mode => 'status', status => $f->[1]);
    my ($res, $r) = $t->call_tool('get_ticket', { ticket_id => 1 });
    is($res->{status}, 200, "upstream $f->[1]: the client gets 200");
    ok($r->{isError}, "upstream $f->[1]: an isError result");
    like(FreshdeskTest::tool_text($r), qr/HTTP $f->[1]/,
         "upstream $f->[1]: Freshdesk's status in the text");
    unlike($res->{body}, qr/an error page/, "upstream $f->[1]: no error page");
}

$t->fake_fault(mode => 'reset');
my ($res, $r) = $t->call_tool('get_ticket', { ticket_id => 1 });
like(FreshdeskTest::tool_text($r), qr/Freshdesk unavailable/,
     'connection reset: a tool error');
unlike($res->{body}, qr/an error page/, 'connection reset: no error page');

# the auth service refusing: the client's request is refused, once, with
# nothing sent to Freshdesk (the hook answers 200; a 403 from a location)

clear();
($res, $r) = $t->call_tool('get_ticket', { ticket_id => 999999 },
                           path => '/intercept/mcp');
like(FreshdeskTest::tool_text($r), qr/ticket 999999 was not found/,
     'intercepted 404: the tool error');
like($res->{body}, qr/^\{/, 'intercepted 404: the answer is JSON only');
unlike($res->{body}, qr/INTERCEPTED-PAGE/, 'intercepted 404: page not leaked');
($res, $r) = $t->call_tool('get_ticket', { ticket_id => 1 },
                           path => '/intercept/mcp');
is($r->{structuredContent}{id}, 1, 'intercepting location: success as usual');

# --- server-level limit_req counts each tool call once ------------------

clear();
my @st;
for my $i (1 .. 7) {
    my $res = $t->call_tool('get_ticket', { ticket_id => 1 },
                            headers => { 'X-Limit' => 'k' });
    push @st, $res->{status};
}
is(join(',', @st), '200,200,200,200,200,429,429',
   'limit_req burst=4: five calls pass, then refused (each call counted once)');
is($t->fake_count, 5, 'limit_req: five REST requests');

# --- HTTP/1.1 keepalive: many calls on one connection -------------------

# request $i of a mix: every $k-th a tools/list, the others get_ticket of
# ticket 1 + $i % $k; returns the message and a check of its answer
sub mixed {
    my ($i, $k) = @_;
    my $id = 1 + $i % $k;
    return ({ jsonrpc => '2.0', id => $i, method => 'tools/list' },
            sub { $_[0]{id} == $i && @{$_[0]{result}{tools}} > 60 })
        if $i % $k == 0;
    return ({ jsonrpc => '2.0', id => $i, method => 'tools/call',
              params => { name => 'get_ticket',
                          arguments => { ticket_id => $id } } },
            sub { $_[0]{id} == $i
                  && ($_[0]{result}{structuredContent}{id} // 0) == $id });
}

sub keepalive_round {
    my ($sock, $body) = @_;
    my $req = "POST /mcp HTTP/1.1\r\nHost: localhost\r\n"
        . "Content-Type: application/json\r\n"
        . "Accept: application/json, text/event-stream\r\n"
        . "Authorization: $FreshdeskTest::TOKEN\r\n"
        . "Content-Length: " . length($body) . "\r\n\r\n" . $body;
    print $sock $req;

    my $head = '';
    while ($head !~ /\r\n\r\n$/) {
        my $got = sysread($sock, my $c, 1);
        return undef unless $got;
        $head .= $c;
    }
    my ($len) = $head =~ /Content-Length: (\d+)/i;
    return undef unless defined $len;
    my $data = '';
    while (length $data < $len) {
        my $got = sysread($sock, my $c, $len - length $data);
        return undef unless $got;
        $data .= $c;
    }
    return FreshdeskTest::json()->decode($data);
}

clear();
{
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1:'
                                                 . $t->port('http'),
                                     Proto => 'tcp', Timeout => 5);
    ok($sock, 'keepalive: connected');
    my ($ok, $calls) = (0, 0);
    local $SIG{ALRM} = sub { die "timeout\n" };
    alarm 60;
    for my $i (1 .. 30) {
        my ($msg, $check) = mixed($i, 3);
        $calls++ if $i % 3;
        my $j = keepalive_round($sock, FreshdeskTest::json()->encode($msg));
        last unless $j;
        $ok++ if $check->($j);
    }
    alarm 0;
    is($ok, 30, 'keepalive HTTP/1.1: 30 requests on one connection answered');
    is($t->fake_count, $calls, "keepalive HTTP/1.1: $calls REST requests");
}

# --- HTTP/2: many calls multiplexed on one connection -------------------

SKIP: {
    my $curl = `curl -V 2>/dev/null`;
    skip 'curl without HTTP/2', 4 unless $curl =~ /HTTP2|nghttp2/;

    clear();
    my @args = ('curl', '-s', '--http2-prior-knowledge', '--parallel',
                '--parallel-max', '10');
    my $calls = 0;
    for my $i (1 .. 24) {
        my ($msg) = mixed($i, 4);
        $calls++ if $i % 4;
        push @args, '--next' if $i > 1;
        push @args, '-H', 'Content-Type: application/json',
             '-H', 'Accept: application/json',
             '-H', "Authorization: $FreshdeskTest::TOKEN",
             '--data-binary', FreshdeskTest::json()->encode($msg),
             '-o', "$d/h2-$i.json",
             '-w', '%{http_version} %{http_code} %{num_connects}\n',
             "http://127.0.0.1:$h2/mcp";
    }
    open my $olderr, '>&', \*STDERR;
    open STDERR, '>', '/dev/null';
    open my $p, '-|', @args or die "curl: $!\n";
    open STDERR, '>&', $olderr;
    my @w = <$p>;
    close $p;

    is(scalar(grep { /^2 200 / } @w), 24, 'HTTP/2: 24 answers, all 200');
    my $connects = 0;
    $connects += (split ' ', $_)[2] for @w;
    is($connects, 1, 'HTTP/2: all on one connection');

    my $ok = 0;
    for my $i (1 .. 24) {
        open my $f, '<', "$d/h2-$i.json" or next;
        my $j = eval { FreshdeskTest::json()->decode(join '', <$f>) } or next;
        $ok++ if (mixed($i, 4))[1]->($j);
    }
    is($ok, 24, "HTTP/2: every answer is its own request's");
    is($t->fake_count, $calls, "HTTP/2: $calls REST requests");
}

# --- retries of reads ---------------------------------------------------

sub retry_call {
    my ($tool, $args, %o) = @_;
    my $t0 = time;
    my ($res, $r) = $t->call_tool($tool, $args,
                                  path => $o{path} // '/retry/mcp');
    return ($res, $r, time - $t0);
}

# the actions left before a run, read off a call that costs one
sub actions_now {
    my ($res) = $t->call_tool('get_ticket', { ticket_id => 1 },
                              path => '/retry/mcp');
    return actions_left($res);
}

# 429 with a short Retry-After, then 200: one retry after the wait
clear();
my $a0 = actions_now();
$t->fake_clear;
$t->fake_fault(mode => 'ratelimit', retry_after => 1);
my ($res1, $r1, $dt) = retry_call('get_ticket', { ticket_id => 1 });
ok(!$r1->{isError}, '429 then 200: success');
is($r1->{structuredContent}{id}, 1, '429 then 200: the ticket');
is($t->fake_count, 2, '429 then 200: two tries');
ok($dt >= 0.9, sprintf('429 then 200: waited the Retry-After (%.2f s)', $dt));
is(actions_left($res1), $a0 - 1, '429 then 200: one action (the 429 refunded)');

# 429 with a long Retry-After: answered at once, Retry-After passed on
$t->fake_clear;
$t->fake_fault(mode => 'ratelimit', retry_after => 30);
($res1, $r1, $dt) = retry_call('get_ticket', { ticket_id => 1 });
ok($r1->{isError}, '429 with Retry-After 30: isError');
like(FreshdeskTest::tool_text($r1), qr/Retry in 30 s/, '429 long: the wait');
is($res1->{headers}{'retry-after'}, '30', '429 long: Retry-After header');
is($t->fake_count, 1, '429 long: not tried again');
ok($dt < 1.5, '429 long: answered at once');
is(actions_left($res1), $a0 - 1, '429 long: refunded');

# 503 then 200: tried again after a short backoff, both tries charged
$t->fake_clear;
$t->fake_fault(mode => 'status', status => 503);
($res1, $r1) = retry_call('get_ticket', { ticket_id => 1 });
ok(!$r1->{isError}, '503 then 200: success');
is($t->fake_count, 2, '503 then 200: two tries');
is(actions_left($res1), $a0 - 3, '503 then 200: each try an action');

# a connection reset, then 200
$t->fake_clear;
$t->fake_fault(mode => 'reset');
($res1, $r1) = retry_call('get_ticket', { ticket_id => 1 });
ok(!$r1->{isError}, 'reset then 200: success');
is($t->fake_count, 2, 'reset then 200: two tries');

# 503 on every try: three tries, then the error
$t->fake_clear;
$t->fake_fault(mode => 'status', status => 503, count => 3);
($res1, $r1) = retry_call('get_ticket', { ticket_id => 1 });
like(FreshdeskTest::tool_text($r1), qr/Freshdesk unavailable \(HTTP 503\)/,
     '503 always: the error after the last try');
is($t->fake_count, 3, '503 always: tries=3 respected');

# a write is never tried again
$t->fake_clear;
$t->control('DELETE', 'fault');
$t->fake_fault(mode => 'status', status => 503, method => 'POST');
($res1, $r1) = retry_call('create_ticket',
                          { subject => 'retry?', description => 'x',
                            email => 'retry@example.com' });
like(FreshdeskTest::tool_text($r1), qr/HTTP 503/, 'POST 503: isError');
is($t->fake_count, 1, 'POST: never tried again');

# a 400 is not retried
$t->fake_clear;
$t->fake_fault(mode => 'status', status => 400);
($res1, $r1) = retry_call('get_ticket', { ticket_id => 1 });
ok($r1->{isError}, '400: isError');
is($t->fake_count, 1, '400: not tried again');

# the deadline: 503 forever, backoff 100, 200, 400 ms, the next wait of
# 800 ms would end past the 1 s deadline
$t->fake_clear;
$t->control('DELETE', 'fault');
$t->fake_fault(mode => 'status', status => 503, count => -1);
($res1, $r1, $dt) = retry_call('get_ticket', { ticket_id => 1 },
                               path => '/deadline/mcp');
like(FreshdeskTest::tool_text($r1), qr/HTTP 503/, 'deadline: the error');
my $tries = $t->fake_count;
ok($tries >= 3 && $tries <= 4, "deadline: 3 or 4 tries ($tries) of 10");
ok($dt < 1.5, sprintf('deadline: answered within it (%.2f s)', $dt));
$t->control('DELETE', 'fault');

# a request that never left (connection refused) costs no action
($res1) = $t->call_tool('get_ticket', { ticket_id => 1 },
                        path => '/down/mcp');
my $before = actions_left($res1);
my ($res2, $r2) = $t->call_tool('get_ticket', { ticket_id => 1 },
                                path => '/down/mcp');
like(FreshdeskTest::tool_text($r2), qr/Freshdesk unavailable/,
     'connection refused: a tool error');
is(actions_left($res2), $before, 'connection refused: the action given back');

# the client goes away while the call waits for its next try: nothing
# breaks, the worker goes on
$t->fake_clear;
$t->fake_fault(mode => 'ratelimit', retry_after => 1);
{
    my $body = FreshdeskTest::json()->encode(
        { jsonrpc => '2.0', id => 1, method => 'tools/call',
          params => { name => 'get_ticket', arguments => { ticket_id => 1 } } });
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1:'
                                                 . $t->port('http'),
                                     Proto => 'tcp', Timeout => 5);
    print $sock "POST /retry/mcp HTTP/1.1\r\nHost: localhost\r\n"
        . "Content-Type: application/json\r\nAccept: application/json\r\n"
        . "Authorization: $FreshdeskTest::TOKEN\r\n"
        . "Content-Length: " . length($body) . "\r\n\r\n" . $body;
    select undef, undef, undef, 0.3;
    close $sock;
    select undef, undef, undef, 1.2;
}
($res1, $r1) = retry_call('get_ticket', { ticket_id => 2 });
is($r1->{structuredContent}{id}, 2, 'client gone during the wait: still serving');

# a reload while a call waits for its next try: the call completes
SKIP: {
    skip 'no reload with one process under valgrind', 2
        if $ENV{FRESHDESK_VALGRIND};

    $t->fake_clear;
    $t->fake_fault(mode => 'ratelimit', retry_after => 1);
    pipe my $rd, my $wr or die;
    my $pid = fork() // die "fork: $!";
    if ($pid == 0) {
        close $rd;
        my ($res) = $t->call_tool('get_ticket', { ticket_id => 1 },
                                  path => '/retry/mcp');
        print $wr ($res->{json}{result}{structuredContent}{id} // 'none');
        close $wr;
        POSIX::_exit(0);
    }
    close $wr;
    select undef, undef, undef, 0.3;
    $t->reload;
    my $got = <$rd>;
    waitpid $pid, 0;
    is($got, 1, 'reload during the wait: the call is answered');
    is($t->fake_count, 2, 'reload during the wait: the second try was made');
}

# the access log of /mcp: the client's request, Freshdesk's status, tries
my @log = do {
    open my $fh, '<', "$d/logs/calls.log" or die; <$fh>
};
ok(scalar(grep { m{^POST /retry/mcp 200 fd=200 tries=2 t=\d+\.\d{3}$} } @log),
   'access log: a retried call with its tries and time');
ok(!grep({ !m{^POST /} } @log), 'access log: only the clients\' requests');

unlike($t->error_log, qr/http request count is zero/,
       'no request count alert');
like($t->error_log, qr/upstream answered 503 to try 1 of 3, trying again/,
     'a retry is logged');

$t->finish;
