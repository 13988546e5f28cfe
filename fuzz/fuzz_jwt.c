
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * libFuzzer target for the JWT core.  The first byte picks the input's
 * role: even, a bearer token verified against a fixed key set (RSA 2048,
 * EC P-256, Ed25519; public keys only, their private halves are gone);
 * odd, a JWKS document, and if it parses, a fixed EdDSA token is verified
 * against it.  Neither may crash, read out of bounds or leak an OpenSSL
 * key (LeakSanitizer checks every run).
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_freshdesk_jwks.h"
#include "ngx_http_freshdesk_jwt.h"


static const char  fuzz_jwks[] =
    "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"1G30LZRBTy9qhCUjJ1X_AAxWpaNfkfE6r"
    "qpipLW53Iz9jQ4rDvZqmUb-gdxKDcxWHNS0Bo1HZ6Yc3YQ0P3lbzYu5qAzwf"
    "Vq-oReQ7ECdmjN90JCk2CQ4T3j86L5I3paCSt4ruhXVoTCqn4YnsCjULHTVW"
    "jIXZt-_4Z_efxwc47pjbNRr5h7O53SAqcpxQnzx_N-2_esojWpL2Er4oKubP"
    "12dktA9ONh7vCzPMk0Oy98yIueWrrdXFU7NTmwIS8AMJ_MWUbNzvYJPGxt-T"
    "UnpiyVg14ch-N6pF9roQ3an7_KGXZYSbyHo8hpdQpkWfAUep1Kk8F7xXfw9p"
    "LtZmpoFiw\",\"e\":\"AQAB\",\"kid\":\"rsa1\"},"
    "{\"kty\":\"EC\",\"x\":\"ZugNuIT"
    "PW5mEJfph85wiKiVHfo9Vu9oBTaeL7utcl7o\",\"y\":\"sL2EQTFJvrbyrG5pL"
    "YCD4n71sl7fU7JQrYVAa0eCI7k\",\"crv\":\"P-256\",\"kid\":\"ec1\"},{\"crv"
    "\":\"Ed25519\",\"x\":\"ogtLDqKLtXMF1AS-otl7W67Ra0nAp8ALbGOoPiMiRSk"
    "\",\"kty\":\"OKP\",\"kid\":\"ed1\"}]}";

static const char  fuzz_token[] =
    "eyJhbGciOiJFZERTQSIsImtpZCI6ImVkMSJ9.eyJpc3MiOiJodHRwczovL2F"
    "zLmV4YW1wbGUvIiwiYXVkIjoiaHR0cDovLzEyNy4wLjAuMS9tY3AiLCJzdWI"
    "iOiJ1MSIsImNsaWVudF9pZCI6ImMxIiwic2NwIjpbImEiLCJiIl0sInRlbmF"
    "udCI6InQiLCJpYXQiOjE3NjcyMjU2MDAsIm5iZiI6MTc2NzIyNTYwMCwiZXh"
    "wIjo0MTAyNDQ0ODAwfQ.yq3ENg_wgAGJlXyNCK2T-hir_leGVSS4HKPgqAFQ"
    "Rn38lbNgs25pA5BIymWUA1vr6SPtQ060ciBQlFSmQRYDDg";


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                           *copy;
    ngx_str_t                         token, iss;
    ngx_log_t                         log;
    ngx_pool_t                       *pool;
    ngx_array_t                       issuers;
    ngx_http_freshdesk_jwt_t          jwt;
    ngx_http_freshdesk_jwks_t         jwks;
    ngx_http_freshdesk_jwt_policy_t   policy;

    if (size == 0) {
        return 0;
    }

    ngx_memzero(&log, sizeof(ngx_log_t));
    pool = ngx_create_pool(4096, &log);

    /* an exact-size copy: ASan sees any read past the input */

    copy = ngx_pnalloc(pool, size - 1 ? size - 1 : 1);
    ngx_memcpy(copy, data + 1, size - 1);

    ngx_str_set(&iss, "https://as.example/");
    issuers.elts = &iss;
    issuers.nelts = 1;

    ngx_memzero(&policy, sizeof(policy));
    policy.issuers = &issuers;
    ngx_str_set(&policy.audience, "http://127.0.0.1/mcp");
    policy.leeway = 60;

    if (data[0] & 1) {
        if (ngx_http_freshdesk_jwks_parse(pool, copy, size - 1, &jwks)
            == NGX_OK)
        {
            token.data = (u_char *) fuzz_token;
            token.len = sizeof(fuzz_token) - 1;

            (void) ngx_http_freshdesk_jwt_verify(pool, &token, &jwks,
                                                 &policy, 1767225600, &jwt);
        }

    } else {
        if (ngx_http_freshdesk_jwks_parse(pool, (u_char *) fuzz_jwks,
                                          sizeof(fuzz_jwks) - 1, &jwks)
            != NGX_OK)
        {
            abort();
        }

        token.data = copy;
        token.len = size - 1;

        if (ngx_http_freshdesk_jwt_verify(pool, &token, &jwks, &policy,
                                          1767225600, &jwt)
            == NGX_OK
            && jwt.claims == NULL)
        {
            abort();
        }
    }

    ngx_destroy_pool(pool);

    return 0;
}
