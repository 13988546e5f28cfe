#!/usr/bin/env bash
# make bench: tools/call through the gateway against plain nginx proxy_pass
# of the equivalent REST GET, same nginx binary, same worker count, same
# stub upstream, same run.  Prints a markdown table.  Bounded: a few
# minutes on 2 cores.
#
# Noise: the runs of the two sides of a comparison are interleaved, REPEAT
# times, and the median of each is reported.  Besides requests/s, the CPU
# time the measured nginx's workers spent per request (from /proc) is
# reported: on a small machine shared with wrk and the stub, it says more
# about the module's cost than throughput does.
#
# env: DURATION (s per wrk run, default 4), REPEAT (default 5),
#      CONNS (default 16),
#      LAT_CONNS (moderate load for latency, default 2), WORKERS (1),
#      CALLGRIND (1 = also count instructions per request, default 1),
#      ONLY (callgrind: the instruction counts alone; redis: the Redis
#      tables, the guard on Redis included, and their instruction counts),
#      KEEP_HEAP (1 = the measured nginx keeps its freed heap, default 1),
#      MODES (freshdesk_result modes measured in the copy-mode table,
#      default "both structured text"; ONLY=modes: that table and its
#      instruction counts alone)
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-4}
REPEAT=${REPEAT:-5}
CONNS=${CONNS:-16}
LAT_CONNS=${LAT_CONNS:-2}
WORKERS=${WORKERS:-1}
CALLGRIND=${CALLGRIND:-1}
NGINX=${NGINX:-/usr/sbin/nginx}
MODULE=${MODULE:-$ROOT/build/ngx_http_freshdesk_module.so}

D=$(mktemp -d /tmp/fdbench.XXXXXX)
chmod 755 "$D"
mkdir -p "$D/logs" "$D/tmp" "$D/stub"
chmod 777 "$D/logs" "$D/tmp"

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

STUB=$(free_port)
GW=$(free_port)
REDIS=$(free_port)

python3 "$ROOT/bench/gen-stub.py" "$D/stub"

# 10,000 tenants with monthly usage, loaded into the "many" zone at start
python3 - "$D/many.state" <<'PY'
import sys, time
t = time.gmtime()
with open(sys.argv[1], "w") as f:
    f.write("freshdesk-quota 1\nmonth %04d%02d\n" % (t.tm_year, t.tm_mon))
    for i in range(10000):
        f.write("%s 1 0\n" % ("tenant-%d" % i).encode().hex())
