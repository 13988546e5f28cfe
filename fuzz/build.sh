#!/bin/sh
# Builds the libFuzzer targets with clang (ASan + UBSan) against the nginx
# headers of nginx-dev and this module's pool-only sources + fuzz/shim.c.
# usage: fuzz/build.sh OUTDIR
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/build-fuzz}
NGX=/usr/share/nginx/src
mkdir -p "$OUT"

# ngx_auto_config.h and friends come from the module's configure run
[ -f "$ROOT/build/ngx_auto_config.h" ] || make -C "$ROOT" build >/dev/null

INC="-I$NGX/src/core -I$NGX/src/event -I$NGX/src/event/modules \
     -I$NGX/src/os/unix -I$NGX/src/http -I$NGX/src/http/modules \
     -I$NGX/src/http/v2 -I$ROOT/build -I$ROOT/src"
FLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"

SRC="$ROOT/fuzz/shim.c $ROOT/src/ngx_http_freshdesk_json.c \
     $ROOT/src/ngx_http_freshdesk_json_scan.c \
     $ROOT/src/ngx_http_freshdesk_json_escape.c \
     $ROOT/src/ngx_http_freshdesk_jsonrpc.c $ROOT/src/ngx_http_freshdesk_tools.c \
     $ROOT/src/ngx_http_freshdesk_args.c $ROOT/src/ngx_http_freshdesk_build.c \
     $ROOT/src/ngx_http_freshdesk_catalog_tickets.c \
     $ROOT/src/ngx_http_freshdesk_catalog_people.c \
     $ROOT/src/ngx_http_freshdesk_catalog_admin.c \
     $ROOT/src/ngx_http_freshdesk_catalog_kb.c \
     $ROOT/src/ngx_http_freshdesk_cursor.c \
     $ROOT/src/ngx_http_freshdesk_fields.c $ROOT/src/ngx_http_freshdesk_conf.c \
     $ROOT/src/ngx_http_freshdesk_resp.c \
     $ROOT/src/ngx_http_freshdesk_jwks.c $ROOT/src/ngx_http_freshdesk_jwt.c"

for t in ${FUZZ_TARGETS:-rpc build cursor resp jwt}; do
    clang $FLAGS $INC -o "$OUT/fuzz_$t" "$ROOT/fuzz/fuzz_$t.c" $SRC \
        -ljansson -lcrypto
done
