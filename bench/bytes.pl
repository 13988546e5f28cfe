#!/usr/bin/perl

# Bytes a client receives for common calls, against the fake Freshdesk:
# each call whole (fields ["*"]), with the tool's default fields, and with
# a typical "fields" choice.  The bytes are the HTTP body of the JSON-RPC
# answer as sent today (both copies: text and structuredContent); "one
# copy" is the structuredContent alone.  Prints a markdown table.
# usage: perl bench/bytes.pl   (uses build/ngx_http_freshdesk_module.so)

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../t/lib";
use FreshdeskTest;

my $t = FreshdeskTest->new->start_fake->standard_conf->run;
my $J = FreshdeskTest::json();

sub call {
    my ($tool, $args) = @_;
    my ($res, $r) = $t->call_tool($tool, $args);
    die "$tool: " . substr($res->{body} // '', 0, 300) . "\n"
        if !$r || $r->{isError};
    return ($res, $r);
}

# a ticket as mail clients write them: a long HTML body, and replies
my $para = '<p style="margin:0 0 12px 0;font-family:Arial,Helvetica,'
         . 'sans-serif;font-size:14px;color:#222222">Hello team,<br>since '
         . 'the update on <b>Tuesday</b> the label printer in the '
         . '<span style="color:#c00">east warehouse</span> stops after '
         . 'every third job. We restarted it twice; the error light '
         . 'blinks orange. Order A-1042 is waiting.</p>';
my $html = '<div dir="ltr" class="gmail_default">' . ($para x 12)
         . '<div class="gmail_quote"><blockquote style="margin:0 0 0 .8ex;'
         . 'border-left:1px #ccc solid;padding-left:1ex">'
         . ($para x 4) . '</blockquote></div><table role="presentation" '
         . 'width="100%"><tr><td style="font-size:11px;color:#888">Sent '
         . 'from the warehouse office</td></tr></table></div>';

my ($cres, $c) = call('create_ticket', {
    subject => 'Label printer stops after every third job',
    description => $html, email => 'pat@example.com', priority => 3,
    status => 2, tags => ['warehouse', 'hardware'],
});
my $tid = $c->{structuredContent}{id};
call('reply_ticket', { ticket_id => $tid, body => ($para x 6) });
call('add_note', { ticket_id => $tid, body => ($para x 3), private => JSON::PP::true });
call('reply_ticket', { ticket_id => $tid, body => ($para x 8) });

my @cases = (
    [ '30-ticket page', 'list_tickets', { per_page => 30 },
      [qw(id subject status priority responder_id custom_fields.cf_region)] ],
    [ 'one ticket, long HTML description', 'get_ticket', { ticket_id => $tid },
      [qw(id subject status description_text)] ],
    [ 'its conversations', 'list_ticket_conversations', { ticket_id => $tid },
      [qw(id body_text incoming private created_at)] ],
    [ 'contact search', 'search_contacts', { query => 'active:true' },
      [qw(id name email company_id)] ],
    [ 'agent list', 'list_agents', {},
      [qw(id contact.name contact.email available)] ],
);

print "| call | whole ([\"*\"]) | defaults | typical fields | defaults / whole | typical fields |\n";
print "|---|---|---|---|---|---|\n";

for my $case (@cases) {
    my ($name, $tool, $args, $typical) = @$case;
    my %size;
    my %one;
    for my $mode (['whole', { fields => ['*'] }], ['defaults', {}],
                  ['typical', { fields => $typical }]) {
        my ($res, $r) = call($tool, { %$args, %{$mode->[1]} });
        $size{$mode->[0]} = length $res->{body};
        $one{$mode->[0]} = length $J->canonical->encode($r->{structuredContent});
    }
    printf "| %s (`%s`) | %d (%d) | %d (%d) | %d (%d) | %.2f | `%s` |\n",
        $name, $tool,
        $size{whole}, $one{whole}, $size{defaults}, $one{defaults},
        $size{typical}, $one{typical}, $size{defaults} / $size{whole},
        join(',', @$typical);
}

print "\n(bytes of the HTTP body, both copies; in parentheses one copy,"
    . " the structuredContent)\n";

$t->stop;
$t->stop_fake;