PY
chmod 666 "$D/many.state"
chmod 644 "$D"/stub/*

for c in bench stub; do
    sed -e "s|@D@|$D|g" -e "s|@STUB@|$STUB|g" -e "s|@GW@|$GW|g" \
        -e "s|@REDIS@|$REDIS|g" \
        -e "s|@MODULE@|$MODULE|g" -e "s|@WORKERS@|$WORKERS|g" \
        "$ROOT/bench/$c.conf.in" > "$D/$c.conf"
done
mv "$D/bench.conf" "$D/nginx.conf"

cleanup() {
    for pid in "$D/nginx.pid" "$D/nginx2.pid" "$D/stub.pid"; do
        [ -f "$pid" ] && kill -QUIT "$(cat "$pid")" 2>/dev/null
    done
    [ -f "$D/redis.pid" ] && kill -TERM "$(cat "$D/redis.pid")" 2>/dev/null
    sleep 0.3
    rm -rf "$D"
}
trap cleanup EXIT

# the stub upstream and the measured nginx: two instances, so that the
# measured worker does only the gateway's or the baseline's work
"$NGINX" -p "$D/" -c "$D/stub.conf" -e "$D/logs/stub-error.log"

# a private Redis for the cluster quota (never the system's service)
mkdir -p "$D/redis"
redis-server --port "$REDIS" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$D/redis" --daemonize yes --pidfile "$D/redis.pid" \
    --logfile "$D/redis/redis.log"
for i in $(seq 1 50); do
    redis-cli -p "$REDIS" ping > /dev/null 2>&1 && break
    sleep 0.1
done

# The measured nginx keeps the heap it has freed (glibc gives the top of
# the heap back to the kernel once 128k of it is free, after every large
# answer).  Both sides run in this one process and get the same; it spares
# the proxy buffers of both (32k each, malloc'd per request) a page fault
# per 4k page on every request, which on this machine (a VM whose freed
# pages go back to the host) costs tens of µs each: about 50 faults and
# 2 ms of worker CPU per 500 KB answer, ten times what proxy_pass of it
# costs otherwise.  The gateway's own large buffers are kept anyway
# (freshdesk_buffer_cache).  KEEP_HEAP=0 measures without it.
KEEP_HEAP=${KEEP_HEAP:-1}
TUNABLES=
[ "$KEEP_HEAP" = 1 ] && TUNABLES=glibc.malloc.trim_threshold=1073741824

env ${TUNABLES:+GLIBC_TUNABLES=$TUNABLES} \
    "$NGINX" -p "$D/" -c "$D/nginx.conf" -e "$D/logs/error.log"
sleep 0.5

MCP=(-H 'Content-Type: application/json' -H 'Accept: application/json')

# the gateway must answer correctly before it is measured
check() {
    local out
    out=$(curl -s -X POST "${MCP[@]}" "http://127.0.0.1:$GW$1" \
          -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"$2\",\"arguments\":$3}}")
    case "$out" in
    *'"structuredContent"'*) ;;
    *) echo "bench: $1 $2 did not answer a result: ${out:0:300}" >&2; exit 1 ;;
    esac
}

check /mcp get_ticket '{"ticket_id":1}'
check /mcp list_tickets '{"per_page":50}'
check /mcp list_tickets '{"per_page":100}'
check /mcp list_tickets '{"per_page":99}'

# the gateway's answers to the lists, served by the stub: plain proxy_pass
# of them says what sending that many bytes costs
for p in 50 100 99; do
    curl -s -o "$D/stub/wire$p.json" -X POST "${MCP[@]}" \
        "http://127.0.0.1:$GW/mcp" \
        -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"list_tickets\",\"arguments\":{\"per_page\":$p}}}"
    chmod 644 "$D/stub/wire$p.json"
done

# both sides' proxy buffers (bench.conf.in) must hold the largest body the
# bench proxies, headers included, so that neither side works through
# small buffers or a temporary file
to_bytes() {
    awk -v v="$1" 'BEGIN { n = v + 0; u = tolower(substr(v, length(v)))
                           print (u == "k" ? n * 1024 : u == "m" ? n * 1048576 : n) }'
}
read -r bufs_n bufs_size <<< "$(awk '$1 == "proxy_buffers" { sub(";", "", $3); print $2, $3; exit }' "$D/nginx.conf")"
buf_first=$(awk '$1 == "proxy_buffer_size" { sub(";", "", $2); print $2; exit }' "$D/nginx.conf")
buf_room=$(( bufs_n * $(to_bytes "$bufs_size") + $(to_bytes "$buf_first") ))
read -r largest largest_name <<< "$(wc -c "$D"/stub/*.json | grep -v ' total$' | sort -n | tail -1)"
if [ "$((largest + 1024))" -gt "$buf_room" ]; then
    echo "bench: proxy buffers ($buf_first + $bufs_n x $bufs_size = $buf_room bytes)" \
         "do not hold the largest proxied body (${largest_name##*/}: $largest" \
         "bytes); raise proxy_buffers in bench/bench.conf.in" >&2
    exit 1
fi

# the one-copy modes answer too (text mode has no structuredContent)
for m in structured text; do
    out=$(curl -s -X POST "${MCP[@]}" "http://127.0.0.1:$GW/mcp-$m" \
          -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_tickets","arguments":{"per_page":50}}}')
    case "$m:$out" in
    structured:*'"text":"'[0-9]*' tickets'*'"structuredContent"'*) ;;
    text:*'"text":"{\"items\":'*) [ "${out#*structuredContent}" = "$out" ] && continue
        echo "bench: /mcp-text sent structuredContent" >&2; exit 1 ;;
    *) echo "bench: /mcp-$m did not answer a result: ${out:0:300}" >&2; exit 1 ;;
    esac
done

check /mcp-quota get_ticket '{"ticket_id":1}'
check /mcp-redis-quota get_ticket '{"ticket_id":1}'

