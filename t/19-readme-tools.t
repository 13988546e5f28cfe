#!/usr/bin/perl

# README.md's "## Tools" table is the catalog of a running gateway: one
# row per tool of tools/list (name, title, kind from the annotations, the
# first sentence of the description), between the marker lines
# <!-- tools:begin --> and <!-- tools:end -->.  UPDATE_README=1 rewrites
# the table instead of comparing it.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use Test::More;

my $README = "$FreshdeskTest::ROOT/README.md";
my $BEGIN = '<!-- tools:begin -->';
my $END = '<!-- tools:end -->';

my $t = FreshdeskTest->new->start_fake->standard_conf->run;

my $res = $t->mcp({ jsonrpc => '2.0', id => 1, method => 'tools/list' });
my @tools = @{$res->{json}{result}{tools} // []};
cmp_ok(scalar @tools, '>=', 79, 'tools/list: the catalog');

sub kind {
    my ($ann) = @_;
    return 'read-only' if $ann->{readOnlyHint};
    return 'write' if defined $ann->{destructiveHint}
                      && !$ann->{destructiveHint};
    return 'destructive';    # MCP's default when destructiveHint is absent
}

# up to the first ". " that does not end "e.g." or "i.e.", or all of it
sub first_sentence {
    my ($d) = @_;
    return $d =~ /^(.*?(?<!\be\.g)(?<!\bi\.e)[.!?])(?:\s|\z)/s ? $1 : $d;
}

sub cell {
    my ($s) = @_;
    $s =~ s/\s+/ /g;
    $s =~ s/\|/\\|/g;
    return $s;
}

my @rows = ('| Tool | Title | Kind | What it does |',
            '| --- | --- | --- | --- |');

for my $tool (@tools) {
    ok($tool->{name} =~ /^[a-z][a-z_]*$/, "$tool->{name}: a plain name");
    ok(length $tool->{title}, "$tool->{name}: has a title");
    my $first = first_sentence($tool->{description} // '');
    like($first, qr/^[A-Z].*[.!?]$/s, "$tool->{name}: first sentence");
    unlike($first, qr/\((?:[^()]*)$/, "$tool->{name}: no unclosed parenthesis");

    push @rows, sprintf('| `%s` | %s | %s | %s |', $tool->{name},
                        cell($tool->{title}), kind($tool->{annotations}),
                        cell($first));
}

my $table = join("\n", @rows) . "\n";

open my $fh, '<:raw', $README or die "$README: $!\n";
my $text = do { local $/; <$fh> };
close $fh;

my $n_begin = () = $text =~ /^\Q$BEGIN\E$/mg;
my $n_end = () = $text =~ /^\Q$END\E$/mg;
is($n_begin, 1, 'README: one begin marker');
is($n_end, 1, 'README: one end marker');

my ($before, $current, $after) =
    $text =~ /\A(.*^\Q$BEGIN\E\n)(.*?)(^\Q$END\E(?:\n.*)?)\z/ms;

ok(defined $current, 'README: the markers enclose the table')
    or BAIL_OUT('README.md lacks the tools markers');

if ($ENV{UPDATE_README}) {
    if ($current ne $table) {
        open my $out, '>:raw', "$README.tmp" or die "$README.tmp: $!\n";
        print $out $before, $table, $after;
        close $out or die "$README.tmp: $!\n";
        rename "$README.tmp", $README or die "rename: $!\n";
        diag('README.md: tools table rewritten');
    }
    pass('UPDATE_README: table written');

} else {
    is($current, $table, 'README tools table matches tools/list')
        or diag('regenerate with: UPDATE_README=1 prove t/19-readme-tools.t');
}

my @readme_rows = grep { /^\| `/ } split /\n/, ($ENV{UPDATE_README} ? $table
                                                                    : $current);
is(scalar @readme_rows, scalar @tools, 'one README row per tool');

$t->finish;
