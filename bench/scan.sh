#!/bin/bash
# The body scanner alone (bench/scan.c) beside simdjson (bench/scan-simdjson.cpp)
# on the bench's stub bodies: microseconds a body and GB/s for each pass a
# tool result makes, the best of ROUNDS runs (default 5) of REPS passes.
# What a validating pass costs here, without nginx around it: the floor
# under the CPU ratio of large results (docs/performance.md).
# usage: bench/scan.sh   (make bench-scan)
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${ROUNDS:-5}
D=$(mktemp -d /tmp/fdscan.XXXXXX)
trap 'rm -rf "$D"' EXIT

NGX=/usr/share/nginx/src
INC="-I$NGX/src/core -I$NGX/src/event -I$NGX/src/event/modules \
     -I$NGX/src/os/unix -I$NGX/src/http -I$NGX/src/http/modules \
     -I$NGX/src/http/v2 -I$ROOT/build -I$ROOT/src"

# the module's flags (-O2, as the distro builds it), no sanitizers
gcc -O2 -g $INC -o "$D/scan" "$ROOT/bench/scan.c" \
    "$ROOT/src/ngx_http_freshdesk_json_scan.c" \
    "$ROOT/src/ngx_http_freshdesk_json_escape.c" "$ROOT/fuzz/shim.c"
g++ -O2 -o "$D/simdjson" "$ROOT/bench/scan-simdjson.cpp" -lsimdjson

python3 "$ROOT/bench/gen-stub.py" "$D"

# list_tickets' default fields, as src/ngx_http_freshdesk_fields.c has them
FIELDS=$(sed -n '/^#define FD_TICKET_LIST/,/^$/p' \
             "$ROOT/src/ngx_http_freshdesk_fields.c" \
         | grep -o '"[^"]*"' | tr -d '"\n')

echo "list_tickets' default fields: $FIELDS"

for body in ticket:200000 list50k:4000 list500k:400; do
    name=${body%%:*}
    reps=${body##*:}
    echo
    echo "## $name.json, $(stat -c %s "$D/$name.json") bytes," \
         "best of $ROUNDS x $reps passes"
    echo

    for i in $(seq "$ROUNDS"); do
        "$D/scan" "$D/$name.json" "$reps" "$FIELDS"
        "$D/simdjson" "$D/$name.json" "$reps" 2>/dev/null
    done | awk -F '\t' '
        !($1 in best) { order[++n] = $1 }
        !($1 in best) || $2 + 0 < best[$1] {
            best[$1] = $2 + 0; gbs[$1] = $3; out[$1] = $4
        }
        END {
            print "| pass | us a body | GB/s | output bytes |"
            print "|---|---:|---:|---:|"
            for (i = 1; i <= n; i++) {
                k = order[i]
                printf "| %s | %.2f | %s | %s |\n", k, best[k], gbs[k], out[k]
            }
        }'
done

echo
"$D/simdjson" "$D/ticket.json" 1 2>&1 >/dev/null
