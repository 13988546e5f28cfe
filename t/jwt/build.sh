#!/bin/sh
# Builds the JWT test driver t/jwt/jwt_check.c against nginx-dev's headers,
# fuzz/shim.c and the module's JWT/JWKS/JSON sources, like fuzz/build.sh
# (no nginx binary needed).  usage: t/jwt/build.sh OUT [extra cc flags]
# JWT_SRC=dir takes jwt.c and jwks.c from a copy (mutation testing).
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$1
shift
NGX=/usr/share/nginx/src
JWT_SRC=${JWT_SRC:-$ROOT/src}

[ -f "$ROOT/build/ngx_auto_config.h" ] || make -C "$ROOT" build >/dev/null

INC="-I$NGX/src/core -I$NGX/src/event -I$NGX/src/event/modules \
     -I$NGX/src/os/unix -I$NGX/src/http -I$NGX/src/http/modules \
     -I$NGX/src/http/v2 -I$ROOT/build -I$ROOT/src"

${CC:-gcc} -g ${JWT_OPT:--O1} -Wall -Wextra -Wno-unused-parameter -Werror "$@" $INC \
    -o "$OUT" "$ROOT/t/jwt/jwt_check.c" "$ROOT/fuzz/shim.c" \
    "$JWT_SRC/ngx_http_freshdesk_jwt.c" "$JWT_SRC/ngx_http_freshdesk_jwks.c" \
    "$ROOT/src/ngx_http_freshdesk_json.c" \
    "$ROOT/src/ngx_http_freshdesk_json_scan.c" \
    "$ROOT/src/ngx_http_freshdesk_json_escape.c" \
    -ljansson -lcrypto
