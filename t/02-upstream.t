#!/usr/bin/perl

# One tool end to end: get_ticket through the internal location to the fake
# Freshdesk; the key reaches upstream only as Basic auth, client headers
# never do; upstream failures become isError results.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use MIME::Base64 qw(encode_base64);
use Test::More;

# The request to Freshdesk is a subrequest of the client's request: a
# server-wide error_page must not turn an upstream failure into a page, the
# audit log shows the client's request with Freshdesk's status and time in
# $freshdesk_* (the $upstream_* of the client's request stay empty), and
# the key's variable is empty outside the REST request.

my $t = FreshdeskTest->new;

$t->start_fake->standard_conf(
    http => 'log_format audit "$uri $request_method $status '
            . 'up=$upstream_status fd=$freshdesk_upstream_status '
            . 't=$freshdesk_upstream_time n=$freshdesk_upstream_tries '
            . 'authz=$freshdesk_upstream_authorization";',
    mcp => 'access_log ' . $t->{dir} . '/logs/audit.log audit;
            add_header X-Authz "[$freshdesk_upstream_authorization]" always;',
    server => 'error_page 500 502 504 /50x.html;
        location = /50x.html {
            return 200 "<html>an error page</html>";
        }
        location = /nokey/mcp {
            freshdesk_mcp;
            freshdesk_tenant $fd_tenant;
            freshdesk_api_key $arg_nokey;
        }
        location = /badkey/mcp {
            freshdesk_mcp;
            freshdesk_tenant $fd_tenant;
            freshdesk_api_key wrong-key;
        }',
)->run;

my $basic = 'Basic ' . encode_base64('fd-test-key:X', '');

sub audit_lines {
    open my $fh, '<', $t->{dir} . '/logs/audit.log' or return ();
    return <$fh>;
}

# --- success ------------------------------------------------------------

$t->fake_clear;

my ($res, $r) = $t->call_tool('get_ticket', { ticket_id => 1 },
    headers => { Cookie => 'session=s3cr3t', 'X-Forwarded-For' => '10.0.0.1',
                 'X-Client-Secret' => 'do-not-forward' });

is($res->{status}, 200, 'get_ticket: 200');
ok(!$r->{isError}, 'get_ticket: not an error');
is($r->{structuredContent}{id}, 1, 'structuredContent is the ticket');
is($r->{structuredContent}{subject}, 'Printer on fire', 'ticket subject');
is($r->{content}[0]{type}, 'text', 'text content');
is_deeply(FreshdeskTest::json()->decode($r->{content}[0]{text}),
          $r->{structuredContent}, 'text is the same JSON');

my $reqs = $t->fake_requests;
is(scalar @$reqs, 1, 'exactly one upstream request');
my $q = $reqs->[0];
is($q->{method}, 'GET', 'upstream method');
is($q->{path}, '/api/v2/tickets/1', 'upstream path');
is($q->{query}, '', 'no query');
is($q->{body}, '', 'no body');
is($q->{headers}{authorization}, $basic, 'Basic base64(key:X) upstream');
ok(!exists $q->{headers}{cookie}, 'client cookie not forwarded');
ok(!exists $q->{headers}{'x-client-secret'}, 'client header not forwarded');
ok(!exists $q->{headers}{'x-forwarded-for'}, 'X-Forwarded-For not forwarded');
ok(!grep({ /t0k3n/ } values %{$q->{headers}}), 'bearer token never upstream');
is($q->{headers}{'content-length'} // '0', '0',
   'GET carries no body length of the client request');

# include as a comma list
$t->fake_clear;
($res, $r) = $t->call_tool('get_ticket',
                           { ticket_id => 2, include => ['requester', 'stats'] });
ok(!$r->{isError}, 'get_ticket with include');
is($t->fake_requests->[0]{query}, 'include=requester%2Cstats',
   'include sent comma-separated and encoded');

# --- failures ------------------------------------------------------------

$t->fake_clear;
($res, $r) = $t->call_tool('get_ticket', { ticket_id => 999999 });
ok($r->{isError}, '404: isError');
like(FreshdeskTest::tool_text($r), qr/ticket 999999 was not found/,
     '404 names the resource');

($res, $r) = $t->call_tool('get_ticket', { ticket_id => 'abc' });
ok($r->{isError}, 'bad id: isError');
is(FreshdeskTest::tool_text($r),
   'Invalid arguments: ticket_id must be a positive integer, got "abc".',
   'bad id: message names argument and expectation');

($res, $r) = $t->call_tool('get_ticket', { ticket_id => 0 });
like(FreshdeskTest::tool_text($r), qr/ticket_id must be a positive integer/,
     'zero id refused');

($res, $r) = $t->call_tool('get_ticket', {});
is(FreshdeskTest::tool_text($r), 'Invalid arguments: ticket_id is required.',
   'missing id refused');