# CPU time (user + system, in clock ticks) of the measured nginx's workers
cpu_ticks() {
    local pid t=0 s
    for pid in $(pgrep -P "$(cat "$D/nginx.pid")"); do
        s=$(cut -d' ' -f14,15 "/proc/$pid/stat" 2>/dev/null) || continue
        t=$((t + ${s% *} + ${s#* }))
    done
    echo "$t"
}

HZ=$(getconf CLK_TCK)

# proxied answers nginx buffered to a temporary file, in every measured
# nginx's error log (the gateway's, the second node's, callgrind's): there
# must be none, or the baseline is not the tuned proxy the ratios assume
temp_files() {
    cat "$D"/logs/error*.log "$D"/logs/cg.log 2>/dev/null \
    | grep -c 'buffered to a temporary file' || true
}

temp_file_check() {
    local n
    n=$(temp_files)
    [ "$n" = 0 ] && return 0
    echo "bench: FAILED: $n proxied responses were buffered to a temporary" \
         "file; the comparison is not fair: raise proxy_buffers in" \
         "bench/bench.conf.in.  The first of nginx's warnings:" >&2
    grep -h 'buffered to a temporary file' "$D"/logs/error*.log \
        "$D"/logs/cg.log 2>/dev/null | head -3 >&2
    status=1
}

# wrk ... -> "rps p50_ms p99_ms cpu_us_per_request bad"
run_wrk() {
    local conns=$1 url=$2 out rps p50 p99 bad n t0 t1
    shift 2
    t0=$(cpu_ticks)
    out=$(env "$@" wrk -t1 -c"$conns" -d"${DURATION}s" --latency \
          -s "$ROOT/bench/call.lua" "$url" 2>&1)
    t1=$(cpu_ticks)
    rps=$(printf '%s\n' "$out" | awk '/^Requests\/sec:/ { print $2 }')
    p50=$(printf '%s\n' "$out" | awk '$1 == "50%" { print $2 }')
    p99=$(printf '%s\n' "$out" | awk '$1 == "99%" { print $2 }')
    n=$(printf '%s\n' "$out" | awk '/requests in/ { print $1 }')
    bad=$(printf '%s\n' "$out" | grep -c -E 'Non-2xx|Socket errors' || true)
    echo "$rps $(to_ms "$p50") $(to_ms "$p99")" \
         "$(awk -v t=$((t1 - t0)) -v hz="$HZ" -v n="${n:-0}" \
             'BEGIN { printf "%.1f", (n > 0 ? t * 1e6 / hz / n : 0) }')" "$bad"
}

to_ms() {
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
        else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
        else print "nan" }'
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# interleaved runs of two sides:
# "A_rps A_p50 A_p99 A_cpu B_rps B_p50 B_p99 B_cpu bad rps_ratio cpu_ratio"
# where the ratios (A/B for requests/s, B/A for CPU per request) are taken
# run by run, each A next to its B in time, and given as
# median[min-max]: on a shared machine the spread says how far to trust
# them
compare() {
    local conns=$1 url_a=$2 env_a=$3 url_b=$4 env_b=$5 i
    local ar="" ap50="" ap99="" ac="" br="" bp50="" bp99="" bc="" bad=0
    local rr="" cr="" ra ca r p50 p99 c x
    for i in $(seq 1 "$REPEAT"); do
        read -r r p50 p99 c x <<< "$(run_wrk "$conns" "$url_a" $env_a)"
        ar="$ar $r"; ap50="$ap50 $p50"; ap99="$ap99 $p99"; ac="$ac $c"
        ra=$r; ca=$c
        bad=$((bad + x))
        read -r r p50 p99 c x <<< "$(run_wrk "$conns" "$url_b" $env_b)"
        br="$br $r"; bp50="$bp50 $p50"; bp99="$bp99 $p99"; bc="$bc $c"
        rr="$rr $(ratio "$ra" "$r")"; cr="$cr $(ratio "$c" "$ca")"
        bad=$((bad + x))
    done
    echo "$(echo $ar | median) $(echo $ap50 | median) $(echo $ap99 | median)" \
         "$(echo $ac | median)" \
         "$(echo $br | median) $(echo $bp50 | median) $(echo $bp99 | median)" \
         "$(echo $bc | median) $bad $(echo $rr | spread) $(echo $cr | spread)"
}

# "median[min-max]" of numbers
spread() {
    tr ' ' '\n' | grep -v '^$' | sort -g \
    | awk '{ v[NR] = $1 } END { printf "%s[%s-%s]", v[int((NR + 1) / 2)], v[1], v[NR] }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }
diff_ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.3f", a - b }'; }

status=0

MODES=${MODES:-both structured text}

# freshdesk_result: each mode against the same proxy_pass, sizes 1 KB to
# 500 KB; /mcp is "both", the default
mode_path() { [ "$1" = both ] && echo /mcp || echo "/mcp-$1"; }

modes_table() {
    local c name tool args rest m g_rps b_rps g_cpu b_cpu bad1 rr cr
    echo
    echo "## Copy modes (freshdesk_result) vs plain proxy_pass (REST GET)"
    echo
    echo "$WORKERS worker(s), wrk -t1, ${DURATION}s per run, median of" \
         "$REPEAT interleaved runs at $CONNS connections; each mode's runs" \
         "against their own proxy_pass runs."
    echo
    echo "| case | mode | gateway req/s | baseline req/s | req/s ratio, run by run | worker CPU µs per call, gateway / baseline | CPU ratio, run by run |"
    echo "|---|---|---|---|---|---|---|"
    for c in "1 KB ticket|get_ticket|{\"ticket_id\":1}|/rest/tickets/1" \
             "50 KB list|list_tickets|{\"per_page\":50}|/rest/tickets?per_page=50" \
             "500 KB list|list_tickets|{\"per_page\":99}|/rest/tickets?per_page=99"
    do
        IFS='|' read -r name tool args rest <<< "$c"
        for m in $MODES; do
            read -r g_rps _ _ g_cpu b_rps _ _ b_cpu bad1 rr cr <<< "$(compare "$CONNS" \
                "http://127.0.0.1:$GW$(mode_path "$m")" "TOOL=$tool ARGS=$args" \
                "http://127.0.0.1:$GW$rest" "REST=1")"
            [ "$bad1" = 0 ] || status=1
            echo "| $name | $m | $g_rps | $b_rps | $rr | $g_cpu / $b_cpu | $cr |"
        done
    done
}

# quota on Redis against shared memory, and the account guard on top
redis_table() {
local rd rd_p50 rd_p99 rd_cpu sh sh_p50 sh_p99 sh_cpu bad1 bad2 bad3 r_rr r_cr
local rg rg_cpu rq rq_cpu g_rr g_cr
echo
echo "## Quota on Redis (get_ticket, 1 KB)"
echo
read -r rd rd_p50 rd_p99 rd_cpu sh sh_p50 sh_p99 sh_cpu bad1 r_rr r_cr <<< "$(compare "$CONNS" \
    "http://127.0.0.1:$GW/mcp-redis-quota" "TOOL=get_ticket ARGS={\"ticket_id\":1}" \
    "http://127.0.0.1:$GW/mcp-quota" "TOOL=get_ticket ARGS={\"ticket_id\":1}")"
read -r _ rd_p50 rd_p99 _ _ sh_p50 sh_p99 _ bad2 _ _ <<< "$(compare "$LAT_CONNS" \
    "http://127.0.0.1:$GW/mcp-redis-quota" "TOOL=get_ticket ARGS={\"ticket_id\":1}" \
    "http://127.0.0.1:$GW/mcp-quota" "TOOL=get_ticket ARGS={\"ticket_id\":1}")"
# the account guard on top, decided in the same script call
read -r rg _ _ rg_cpu rq _ _ rq_cpu bad3 g_rr g_cr <<< "$(compare "$CONNS" \
    "http://127.0.0.1:$GW/mcp-redis-guard" "TOOL=get_ticket ARGS={\"ticket_id\":1}" \
    "http://127.0.0.1:$GW/mcp-redis-quota" "TOOL=get_ticket ARGS={\"ticket_id\":1}")"
[ "$bad1$bad2$bad3" = 000 ] || status=1

echo "| quota | req/s | ratio to shared memory, run by run | p50 / p99 ms at $LAT_CONNS connections | worker CPU µs per request | CPU ratio (shared memory / Redis), run by run |"
echo "|---|---|---|---|---|---|"
echo "| shared memory | $sh | 1.000 | $sh_p50 / $sh_p99 | $sh_cpu | 1.000 |"
echo "| Redis (loopback) | $rd | $r_rr | $rd_p50 / $rd_p99 | $rd_cpu | $r_cr |"
echo
echo "| quota on Redis | req/s | ratio, run by run | worker CPU µs per request | CPU ratio (quota / quota and guard), run by run |"
echo "|---|---|---|---|---|"
echo "| quota alone | $rq | 1.000 | $rq_cpu | 1.000 |"
echo "| quota and the account guard | $rg | $g_rr | $rg_cpu | $g_cr |"
echo
echo "Redis adds $(diff_ms "$rd_p50" "$sh_p50") ms at p50 and $(diff_ms "$rd_p99" "$sh_p99") ms at p99;" \
     "Redis served $(redis-cli -p "$REDIS" info commandstats | awk -F'[=,:]' '/cmdstat_evalsha/ { print $3 }') EVALSHA."
}

