#!/usr/bin/perl

# The sources call down, never back: no src/*.c file reaches, through the
# functions it names, back to itself (tools/layers.py), and the quota
# stores, the state file and the response helpers name nothing above them.

use strict;
use warnings;

use FindBin;
use File::Temp qw(tempdir);
use Test::More;

my $root = "$FindBin::Bin/..";
my $script = "$root/tools/layers.py";

plan(skip_all => 'python3 missing') unless `which python3 2>/dev/null`;

my $out = `python3 $script $root/src 2>&1`;
is($? >> 8, 0, 'no circle among the source files') or diag($out);
unlike($out, qr/^circle:/m, 'none printed');

my %down;
for (split /\n/, $out) {
    $down{$1} = { map { $_ => 1 } grep { $_ ne "-" } split " ", $2 } if /^\s*\d+\s+(\S+)\s+->\s+(.*)$/;
}
ok(scalar(keys %down) > 20, 'the graph lists the files') or diag($out);

# the quota layer: the front door above its stores, the stores below it
ok($down{quota}{quota_shm} && $down{quota}{quota_redis},
   'the quota front door calls both stores');
for my $store (qw(quota_shm quota_redis)) {
    ok(!$down{$store}{quota}, "$store does not call the front door back");
}
ok(!$down{quota_redis}{quota_shm}, 'the Redis backend does not call the shm store');
ok(!$down{quota_shm}{quota_redis}, 'the shm store does not call the Redis backend');
ok(!$down{state}{quota_shm}, 'the state file helper does not call the store');
ok(!$down{response}{quota}, 'responses do not call the quota (its header filter adds its headers)');
for my $low (qw(headers file conf resp)) {
    is(join(' ', sort keys %{ $down{$low} || {} }), '', "$low calls nothing of the module");
}

# the check itself can fail: two files that call each other
my $dir = tempdir(CLEANUP => 1);
open my $a, '>', "$dir/ngx_http_freshdesk_a.c" or die;
print $a "void\nngx_http_freshdesk_a_one(void)\n{\n    ngx_http_freshdesk_b_two();\n}\n";
close $a;
open my $b, '>', "$dir/ngx_http_freshdesk_b.c" or die;
print $b "void\nngx_http_freshdesk_b_two(void)\n{\n    ngx_http_freshdesk_a_one();\n}\n";
close $b;
my $bad = `python3 $script $dir 2>&1`;
is($? >> 8, 1, 'a circle makes the check fail');
like($bad, qr/^circle: a b$/m, 'and names its files');

# a static function of the same name is not an edge
open $b, '>', "$dir/ngx_http_freshdesk_b.c" or die;
print $b "static void\nngx_http_freshdesk_b_two(void)\n{\n    /* ngx_http_freshdesk_a_one() in a comment */\n}\n";
close $b;
$bad = `python3 $script $dir 2>&1`;
is($? >> 8, 0, 'static functions and comments tie no files');

done_testing();
