#!/bin/sh
# Mutation check for t/28-jwt.t: disables one verification at a time in a
# copy of src/ and runs the test against it; each mutant must make the
# test fail.  usage: sh t/jwt/mutate.sh   (prints one line per mutant)
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
status=0

mutant() {
    name=$1
    file=$2
    expr=$3

    rm -rf "$TMP/src"
    cp -r "$ROOT/src" "$TMP/src"
    sed -i "$expr" "$TMP/src/$file"

    if cmp -s "$ROOT/src/$file" "$TMP/src/$file"; then
        echo "MUTANT NOT APPLIED: $name"
        status=1
        return
    fi

    if JWT_SRC="$TMP/src" prove -v "$ROOT/t/28-jwt.t" >"$TMP/$name.log" 2>&1
    then
        echo "SURVIVED (the tests miss it): $name"
        status=1
    else
        echo "killed: $name ($(grep -c '^not ok' "$TMP/$name.log") checks fail:" \
             "$(grep '^not ok' "$TMP/$name.log" | head -2 | cut -c1-60 \
                | tr '\n' ';'))"
    fi
}

mutant signature ngx_http_freshdesk_jwt.c \
    's/? NGX_OK : NGX_DECLINED;/? NGX_OK : NGX_OK;/'
mutant alg-fits-key-type ngx_http_freshdesk_jwt.c \
    's/if (key->type != alg->type) {/if (0) {/'
mutant jwk-alg ngx_http_freshdesk_jwt.c \
    's/if (key->alg.len$/if (0/'
mutant issuer ngx_http_freshdesk_jwt.c 's/^    if (!ok) {/    if (!ok \&\& 0) {/'
mutant audience ngx_http_freshdesk_jwt.c \
    's/if (audience->len == 0 || aud == NULL) {/if (1) { return NGX_OK; } if (0) {/'
mutant exp ngx_http_freshdesk_jwt.c 's/if (!(exp > t - /if (0 \&\& !(exp > t - /'
mutant nbf ngx_http_freshdesk_jwt.c 's/if (!(nbf <= t + /if (0 \&\& !(nbf <= t + /'
mutant leeway ngx_http_freshdesk_jwt.c 's/(double) policy->leeway/0/g'
mutant required ngx_http_freshdesk_jwt.c 's/if (v != NULL \&\& !json_is_null(v)) {/if (1) {/'
mutant size-limit ngx_http_freshdesk_jwt.c \
    's/token->len > NGX_HTTP_FRESHDESK_JWT_MAX_LEN/0/'
mutant openssl-error-queue ngx_http_freshdesk_jwt.c 's/ERR_clear_error();/;/'
mutant strict-base64url ngx_http_freshdesk_jwks.c 's/if (b \& 0x0f) {/if (0) {/'
mutant rsa-bits ngx_http_freshdesk_jwks.c \
    's/\*bits < NGX_HTTP_FRESHDESK_JWKS_RSA_MIN/0/'
mutant use-sig ngx_http_freshdesk_jwks.c 's/if (use.len \&\& /if (0 \&\& /'

# not listed: the EVP_PKEY_public_check() after an EC import is a second
# guard; OpenSSL's import already refuses a point off the curve (t/28's
# "ec-off" key), so no input reaches it.

rm -rf "$TMP"
exit $status