if [ "${ONLY:-}" = modes ]; then
    modes_table
    kill -QUIT "$(cat "$D/nginx.pid")"
    sleep 1
    if [ "$CALLGRIND" = 1 ]; then
        echo
        echo "## Instructions per call by copy mode (valgrind --tool=callgrind)"
        echo
        MODES="$MODES" "$ROOT/bench/callgrind.sh" "$D" "$GW" modes
    fi
    temp_file_check
    exit $status
fi

# ONLY=redis: the Redis tables alone (wrk, then the instruction counts
# of the quota and guard rows)
if [ "${ONLY:-}" = redis ]; then
    redis_table
    kill -QUIT "$(cat "$D/nginx.pid")"
    sleep 1
    if [ "$CALLGRIND" = 1 ]; then
        echo
        CG_ONLY=quota "$ROOT/bench/callgrind.sh" "$D" "$GW"
    fi
    exit $status
fi

# ONLY=callgrind: the instruction counts alone (no wrk runs)
if [ "${ONLY:-}" != callgrind ]; then
echo
echo "## Gateway (tools/call) vs plain proxy_pass (REST GET)"
echo
echo "nginx $("$NGINX" -v 2>&1 | sed 's/.*\///'), $WORKERS worker(s), $(nproc) cores," \
     "wrk -t1, ${DURATION}s per run, median of $REPEAT interleaved runs;" \
     "throughput at $CONNS connections, latency at $LAT_CONNS connections" \
     "(moderate load)."
