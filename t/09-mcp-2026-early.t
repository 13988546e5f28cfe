#!/usr/bin/perl

# MCP 2026-07-28: a tools/call that will be refused (unknown tool, tool
# hidden by freshdesk_tools, quota used up) is known from its headers and
# answered before its body is read, when the request's id came with the
# headers: a large body sent slowly gets its answer after its first bytes,
# the rest is discarded and the connection serves the next request.  The
# same refusal with the id after params is answered after the body, with
# the same answer, metrics and log line.  Admitted calls are counted once;
# a body that disagrees with its headers is 400 -32020 and counts nothing;
# tenants never touch each other's numbers; with Redis the zone's mirror
# decides, without a round trip.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
use Test::More;

my $t = FreshdeskTest->new;
my $d = $t->dir;
my $V = '2026-07-28';
my $json = FreshdeskTest->json;

# under valgrind every answer is slower: "early" is still well before the
# rest of the body, which is never sent before the answer has come
my $vg = $ENV{FRESHDESK_VALGRIND} ? 1 : 0;
my $early = $vg ? 10 : 2;

$t->start_fake->standard_conf(
    http => qq{
    freshdesk_quota_zone fd:1m calls=100/m actions=1000/month;

    map \$fd_tenant \$fd_calls {
        globex  2;
        default "";
    }

    lingering_timeout 2s;

    log_format audit '\$freshdesk_tenant \$freshdesk_method \$freshdesk_tool '
                     'q=\$freshdesk_quota_result c=\$freshdesk_calls_remaining '
                     'a=\$freshdesk_actions_remaining s=\$status';
    },
    mcp => "freshdesk_quota fd;
            freshdesk_quota_calls \$fd_calls;
            access_log $d/logs/audit.log audit;",
    server => "location = /ro/mcp {
            freshdesk_mcp;
            freshdesk_tenant \$fd_tenant;
            freshdesk_api_key \$fd_api_key;
            freshdesk_tools read_only;
            freshdesk_quota fd;
            access_log $d/logs/audit.log audit;
        }
        location = /monthly/mcp {
            freshdesk_mcp;
            freshdesk_tenant monthly;
            freshdesk_api_key fd-test-key;
            freshdesk_quota fd;
            freshdesk_quota_actions 1;
            access_log $d/logs/audit.log audit;
        }
        location = /freshdesk/status {
            freshdesk_status;
        }",
)->run;

my $next_id = 100;