($res, $r) = $t->call_tool('get_ticket', { ticket_id => 1, foo => 1 });
like(FreshdeskTest::tool_text($r), qr/unknown argument "foo"; expected: ticket_id, include/,
     'unknown argument refused with the expected names');

($res, $r) = $t->call_tool('get_ticket', { ticket_id => "1\r\nX-Evil: 1" });
ok($r->{isError}, 'CR/LF id refused');

($res, $r) = $t->call_tool('get_ticket', { ticket_id => '../1' });
ok($r->{isError}, '../ id refused');

is(scalar @{$t->fake_requests}, 1, 'only the 404 call reached upstream');

# the key: a wrong one is reported without the key
($res, $r) = $t->call_tool('get_ticket', { ticket_id => 1 },
                           path => '/badkey/mcp');
ok($r->{isError}, 'wrong key: isError');
like(FreshdeskTest::tool_text($r), qr/Freshdesk rejected this tenant's API key \(HTTP 401\)/,
     'wrong key: clear message');
unlike($res->{body}, qr/wrong-key/, 'wrong key: key not in the response');

($res, $r) = $t->call_tool('get_ticket', { ticket_id => 1 },
                           path => '/nokey/mcp');
like(FreshdeskTest::tool_text($r), qr/no Freshdesk API key/,
     'no key configured: isError');

# faults
$t->fake_fault(mode => 'status', status => 503);
($res, $r) = $t->call_tool('get_ticket', { ticket_id => 1 });
like(FreshdeskTest::tool_text($r), qr/Freshdesk unavailable \(HTTP 503\)/,
     'upstream 503');

$t->fake_fault(mode => 'ratelimit', retry_after => 17);
($res, $r) = $t->call_tool('get_ticket', { ticket_id => 1 });
like(FreshdeskTest::tool_text($r), qr/rate limit.*Retry in 17 s/, '429 message');
is($res->{headers}{'retry-after'}, '17', '429 Retry-After passed on');

$t->fake_fault(mode => 'garbage');
($res, $r) = $t->call_tool('get_ticket', { ticket_id => 1 });
like(FreshdeskTest::tool_text($r), qr/bad response: not valid JSON/, 'garbage');

$t->fake_fault(mode => 'reset');
($res, $r) = $t->call_tool('get_ticket', { ticket_id => 1 });
like(FreshdeskTest::tool_text($r), qr/Freshdesk unavailable/, 'reset');

$t->fake_fault(mode => 'truncate');
($res, $r) = $t->call_tool('get_ticket', { ticket_id => 1 });
like(FreshdeskTest::tool_text($r), qr/Freshdesk unavailable|bad response/,
     'truncated body');

$t->fake_fault(mode => 'reset_mid_body');
($res, $r) = $t->call_tool('get_ticket', { ticket_id => 1 });
like(FreshdeskTest::tool_text($r), qr/Freshdesk unavailable|bad response/,
     'reset mid body');

$t->fake_fault(mode => 'delay', seconds => 7);
($res, $r) = $t->call_tool('get_ticket', { ticket_id => 1 });
like(FreshdeskTest::tool_text($r), qr/timed out/, 'upstream timeout');

# 50 MB from Freshdesk: over freshdesk_max_response_size (8m default),
# discarded as it streams, a clear error, the worker unharmed
$t->fake_fault(mode => 'big', bytes => 50_000_000);
($res, $r) = $t->call_tool('list_tickets', {}, timeout => 60);
like(FreshdeskTest::tool_text($r),
     qr/larger than the gateway's limit of 8388608 bytes/, '50 MB body refused');
like($t->error_log, qr/upstream response larger than freshdesk_max_response_size/,
     '50 MB body logged');

# still alive and clean afterwards
($res, $r) = $t->call_tool('get_ticket', { ticket_id => 1 });
is($r->{structuredContent}{id}, 1, 'worker still serves after the faults');

my @audit = audit_lines();
ok(scalar(grep { m{^/mcp POST 200 up=- fd=200 t=\d+\.\d{3} n=1 authz=-$} }
          @audit),
   'audit log: the client request, with Freshdesk status and time');
ok(scalar(grep { m{^/mcp POST 200 up=- fd=50[24] t=\S+ n=1 } } @audit),
   'audit log: a failed upstream request');
ok(scalar(grep { m{^/mcp POST 200 up=- fd=- t=- n=- } } @audit),
   'audit log: a call refused before Freshdesk has no upstream fields');
ok(!grep({ /authz=[^-]/ } @audit), "audit log: no authorization value");

($res, $r) = $t->call_tool('get_ticket', { ticket_id => 1 });
is($res->{headers}{'x-authz'}, '[]',
   'authorization variable empty in the answer headers');

unlike($t->error_log, qr/fd-test-key|wrong-key|ZmQtdGVzdC1rZXk6WA/,
       'no key in error.log');
unlike($t->access_log, qr/fd-test-key|ZmQtdGVzdC1rZXk6WA/,
       'no key in access.log');

$t->finish;