echo
echo "| case | gateway req/s | baseline req/s | ratio, run by run: median[min-max] | gateway p50 / p99 ms | baseline p50 / p99 ms | added p99 ms | worker CPU µs per request, gateway / baseline | CPU ratio, run by run |"
echo "|---|---|---|---|---|---|---|---|---|"

status=0
declare -A gateway_cpu

for c in "1 KB ticket|get_ticket|{\"ticket_id\":1}|/rest/tickets/1" \
         "50 KB list|list_tickets|{\"per_page\":50}|/rest/tickets?per_page=50" \
         "100 tickets, 72 KB|list_tickets|{\"per_page\":100}|/rest/tickets?per_page=100" \
         "500 KB list|list_tickets|{\"per_page\":99}|/rest/tickets?per_page=99"
do
    IFS='|' read -r name tool args rest <<< "$c"

    read -r g_rps _ _ g_cpu b_rps _ _ b_cpu bad1 rr cr <<< "$(compare "$CONNS" \
        "http://127.0.0.1:$GW/mcp" "TOOL=$tool ARGS=$args" \
        "http://127.0.0.1:$GW$rest" "REST=1")"
    read -r _ g_p50 g_p99 _ _ b_p50 b_p99 _ bad2 _ _ <<< "$(compare "$LAT_CONNS" \
        "http://127.0.0.1:$GW/mcp" "TOOL=$tool ARGS=$args" \
        "http://127.0.0.1:$GW$rest" "REST=1")"

    [ "$bad1$bad2" = 00 ] || status=1

    echo "| $name | $g_rps | $b_rps | $rr | $g_p50 / $g_p99 | $b_p50 / $b_p99 | $(diff_ms "$g_p99" "$b_p99") | $g_cpu / $b_cpu | $cr |"
    gateway_cpu[$name]=$g_cpu
done

# The floor: the gateway receives the list and sends its answer, the
# list escaped as text and again as structuredContent, about twice its
# size; proxy_pass receives and sends the same size.  What sending the
# answer costs is measured by proxy_pass of the answer itself; receiving
# the list and sending the answer costs about the mean of the two.

