#!/usr/bin/env bash
# Instructions per request under callgrind: the measured nginx as one
# process (master_process off; the stub instance keeps running outside
# valgrind); WARM requests, then the counters are zeroed and N requests
# counted (callgrind_control), so start-up, shutdown and first-call costs
# are left out.  Repeatable on a noisy machine: instructions, not time.
# env: WARM, N, CG_KEEP (a directory: each count's profile is kept there)
set -eu

D=$1
GW=$2
WARM=${WARM:-40}
N=${N:-200}
NGINX=${NGINX:-/usr/sbin/nginx}

sed -e 's/^worker_processes .*/worker_processes 1;\nmaster_process off;\ndaemon off;/' \
    "$D/nginx.conf" > "$D/cg.conf"

request() {   # request PATH[@HOST] I TENANTS [TOOL ARGS]
    local host=127.0.0.1
    case "$1" in *@*) host=${1#*@}; set -- "${1%@*}" "${@:2}" ;; esac
    if [ "$1" = /mcp-2026 ]; then
        curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
            -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/call' \
            -H "Mcp-Name: $4" "http://127.0.0.1:$GW/mcp" \
            -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"$4\",\"arguments\":$5,\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/clientCapabilities\":{}}}}"
    elif [ "${1#/mcp}" != "$1" ]; then
        curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
            -H 'MCP-Protocol-Version: 2025-11-25' \
            -H "X-Tenant: tenant-$(( ($2 * 7919) % $3 ))" -H "Host: $host" \
            "http://127.0.0.1:$GW$1" \
            -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"$4\",\"arguments\":$5}}"
    else
        curl -s -o /dev/null "http://127.0.0.1:$GW$1"
    fi
}

# count PATH [TENANTS] -> instructions per request: WARM requests, then the
# counters zeroed, N requests counted and dumped
count() {
    local path=$1 tenants=${2:-1} tool=${3:-get_ticket} args=${4:-} pid i out
    [ -n "$args" ] || args='{"ticket_id":1}'
    rm -f "$D"/callgrind.out.*
    valgrind --tool=callgrind --callgrind-out-file="$D/callgrind.out.%p" \
        "$NGINX" -p "$D/" -c "$D/cg.conf" -e "$D/logs/cg.log" \
        > "$D/logs/vg.out" 2>&1 &
    pid=$!
    for i in $(seq 1 100); do
        curl -s -o /dev/null "http://127.0.0.1:$GW/rest/tickets/1" && break
        sleep 0.2
    done
    for i in $(seq 1 "$WARM"); do
        request "$path" "$i" "$tenants" "$tool" "$args"
    done
    callgrind_control -z "$pid" > /dev/null 2>&1
    for i in $(seq 1 "$N"); do
        request "$path" "$((i + WARM))" "$tenants" "$tool" "$args"
    done
    callgrind_control -d "$pid" > /dev/null 2>&1
    kill -QUIT "$pid"
    wait "$pid" 2>/dev/null || true
    out=$(ls "$D"/callgrind.out.*.1 | head -1)
    awk -v n="$N" '/^(summary|totals):/ { print int($2 / n); exit }' "$out"
    # CG_KEEP=DIR: keep each count's profile for callgrind_annotate
    if [ -n "${CG_KEEP:-}" ]; then
        cp "$out" "$CG_KEEP/cg$(printf '%s' "$path$args" | tr -c 'A-Za-z0-9' _).out"
    fi
    # the body scanner's share, inclusive, for instructions per byte: the
    # largest of the function's summary lines (callgrind also lists the
    # parts of it that come from json_scan.c and from inlined headers apart)
    # (with a selection of fields: the selecting scan, json_select, and
    # the escaping of its result after, json_escape)
    callgrind_annotate --inclusive=yes "$out" 2>/dev/null \
    | awk -v n="$N" '
          /%\)  [^ ]*:ngx_http_freshdesk_json_(validate_escape|validate_count|select|select_escape)( \[.*)?$/ {
              gsub(",", "", $1); if ($1 + 0 > max) max = $1 + 0 }
          /%\)  [^ ]*:ngx_http_freshdesk_json_escape( \[.*)?$/ {
              gsub(",", "", $1); if ($1 + 0 > esc) esc = $1 + 0 }
          END { print int((max + esc) / n) }' > "$D/scan.count"
}

# scanner instructions per request (of the last count) per body byte
per_byte() {
    awk -v s="$(cat "$D/scan.count")" -v b="$(wc -c < "$D/stub/$1")" \
        'BEGIN { printf "%.2f", (s > 0 ? s / b : 0) }'
}

ratio() { awk -v a=$1 -v b=$2 'BEGIN { printf "%.3f", a / b }'; }

# callgrind.sh D GW modes: each freshdesk_result mode at 1, 50, 500 KB
if [ "${3:-}" = modes ]; then
    echo "| case | mode | instructions per call | ratio to proxy_pass |"
    echo "|---|---|---|---|"
    for c in "1 KB ticket|get_ticket|{\"ticket_id\":1}|/rest/tickets/1" \
             "50 KB list|list_tickets|{\"per_page\":50}|/rest/tickets?per_page=50" \
             "500 KB list|list_tickets|{\"per_page\":99}|/rest/tickets?per_page=99"
    do
        IFS='|' read -r name tool args rest <<< "$c"
        b=$(count "$rest")
        echo "| $name | plain proxy_pass | $b | 1.000 |"
        for m in ${MODES:-both structured text}; do
            p=/mcp
            [ "$m" = both ] || p=/mcp-$m
            g=$(count "$p" 1 "$tool" "$args")
            echo "| $name | $m | $g | $(ratio "$g" "$b") |"
        done
    done
    exit 0
fi

