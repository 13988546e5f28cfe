#!/usr/bin/perl

# docs/tools.md's table is the catalog of a running gateway: one row per
# tool of tools/list (name, title, kind from the annotations, the first
# sentence of the description), between the marker lines
# <!-- tools:begin --> and <!-- tools:end -->; README.md's "## Tools"
# names every tool, in catalog order, between <!-- tool-names:begin -->
# and <!-- tool-names:end -->.  UPDATE_README=1 rewrites both instead of
# comparing them.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use Test::More;

my $TOOLS_MD = "$FreshdeskTest::ROOT/docs/tools.md";
my $README = "$FreshdeskTest::ROOT/README.md";

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

# the names as one paragraph, wrapped before 76 columns
my ($names, $line) = ('', '');
for my $i (0 .. $#tools) {
    my $word = "`$tools[$i]{name}`" . ($i < $#tools ? ',' : '.');
    if (length $line && length($line) + 1 + length($word) > 76) {
        $names .= "$line\n";
        $line = '';
    }
    $line .= (length $line ? ' ' : '') . $word;
}
$names .= "$line\n";

# the text between the file's one pair of marker lines: compared, or
# rewritten with UPDATE_README=1; returns what the file holds there now
sub marked {
    my ($file, $mark, $want, $what) = @_;
    my ($begin, $end) = ("<!-- $mark:begin -->", "<!-- $mark:end -->");

    open my $fh, '<:raw', $file or die "$file: $!\n";
    my $text = do { local $/; <$fh> };
    close $fh;

    my $n_begin = () = $text =~ /^\Q$begin\E$/mg;
    my $n_end = () = $text =~ /^\Q$end\E$/mg;
    is($n_begin, 1, "$what: one begin marker");
    is($n_end, 1, "$what: one end marker");

    my ($before, $current, $after) =
        $text =~ /\A(.*^\Q$begin\E\n)(.*?)(^\Q$end\E(?:\n.*)?)\z/ms;

    ok(defined $current, "$what: the markers enclose the text")
        or BAIL_OUT("$file lacks the $mark markers");

    if ($ENV{UPDATE_README}) {
        if ($current ne $want) {
            open my $out, '>:raw', "$file.tmp" or die "$file.tmp: $!\n";
            print $out $before, $want, $after;
            close $out or die "$file.tmp: $!\n";
            rename "$file.tmp", $file or die "rename: $!\n";
            diag("$file: $mark rewritten");
        }
        pass("UPDATE_README: $what written");
        return $want;
    }

    is($current, $want, "$what matches tools/list")
        or diag('regenerate with: UPDATE_README=1 prove t/19-readme-tools.t');
    return $current;
}

my $doc_table = marked($TOOLS_MD, 'tools', $table, 'docs/tools.md table');
my @doc_rows = grep { /^\| `/ } split /\n/, $doc_table;
is(scalar @doc_rows, scalar @tools, 'docs/tools.md: one row per tool');

my $readme_names = marked($README, 'tool-names', $names, 'README tool names');
my @listed = $readme_names =~ /`([a-z_]+)`/g;
is_deeply(\@listed, [map { $_->{name} } @tools],
          'README: every tool named once, in catalog order');

$t->finish;