echo
echo "## The floor: what moving the answer's bytes costs"
echo
echo "| list | bytes in / out | proxy_pass of the list, µs | proxy_pass of the gateway's answer, µs | list in, answer out (mean), µs | gateway, µs | best CPU ratio | the module's own work, µs |"
echo "|---|---|---|---|---|---|---|---|"

for c in "50 KB list|50|list50k.json" "100 tickets, 72 KB|100|list100.json" \
         "500 KB list|99|list500k.json"
do
    IFS='|' read -r name p body <<< "$c"

    read -r _ _ _ w_cpu _ _ _ l_cpu bad1 _ _ <<< "$(compare "$CONNS" \
        "http://127.0.0.1:$GW/rest/wire$p" "REST=1" \
        "http://127.0.0.1:$GW/rest/tickets?per_page=$p" "REST=1")"
    [ "$bad1" = 0 ] || status=1
    g_cpu=${gateway_cpu[$name]}

    floor=$(awk -v a="$l_cpu" -v b="$w_cpu" 'BEGIN { printf "%.1f", (a + b) / 2 }')

    echo "| $name | $(wc -c < "$D/stub/$body") / $(wc -c < "$D/stub/wire$p.json") | $l_cpu | $w_cpu | $floor | $g_cpu | $(ratio "$l_cpu" "$floor") | $(awk -v a="$g_cpu" -v b="$floor" 'BEGIN { printf "%.1f", a - b }') |"
done

echo
echo "\"best CPU ratio\": what a gateway that did nothing but move these" \
     "bytes would reach against proxy_pass of the list; the module's own" \
     "work (capture, scan and escape, JSON-RPC) is the rest of its CPU."
echo
echo "Both sides proxy with proxy_buffer_size $buf_first and proxy_buffers" \
     "$bufs_n $bufs_size ($buf_room bytes, the largest body proxied" \
     "$largest); responses buffered to a temporary file so far:" \
     "$(temp_files); the measured nginx keeps its freed heap:" \
     "$([ "$KEEP_HEAP" = 1 ] && echo "yes ($TUNABLES)" || echo no)."
temp_file_check

echo
echo "## Quota cost (get_ticket, 1 KB)"
echo
echo "| case | req/s | ratio to quota off, run by run | worker CPU µs per request | CPU ratio, run by run |"
echo "|---|---|---|---|---|"

read -r on _ _ on_cpu off _ _ off_cpu bad1 q_rr q_cr <<< "$(compare "$CONNS" \
    "http://127.0.0.1:$GW/mcp-quota" "TOOL=get_ticket ARGS={\"ticket_id\":1}" \
    "http://127.0.0.1:$GW/mcp" "TOOL=get_ticket ARGS={\"ticket_id\":1}")"
read -r many _ _ many_cpu one _ _ one_cpu bad2 t_rr t_cr <<< "$(compare "$CONNS" \
    "http://127.0.0.1:$GW/mcp-tenants" "TOOL=get_ticket ARGS={\"ticket_id\":1} TENANTS=10000" \
    "http://127.0.0.1:$GW/mcp-tenants" "TOOL=get_ticket ARGS={\"ticket_id\":1} TENANTS=1")"
[ "$bad1$bad2" = 00 ] || status=1

echo "| quota off | $off | 1.000 | $off_cpu | 1.000 |"
echo "| quota on, 1 tenant | $on | $q_rr | $on_cpu | $q_cr |"
echo
echo "| tenant from a header (wrk builds every request) | req/s | ratio, run by run | worker CPU µs per request | CPU ratio, run by run |"
echo "|---|---|---|---|---|"
echo "| quota on, 1 tenant | $one | 1.000 | $one_cpu | 1.000 |"
echo "| quota on, 10,000 tenants | $many | $t_rr | $many_cpu | $t_cr |"

echo
echo "## MCP 2026-07-28 against 2025-11-25 (get_ticket, 1 KB)"
echo
read -r n26 _ _ c26 n25 _ _ c25 bad1 e_rr e_cr <<< "$(compare "$CONNS" \
    "http://127.0.0.1:$GW/mcp" "TOOL=get_ticket ARGS={\"ticket_id\":1} ERA=2026" \
    "http://127.0.0.1:$GW/mcp" "TOOL=get_ticket ARGS={\"ticket_id\":1}")"
