#!/usr/bin/perl

# The whole tool catalog, table-driven: every tool that tools/list shows
# has at least one success case (exact method, path, raw query and body
# that reached the fake Freshdesk, and the shape of the MCP result) and at
# least one failure case (an argument refused before anything is sent, or
# a Freshdesk error turned into a message).  A tool without a case fails
# the test, so new tools cannot go untested.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use Test::More;

my $t = FreshdeskTest->new->start_fake->standard_conf->run;
my $J = FreshdeskTest::json();

my ($T, $F) = (JSON::PP::true, JSON::PP::false);
my $UUID = qr/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
my $RID = qr/ \(X-Request-Id [0-9a-f-]{36}\)$/;

sub text { FreshdeskTest::tool_text($_[0] // {}) }
sub ids { [ map { $_->{id} } @{$_[0] // []} ] }

# one collection of the fake's state, or one object of it
sub state_of { $t->control('GET', "state/$_[0]") }

sub state_obj {
    my ($coll, $key) = @_;
    my ($o) = grep { ($_->{id} // $_->{display_id} // '') eq $key }
              @{state_of($coll)};
    return $o;
}

sub val {
    my ($v, @a) = @_;
    return ref $v eq 'CODE' ? $v->(@a) : $v;
}

# a fail case: the tool's request reached Freshdesk, which had no such thing
sub not_found {
    my ($name, $args, $method, $path, $what) = @_;

    return { name => $name, args => $args, method => $method, path => $path,
             error => qr/^Freshdesk: \Q$what\E was not found \(HTTP 404\)\.$RID/ };
}

# a fail case of a tool without arguments: given $arg => $value anyway
sub no_args {
    my ($arg, $value) = @_;

    return { name => 'unknown argument', arg => $arg, args => { $arg => $value },
             error => qr/^Invalid arguments: unknown argument "\Q$arg\E"; this tool takes no arguments\.$/ };
}

# a delete_* tool: "DELETE $path/$id" answers "$what $id $done" (then
# check), and the same for the id missing answers 404
sub delete_spec {
    my (%o) = @_;
    my ($arg, $what, $path, $id, $missing) = @o{qw(arg what path id missing)};

    return {
        kind => 'D',
        ok => [ { args => { $arg => $id },
                  method => 'DELETE', path => "$path/$id",
                  query => '', shape => 'ok',
                  message => "$what $id " . ($o{done} // 'deleted'),
                  ($o{check} ? (check => $o{check}) : ()) } ],
        fail => [ not_found($o{fail}, { $arg => $missing },
                            'DELETE', "$path/$missing", "$what $missing") ],
    };
}

# (readOnly, destructive, idempotent) of the annotation classes
my %KIND = (R => [1, 0, 1], A => [0, 0, 0], S => [0, 0, 1],
            U => [0, 1, 1], D => [0, 1, 1], X => [0, 1, 0]);

# --- the table ----------------------------------------------------------
#
# tool => {
#   kind => R|A|S|U|D|X|request        annotation class
#   ok   => [ { args, method, path (below /api/v2), query, body (undef:
#               none), shape => object|list|ok|job, next (list has a
#               nextCursor), total, message (204), check => sub } ]
#   fail => [ { name, args, error => qr//, and either arg => the argument
#               named in a local refusal (nothing may be sent), or
#               method + path of the one upstream request Freshdesk
#               refused } ]
# }
# args, path, query and body may be code: they are evaluated after the
# fake's reset, path/query/body with the arguments.

my %cases = (

    # --- tickets --------------------------------------------------------

    get_ticket => {
        kind => 'R',
        ok => [ { args => { ticket_id => 1, include => ['stats', 'company'] },
                  method => 'GET', path => '/tickets/1',
                  query => 'include=stats%2Ccompany', shape => 'object',
                  check => sub {
                      my ($sc) = @_;
                      is($sc->{subject}, 'Printer on fire', 'subject');
                      is($sc->{company}{name}, 'Acme Corp', 'company embedded');
                      ok(exists $sc->{stats}{resolved_at}, 'stats embedded');
                  } } ],
        fail => [ { name => 'include=notes', arg => 'include',
                    args => { ticket_id => 1, include => ['notes'] },
                    error => qr/^Invalid arguments: include must be an array of values from: conversations, requester, company, stats, got \["notes"\]\.$/ },
                  not_found('unknown ticket', { ticket_id => 424242 },
                            'GET', '/tickets/424242', 'ticket 424242') ],
    },

    list_tickets => {
        kind => 'R',
        ok => [ { args => { updated_since => '2020-01-01T00:00:00Z',
                            order_by => 'created_at', order_type => 'asc',
                            include => ['requester'], per_page => 5,
                            fields => ['*'] },
                  method => 'GET', path => '/tickets',
                  query => 'updated_since=2020-01-01T00%3A00%3A00Z'
                           . '&order_by=created_at&order_type=asc'
                           . '&include=requester&per_page=5',
                  shape => 'list', next => 1, count => 5,
                  check => sub {
                      my ($sc) = @_;
                      my @c = map { $_->{created_at} } @{$sc->{items}};
                      is(scalar(grep { defined } @c), 5,
                         'created_at in every ticket (fields ["*"])');
                      is_deeply(\@c, [sort @c], 'oldest first');
                      ok(!(grep { !$_->{requester}{name} } @{$sc->{items}}),
                         'requester embedded in every ticket');
                  } },
                { args => { filter => 'watching' },
                  method => 'GET', path => '/tickets',
                  query => 'filter=watching', shape => 'list', next => 0,
                  check => sub {
                      is_deeply([sort { $a <=> $b } @{ids($_[0]{items})}],
                                [5, 9], 'tickets watched by the key owner');
                  } } ],
        fail => [ { name => 'order_by=priority', arg => 'order_by',
                    args => { order_by => 'priority' },
                    error => qr/^Invalid arguments: order_by must be one of created_at, due_by, updated_at, status, got "priority"\.$/ },
                  { name => 'unknown requester email with +',
                    args => { email => 'nobody+x@example.com' },
                    method => 'GET', path => '/tickets',
                    query => 'email=nobody%2Bx%40example.com',
                    error => qr/^Freshdesk error \(HTTP 400\): Validation failed: email: There is no contact matching the given email \(invalid_value\)\.$RID/ } ],
    },

    search_tickets => {
        kind => 'R',
        ok => [ { args => { status => [2, 3], priority => [4] },
                  method => 'GET', path => '/search/tickets',
                  query => 'query=%22%28status%3A2%20OR%20status%3A3%29'
                           . '%20AND%20priority%3A4%22',
                  shape => 'list', next => 0,
                  check => sub {
                      my ($sc) = @_;
                      my @want = grep {
                          ($_->{status} == 2 || $_->{status} == 3)
                          && $_->{priority} == 4 && !$_->{spam}
                          && !$_->{deleted} } @{state_of('tickets')};
                      is($sc->{total}, scalar @want, 'total of matches');
                      is_deeply([sort { $a <=> $b } @{ids($sc->{items})}],
                                [map { $_->{id} } @want], 'the matches');
                  } } ],
        fail => [ { name => 'query and structured', arg => 'query',
                    args => { query => 'status:2', status => [2] },
                    error => qr/^Invalid arguments: give either query or the structured filters, not both\.$/ },
                  { name => 'priority 5', arg => 'priority',
                    args => { priority => [5] },
                    error => qr/^Invalid arguments: priority must be an array of values from: 1, 2, 3, 4, got \[5\]\.$/ },
                  { name => 'unknown search field',
                    args => { query => "bogus:1" },
                    method => 'GET', path => '/search/tickets',
                    query => 'query=%22bogus%3A1%22',
                    error => qr/^Freshdesk error \(HTTP 400\): Validation failed: query: Invalid search field: bogus \(invalid_value\)\.$RID/ } ],
    },

    list_ticket_conversations => {
        kind => 'R',
        ok => [ { args => { ticket_id => 1 },
                  method => 'GET', path => '/tickets/1/conversations',
                  query => '', shape => 'list', next => 0,
                  check => sub {
                      is_deeply(ids($_[0]{items}), [5001, 5002, 5003],
                                'the three conversations, oldest first');
                  } },
                { args => { ticket_id => 2, per_page => 10 },
                  method => 'GET', path => '/tickets/2/conversations',
                  query => 'per_page=10', shape => 'list', next => 1,
                  count => 10 } ],
        fail => [ not_found('unknown ticket', { ticket_id => 424242 },
                            'GET', '/tickets/424242/conversations', 'ticket 424242') ],
    },

    list_ticket_watchers => {
        kind => 'R',
        ok => [ { args => { ticket_id => 5 },
                  method => 'GET', path => '/tickets/5/watchers',
                  query => '', shape => 'object',
                  check => sub {
                      is_deeply($_[0], { watcher_ids => [1, 3] },
                                'watcher_ids as Freshdesk sent them');
                  } } ],
        fail => [ { name => 'negative id', arg => 'ticket_id',
                    args => { ticket_id => -1 },
                    error => qr/^Invalid arguments: ticket_id must be a positive integer, got -1\.$/ } ],
    },

    list_ticket_fields => {
        kind => 'R',
        ok => [ { args => { type => 'default_status' },
                  method => 'GET', path => '/ticket_fields',
                  query => 'type=default_status', shape => 'list',
                  next => 0, count => 1,
                  check => sub {
                      is($_[0]{items}[0]{choices}{6}[0],
                         'Waiting on Customer', 'custom status 6');
                  } } ],
        fail => [ { name => 'unknown type',
                    args => { type => 'bogus' },
                    method => 'GET', path => '/ticket_fields',
                    query => 'type=bogus',
                    error => qr/^Freshdesk error \(HTTP 400\): Validation failed: type: It should be one of these values: '.*default_status.*' \(invalid_value\)\.$RID/ } ],
    },

    get_job => {
        kind => 'R',
        ok => [ { args => sub {
                      my (undef, $r) = $t->call_tool('bulk_delete_tickets',
                                                     { ids => [4, 8] });
                      return { job_id => $r->{structuredContent}{job_id} };
                  },
                  method => 'GET', path => sub { "/jobs/$_[0]{job_id}" },
                  query => '', shape => 'object',
                  check => sub {
                      my ($sc, $args) = @_;
                      is($sc->{id}, $args->{job_id}, 'the job');
                      is($sc->{status}, 'in_progress', 'job still running');
                      my (undef, $r) = $t->call_tool('get_job', $args);
                      is($r->{structuredContent}{status}, 'completed',
                         'job completed on the second look');
                      is_deeply($r->{structuredContent}{data},
                                [{ id => 4, success => $T },
                                 { id => 8, success => $T }],
                                'per-ticket results');
                  } } ],
        fail => [ { name => 'slash in job id', arg => 'job_id',
                    args => { job_id => '../tickets' },
                    error => qr/^Invalid arguments: job_id must be an identifier of 1 to 64 letters, digits, "_" or "-", got "\.\.\/tickets"\.$/ },
                  not_found('unknown job', { job_id => 'no-such-job' },
                            'GET', '/jobs/no-such-job', 'job no-such-job') ],
    },

    create_ticket => {
        kind => 'A',
        ok => [ { args => { subject => 'Projector flickers',
                            description => '<p>The meeting room projector '
                                           . 'flickers.</p>',
                            email => 'emily.garcia@acme.com', priority => 3,
                            type => 'Incident', group_id => 12,
                            tags => ['hardware'],
                            cc_emails => ['facilities@acme.com'],
                            custom_fields => { cf_region => 'EMEA' } },
                  method => 'POST', path => '/tickets', query => '',
                  body => { subject => 'Projector flickers',
                            description => '<p>The meeting room projector '
                                           . 'flickers.</p>',
                            email => 'emily.garcia@acme.com', priority => 3,
                            type => 'Incident', group_id => 12,
                            tags => ['hardware'],
                            cc_emails => ['facilities@acme.com'],
                            custom_fields => { cf_region => 'EMEA' } },
                  shape => 'object',
                  check => sub {
                      my ($sc) = @_;
                      is($sc->{id}, 121, 'the new ticket id');
                      is($sc->{requester_id}, 1001, 'requester by email');
                      is($sc->{status}, 2, 'default status');
                      is($sc->{custom_fields}{cf_region}, 'EMEA',
                         'custom field');
                      is(state_obj('tickets', 121)->{subject},
                         'Projector flickers', 'stored by Freshdesk');
                  } } ],
        fail => [ { name => 'no requester', arg => 'email',
                    args => { subject => 'x', description => 'y' },
                    error => qr/^Invalid arguments: give at least one of: email, requester_id, phone, unique_external_id\.$/ },
                  { name => 'unknown type',
                    args => { subject => 'x', description => 'y',
                              requester_id => 1001, type => 'Bogus' },
                    method => 'POST', path => '/tickets',
                    error => qr/^Freshdesk error \(HTTP 400\): Validation failed: type: It should be one of these values: 'Question,Incident,Problem,Feature Request,Refund' \(invalid_value\)\.$RID/ } ],
    },

    update_ticket => {
        kind => 'U',
        ok => [ { args => { ticket_id => 2, status => 3, priority => 2,
                            tags => [] },
                  method => 'PUT', path => '/tickets/2', query => '',
                  body => { status => 3, priority => 2, tags => [] },
                  shape => 'object',
                  check => sub {
                      my ($sc) = @_;
                      is($sc->{status}, 3, 'status changed');
                      is_deeply($sc->{tags}, [], 'tags replaced');
                  } } ],
        fail => [ { name => 'nothing to change', arg => 'subject',
                    args => { ticket_id => 2 },
                    error => qr/^Invalid arguments: give at least one of: subject, description, status, priority, source, type, responder_id, group_id, company_id, product_id, tags, due_by, fr_due_by, custom_fields\.$/ },
                  { name => 'spam ticket',
                    args => { ticket_id => 14, priority => 1 },
                    method => 'PUT', path => '/tickets/14',
                    error => qr/^Freshdesk error \(HTTP 400\): Validation failed: id: Spam or deleted tickets cannot be updated \(invalid_value\)\.$RID/ } ],
    },

    delete_ticket => delete_spec(
        arg => 'ticket_id', what => 'ticket', path => '/tickets',
        id => 4, done => 'moved to trash',
        check => sub {
            ok(state_obj('tickets', 4)->{deleted}, 'in the trash');
        },
        missing => 21, fail => 'already deleted'),

    restore_ticket => {
        kind => 'S',
        ok => [ { args => { ticket_id => 21 },
                  method => 'PUT', path => '/tickets/21/restore', query => '',
                  shape => 'ok', message => 'ticket 21 restored',
                  check => sub {
                      ok(!state_obj('tickets', 21)->{deleted},
                         'out of the trash');
                  } } ],
        fail => [ { name => 'id as string', arg => 'ticket_id',
                    args => { ticket_id => '21' },
                    error => qr/^Invalid arguments: ticket_id must be a positive integer, got "21"\.$/ } ],
    },

    bulk_update_tickets => {
        kind => 'X',
        ok => [ { args => { ids => [1, 2], properties => { status => 4 },
                            reply_body => '<p>Fixed in release 2.1.</p>' },
                  method => 'POST', path => '/tickets/bulk_update',
                  query => '',
                  body => { bulk_action => {
                      ids => [1, 2], properties => { status => 4 },
                      reply => { body => '<p>Fixed in release 2.1.</p>' } } },
                  shape => 'job' } ],
        fail => [ { name => 'neither properties nor reply',
                    arg => 'properties', args => { ids => [1, 2] },
                    error => qr/^Invalid arguments: give at least one of: properties, reply_body\.$/ },
                  { name => 'no ids', arg => 'ids',
                    args => { ids => [], properties => { status => 4 } },
                    error => qr/^Invalid arguments: ids must be an array of 1 to 100 positive integers, got \[\]\.$/ } ],
    },

    bulk_delete_tickets => {
        kind => 'X',
        ok => [ { args => { ids => [4, 8] },
                  method => 'POST', path => '/tickets/bulk_delete',
                  query => '', body => { bulk_action => { ids => [4, 8] } },
                  shape => 'job' } ],
        fail => [ { name => '101 ids', arg => 'ids',
                    args => { ids => [1 .. 101] },
                    error => qr/^Invalid arguments: ids must be an array of 1 to 100 positive integers, got \[1, ?2, ?3,/ } ],
    },

    merge_tickets => {
        kind => 'X',
        ok => [ { args => { primary_id => 1, ticket_ids => [2, 5],
                            note_in_primary => { body => 'Merged duplicates',
                                                 private => $T },
                            convert_recipients_to_cc => $T },
                  method => 'PUT', path => '/tickets/merge', query => '',
                  body => { primary_id => 1, ticket_ids => [2, 5],
                            note_in_primary => { body => 'Merged duplicates',
                                                 private => $T },
                            convert_recepients_to_cc => $T },
                  shape => 'ok', message => 'tickets 2, 5 merged into 1',
                  check => sub {
                      is(state_obj('tickets', $_)->{status}, 5,
                         "ticket $_ closed by the merge") for 2, 5;
                  } } ],
        fail => [ { name => 'primary among the secondaries',
                    args => { primary_id => 1, ticket_ids => [1] },
                    method => 'PUT', path => '/tickets/merge',
                    error => qr/^Freshdesk error \(HTTP 400\): Validation failed: ticket_ids: It should not contain the primary_id \(invalid_value\)\.$RID/ } ],
    },

    reply_ticket => {
        kind => 'A',
        ok => [ { args => { ticket_id => 1,
                            body => '<p>A technician is on the way.</p>',
                            cc_emails => ['facilities@acme.com'] },
                  method => 'POST', path => '/tickets/1/reply', query => '',
                  body => { body => '<p>A technician is on the way.</p>',
                            cc_emails => ['facilities@acme.com'] },
                  shape => 'object',
                  check => sub {
                      my ($sc) = @_;
                      is($sc->{ticket_id}, 1, 'conversation of ticket 1');
                      is($sc->{source}, 0, 'a reply');
                      is($sc->{private}, $F, 'public');
                      is_deeply($sc->{cc_emails}, ['facilities@acme.com'],
                                'cc');
                  } } ],
        fail => [ { name => 'no body', arg => 'body',
                    args => { ticket_id => 1 },
                    error => qr/^Invalid arguments: body is required\.$/ } ],
    },

    add_note => {
        kind => 'A',
        ok => [ { args => { ticket_id => 1, body => '<p>Fuser replaced.</p>',
                            private => $F,
                            notify_emails => ['bob@acmesupport.com'] },
                  method => 'POST', path => '/tickets/1/notes', query => '',
                  body => { body => '<p>Fuser replaced.</p>', private => $F,
                            notify_emails => ['bob@acmesupport.com'] },
                  shape => 'object',
                  check => sub {
                      is($_[0]{source}, 2, 'a note');
                      is($_[0]{private}, $F, 'public note');
                  } } ],
        fail => [ { name => 'unknown author',
                    args => { ticket_id => 1, body => 'x',
                              user_id => 999999 },
                    method => 'POST', path => '/tickets/1/notes',
                    error => qr/^Freshdesk error \(HTTP 400\): Validation failed: user_id: There is no user matching the given user_id \(invalid_value\)\.$RID/ } ],
    },

    forward_ticket => {
        kind => 'A',
        ok => [ { args => { ticket_id => 1,
                            to_emails => ['vendor@printers.example'],
                            body => '<p>Please advise.</p>',
                            include_quoted_text => $F },
                  method => 'POST', path => '/tickets/1/forward',
                  query => '',
                  body => { to_emails => ['vendor@printers.example'],
                            body => '<p>Please advise.</p>',
                            include_quoted_text => $F },
                  shape => 'object',
                  check => sub {
                      is($_[0]{source}, 8, 'a forward');
                      is($_[0]{body}, '<p>Please advise.</p>',
                         'without the quoted text');
                  } } ],
        fail => [ { name => 'bad recipient', arg => 'to_emails',
                    args => { ticket_id => 1, to_emails => ['not-an-email'] },
                    error => qr/^Invalid arguments: to_emails must be an array of email addresses, got \["not-an-email"\]\.$/ } ],
    },

    add_watcher => {
        kind => 'S',
        ok => [ { args => { ticket_id => 1, user_id => 3 },
                  method => 'POST', path => '/tickets/1/watch', query => '',
                  body => { user_id => 3 },
                  shape => 'ok', message => 'watching ticket 1',
                  check => sub {
                      is_deeply(state_obj('tickets', 1)->{_watchers}, [2, 3],
                                'agent 3 now watches');
                  } } ],
        fail => [ { name => 'a contact cannot watch',
                    args => { ticket_id => 1, user_id => 1001 },
                    method => 'POST', path => '/tickets/1/watch',
                    error => qr/^Freshdesk error \(HTTP 400\): Validation failed: user_id: There is no agent matching the given user_id \(invalid_value\)\.$RID/ } ],
    },

    remove_watcher => {
        kind => 'S',
        ok => [ { args => { ticket_id => 5 },
                  method => 'PUT', path => '/tickets/5/unwatch', query => '',
                  shape => 'ok', message => 'stopped watching ticket 5',
                  check => sub {
                      is_deeply(state_obj('tickets', 5)->{_watchers}, [3],
                                'the key owner (agent 1) stopped watching');
                  } } ],
        fail => [ { name => 'user 0', arg => 'user_id',
                    args => { ticket_id => 5, user_id => 0 },
                    error => qr/^Invalid arguments: user_id must be a positive integer, got 0\.$/ } ],
    },

    create_outbound_email => {
        kind => 'A',
        ok => [ { args => { email => 'new.customer@example.org',
                            subject => 'Your quote', email_config_id => 72,
                            description => '<p>Here is your quote.</p>',
                            status => 2, priority => 2, tags => ['sales'] },
                  method => 'POST', path => '/tickets/outbound_email',
                  query => '',
                  body => { email => 'new.customer@example.org',
                            subject => 'Your quote', email_config_id => 72,
                            description => '<p>Here is your quote.</p>',
                            status => 2, priority => 2, tags => ['sales'] },
                  shape => 'object',
                  check => sub {
                      my ($sc) = @_;
                      is($sc->{source}, 10, 'outbound email ticket');
                      is($sc->{status}, 2, 'kept open');
                      is_deeply($sc->{to_emails}, ['new.customer@example.org'],
                                'sent to the customer');
                  } } ],
        fail => [ { name => 'no mailbox', arg => 'email_config_id',
                    args => { email => 'a@example.org', subject => 's' },
                    error => qr/^Invalid arguments: email_config_id is required\.$/ },
                  { name => 'unknown mailbox',
                    args => { email => 'a@example.org', subject => 's',
                              email_config_id => 99 },
                    method => 'POST', path => '/tickets/outbound_email',
                    error => qr/^Freshdesk error \(HTTP 400\): Validation failed: email_config_id: There is no email_config matching the given email_config_id \(invalid_value\)\.$RID/ } ],
    },

    # --- conversations, time entries, CSAT ------------------------------

    update_note => {
        kind => 'U',
        ok => [ { args => { conversation_id => 5003,
                            body => '<p>Internal: warranty confirmed.</p>' },
                  method => 'PUT', path => '/conversations/5003', query => '',
                  body => { body => '<p>Internal: warranty confirmed.</p>' },
                  shape => 'object',
                  check => sub {
                      is($_[0]{body_text}, 'Internal: warranty confirmed.',
                         'note text replaced');
                  } } ],
        fail => [ { name => 'a reply is not a note',
                    args => { conversation_id => 5001, body => 'x' },
                    method => 'PUT', path => '/conversations/5001',
                    error => qr/^Freshdesk error \(HTTP 400\): Validation failed: id: Only notes can be updated \(invalid_value\)\.$RID/ } ],
    },

    delete_conversation => delete_spec(
        arg => 'conversation_id', what => 'conversation',
        path => '/conversations', id => 5002,
        check => sub { ok(!state_obj('conversations', 5002), 'gone') },
        missing => 999999, fail => 'unknown conversation'),

    list_time_entries => {
        kind => 'R',
        ok => [ { args => { agent_id => 1, billable => $T,
                            executed_after => '2020-01-01' },
                  method => 'GET', path => '/time_entries',
                  query => 'agent_id=1&executed_after=2020-01-01'
                           . '&billable=true',
                  shape => 'list', next => 0,
                  check => sub {
                      is_deeply(ids($_[0]{items}), [3001, 3005],
                                'billable entries of agent 1');
                  } },
                { args => { ticket_id => 1 },
                  method => 'GET', path => '/tickets/1/time_entries',
                  query => '', shape => 'list', next => 0,
                  check => sub {
                      is_deeply(ids($_[0]{items}), [3001, 3002],
                                'entries of ticket 1');
                  } } ],
        fail => [ { name => 'bad date', arg => 'executed_before',
                    args => { executed_before => 'yesterday' },
                    error => qr/^Invalid arguments: executed_before must be an ISO-8601 date "YYYY-MM-DD" or date-time "YYYY-MM-DDThh:mm:ssZ", got "yesterday"\.$/ } ],
    },

    create_time_entry => {
        kind => 'A',
        ok => [ { args => { ticket_id => 1, time_spent => '01:30',
                            note => 'Replaced the fuser', billable => $F,
                            agent_id => 2,
                            executed_at => '2024-05-01T10:20:30Z' },
                  method => 'POST', path => '/tickets/1/time_entries',
                  query => '',
                  body => { time_spent => '01:30',
                            note => 'Replaced the fuser', billable => $F,
                            agent_id => 2,
                            executed_at => '2024-05-01T10:20:30Z' },
                  shape => 'object',
                  check => sub {
                      my ($sc) = @_;
                      is($sc->{id}, 3011, 'new entry');
                      is($sc->{time_spent}, '01:30', 'time spent');
                      is($sc->{agent_id}, 2, 'agent');
                  } } ],
        fail => [ { name => '75 minutes', arg => 'time_spent',
                    args => { ticket_id => 1, time_spent => '1:75' },
                    error => qr/^Invalid arguments: time_spent must be a duration "hh:mm", got "1:75"\.$/ } ],
    },

    update_time_entry => {
        kind => 'U',
        ok => [ { args => { time_entry_id => 3001, time_spent => '00:45',
                            note => 'Remote diagnosis' },
                  method => 'PUT', path => '/time_entries/3001', query => '',
                  body => { time_spent => '00:45', note => 'Remote diagnosis' },
                  shape => 'object',
                  check => sub {
                      is($_[0]{note}, 'Remote diagnosis', 'note changed');
                      is($_[0]{time_spent}, '00:45', 'time changed');
                  } } ],
        fail => [ not_found('unknown entry', { time_entry_id => 999999, note => 'x' },
                            'PUT', '/time_entries/999999', 'time entry 999999') ],
    },

    toggle_time_entry_timer => {
        kind => 'A',
        ok => [ { args => { time_entry_id => 3003 },
                  method => 'PUT', path => '/time_entries/3003/toggle_timer',
                  query => '', shape => 'object',
                  check => sub {
                      is($_[0]{timer_running}, $F, 'running timer stopped');
                  } } ],
        fail => [ { name => 'no id', arg => 'time_entry_id', args => {},
                    error => qr/^Invalid arguments: time_entry_id is required\.$/ } ],
    },

    delete_time_entry => delete_spec(
        arg => 'time_entry_id', what => 'time entry',
        path => '/time_entries', id => 3010,
        missing => 999999, fail => 'unknown entry'),

    list_satisfaction_ratings => {
        kind => 'R',
        ok => [ { args => { created_since => '2020-01-01', per_page => 3 },
                  method => 'GET', path => '/surveys/satisfaction_ratings',
                  query => 'created_since=2020-01-01&per_page=3',
                  shape => 'list', next => 1,
                  check => sub {
                      is_deeply(ids($_[0]{items}), [2001, 2002, 2003],
                                'first page of ratings');
                  } },
                { args => sub {
                      { ticket_id => state_obj('satisfaction_ratings', 2001)
                                     ->{ticket_id} } },
                  method => 'GET',
                  path => sub { "/tickets/$_[0]{ticket_id}/satisfaction_ratings" },
                  query => '', shape => 'list', next => 0,
                  check => sub {
                      is($_[0]{items}[0]{id}, 2001, 'rating of the ticket');
                  } } ],
        fail => [ not_found('unknown ticket', { ticket_id => 999999 },
                            'GET', '/tickets/999999/satisfaction_ratings', 'ticket 999999') ],
    },

    create_satisfaction_rating => {
        kind => 'A',
        ok => [ { args => { ticket_id => 1, rating => 103,
                            feedback => 'Very quick help' },
                  method => 'POST', path => '/tickets/1/satisfaction_ratings',
                  query => '',
                  body => { ratings => { default_question => 103 },
                            feedback => 'Very quick help' },
                  shape => 'object',
                  check => sub {
                      is($_[0]{id}, 2009, 'new rating');
                      is_deeply($_[0]{ratings}, { default_question => 103 },
                                'rating stored');
                  } } ],
        fail => [ { name => 'rating 200', arg => 'rating',
                    args => { ticket_id => 1, rating => 200 },
                    error => qr/^Invalid arguments: rating must be an integer from -103 to 103, got 200\.$/ },
                  { name => 'rating not accepted by the survey',
                    args => { ticket_id => 1, rating => 50 },
                    method => 'POST', path => '/tickets/1/satisfaction_ratings',
                    error => qr/^Freshdesk error \(HTTP 400\): Validation failed: default_question: It should be one of these values: '103,102,101,100,-101,-102,-103' \(invalid_value\)\.$RID/ } ],
    },

    list_surveys => {
        kind => 'R',
        ok => [ { args => {}, method => 'GET', path => '/surveys',
                  query => '', shape => 'list', next => 0,
                  check => sub {
                      is_deeply(ids($_[0]{items}), [141, 142], 'surveys');
                  } } ],
        fail => [ no_args('state', 'active') ],
    },

    # --- contacts -------------------------------------------------------

    list_contacts => {
        kind => 'R',
        ok => [ { args => { company_id => 1, state => 'verified',
                            updated_since => '2020-01-01' },
                  method => 'GET', path => '/contacts',
                  query => 'company_id=1&state=verified'
                           . '&_updated_since=2020-01-01',
                  shape => 'list', next => 0,
                  check => sub {
                      is_deeply(ids($_[0]{items}), [1001, 1005, 1009, 1013],
                                'verified contacts of Acme');
                  } } ],
        fail => [ { name => 'state active', arg => 'state',
                    args => { state => 'active' },
                    error => qr/^Invalid arguments: state must be one of blocked, deleted, unverified, verified, got "active"\.$/ } ],
    },

    get_contact => {
        kind => 'R',
        ok => [ { args => { contact_id => 1001 },
                  method => 'GET', path => '/contacts/1001', query => '',
                  shape => 'object',
                  check => sub {
                      is($_[0]{name}, 'Emily Garcia', 'the contact');
                  } } ],
        fail => [ not_found('unknown contact', { contact_id => 9999 },
                            'GET', '/contacts/9999', 'contact 9999') ],
    },

    search_contacts => {
        kind => 'R',
        ok => [ { args => { company_id => 1, tag => 'vip' },
                  method => 'GET', path => '/search/contacts',
                  query => 'query=%22company_id%3A1%20AND%20tag%3A%27vip%27%22',
                  shape => 'list', next => 0, total => 2,
                  check => sub {
                      is_deeply([sort { $a <=> $b } @{ids($_[0]{items})}],
                                [1001, 1005], 'VIP contacts of Acme');
                  } } ],
        fail => [ { name => 'quote in tag', arg => 'tag',
                    args => { tag => "vi'p" },
                    error => qr/^Invalid arguments: tag must be a value without quotes, backslashes or control characters, got "vi'p"\.$/ } ],
    },

    autocomplete_contacts => {
        kind => 'R',
        ok => [ { args => { term => 'Em' },
                  method => 'GET', path => '/contacts/autocomplete',
                  query => 'term=Em', shape => 'list', next => 0,
                  check => sub {
                      is_deeply($_[0]{items},
                                [{ id => 1001, name => 'Emily Garcia' }],
                                'id and name');
                  } } ],
        fail => [ { name => 'one character', arg => 'term',
                    args => { term => 'E' },
                    error => qr/^Invalid arguments: term must be a string of 2 to 100 characters, got "E"\.$/ } ],
    },

    create_contact => {
        kind => 'A',
        ok => [ { args => { name => 'Sam Rivera',
                            email => 'sam.rivera@example.com',
                            company_id => 3, job_title => 'CTO',
                            tags => ['beta'],
                            custom_fields => { cf_customer_tier => 'Gold' } },
                  method => 'POST', path => '/contacts', query => '',
                  body => { name => 'Sam Rivera',
                            email => 'sam.rivera@example.com',
                            company_id => 3, job_title => 'CTO',
                            tags => ['beta'],
                            custom_fields => { cf_customer_tier => 'Gold' } },
                  shape => 'object',
                  check => sub {
                      is($_[0]{id}, 1021, 'new contact');
                      is($_[0]{company_id}, 3, 'company');
                  } } ],
        fail => [ { name => 'no identity', arg => 'email',
                    args => { name => 'Sam' },
                    error => qr/^Invalid arguments: give at least one of: email, phone, mobile, twitter_id, unique_external_id\.$/ },
                  { name => 'duplicate email',
                    args => { name => 'Emily Two',
                              email => 'emily.garcia@acme.com' },
                    method => 'POST', path => '/contacts',
                    error => qr/^Freshdesk error \(HTTP 409\): Validation failed: email: It should be a unique value \(used by contact 1001\) \(duplicate_value\)\.$RID/ } ],
    },

    update_contact => {
        kind => 'U',
        ok => [ { args => { contact_id => 1002, job_title => 'VP Sales',
                            other_emails => ['liam@globex.com'] },
                  method => 'PUT', path => '/contacts/1002', query => '',
                  body => { job_title => 'VP Sales',
                            other_emails => ['liam@globex.com'] },
                  shape => 'object',
                  check => sub {
                      is($_[0]{job_title}, 'VP Sales', 'changed');
                  } } ],
        fail => [ { name => 'nothing to change', arg => 'name',
                    args => { contact_id => 1002 },
                    error => qr/^Invalid arguments: give at least one of: name, email, phone,/ },
                  not_found('unknown contact', { contact_id => 9999, job_title => 'x' },
                            'PUT', '/contacts/9999', 'contact 9999') ],
    },

    delete_contact => delete_spec(
        arg => 'contact_id', what => 'contact', path => '/contacts',
        id => 1003,
        check => sub {
            ok(state_obj('contacts', 1003)->{deleted}, 'soft-deleted');
        },
        missing => 1019, fail => 'already deleted'),

    restore_contact => {
        kind => 'S',
        ok => [ { args => { contact_id => 1019 },
                  method => 'PUT', path => '/contacts/1019/restore',
                  query => '', shape => 'ok',
                  message => 'contact 1019 restored',
                  check => sub {
                      ok(!state_obj('contacts', 1019)->{deleted}, 'restored');
                  } } ],
        fail => [ { name => 'fractional id', arg => 'contact_id',
                    args => { contact_id => 1.5 },
                    error => qr/^Invalid arguments: contact_id must be a positive integer, got 1\.5\.$/ } ],
    },

    make_contact_agent => {
        kind => 'X',
        ok => [ { args => { contact_id => 1004, ticket_scope => 2,
                            role_ids => [24], group_ids => [11] },
                  method => 'PUT', path => '/contacts/1004/make_agent',
                  query => '',
                  body => { ticket_scope => 2, role_ids => [24],
                            group_ids => [11] },
                  shape => 'object',
                  check => sub {
                      my ($sc) = @_;
                      is($sc->{id}, 1004, 'the new agent');
                      is($sc->{ticket_scope}, 2, 'group scope');
                      is_deeply($sc->{group_ids}, [11], 'groups');
                  } } ],
        fail => [ { name => 'ticket_scope 4', arg => 'ticket_scope',
                    args => { contact_id => 1004, ticket_scope => 4 },
                    error => qr/^Invalid arguments: ticket_scope must be one of 1, 2, 3, got 4\.$/ },
                  { name => 'contact without email',
                    args => { contact_id => 1020 },
                    method => 'PUT', path => '/contacts/1020/make_agent',
                    error => qr/^Freshdesk error \(HTTP 400\): Validation failed: email: The contact must have an email address \(missing_field\)\.$RID/ } ],
    },

    send_contact_invite => {
        kind => 'A',
        ok => [ { args => { contact_id => 1016 },
                  method => 'PUT', path => '/contacts/1016/send_invite',
                  query => '', shape => 'ok',
                  message => 'invitation sent to contact 1016' } ],
        fail => [ { name => 'contact without email',
                    args => { contact_id => 1020 },
                    method => 'PUT', path => '/contacts/1020/send_invite',
                    error => qr/^Freshdesk error \(HTTP 400\): Validation failed: email: The contact needs an email address and must not be deleted \(invalid_value\)\.$RID/ } ],
    },

    merge_contacts => {
        kind => 'X',
        ok => [ { args => { primary_contact_id => 1001,
                            secondary_contact_ids => [1005, 1009],
                            contact => { phone => '+1-555-0199' } },
                  method => 'POST', path => '/contacts/merge', query => '',
                  body => { primary_contact_id => 1001,
                            secondary_contact_ids => [1005, 1009],
                            contact => { phone => '+1-555-0199' } },
                  shape => 'ok',
                  message => 'contacts 1005, 1009 merged into 1001',
                  check => sub {
                      my $p = state_obj('contacts', 1001);
                      is($p->{phone}, '+1-555-0199', 'primary phone set');
                      is_deeply([sort @{$p->{other_emails}}],
                                ['ava.rossi@acme.com',
                                 'isabella.silva@acme.com'],
                                'secondary emails kept');
                      ok(!state_obj('contacts', 1005), 'secondary gone');
                  } } ],
        fail => [ { name => 'primary among the secondaries',
                    args => { primary_contact_id => 1001,
                              secondary_contact_ids => [1001] },
                    method => 'POST', path => '/contacts/merge',
                    error => qr/^Freshdesk error \(HTTP 400\): Validation failed: secondary_contact_ids: It should be a non-empty list of other existing contact ids \(invalid_value\)\.$RID/ } ],
    },

    list_contact_fields => {
        kind => 'R',
        ok => [ { args => {}, method => 'GET', path => '/contact_fields',
                  query => '', shape => 'list', next => 0, count => 14,
                  check => sub {
                      ok((grep { $_->{name} eq 'cf_customer_tier' }
                          @{$_[0]{items}}), 'custom field listed');
                  } } ],
        fail => [ no_args('type', 'custom_text') ],
    },

    # --- companies ------------------------------------------------------

    list_companies => {
        kind => 'R',
        ok => [ { args => { per_page => 2 }, method => 'GET',
                  path => '/companies', query => 'per_page=2',
                  shape => 'list', next => 1,
                  check => sub {
                      is_deeply(ids($_[0]{items}), [1, 2], 'first page');
                  } } ],
        fail => [ { name => 'per_page 101', arg => 'per_page',
                    args => { per_page => 101 },
                    error => qr/^Invalid arguments: per_page must be an integer from 1 to 100, got 101\.$/ } ],
    },

    get_company => {
        kind => 'R',
        ok => [ { args => { company_id => 2 }, method => 'GET',
                  path => '/companies/2', query => '', shape => 'object',
                  check => sub { is($_[0]{name}, 'Globex', 'the company') } } ],
        fail => [ not_found('unknown company', { company_id => 99 },
                            'GET', '/companies/99', 'company 99') ],
    },

    search_companies => {
        kind => 'R',
        ok => [ { args => { domain => 'acme.com' }, method => 'GET',
                  path => '/search/companies',
                  query => 'query=%22domain%3A%27acme.com%27%22',
                  shape => 'list', next => 0, total => 1,
                  check => sub {
                      is_deeply(ids($_[0]{items}), [1], 'Acme by domain');
                  } } ],
        fail => [ { name => 'field unknown to Freshdesk',
                    args => { query => "region:'EMEA'" },
                    method => 'GET', path => '/search/companies',
                    query => 'query=%22region%3A%27EMEA%27%22',
                    error => qr/^Freshdesk error \(HTTP 400\): Validation failed: query: Invalid search field: region \(invalid_value\)\.$RID/ } ],
    },

    autocomplete_companies => {
        kind => 'R',
        ok => [ { args => { name => 'Glo' }, method => 'GET',
                  path => '/companies/autocomplete', query => 'name=Glo',
                  shape => 'list', next => 0,
                  check => sub {
                      is_deeply($_[0]{items}, [{ id => 2, name => 'Globex' }],
                                'companies member unwrapped');
                  } } ],
        fail => [ { name => 'no name', arg => 'name', args => {},
                    error => qr/^Invalid arguments: name is required\.$/ } ],
    },

    create_company => {
        kind => 'A',
        ok => [ { args => { name => 'Umbrella Corp',
                            domains => ['umbrella.example'],
                            industry => 'Healthcare',
                            account_tier => 'Premium',
                            renewal_date => '2027-01-01' },
                  method => 'POST', path => '/companies', query => '',
                  body => { name => 'Umbrella Corp',
                            domains => ['umbrella.example'],
                            industry => 'Healthcare',
                            account_tier => 'Premium',
                            renewal_date => '2027-01-01' },
                  shape => 'object',
                  check => sub {
                      is($_[0]{id}, 4, 'new company');
                      is($_[0]{renewal_date}, '2027-01-01T00:00:00Z',
                         'renewal date');
                  } } ],
        fail => [ { name => 'duplicate name',
                    args => { name => 'Acme Corp' },
                    method => 'POST', path => '/companies',
                    error => qr/^Freshdesk error \(HTTP 409\): Validation failed: name: It should be a unique value \(duplicate_value\)\.$RID/ } ],
    },

    update_company => {
        kind => 'U',
        ok => [ { args => { company_id => 3, health_score => 'Happy',
                            note => 'Renewed for two years' },
                  method => 'PUT', path => '/companies/3', query => '',
                  body => { health_score => 'Happy',
                            note => 'Renewed for two years' },
                  shape => 'object',
                  check => sub {
                      is($_[0]{health_score}, 'Happy', 'changed');
                  } } ],
        fail => [ { name => 'unknown health score',
                    args => { company_id => 3, health_score => 'Ecstatic' },
                    method => 'PUT', path => '/companies/3',
                    error => qr/^Freshdesk error \(HTTP 400\): Validation failed: health_score: It should be one of these values: 'At risk,Doing okay,Happy' \(invalid_value\)\.$RID/ } ],
    },

    delete_company => delete_spec(
        arg => 'company_id', what => 'company', path => '/companies',
        id => 3,
        check => sub { ok(!state_obj('companies', 3), 'gone') },
        missing => 99, fail => 'unknown company'),

    list_company_fields => {
        kind => 'R',
        ok => [ { args => {}, method => 'GET', path => '/company_fields',
                  query => '', shape => 'list', next => 0, count => 9 } ],
        fail => [ no_args('page', 2) ],
    },

    # --- agents, groups, roles, skills ----------------------------------

    list_agents => {
        kind => 'R',
        ok => [ { args => { state => 'occasional' }, method => 'GET',
                  path => '/agents', query => 'state=occasional',
                  shape => 'list', next => 0,
                  check => sub {
                      is_deeply(ids($_[0]{items}), [4], 'occasional agent');
                  } } ],
        fail => [ { name => 'bad email', arg => 'email',
                    args => { email => 'bob' },
                    error => qr/^Invalid arguments: email must be an email address, got "bob"\.$/ } ],
    },

    get_agent => {
        kind => 'R',
        ok => [ { args => { agent_id => 'me' }, method => 'GET',
                  path => '/agents/me', query => '', shape => 'object',
                  check => sub {
                      is($_[0]{id}, 1, 'the key owner');
                      is($_[0]{contact}{name}, 'Alice Walker', 'name');
                  } },
                { args => { agent_id => 3 }, method => 'GET',
                  path => '/agents/3', query => '', shape => 'object',
                  check => sub { is($_[0]{id}, 3, 'agent 3') } } ],
        fail => [ { name => 'you', arg => 'agent_id',
                    args => { agent_id => 'you' },
                    error => qr/^Invalid arguments: agent_id must be a positive integer or "me", got "you"\.$/ },
                  not_found('unknown agent', { agent_id => 99 },
                            'GET', '/agents/99', 'agent 99') ],
    },

    list_groups => {
        kind => 'R',
        ok => [ { args => {}, method => 'GET', path => '/groups',
                  query => '', shape => 'list', next => 0,
                  check => sub {
                      is_deeply(ids($_[0]{items}), [11, 12], 'groups');
                  } } ],
        fail => [ { name => 'forged cursor', arg => 'cursor',
                    args => { cursor => 'eyJwYWdlIjoyfQ.AAAA' },
                    error => qr/^Invalid arguments: cursor is not valid for this call/ } ],
    },

    get_group => {
        kind => 'R',
        ok => [ { args => { group_id => 11 }, method => 'GET',
                  path => '/groups/11', query => '', shape => 'object',
                  check => sub {
                      is($_[0]{name}, 'Billing', 'the group');
                      is_deeply($_[0]{agent_ids}, [1, 2], 'members');
                  } } ],
        fail => [ not_found('unknown group', { group_id => 99 },
                            'GET', '/groups/99', 'group 99') ],
    },

    list_roles => {
        kind => 'R',
        ok => [ { args => {}, method => 'GET', path => '/roles', query => '',
                  shape => 'list', next => 0,
                  check => sub {
                      is_deeply(ids($_[0]{items}), [21, 22, 23, 24], 'roles');
                  } } ],
        fail => [ no_args('role_id', 21) ],
    },

    get_role => {
        kind => 'R',
        ok => [ { args => { role_id => 23 }, method => 'GET',
                  path => '/roles/23', query => '', shape => 'object',
                  check => sub { is($_[0]{name}, 'Supervisor', 'the role') } } ],
        fail => [ not_found('unknown role', { role_id => 99 },
                            'GET', '/roles/99', 'role 99') ],
    },

    list_skills => {
        kind => 'R',
        ok => [ { args => {}, method => 'GET', path => '/admin/skills',
                  query => '', shape => 'list', next => 0,
                  check => sub {
                      is_deeply([map { $_->{name} } @{$_[0]{items}}],
                                ['Spanish', 'Hardware'], 'skills');
                  } } ],
        fail => [ no_args('name', 'Spanish') ],
    },

    # --- account configuration -------------------------------------------

    list_products => {
        kind => 'R',
        ok => [ { args => {}, method => 'GET', path => '/products',
                  query => '', shape => 'list', next => 0,
                  check => sub {
                      is_deeply(ids($_[0]{items}), [41, 42], 'products');
                  } } ],
        fail => [ no_args('product_id', 41),
                  { name => 'arguments not an object',
                    raw_args => [1], rpc_error => qr/^Invalid params: "arguments" must be an object$/ } ],
    },

    list_business_hours => {
        kind => 'R',
        ok => [ { args => {}, method => 'GET', path => '/business_hours',
                  query => '', shape => 'list', next => 0,
                  check => sub {
                      is_deeply(ids($_[0]{items}), [51, 52], 'calendars');
                  } },
                { args => { business_hour_id => 52 }, method => 'GET',
                  path => '/business_hours/52', query => '',
                  shape => 'object',
                  check => sub {
                      is($_[0]{time_zone}, 'Dublin', 'one calendar');
                  } } ],
        fail => [ not_found('unknown calendar', { business_hour_id => 99 },
                            'GET', '/business_hours/99', 'business hour 99') ],
    },

    list_sla_policies => {
        kind => 'R',
        ok => [ { args => {}, method => 'GET', path => '/sla_policies',
                  query => '', shape => 'list', next => 0,
                  check => sub {
                      is_deeply(ids($_[0]{items}), [61, 62], 'policies');
                      is($_[0]{items}[1]{sla_target}{priority_4}
                             {respond_within}, 1800, 'targets passed on');
                  } } ],
        fail => [ no_args('active', $T) ],
    },

    list_automation_rules => {
        kind => 'R',
        ok => [ { args => { automation_type_id => 4 }, method => 'GET',
                  path => '/automations/4/rules', query => '',
                  shape => 'list', next => 0,
                  check => sub {
                      is_deeply(ids($_[0]{items}), [84, 85],
                                'ticket update rules');
                  } },
                { args => { automation_type_id => 1, rule_id => 81 },
                  method => 'GET', path => '/automations/1/rules/81',
                  query => '', shape => 'object',
                  check => sub {
                      is($_[0]{name}, 'Route billing emails', 'one rule');
                  } } ],
        fail => [ { name => 'type 2', arg => 'automation_type_id',
                    args => { automation_type_id => 2 },
                    error => qr/^Invalid arguments: automation_type_id must be one of 1, 3, 4, got 2\.$/ },
                  not_found('rule of another type', { automation_type_id => 4, rule_id => 83 },
                            'GET', '/automations/4/rules/83', 'rule 83') ],
    },

    list_email_configs => {
        kind => 'R',
        ok => [ { args => {}, method => 'GET', path => '/email_configs',
                  query => '', shape => 'list', next => 0,
                  check => sub {
                      is_deeply(ids($_[0]{items}), [71, 72], 'mailboxes');
                  } } ],
        fail => [ no_args('id', 71) ],
    },

    # --- canned responses -------------------------------------------------

    list_canned_response_folders => {
        kind => 'R',
        ok => [ { args => {}, method => 'GET',
                  path => '/canned_response_folders', query => '',
                  shape => 'list', next => 0,
                  check => sub {
                      is_deeply(ids($_[0]{items}), [91, 92], 'folders');
                  } } ],
        fail => [ no_args('folder_id', 91) ],
    },

    list_canned_responses => {
        kind => 'R',
        ok => [ { args => { folder_id => 92 }, method => 'GET',
                  path => '/canned_response_folders/92/responses',
                  query => '', shape => 'list', next => 0,
                  check => sub {
                      is_deeply(ids($_[0]{items}), [903, 904], 'responses');
                  } } ],
        fail => [ not_found('unknown folder', { folder_id => 99 },
                            'GET', '/canned_response_folders/99/responses', 'folder 99') ],
    },

    get_canned_response => {
        kind => 'R',
        ok => [ { args => { canned_response_id => 901 }, method => 'GET',
                  path => '/canned_responses/901', query => '',
                  shape => 'object',
                  check => sub {
                      is($_[0]{title}, 'Thanks for reaching out', 'title');
                  } } ],
        fail => [ not_found('unknown response', { canned_response_id => 999 },
                            'GET', '/canned_responses/999', 'canned response 999') ],
    },

    create_canned_response => {
        kind => 'A',
        ok => [ { args => { title => 'Shipping delay',
                            content_html => '<p>Your order ships next '
                                            . 'week.</p>',
                            folder_id => 91, visibility => 2,
                            group_ids => [11] },
                  method => 'POST', path => '/canned_responses', query => '',
                  body => { title => 'Shipping delay',
                            content_html => '<p>Your order ships next '
                                            . 'week.</p>',
                            folder_id => 91, visibility => 2,
                            group_ids => [11] },
                  shape => 'object',
                  check => sub {
                      is($_[0]{id}, 905, 'new response');
                      is($_[0]{content}, 'Your order ships next week.',
                         'plain text');
                  } } ],
        fail => [ { name => 'visibility 3', arg => 'visibility',
                    args => { title => 't', content_html => 'c',
                              folder_id => 91, visibility => 3 },
                    error => qr/^Invalid arguments: visibility must be one of 0, 1, 2, got 3\.$/ },
                  { name => 'unknown folder',
                    args => { title => 't', content_html => 'c',
                              folder_id => 99, visibility => 0 },
                    method => 'POST', path => '/canned_responses',
                    error => qr/^Freshdesk error \(HTTP 400\): Validation failed: folder_id: There is no folder matching the given folder_id \(invalid_value\)\.$RID/ } ],
    },

    # --- knowledge base ----------------------------------------------------

    list_solution_categories => {
        kind => 'R',
        ok => [ { args => {}, method => 'GET', path => '/solutions/categories',
                  query => '', shape => 'list', next => 0,
                  check => sub {
                      is_deeply(ids($_[0]{items}), [111, 112, 113],
                                'categories');
                  } } ],
        fail => [ no_args('category_id', 111) ],
    },

    list_solution_folders => {
        kind => 'R',
        ok => [ { args => { category_id => 112 }, method => 'GET',
                  path => '/solutions/categories/112/folders', query => '',
                  shape => 'list', next => 0,
                  check => sub {
                      is_deeply(ids($_[0]{items}), [122], 'folders');
                  } } ],
        fail => [ not_found('unknown category', { category_id => 999 },
                            'GET', '/solutions/categories/999/folders', 'category 999') ],
    },

    list_solution_articles => {
        kind => 'R',
        ok => [ { args => { folder_id => 121, per_page => 1 },
                  method => 'GET', path => '/solutions/folders/121/articles',
                  query => 'per_page=1', shape => 'list', next => 1,
                  check => sub {
                      is_deeply(ids($_[0]{items}), [131], 'first article');
                  } } ],
        fail => [ { name => 'no folder', arg => 'folder_id', args => {},
                    error => qr/^Invalid arguments: folder_id is required\.$/ } ],
    },

    get_solution_article => {
        kind => 'R',
        ok => [ { args => { article_id => 135 }, method => 'GET',
                  path => '/solutions/articles/135', query => '',
                  shape => 'object',
                  check => sub {
                      is($_[0]{title},
                         'What to do when your printer is on fire', 'title');
                  } } ],
        fail => [ not_found('unknown article', { article_id => 999 },
                            'GET', '/solutions/articles/999', 'article 999') ],
    },

    search_solution_articles => {
        kind => 'R',
        ok => [ { args => { term => 'printer fire' }, method => 'GET',
                  path => '/search/solutions', query => 'term=printer%20fire',
                  shape => 'list', next => 0,
                  check => sub {
                      is_deeply(ids($_[0]{items}), [135], 'matching article');
                  } } ],
        fail => [ { name => 'one character', arg => 'term',
                    args => { term => 'x' },
                    error => qr/^Invalid arguments: term must be a string of 2 to 200 characters, got "x"\.$/ } ],
    },

    create_solution_article => {
        kind => 'A',
        ok => [ { args => { folder_id => 123, title => 'Replacing the toner',
                            description => '<p>Open the front cover.</p>',
                            status => 1, type => 2, tags => ['toner'],
                            seo_data => { meta_title => 'Toner' } },
                  method => 'POST', path => '/solutions/folders/123/articles',
                  query => '',
                  body => { title => 'Replacing the toner',
                            description => '<p>Open the front cover.</p>',
                            status => 1, type => 2, tags => ['toner'],
                            seo_data => { meta_title => 'Toner' } },
                  shape => 'object',
                  check => sub {
                      is($_[0]{id}, 136, 'new article');
                      is($_[0]{folder_id}, 123, 'in the folder');
                  } } ],
        fail => [ { name => 'status 3', arg => 'status',
                    args => { folder_id => 123, title => 't',
                              description => 'd', status => 3 },
                    error => qr/^Invalid arguments: status must be one of 1, 2, got 3\.$/ },
                  not_found('unknown folder', { folder_id => 999, title => 't',
                              description => 'd', status => 1 },
                            'POST', '/solutions/folders/999/articles', 'folder 999') ],
    },

    update_solution_article => {
        kind => 'U',
        ok => [ { args => { article_id => 134, status => 2,
                            tags => ['payment', 'card'] },
                  method => 'PUT', path => '/solutions/articles/134',
                  query => '',
                  body => { status => 2, tags => ['payment', 'card'] },
                  shape => 'object',
                  check => sub {
                      is($_[0]{status}, 2, 'published');
                  } } ],
        fail => [ { name => 'nothing to change', arg => 'title',
                    args => { article_id => 134 },
                    error => qr/^Invalid arguments: give at least one of: title, description, status, type, tags, seo_data\.$/ } ],
    },

    # --- custom objects ----------------------------------------------------

    list_custom_object_schemas => {
        kind => 'R',
        ok => [ { args => {}, method => 'GET', path => '/custom_objects/schemas',
                  query => '', shape => 'list', next => 0,
                  check => sub {
                      is_deeply(ids($_[0]{items}), [30, 31],
                                'schemas member unwrapped');
                  } } ],
        fail => [ no_args('schema_id', 30) ],
    },

    list_custom_object_records => {
        kind => 'R',
        ok => [ { args => { schema_id => 30, page_size => 5,
                            filters => { guests => { gte => 4 },
                                         status => 'confirmed' } },
                  method => 'GET',
                  path => '/custom_objects/schemas/30/records',
                  query => 'page_size=5&guests%5Bgte%5D=4&status=confirmed',
                  shape => 'list', next => 1,
                  check => sub {
                      is_deeply([map { $_->{display_id} } @{$_[0]{items}}],
                                ['BKG-3', 'BKG-9', 'BKG-15', 'BKG-21',
                                 'BKG-27'], 'filtered records');
                  } } ],
        fail => [ { name => 'operator ne', arg => 'filters',
                    args => { schema_id => 30,
                              filters => { guests => { ne => 3 } } },
                    error => qr/^Invalid arguments: filters must be an object of field names/ },
                  { name => 'field not filterable',
                    args => { schema_id => 30,
                              filters => { notes => 'Room 101' } },
                    method => 'GET',
                    path => '/custom_objects/schemas/30/records',
                    query => 'notes=Room%20101',
                    error => qr/^Freshdesk error \(HTTP 400\): Validation failed: notes: It is not a filterable field of schema 30 \(invalid_value\)\.$RID/ } ],
    },

    get_custom_object_record => {
        kind => 'R',
        ok => [ { args => { schema_id => 30, record_id => 'BKG-7' },
                  method => 'GET',
                  path => '/custom_objects/schemas/30/records/BKG-7',
                  query => '', shape => 'object',
                  check => sub {
                      is($_[0]{data}{booking_name}, 'Booking 7', 'record');
                  } } ],
        fail => [ { name => 'space in id', arg => 'record_id',
                    args => { schema_id => 30, record_id => 'BKG 7' },
                    error => qr/^Invalid arguments: record_id must be an identifier of 1 to 64 letters/ },
                  not_found('record of another schema', { schema_id => 31, record_id => 'BKG-7' },
                            'GET', '/custom_objects/schemas/31/records/BKG-7', 'record BKG-7') ],
    },

    upsert_custom_object_record => {
        kind => 'U',
        ok => [ { args => { schema_id => 31,
                            data => { plan => 'Pro', seats => 50,
                                      renewal => '2027-03-01' } },
                  method => 'POST',
                  path => '/custom_objects/schemas/31/records', query => '',
                  body => { data => { plan => 'Pro', seats => 50,
                                      renewal => '2027-03-01' } },
                  shape => 'object',
                  check => sub {
                      is($_[0]{display_id}, 'SUB-4', 'created');
                  } },
                { args => { schema_id => 30, record_id => 'BKG-2',
                            data => { guests => 4, paid => $T },
                            version => 1 },
                  method => 'PUT',
                  path => '/custom_objects/schemas/30/records/BKG-2',
                  query => '',
                  body => { display_id => 'BKG-2',
                            data => { guests => 4, paid => $T },
                            version => 1 },
                  shape => 'object',
                  check => sub {
                      is($_[0]{version}, 2, 'new version');
                      is($_[0]{data}{guests}, 4, 'updated');
                  } } ],
        fail => [ { name => 'stale version',
                    args => { schema_id => 30, record_id => 'BKG-2',
                              data => { guests => 5 }, version => 1 },
                    method => 'PUT',
                    path => '/custom_objects/schemas/30/records/BKG-2',
                    error => qr/^Freshdesk error \(HTTP 409\): Conflict: version: The record was changed meanwhile; current version is 2 \(invalid_value\)\.$RID/ },
                  { name => 'no data', arg => 'data',
                    args => { schema_id => 30 },
                    error => qr/^Invalid arguments: data is required\.$/ } ],
    },

    delete_custom_object_record => {
        kind => 'D',
        ok => [ { args => { schema_id => 30, record_id => 'BKG-50' },
                  method => 'DELETE',
                  path => '/custom_objects/schemas/30/records/BKG-50',
                  query => '', shape => 'ok',
                  message => 'record BKG-50 deleted',
                  check => sub {
                      ok(!state_obj('custom_object_records', 'BKG-50'),
                         'gone');
                  } } ],
        fail => [ not_found('unknown record', { schema_id => 30, record_id => 'BKG-999' },
                            'DELETE', '/custom_objects/schemas/30/records/BKG-999', 'record BKG-999') ],
    },

    # --- escape hatch ----------------------------------------------------

    freshdesk_request => {
        kind => 'request',
        ok => [ { args => { path => '/tickets/1/conversations',
                            query => { per_page => 2 } },
                  method => 'GET', path => '/tickets/1/conversations',
                  query => 'per_page=2', shape => 'list', next => 0,
                  check => sub {
                      is_deeply(ids($_[0]{items}), [5001, 5002],
                                'a list answer becomes items');
                  } } ],
        fail => [ { name => 'dot-dot path', arg => 'path',
                    args => { path => '/tickets/../admin' },
                    error => qr/^Invalid arguments: path must be a relative API path/ },
                  not_found('unknown endpoint', { path => '/no_such_endpoint' },
                            'GET', '/no_such_endpoint', 'the requested resource') ],
    },
);

# --- tools/list: the catalog under test ------------------------------------

my $list = $t->mcp({ jsonrpc => '2.0', id => 1, method => 'tools/list' });
my @listed = @{$list->{json}{result}{tools} // []};
my %tools = map { $_->{name} => $_ } @listed;

cmp_ok(scalar @listed, '>=', 79, 'tools/list shows the whole catalog');

for my $name (sort keys %tools) {
    my $c = $cases{$name};
    ok($c, "$name has a test case") or next;
    ok(@{$c->{ok} // []}, "$name has a success case");
    ok(@{$c->{fail} // []}, "$name has a failure case");
}

for my $name (sort keys %cases) {
    ok($tools{$name}, "case $name is a listed tool");
}

# --- running a case ---------------------------------------------------------

sub check_annotations {
    my ($name, $kind) = @_;
    my $ann = $tools{$name}{annotations} // {};

    is($ann->{title}, $tools{$name}{title}, "$name: annotation title");
    is($ann->{openWorldHint}, $T, "$name: openWorldHint");

    if ($kind eq 'request') {
        is($ann->{readOnlyHint}, $F, "$name: not read-only (may write)");
        return;
    }

    my ($ro, $de, $id) = @{$KIND{$kind}};
    is($ann->{readOnlyHint}, $ro ? $T : $F, "$name: readOnlyHint ($kind)");
    is($ann->{destructiveHint}, $de ? $T : $F,
       "$name: destructiveHint ($kind)");
    is($ann->{idempotentHint}, $id ? $T : $F, "$name: idempotentHint ($kind)");
}

sub run_ok {
    my ($tool, $c, $n) = @_;
    my $name = "$tool ok#$n";
    my $args = val($c->{args});

    $t->fake_clear;
    my ($res, $r) = $t->call_tool($tool, $args);

    is($res->{status}, 200, "$name: HTTP 200");
    ok($r && !$r->{isError}, "$name: not isError")
        or diag(text($r) || $res->{body});

    my $reqs = $t->fake_requests;
    is(scalar @$reqs, 1, "$name: exactly one upstream request");
    my $q = $reqs->[0] // {};

    is($q->{method}, $c->{method}, "$name: method");
    is($q->{path}, '/api/v2' . val($c->{path}, $args), "$name: path");
    is($q->{query}, val($c->{query}, $args) // '', "$name: query string");

    my $body = val($c->{body}, $args);

    if (defined $body) {
        my $got = eval { $J->decode($q->{body}) };
        is_deeply($got, $body, "$name: JSON body") or diag($q->{body});
        like($q->{headers}{'content-type'} // '', qr{^application/json},
             "$name: JSON content type upstream");
    } else {
        is($q->{body}, '', "$name: no body");
    }

    my $sc = $r->{structuredContent};
    is_deeply(eval { $J->decode(text($r)) }, $sc,
              "$name: text content is the structured content");

    my $shape = $c->{shape};

    if ($shape eq 'object') {
        is(ref $sc, 'HASH', "$name: an object");
        ok(!exists $sc->{items}, "$name: passed on, not wrapped");

    } elsif ($shape eq 'list') {
        is(ref $sc->{items}, 'ARRAY', "$name: items");
        is_deeply([grep { !/^(items|nextCursor|total)$/ } keys %$sc], [],
                  "$name: only items, nextCursor, total");
        if ($c->{next}) {
            like($sc->{nextCursor} // '', qr/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/,
                 "$name: nextCursor");
        } else {
            ok(!exists $sc->{nextCursor}, "$name: no nextCursor");
        }
        if (defined $c->{total}) {
            is($sc->{total}, $c->{total}, "$name: total");
        } elsif ($tools{$tool}{inputSchema}{properties}{query}
                 && $tool ne 'freshdesk_request')
        {
            ok(defined $sc->{total}, "$name: search answers have a total");
        } else {
            ok(!exists $sc->{total}, "$name: no total");
        }
        is(scalar @{$sc->{items}}, $c->{count}, "$name: $c->{count} items")
            if defined $c->{count};

    } elsif ($shape eq 'ok') {
        is_deeply([sort keys %$sc], [qw(message ok status)],
                  "$name: ok, status, message");
        is($sc->{ok}, $T, "$name: ok true");
        is($sc->{status}, 204, "$name: status 204");
        is($sc->{message}, $c->{message}, "$name: message");

    } elsif ($shape eq 'job') {
        is_deeply([keys %$sc], ['job_id'], "$name: job_id only");
        like($sc->{job_id}, $UUID, "$name: job id");
    }

    $c->{check}->($sc, $args) if $c->{check} && ref $sc eq 'HASH';
}

sub run_fail {
    my ($tool, $c) = @_;
    my $name = "$tool fails ($c->{name})";

    $t->fake_clear;

    if ($c->{raw_args}) {
        my $res = $t->mcp({ jsonrpc => '2.0', id => 7, method => 'tools/call',
                            params => { name => $tool,
                                        arguments => $c->{raw_args} } });
        is($res->{json}{error}{code}, -32602, "$name: -32602");
        like($res->{json}{error}{message}, $c->{rpc_error}, "$name: message");
        is($t->fake_count, 0, "$name: nothing sent upstream");
        return;
    }

    my $args = val($c->{args});
    my ($res, $r) = $t->call_tool($tool, $args);

    is($res->{status}, 200, "$name: HTTP 200");
    is($r->{isError}, $T, "$name: isError");
    ok(!exists $r->{structuredContent}, "$name: no structured content");
    like(text($r), $c->{error}, "$name: message") or diag(text($r));

    if ($c->{arg}) {
        like(text($r), qr/\b\Q$c->{arg}\E\b/, "$name: names $c->{arg}");
        is($t->fake_count, 0, "$name: nothing sent upstream");
        return;
    }

    my $reqs = $t->fake_requests;
    is(scalar @$reqs, 1, "$name: one upstream request");
    is($reqs->[0]{method}, $c->{method}, "$name: method");
    is($reqs->[0]{path}, "/api/v2$c->{path}", "$name: path");
    is($reqs->[0]{query}, $c->{query}, "$name: query string")
        if defined $c->{query};
}

for my $tool (sort keys %cases) {
    my $c = $cases{$tool};

    $t->fake_reset;

    check_annotations($tool, $c->{kind}) if $tools{$tool};

    my $n = 0;
    run_ok($tool, $_, ++$n) for @{$c->{ok}};
    run_fail($tool, $_) for @{$c->{fail}};
}

# --- shortened messages never cut a UTF-8 character in two ------------------

{
    my $U = JSON::PP->new->utf8->canonical;

    # strict UTF-8 decoding of the raw answer, as any JSON client does
    my $call = sub {
        my ($name, $params) = @_;
        my $res = $t->mcp($U->encode({ jsonrpc => '2.0', id => 5,
                                       method => 'tools/call',
                                       params => $params }));
        my $doc = eval { $U->decode($res->{body}) };
        ok($doc, "$name: the answer is valid UTF-8 JSON") or diag($@);
        return $doc // {};
    };

    for my $odd ('', 'x') {
        my $doc = $call->("long non-ASCII argument$odd",
            { name => 'get_ticket',
              arguments => { ticket_id => $odd . ("\x{e9}" x 60) } });
        like($doc->{result}{content}[0]{text},
             qr/^Invalid arguments: ticket_id must be a positive integer, got "x?\x{e9}+\.\.\.\.$/,
             "long non-ASCII argument$odd: shortened whole characters");

        $doc = $call->("long non-ASCII tool name$odd",
            { name => $odd . ("\x{e9}" x 100), arguments => {} });
        like($doc->{error}{message}, qr/^Unknown tool: x?\x{e9}+$/,
             "long non-ASCII tool name$odd: shortened whole characters");
        cmp_ok(length $doc->{error}{message}, '<', 14 + 65,
               "long non-ASCII tool name$odd: at most 128 bytes of it");

        $t->fake_fault(mode => 'status', status => 400,
                       headers => { 'Content-Type' => 'application/json' },
                       body => $U->encode({
                           description => 'Validation failed',
                           errors => [{ field => 'subject',
                                        code => 'invalid_value',
                                        message => $odd . ("\x{e9}" x 2000)
                                      }] }));
        $doc = $call->("long non-ASCII Freshdesk error$odd",
            { name => 'get_ticket', arguments => { ticket_id => 1 } });
        like($doc->{result}{content}[0]{text},
             qr/^Freshdesk error \(HTTP 400\): Validation failed: subject: x?\x{e9}+\.\.\.$RID/,
             "long non-ASCII Freshdesk error$odd: shortened whole characters");
    }
}

$t->finish;
