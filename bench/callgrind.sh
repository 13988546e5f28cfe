#!/usr/bin/env bash
# Instructions per request under callgrind: one nginx process
# (master_process off), N1 then N2 requests; per request = the difference
# divided by N2 - N1, which cancels start-up and shutdown.  Repeatable on
# a noisy machine: instructions, not time.
set -eu

D=$1
GW=$2
N1=${N1:-40}
N2=${N2:-240}
NGINX=${NGINX:-/usr/sbin/nginx}

sed -e 's/^worker_processes .*/worker_processes 1;\nmaster_process off;\ndaemon off;/' \
    "$D/nginx.conf" > "$D/cg.conf"

count() {   # count PATH N [TENANTS] -> total Ir
    local path=$1 n=$2 tenants=${3:-1} pid i out body
    rm -f "$D"/callgrind.out.*
    valgrind --tool=callgrind --callgrind-out-file="$D/callgrind.out.%p" \
        "$NGINX" -p "$D/" -c "$D/cg.conf" -e "$D/logs/cg.log" \
        > "$D/logs/vg.out" 2>&1 &
    pid=$!
    for i in $(seq 1 100); do
        curl -s -o /dev/null "http://127.0.0.1:$GW/rest/tickets/1" && break
        sleep 0.2
    done
    for i in $(seq 1 "$n"); do
        if [ "${path#/mcp}" != "$path" ]; then
            curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
                -H "X-Tenant: tenant-$(( (i * 7919) % tenants ))" \
                "http://127.0.0.1:$GW$path" \
                -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_ticket","arguments":{"ticket_id":1}}}'
        else
            curl -s -o /dev/null "http://127.0.0.1:$GW$path"
        fi
    done
    kill -QUIT "$pid"
    wait "$pid" 2>/dev/null || true
    out=$(ls "$D"/callgrind.out.* | head -1)
    awk '/^summary:/ { print $2 }' "$out"
}

echo "| case | instructions per request | ratio |"
echo "|---|---|---|"

g1=$(count /mcp "$N1"); g2=$(count /mcp "$N2")
b1=$(count /rest/tickets/1 "$N1"); b2=$(count /rest/tickets/1 "$N2")

g=$(( (g2 - g1) / (N2 - N1) ))
b=$(( (b2 - b1) / (N2 - N1) ))

o1=$(count /mcp-quota "$N1"); o2=$(count /mcp-quota "$N2")
q1=$(count /mcp-many "$N1" 1); q2=$(count /mcp-many "$N2" 1)
m1=$(count /mcp-many "$N1" 10000); m2=$(count /mcp-many "$N2" 10000)

o=$(( (o2 - o1) / (N2 - N1) ))
q=$(( (q2 - q1) / (N2 - N1) ))
m=$(( (m2 - m1) / (N2 - N1) ))

echo "| plain proxy_pass, 1 KB ticket | $b | 1.000 |"
echo "| gateway get_ticket, 1 KB ticket | $g | $(awk -v a=$g -v b=$b 'BEGIN { printf "%.3f", a / b }') |"
echo
echo "(both include the stub server's work in the same process: each request is served twice, once by the stub)"
echo
echo "| quota (get_ticket, 1 KB) | instructions per request | ratio |"
echo "|---|---|---|"
echo "| quota off | $g | 1.000 |"
echo "| quota on, 1 tenant | $o | $(awk -v a=$o -v b=$g 'BEGIN { printf "%.3f", a / b }') |"
echo
echo "| quota, zone holding 10,000 tenants | instructions per request | ratio |"
echo "|---|---|---|"
echo "| the same tenant every call | $q | 1.000 |"
echo "| a different tenant every call | $m | $(awk -v a=$m -v b=$q 'BEGIN { printf "%.3f", a / b }') |"