# the body of a 2026 tools/call: the id first (as most clients and
# JSON::PP's sorted keys write it) or last (as the official SDK v2 does),
# _meta padded to $o{size} bytes in all
sub body26 {
    my (%o) = @_;
    my $id = $o{id} // $next_id++;
    my $meta = '"_meta":{"io.modelcontextprotocol/protocolVersion":"' . $V
             . '","io.modelcontextprotocol/clientCapabilities":{},'
             . '"x-pad":"';
    my $params = '"params":{"name":"' . $o{name} . '","arguments":'
               . $json->encode($o{args} // {}) . ',' . $meta;
    my $head = $o{id_last}
        ? '{"jsonrpc":"2.0","method":"tools/call",' . $params
        : '{"id":' . $id . ',"jsonrpc":"2.0","method":"tools/call",'
          . $params;
    my $tail = '"}}' . ($o{id_last} ? ',"id":' . $id : '') . '}';
    my $pad = ($o{size} // 200_000) - length($head) - length($tail);
    return $head . ('x' x ($pad > 0 ? $pad : 0)) . $tail;
}

sub head26 {
    my (%o) = @_;
    my $name = $o{header_name} // $o{name};
    return "POST " . ($o{path} // '/mcp') . " HTTP/1.1\r\n"
        . "Host: 127.0.0.1\r\n"
        . "Content-Type: application/json\r\n"
        . "Accept: application/json, text/event-stream\r\n"
        . "Authorization: " . ($o{token} // $FreshdeskTest::TOKEN) . "\r\n"
        . "MCP-Protocol-Version: $V\r\n"
        . "Mcp-Method: tools/call\r\n"
        . "Mcp-Name: $name\r\n"
        . "Content-Length: $o{len}\r\n\r\n";
}

sub connect_mcp {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $t->port('http'),
                                  Proto => 'tcp', Timeout => 5)
        or die "connect: $!\n";
    return $s;
}

sub send_all {
    my ($s, $data) = @_;
    local $SIG{PIPE} = 'IGNORE';
    my $off = 0;
    while ($off < length $data) {
        my $n = syswrite($s, $data, 65536, $off);
        return 0 unless defined $n;
        $off += $n;
    }
    return 1;
}

# one complete response (it has a Content-Length) within $timeout seconds,
# or undef; the bytes after it stay in $s's buffer ${*$s}{buf}
sub read_response {
    my ($s, $timeout) = @_;
    my $sel = IO::Select->new($s);
    my $deadline = time + $timeout;
    my $buf = \${*$s}{buf};
    $$buf //= '';

    while (1) {
        if ($$buf =~ /\r\n\r\n/) {
            my ($h) = split /\r\n\r\n/, $$buf, 2;
            my ($cl) = $h =~ /\r\nContent-Length:\s*(\d+)/i;
            if (defined $cl && length($$buf) >= length($h) + 4 + $cl) {
                my $one = substr($$buf, 0, length($h) + 4 + $cl, '');
                return FreshdeskTest::parse_response($one);
            }
        }
        my $left = $deadline - time;
        return undef if $left <= 0;
        next unless $sel->can_read($left);
        my $n = sysread($s, my $chunk, 65536);
        return undef unless $n;
        $$buf .= $chunk;
    }
}

# a 2026 tools/call over a kept-alive connection: the headers and the
# first 200 bytes of the body, then (after $o{wait} seconds, or once the
# answer came) the rest.  Returns (answer, seconds until it came, whether
# it came before the rest was sent, the socket)
sub slow_call {
    my (%o) = @_;
    my $body = body26(%o);
    my $s = connect_mcp();
    my $start = time;

    send_all($s, head26(%o, len => length $body)
                 . substr($body, 0, $o{all} ? length $body : 200));

    my $res = read_response($s, $o{wait} // $early);
    my $before = defined $res ? 1 : 0;
    my $took = time - $start;

    send_all($s, substr($body, 200)) unless $o{all};
    $res //= read_response($s, 20);

    return ($res, $took, $before, $s);
}

# the next request on the same connection: a 2026 tools/list
sub next_request {
    my ($s) = @_;
    my $body = $json->encode({ jsonrpc => '2.0', id => 'next',
                               method => 'tools/list',
                               params => { _meta => {
        'io.modelcontextprotocol/protocolVersion' => $V,
        'io.modelcontextprotocol/clientCapabilities' => {} } } });
    my $req = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        . "Content-Type: application/json\r\n"
        . "Authorization: $FreshdeskTest::TOKEN\r\n"
        . "MCP-Protocol-Version: $V\r\nMcp-Method: tools/list\r\n"
        . "Content-Length: " . length($body) . "\r\n\r\n" . $body;
    return undef unless send_all($s, $req);
    return read_response($s, 20);
}

sub status_of {
    my ($tenant) = @_;
    my $st = $t->http_request(path => '/freshdesk/status')->{json};
    my ($row) = grep { $_->{tenant} eq $tenant } @{$st->{zones}[0]{tenants}};
    return $row // { calls_window => 0, actions_month => 0, refused => 0 };
}

sub metrics {
    return $t->http_request(path => '/freshdesk/status')->{json}{metrics};
}

sub calls_metric {
    my ($tool, $outcome) = @_;
    return metrics()->{tool_calls}{$tool}{$outcome} // 0;
}

# a request is logged when its discarded body has all arrived, which may
# be just after the next answer: wait a little for what should come
sub settle {
    my ($cond) = @_;
    for (1 .. 100) {
        return 1 if $cond->();
        sleep 0.05;
    }
    return 0;
}

# the tools/call lines of the audit log
sub audit_lines {
    open my $fh, '<', "$d/logs/audit.log" or return ();
    return grep { / tools\/call / } map { chomp; $_ } <$fh>;
}

# the answer without what may change from one second to the next
sub shape {
    my ($res) = @_;
    my $j = $res->{json} // {};
    my $text = $j->{result} ? $j->{result}{content}[0]{text} // ''
                            : $j->{error}{message} // '';
    $text =~ s/\d+ s\./N s./;
    return join '|', $res->{status}, $j->{error}{code} // 'result',
                     $j->{result}{isError} ? 'isError' : '', $text,
                     $res->{headers}{'retry-after'} ? 'retry-after' : '',
                     $res->{headers}{ratelimit} ? 'ratelimit' : '';
}

# --- warm up: globex uses its 2 calls of the minute, monthly its action ---

for my $tok ($FreshdeskTest::TOKEN2, $FreshdeskTest::TOKEN2) {
    my $r = $t->call_tool('get_ticket', { ticket_id => 1 },
                          headers => { Authorization => $tok });
    is($r->{json}{result}{structuredContent}{id}, 1, 'globex: a call');
}
is($t->call_tool('get_ticket', { ticket_id => 1 },
                 path => '/monthly/mcp')->{json}{result}{structuredContent}{id},
   1, 'monthly: its one action');

my %before = map { $_ => status_of($_) } qw(acme globex monthly);
$t->fake_clear;

# --- each refusal kind: before the body, and the same after it -----------

my @kinds = (
    [ 'unknown tool', name => 'no_such_tool', args => {} ],
    [ 'hidden tool', name => 'delete_ticket', path => '/ro/mcp',
      args => { ticket_id => 1 } ],
    [ 'quota: calls per minute', name => 'get_ticket',
      token => $FreshdeskTest::TOKEN2, args => { ticket_id => 1 } ],
    [ 'quota: monthly actions', name => 'get_ticket', path => '/monthly/mcp',
      args => { ticket_id => 1 } ],
);

my %expect = (
    'unknown tool' => [200, -32602, qr/^Unknown tool: no_such_tool$/],
    'hidden tool' => [200, -32602, qr/^Unknown tool: delete_ticket$/],
    'quota: calls per minute' => [200, undef,
                                  qr/^Rate limit reached: 2 tool calls/],
    'quota: monthly actions' => [200, undef, qr/^Monthly quota reached: 1 /],
);

my %metric = (
    'unknown tool' => ['_unknown', 'unknown_tool'],
    'hidden tool' => ['_unknown', 'unknown_tool'],
    'quota: calls per minute' => ['get_ticket', 'quota_refused'],
    'quota: monthly actions' => ['get_ticket', 'quota_refused'],
);

for my $k (@kinds) {
    my ($what, %o) = @$k;
    my ($status, $code, $re) = @{$expect{$what}};
    my $m0 = calls_metric(@{$metric{$what}});
    my $a0 = () = audit_lines();

    # the id first: the answer comes while the body is far from sent
    my ($res, $took, $before, $s) = slow_call(%o, id => 41);
    ok($before, "$what: answered before the rest of the body was sent")
        or diag("took $took s");
    ok($took < $early, "$what: within $early s (" . sprintf('%.3f', $took)
                       . ' s)');
    is($res->{status}, $status, "$what: $status");
    is($res->{json}{id}, 41, "$what: the id echoed");
    if (defined $code) {
        is($res->{json}{error}{code}, $code, "$what: $code");
        like($res->{json}{error}{message}, $re, "$what: the message");
    } else {
        ok($res->{json}{result}{isError}, "$what: an isError result");
        like($res->{json}{result}{content}[0]{text}, $re, "$what: the text");
        like($res->{headers}{'retry-after'} // '', qr/^\d+$/,
             "$what: Retry-After");
        is($res->{json}{result}{_meta}{'io.modelcontextprotocol/serverInfo'}
               {name}, 'ngx_http_freshdesk_module', "$what: _meta serverInfo");
    }
    like($res->{headers}{connection} // 'keep-alive', qr/keep-alive/i,
         "$what: the connection is kept");

    # the rest was discarded: the connection serves the next request
    my $next = next_request($s);
    is($next && $next->{json}{id}, 'next',
       "$what: the next request on the same connection is answered");
    ok($next && @{$next->{json}{result}{tools} // []} > 0,
       "$what: ... with its result");
    close $s;

    # the id last: nothing can be said before the body is all here
    my ($late, $ltook, $lbefore, $ls) = slow_call(%o, id => 42, id_last => 1,
                                                  wait => 1);
    ok(!$lbefore, "$what, id after params: no answer before the body");
    is($late->{json}{id}, 42, "$what, id after params: the id echoed");
    is(shape($late), shape($res),
       "$what, id after params: the same answer after the body");
    close $ls;

    # counted alike: the metrics and the log line
    ok(settle(sub { calls_metric(@{$metric{$what}}) == $m0 + 2 }),
       "$what: both counted as $metric{$what}[1] in the metrics");
    ok(settle(sub { my @l = audit_lines(); @l == $a0 + 2 }),
       "$what: both logged");
    my @l = audit_lines();
    is($l[$a0], $l[$a0 + 1], "$what: the same log line either way")
        or diag("early: $l[$a0]\nlate:  $l[$a0 + 1]");
}

is($t->fake_count, 0, 'no refusal reached Freshdesk');

# --- nothing was counted for the refusals; each tenant its own ------------

my %after = map { $_ => status_of($_) } qw(acme globex monthly);

for my $tenant (qw(acme globex monthly)) {
    is($after{$tenant}{calls_window}, $before{$tenant}{calls_window},
       "$tenant: no call counted for a refusal");
    is($after{$tenant}{actions_month}, $before{$tenant}{actions_month},
       "$tenant: no action counted for a refusal");
}
is($after{globex}{refused} - $before{globex}{refused}, 2,
   'globex: its two refusals counted as refused');
is($after{monthly}{refused} - $before{monthly}{refused}, 2,
   'monthly: its two refusals counted as refused');
is($after{acme}{refused}, $before{acme}{refused},
   'acme: unknown and hidden tools are not quota refusals');

# globex's refusals leave acme alone
my ($ok) = slow_call(name => 'get_ticket', args => { ticket_id => 2 },
                     wait => 0.5);
is($ok->{json}{result}{structuredContent}{id}, 2,
   'acme: admitted while globex is refused');

# --- an admitted call with a large, slow body: counted once ---------------

%before = map { $_ => status_of($_) } qw(acme globex);
$t->fake_clear;

my ($adm, $took, $bef) = slow_call(name => 'get_ticket',
                                   args => { ticket_id => 3 }, wait => 0.5);
ok(!$bef, 'admitted: not answered before its body');
is($adm->{status}, 200, 'admitted: 200');
is($adm->{json}{result}{structuredContent}{id}, 3, 'admitted: the ticket');
is($t->fake_count, 1, 'admitted: one REST request');

%after = map { $_ => status_of($_) } qw(acme globex);
is($after{acme}{calls_window} - $before{acme}{calls_window}, 1,
   'admitted: one call counted');
is($after{acme}{actions_month} - $before{acme}{actions_month}, 1,
   'admitted: one action counted');
is($after{globex}{calls_window}, $before{globex}{calls_window},
   'admitted: the other tenant untouched');
like($adm->{headers}{ratelimit} // '',
     qr/"calls";r=\Q@{[100 - $after{acme}{calls_window}]}\E;/,
     'admitted: RateLimit says what remains after it');

# --- a body that disagrees with its headers: -32020, nothing counted ------

%before = (acme => status_of('acme'));
$t->fake_clear;

my ($mis) = slow_call(name => 'list_tickets', header_name => 'get_ticket',
                      args => {}, id => 77, wait => 0.5);
is($mis->{status}, 400, 'Mcp-Name get_ticket, body list_tickets: 400');
is($mis->{json}{error}{code}, -32020, '... -32020');
is($mis->{json}{id}, 77, '... with the id');

($mis) = slow_call(name => 'get_ticket', header_name => 'no_such_tool',
                   args => { ticket_id => 1 }, id => 78, all => 1,
                   size => 400);
is($mis->{json}{error}{code}, -32020,
   'a body all there with its headers is checked against them (-32020)');

is($t->fake_count, 0, 'nothing reached Freshdesk');
%after = (acme => status_of('acme'));
is($after{acme}{calls_window}, $before{acme}{calls_window},
   'nothing counted for a disagreeing body');
is($after{acme}{actions_month}, $before{acme}{actions_month},
   '... no action either');

# --- a client that never sends the rest of its body -----------------------

# nginx discards the rest as it comes; when nothing comes for
# lingering_timeout (2 s here) it closes the connection, and the request
# is logged and counted then, once

{
    my $calls = calls_metric('_unknown', 'unknown_tool');
    my $lines = () = audit_lines();

    my $body = body26(name => 'no_such_tool', args => {}, id => 91);
    my $s = connect_mcp();

    send_all($s, head26(name => 'no_such_tool', len => length $body)
                 . substr($body, 0, 200));

    my $res = read_response($s, $early);
    is($res && $res->{json}{id}, 91,
       'never the rest: answered from the first bytes');

    my $start = time;
    my $sel = IO::Select->new($s);
    my ($eof, $n) = (0, 0);

    while (time - $start < ($vg ? 30 : 10)) {
        next unless $sel->can_read(0.5);
        $n = sysread($s, my $junk, 4096);
        if (!$n) {
            $eof = 1;
            last;
        }
    }

    ok($eof, 'never the rest: nginx closes the connection');
    my $took = time - $start;
    ok($took > 1.5 && $took < ($vg ? 30 : 8),
       "... after its lingering timeout of 2 s (${\ sprintf '%.1f', $took} s)");
    close $s;

    ok(settle(sub { calls_metric('_unknown', 'unknown_tool') == $calls + 1 }),
       '... the call counted once in the metrics');
    ok(settle(sub { (() = audit_lines()) == $lines + 1 }),
       '... and logged once');

    my $s2 = connect_mcp();
    my $next = next_request($s2);
    is($next && $next->{json}{id}, 'next', 'the worker serves on');
    close $s2;
}

# --- the zone's mirror of Redis decides; Redis is not asked ---------------

SKIP: {
    skip 'no redis-server', 8 unless `which redis-server` =~ /\S/;

    my $r = FreshdeskTest->new;
    $r->{ports}{fake} = $t->port('fake');
    $r->start_redis;
    my $rd = $r->dir;
    my $timeout = $vg ? 2000 : 300;
    my @g = gmtime;
    my $month = sprintf '%04d%02d', $g[5] + 1900, $g[4] + 1;

    $r->standard_conf(
        http => "freshdesk_quota_zone fd:1m calls=2/m actions=1000/month;
                 freshdesk_quota_redis fd 127.0.0.1:" . $r->port('redis')
                 . " timeout=${timeout}ms;",
        mcp => 'freshdesk_quota fd;',
    )->run;

    local $t->{ports}{http} = $r->port('http');

    for (1 .. 2) {
        is($t->call_tool('get_ticket', { ticket_id => 1 })
               ->{json}{result}{structuredContent}{id}, 1,
           "redis: call $_ admitted");
    }

    my ($res, $tk, $b) = slow_call(name => 'get_ticket',
                                   args => { ticket_id => 1 }, id => 5);
    ok($b, 'redis: refused before the body');
    like($res->{json}{result}{content}[0]{text} // '',
         qr/^Rate limit reached: 2 /, 'redis: the quota\'s refusal');
    is($r->redis('GET', "freshdesk:{acme}:r:$month"), '',
       'redis: decided from the zone, Redis not asked');

    my $late = $t->call_tool('get_ticket', { ticket_id => 1 });
    ok($late->{json}{result}{isError}, 'redis: a 2025 call refused too');
    is($r->redis('GET', "freshdesk:{acme}:r:$month"), '1',
       '... by Redis, which counts its refusal');

    $r->check_log;
}

$t->finish;