# CASES=fields: the 500 KB list alone, whole, with the default fields and
# with a typical choice (field selection, docs/performance.md)
if [ "${CASES:-all}" = fields ]; then
    b500=$(count '/rest/tickets?per_page=99')
    gd=$(count /mcp 1 list_tickets '{"per_page":99}')
    sd=$(per_byte list500k.json)
    gs=$(count /mcp 1 list_tickets '{"per_page":99,"fields":["*"]}')
    ss=$(per_byte list500k.json)
    gt=$(count /mcp 1 list_tickets '{"per_page":99,"fields":["id","subject","status","priority","responder_id","custom_fields.cf_order_id"]}')
    st=$(per_byte list500k.json)
    gss=$(count /mcp-structured 1 list_tickets '{"per_page":99,"fields":["*"]}')
    sss=$(per_byte list500k.json)
    echo "| 500 KB list | instructions per request | ratio to proxy_pass | scanner instructions per body byte |"
    echo "|---|---|---|---|"
    echo "| plain proxy_pass | $b500 | 1.000 | |"
    echo "| list_tickets (default fields where the module has them) | $gd | $(ratio $gd $b500) | $sd |"
    echo "| list_tickets fields [\"*\"] | $gs | $(ratio $gs $b500) | $ss |"
    echo "| list_tickets, 6 fields (one dotted) | $gt | $(ratio $gt $b500) | $st |"
    echo "| list_tickets fields [\"*\"], one copy (structured) | $gss | $(ratio $gss $b500) | $sss |"
    exit 0
fi

echo "| case | instructions per request | ratio |"
echo "|---|---|---|"

# CG_ONLY=quota: the quota and guard rows alone
if [ "${CG_ONLY:-}" = quota ]; then
    g=$(count /mcp)
    o=$(count /mcp-quota)
    ga=$(count /mcp-guard)
    rq=$(count /mcp@redis-quota)
    rg=$(count /mcp@redis-guard)
    ratio() { awk -v a=$1 -v b=$2 'BEGIN { printf "%.3f", a / b }'; }
    echo "| quota (get_ticket, 1 KB) | instructions per request | ratio |"
    echo "|---|---|---|"
    echo "| quota off | $g | 1.000 |"
    echo "| quota on, 1 tenant | $o | $(ratio $o $g) |"
    echo "| quota on and the account guard, 1 tenant | $ga | $(ratio $ga $g) ($(ratio $ga $o) of quota on) |"
    echo "| quota on Redis, 1 tenant | $rq | $(ratio $rq $g) |"
    echo "| quota on Redis and the account guard, 1 tenant | $rg | $(ratio $rg $g) ($(ratio $rg $rq) of Redis) |"
    exit 0
fi

g=$(count /mcp)
g26=$(count /mcp-2026)
b=$(count /rest/tickets/1)
g50=$(count /mcp 1 list_tickets '{"per_page":50}')
s50=$(per_byte list50k.json)
b50=$(count '/rest/tickets?per_page=50')
g100=$(count /mcp 1 list_tickets '{"per_page":100}')
s100=$(per_byte list100.json)
b100=$(count '/rest/tickets?per_page=100')
g500=$(count /mcp 1 list_tickets '{"per_page":99}')
s500=$(per_byte list500k.json)
b500=$(count '/rest/tickets?per_page=99')
o=$(count /mcp-quota)
ga=$(count /mcp-guard)
rq=$(count /mcp@redis-quota)
rg=$(count /mcp@redis-guard)
q=$(count /mcp-many 1)
m=$(count /mcp-many 10000)

echo "| plain proxy_pass, 1 KB ticket | $b | 1.000 |"
echo "| gateway get_ticket, 1 KB ticket | $g | $(ratio $g $b) |"
echo "| gateway get_ticket, 1 KB ticket, MCP 2026-07-28 | $g26 | $(ratio $g26 $b) |"
echo "| plain proxy_pass, 50 KB list | $b50 | 1.000 |"
echo "| gateway list_tickets, 50 KB list | $g50 | $(ratio $g50 $b50) |"
echo "| plain proxy_pass, 100 tickets, 72 KB | $b100 | 1.000 |"
echo "| gateway list_tickets, 100 tickets, 72 KB | $g100 | $(ratio $g100 $b100) |"
echo "| plain proxy_pass, 500 KB list | $b500 | 1.000 |"
echo "| gateway list_tickets, 500 KB list | $g500 | $(ratio $g500 $b500) |"
echo
echo "| body scanner (validate and escape, one pass) | instructions per body byte |"
echo "|---|---|"
echo "| 50 KB list | $s50 |"
echo "| 100 tickets, 72 KB | $s100 |"
echo "| 500 KB list | $s500 |"
echo
echo "(the measured nginx only: the stub upstream is another instance, not counted)"
echo
echo "| quota (get_ticket, 1 KB) | instructions per request | ratio |"
echo "|---|---|---|"
echo "| quota off | $g | 1.000 |"
echo "| quota on, 1 tenant | $o | $(ratio $o $g) |"
echo "| quota on and the account guard, 1 tenant | $ga | $(ratio $ga $g) ($(ratio $ga $o) of quota on) |"
echo "| quota on Redis, 1 tenant | $rq | $(ratio $rq $g) |"
echo "| quota on Redis and the account guard, 1 tenant | $rg | $(ratio $rg $g) ($(ratio $rg $rq) of Redis) |"
echo
echo "| quota, zone holding 10,000 tenants | instructions per request | ratio |"
echo "|---|---|---|"
echo "| the same tenant every call | $q | 1.000 |"
echo "| a different tenant every call | $m | $(awk -v a=$m -v b=$q 'BEGIN { printf "%.3f", a / b }') |"