[ "$bad1" = 0 ] || status=1
echo "| revision | req/s | ratio to 2025, run by run | worker CPU µs per request | CPU ratio (2025 / 2026), run by run |"
echo "|---|---|---|---|---|"
echo "| 2025-11-25 | $n25 | 1.000 | $c25 | 1.000 |"
echo "| 2026-07-28 | $n26 | $e_rr | $c26 | $e_cr |"


redis_table

# two nodes on one Redis: a second measured nginx with the same
# configuration; both loaded at once for one tenant limited to 3,000
# calls a minute (bench.conf.in): exactly that many admitted over both,
# and each node's throughput
CLUSTER=3000
GW2=$(free_port)
cp "$D/many.state" "$D/many2.state"
sed -e "s|$D/nginx.pid|$D/nginx2.pid|" -e "s|127.0.0.1:$GW |127.0.0.1:$GW2 |" \
    -e "s|logs/mcp.log|logs/mcp2.log|" -e "s|logs/rest.log|logs/rest2.log|" \
    -e "s|logs/cluster.log|logs/cluster2.log|" -e "s|many.state|many2.state|" \
    "$D/nginx.conf" > "$D/nginx2.conf"
env ${TUNABLES:+GLIBC_TUNABLES=$TUNABLES} \
    "$NGINX" -p "$D/" -c "$D/nginx2.conf" -e "$D/logs/error2.log"
sleep 0.5

wrk -t1 -c8 -d"${DURATION}s" -s "$ROOT/bench/call.lua" \
    "http://127.0.0.1:$GW/mcp-cluster" > "$D/wrk1.out" 2>&1 &
w1=$!
wrk -t1 -c8 -d"${DURATION}s" -s "$ROOT/bench/call.lua" \
    "http://127.0.0.1:$GW2/mcp-cluster" > "$D/wrk2.out" 2>&1
wait $w1
kill -QUIT "$(cat "$D/nginx2.pid")"

n1=$(awk '/^Requests\/sec:/ { print $2 }' "$D/wrk1.out")
n2=$(awk '/^Requests\/sec:/ { print $2 }' "$D/wrk2.out")
sleep 0.5
a1=$(grep -c '^200 200$' "$D/logs/cluster.log" || true)
a2=$(grep -c '^200 200$' "$D/logs/cluster2.log" || true)
month=$(date -u +%Y%m)
rm=$(redis-cli -p "$REDIS" get "freshdesk:{cluster}:m:$month")

echo
echo "## Two nodes on one Redis (get_ticket, 1 KB, one tenant limited to $CLUSTER calls a minute)"
echo
echo "| node | req/s (admitted and refused) | admitted |"
echo "|---|---|---|"
echo "| node 1 | $n1 | $a1 |"
echo "| node 2 | $n2 | $a2 |"
echo "| both | $(awk -v a="$n1" -v b="$n2" 'BEGIN { printf "%.2f", a + b }') | $((a1 + a2)) (Redis month: $rm) |"
[ "$((a1 + a2))" = "$CLUSTER" ] && [ "$rm" = "$CLUSTER" ] || {
    echo "bench: two nodes admitted $((a1 + a2)), Redis counted $rm, not $CLUSTER" >&2
    status=1
}

kill -QUIT "$(cat "$D/nginx.pid")"
sleep 0.5

# every answer must have been a 200 carrying the stub's 200 (or a request
# cut off by wrk when its time was up)
for log in mcp rest; do
    [ -s "$D/logs/$log.log" ] || continue
    n=$(wc -l < "$D/logs/$log.log")
    badlog=$(grep -vcE '^(200 200|499 .*|000 .*)$' "$D/logs/$log.log" || true)
    echo
    echo "answers checked in the $log access log: $n, not 200/200: $badlog"
    [ "$badlog" = 0 ] || status=1
done
else
    # callgrind.sh runs the measured configuration itself
    kill -QUIT "$(cat "$D/nginx.pid")"
    sleep 1
fi   # ONLY

if [ "$CALLGRIND" = 1 ]; then
    echo
    echo "## Instructions per request (valgrind --tool=callgrind)"
    echo
    "$ROOT/bench/callgrind.sh" "$D" "$GW"
fi

temp_file_check

if [ $status != 0 ]; then
    echo "bench: some responses were errors or were buffered to a" \
         "temporary file (see above): the numbers above are not valid" >&2
fi

exit $status
