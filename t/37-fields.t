#!/usr/bin/perl

# Result field selection: each tool that returns records keeps, by
# default, the fields an agent needs (HTML twins dropped), an explicit
# "fields" argument keeps exactly the names asked for (dotted for a member
# of an object member), ["*"] keeps everything; unknown names and
# malformed arguments are tool errors that list the valid names; a list's
# fields travel in its cursor; freshdesk_fields overrides a tool's default
# and freshdesk_fields_default off turns trimming off; bad directives fail
# nginx -t.  The text copy of each result is the structured copy escaped.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use MIME::Base64 qw(encode_base64url decode_base64url);
use Test::More;

my $t = FreshdeskTest->new->start_fake->standard_conf(
    server => 'location = /override/mcp {
            freshdesk_mcp;
            freshdesk_tenant $fd_tenant;
            freshdesk_api_key $fd_api_key;
            freshdesk_fields list_tickets id subject status
                             custom_fields.cf_region;
            freshdesk_fields get_agent *;
        }
        location = /off/mcp {
            freshdesk_mcp;
            freshdesk_tenant $fd_tenant;
            freshdesk_api_key $fd_api_key;
            freshdesk_fields_default off;
        }',
)->run;

my $J = FreshdeskTest::json();

sub text { FreshdeskTest::tool_text($_[0] // {}) }

# a call's result; checks that the text copy is the structured copy
sub call {
    my ($tool, $args, %o) = @_;
    my ($res, $r) = $t->call_tool($tool, $args, %o);
    my $name = "$tool " . $J->canonical->encode($args // {});
    if (!$r || $r->{isError}) {
        return ($r, $res);
    }
    my $copy = eval { $J->decode(text($r)) };
    is_deeply($copy, $r->{structuredContent},
              "$name: the text copy is the structured copy")
        or diag(substr($res->{body}, 0, 2000));
    return ($r, $res);
}

sub keyset { join ',', sort keys %{$_[0]} }

sub only {
    my ($h, @k) = @_;
    my %want = map { $_ => 1 } @k;
    return { map { $_ => $h->{$_} } grep { $want{$_} } keys %$h };
}

my @LIST = qw(id subject status priority requester_id responder_id
              group_id tags due_by updated_at);

# --- full records, for comparison ----------------------------------------

my ($full) = call('list_tickets', { per_page => 30, fields => ['*'] });
ok(@{$full->{structuredContent}{items}} == 30, 'full page: 30 tickets');
ok(exists $full->{structuredContent}{items}[0]{custom_fields}
   && exists $full->{structuredContent}{items}[0]{cc_emails},
   '["*"]: every field');

my ($off) = call('list_tickets', { per_page => 30 }, path => '/off/mcp');
is_deeply($off->{structuredContent}{items}, $full->{structuredContent}{items},
          'freshdesk_fields_default off: the full records');

# --- defaults ------------------------------------------------------------

my ($def, $defres) = call('list_tickets', { per_page => 30 });
my $items = $def->{structuredContent}{items};
is(scalar @$items, 30, 'defaults: 30 tickets');
my $ok = 1;
for my $i (0 .. $#$items) {
    my $want = only($full->{structuredContent}{items}[$i], @LIST);
    $ok &&= is_deeply($items->[$i], $want, "defaults: ticket $i shape");
}
is(keyset($items->[0]), join(',', sort @LIST),
   'list_tickets defaults: the triage fields');
ok(defined $def->{structuredContent}{nextCursor}, 'defaults: nextCursor');

# bytes: the default page is at most a third of the full page
my ($fullres) = $t->call_tool('list_tickets', { per_page => 30,
                                                fields => ['*'] });
my $ratio = length($defres->{body}) / length($fullres->{body});
cmp_ok($ratio, '<=', 1 / 3,
       sprintf('defaults: %d of %d bytes (%.2f)', length $defres->{body},
               length $fullres->{body}, $ratio));

# get_ticket: description_text, not the HTML description
my ($one) = call('get_ticket', { ticket_id => 1 });
my $rec = $one->{structuredContent};
ok(exists $rec->{description_text} && !exists $rec->{description},
   'get_ticket defaults: text twin kept, HTML twin dropped');
is(ref $rec->{custom_fields}, 'HASH', 'get_ticket defaults: custom fields');
ok(!exists $rec->{cc_emails} && !exists $rec->{fwd_emails},
   'get_ticket defaults: email lists dropped');
my ($onefull) = call('get_ticket', { ticket_id => 1, fields => ['*'] });
ok(exists $onefull->{structuredContent}{description},
   'get_ticket ["*"]: the HTML twin too');
my ($emb) = call('get_ticket', { ticket_id => 1,
                                 include => ['stats', 'requester'] });
ok(ref $emb->{structuredContent}{stats} eq 'HASH'
   && ref $emb->{structuredContent}{requester} eq 'HASH',
   'get_ticket defaults: embeds asked for are kept');

# conversations: body_text, not body
my ($conv) = call('list_ticket_conversations', { ticket_id => 1 });
my $c0 = $conv->{structuredContent}{items}[0];
ok($c0 && exists $c0->{body_text} && !exists $c0->{body},
   'conversations defaults: body_text kept, body dropped');

# agents: a nested default (contact.name, contact.email)
my ($ag) = call('list_agents', {});
my $a0 = $ag->{structuredContent}{items}[0];
is(keyset($a0->{contact} // {}), 'email,name',
   'list_agents defaults: contact.name and contact.email only');
ok(!exists $a0->{signature}, 'list_agents defaults: no signature');

# search: the records inside "results", the total kept
my ($sc) = call('search_contacts', { query => "active:true" });
my $s = $sc->{structuredContent};
ok($s->{total} && @{$s->{items}}, 'search_contacts: total and items');
ok(!exists $s->{items}[0]{custom_fields} && exists $s->{items}[0]{email},
   'search_contacts defaults');

my ($grp) = call('get_group', { group_id => 11 });
is(keyset($grp->{structuredContent}),
   'agent_ids,auto_ticket_assign,business_hour_id,description,escalate_to,'
   . 'group_type,id,name,unassigned_for', 'get_group defaults');

# --- explicit fields -----------------------------------------------------

my ($ex) = call('list_tickets', { per_page => 5, fields => ['subject', 'id'] });
is_deeply([ map { keyset($_) } @{$ex->{structuredContent}{items}} ],
          [ ('id,subject') x 5 ], 'explicit fields: exactly those');

my ($dot) = call('list_tickets', { per_page => 5,
                                   fields => ['id', 'custom_fields.cf_region'] });
is_deeply($dot->{structuredContent}{items}[0],
          { id => $full->{structuredContent}{items}[0]{id},
            custom_fields => { cf_region =>
                $full->{structuredContent}{items}[0]{custom_fields}{cf_region} } },
          'dotted custom field');

my ($dot2) = call('get_ticket', { ticket_id => 1,
    fields => ['custom_fields.cf_region', 'custom_fields', 'custom_fields.cf_nope'] });
is_deeply($dot2->{structuredContent},
          { custom_fields => $onefull->{structuredContent}{custom_fields} },
          'the whole member wins over its parts');

my ($dot3) = call('get_ticket', { ticket_id => 1,
    fields => ['id', 'custom_fields.cf_not_in_this_account'] });
is_deeply($dot3->{structuredContent}, { id => 1, custom_fields => {} },
          'any name under custom_fields is accepted');

my ($ag2) = call('get_agent', { agent_id => 1,
                                fields => ['contact.email', 'ticket_scope'] });
is(keyset($ag2->{structuredContent}), 'contact,ticket_scope',
   'get_agent explicit');
is(keyset($ag2->{structuredContent}{contact}), 'email', 'get_agent contact.email');

# --- errors --------------------------------------------------------------

sub refused {
    my ($tool, $args, $re, $name) = @_;
    $t->fake_clear;
    my ($res, $r) = $t->call_tool($tool, $args);
    ok($r && $r->{isError}, "$name: a tool error");
    like(text($r), $re, "$name: message");
    is(scalar @{$t->fake_requests}, 0, "$name: nothing sent upstream");
}

refused('list_tickets', { fields => ['id', 'nope'] },
        qr/^Invalid arguments: unknown field "nope" for list_tickets; valid: id, subject, .*custom_fields\.<name>.*\["\*"\]/,
        'unknown field');
refused('list_tickets', { fields => ['contact.email'] },
        qr/unknown field "contact\.email"/, 'dotted name of another record');
refused('list_tickets', { fields => ['subject.x'] },
        qr/unknown field "subject\.x"/, 'dotted under a plain member');
refused('list_tickets', { fields => 'id' },
        qr/^Invalid arguments: "fields" must be an array/, 'not an array');
refused('list_tickets', { fields => { id => 1 } },
        qr/must be an array/, 'an object');
refused('list_tickets', { fields => [1, 2] },
        qr/each item of "fields" must be a string/, 'non-string items');
refused('list_tickets', { fields => [] },
        qr/1 to 64 field names/, 'empty array');
refused('list_tickets', { fields => [ ('id') x 65 ] },
        qr/1 to 64 field names/, 'huge array');
refused('list_tickets', { fields => [ 'x' x 5000 ] },
        qr/unknown field "x{128}" for/, 'huge name (cut in the message)');
refused('list_tickets', { fields => ["id\r\nX-Evil: 1"] },
        qr/unknown field "id\?\?X-Evil: 1"/, 'CR/LF shown as ?');
refused('list_tickets', { fields => ['*', 'id'] },
        qr/stands alone/, '"*" with other names');
refused('list_tickets', { fields => ['custom_fields..x'] },
        qr/unknown field/, 'empty dotted part');
refused('list_roles', { fields => ['id'] },
        qr/unknown argument "fields"/, 'a tool without records');

# --- cursors -------------------------------------------------------------

my ($p1) = call('list_tickets', { per_page => 5, fields => ['id', 'status'] });
my $cur = $p1->{structuredContent}{nextCursor};
ok($cur, 'page 1 with fields: nextCursor');
my ($p2) = call('list_tickets', { per_page => 5, cursor => $cur });
ok(@{$p2->{structuredContent}{items} // []} == 5, 'page 2: 5 tickets');
is_deeply([ map { keyset($_) } @{$p2->{structuredContent}{items}} ],
          [ ('id,status') x 5 ], 'page 2 without fields: page 1\'s fields');
my ($p2b) = call('list_tickets', { per_page => 5, cursor => $cur,
                                   fields => ['id', 'status'] });
is_deeply($p2b->{structuredContent}{items}, $p2->{structuredContent}{items},
          'page 2 with the same fields');
my $cur2 = $p2->{structuredContent}{nextCursor};
my ($p3) = call('list_tickets', { per_page => 5, cursor => $cur2 });
is(keyset($p3->{structuredContent}{items}[0]), 'id,status',
   'page 3: still page 1\'s fields');
refused('list_tickets', { per_page => 5, cursor => $cur, fields => ['id'] },
        qr/"fields" differs from the first page's/, 'other fields with a cursor');

# the fields in a cursor cannot be edited
my ($pl, $mac) = split /\./, $cur;
my $payload = decode_base64url($pl);
like($payload, qr/^2\|\d+\|2\|id,status\|$/, 'the cursor carries the fields');
(my $forged = $payload) =~ s/id,status/id,status,custom_fields/;
refused('list_tickets', { per_page => 5,
                          cursor => encode_base64url($forged) . ".$mac" },
        qr/cursor is not valid for this call/, 'edited fields in a cursor');

# a default-shaped list: its cursor carries no fields
my ($d1) = call('list_tickets', { per_page => 5 });
my ($d2) = call('list_tickets', { per_page => 5,
                                  cursor => $d1->{structuredContent}{nextCursor} });
is(keyset($d2->{structuredContent}{items}[0]), join(',', sort @LIST),
   'defaults on page 2');

# search paging keeps the fields too
my ($sp1) = call('search_tickets', { query => "status:2 OR status:3 OR status:4 OR status:5",
                                     fields => ['id'] });
SKIP: {
    my $sc1 = $sp1->{structuredContent}{nextCursor};
    skip 'fewer than 31 search results', 1 unless $sc1;
    my ($sp2) = call('search_tickets', { query => "status:2 OR status:3 OR status:4 OR status:5",
                                         cursor => $sc1 });
    is(keyset($sp2->{structuredContent}{items}[0]), 'id',
       'search page 2: page 1\'s fields');
}

# --- directives ----------------------------------------------------------

my ($ov) = call('list_tickets', { per_page => 3 }, path => '/override/mcp');
is(keyset($ov->{structuredContent}{items}[0]), 'custom_fields,id,status,subject',
   'freshdesk_fields override');
is(keyset($ov->{structuredContent}{items}[0]{custom_fields}), 'cf_region',
   'freshdesk_fields override: dotted');
my ($ov2) = call('list_tickets', { per_page => 3, fields => ['id'] },
                 path => '/override/mcp');
is(keyset($ov2->{structuredContent}{items}[0]), 'id',
   'an explicit fields argument beats the override');
my ($ova) = call('get_agent', { agent_id => 1 }, path => '/override/mcp');
ok(exists $ova->{structuredContent}{signature}, 'freshdesk_fields TOOL *');
my ($ovc) = call('list_contacts', {}, path => '/override/mcp');
ok(!exists $ovc->{structuredContent}{items}[0]{custom_fields},
   'other tools keep their defaults');
my ($offx) = call('list_tickets', { per_page => 3, fields => ['id'] },
                  path => '/off/mcp');
is(keyset($offx->{structuredContent}{items}[0]), 'id',
   'trimming off: an explicit fields argument still applies');

# --- tools/list ----------------------------------------------------------

my $tl = $t->mcp({ jsonrpc => '2.0', id => 99, method => 'tools/list' });
my %tools = map { $_->{name} => $_ } @{$tl->{json}{result}{tools}};
my $fs = $tools{list_tickets}{inputSchema}{properties}{fields};
is($fs->{type}, 'array', 'tools/list: fields is an array');
like($fs->{description}, qr/default id,subject,status,.*custom_fields\.\*/,
     'tools/list: defaults and names in the description');
ok(!$tools{list_roles}{inputSchema}{properties}{fields},
   'tools/list: no fields on a tool without records');
ok($tools{$_}{inputSchema}{properties}{fields}, "tools/list: $_ has fields")
    for qw(get_ticket search_tickets list_ticket_conversations get_contact
           list_companies get_company search_companies list_groups);

$t->check_log;

# --- bad directives fail nginx -t ----------------------------------------

for my $case (
    [ 'freshdesk_fields list_nope id;', qr/"list_nope" is not a tool that returns records/ ],
    [ 'freshdesk_fields list_tickets nope;', qr/unknown field "nope" for "list_tickets"/ ],
    [ 'freshdesk_fields list_tickets id;' . "\n" . 'freshdesk_fields list_tickets subject;',
      qr/is duplicate/ ],
    [ 'freshdesk_fields list_tickets;', qr/invalid number of arguments/ ],
    [ 'freshdesk_fields list_tickets id custom_fields.;', qr/unknown field "custom_fields\."/ ],
    [ 'freshdesk_fields_default maybe;', qr/invalid value "maybe"/ ],
) {
    my $b = FreshdeskTest->new->standard_conf(mcp => $case->[0]);
    my ($ok, $out) = $b->test_conf;
    ok(!$ok, "nginx -t refuses: $case->[0]");
    like($out, $case->[1], "nginx -t says why: $case->[0]");
}

done_testing();
