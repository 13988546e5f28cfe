#!/usr/bin/env bash
# make bench-guard: the account guard against the fake Freshdesk's account
# limit.  Five tenants, each allowed 100 calls a minute, on one Pro account
# (400 credits a minute, headroom 20%), driven as hard as they can for
# MINUTES minutes by wrk; then the same with another integration spending
# 150 credits a minute on the account (--outside-rate 150).  Two layouts:
# every tenant on one connection, and one tenant on eight.  Prints, per
# run: Freshdesk's 429s, the gateway's credits a minute, each tenant's
# calls against its fair share.  Then two nodes sharing the account
# through Redis (freshdesk_quota_redis: the guard's budget, shares and
# pause in Redis), every tenant on one connection to each node.  Bounded:
# 6 x MINUTES minutes (2 x with ROWS=redis, the two-node rows alone).
#
# env: MINUTES (default 3), PORT (default 18480; uses PORT..PORT+3),
#      ROWS (all, default; or redis)
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
MINUTES=${MINUTES:-3}
PORT=${PORT:-18480}
FAKE=$((PORT + 1))
NGINX=${NGINX:-/usr/sbin/nginx}
MODULE=${MODULE:-$ROOT/build/ngx_http_freshdesk_module.so}
TENANTS="t1 t2 t3 t4 t5"
PORT2=$((PORT + 2))
REDIS=$((PORT + 3))
ROWS=${ROWS:-all}

D=$(mktemp -d /tmp/fdguard.XXXXXX)
chmod 755 "$D"
mkdir -p "$D/logs" "$D/tmp"
chmod 777 "$D/logs" "$D/tmp"

FAKE_PID=""

cleanup() {
    [ -f "$D/nginx.pid" ] && kill -QUIT "$(cat "$D/nginx.pid")" 2>/dev/null
    [ -f "$D/nginx2.pid" ] && kill -QUIT "$(cat "$D/nginx2.pid")" 2>/dev/null
    [ -f "$D/redis.pid" ] && kill "$(cat "$D/redis.pid")" 2>/dev/null
    [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null
    sleep 0.3
    rm -rf "$D"
}
trap cleanup EXIT

conf() {   # conf FILE PORT PIDFILE REDIS-LINE
cat > "$1" <<CONF
load_module $MODULE;
pid $3;
error_log $D/logs/error.log warn;
worker_processes 2;
user nobody nogroup;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $D/tmp/body;
    proxy_temp_path $D/tmp/proxy;
    fastcgi_temp_path $D/tmp/fastcgi;
    uwsgi_temp_path $D/tmp/uwsgi;
    scgi_temp_path $D/tmp/scgi;

    freshdesk_quota_zone fd:10m calls=100/m actions=1000000/month;
    freshdesk_quota_log_level info;
    $4

    upstream freshdesk { server 127.0.0.1:$FAKE; keepalive 16; }

    server {
        listen 127.0.0.1:$2;
        location = /mcp {
            freshdesk_mcp;
            freshdesk_tenant \$http_x_tenant;
            freshdesk_api_key fd-test-key;
            freshdesk_quota fd;
            freshdesk_account_guard account=bench plan=pro headroom=20%
                                    wait=2s;
        }
        location = /status { freshdesk_status; }
        location /_freshdesk/ {
            internal;
            proxy_pass http://freshdesk/api/v2/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
CONF
}

conf "$D/nginx.conf" "$PORT" "$D/nginx.pid" ""

run() {   # run LABEL OUTSIDE BIG-CONNS [NODES]
    local label=$1 outside=$2 big=$3 nodes=${4:-1} t c p pids="" start
    local month counts

    python3 "$ROOT/t/fake_freshdesk.py" --port "$FAKE" --account-rate 400 \
        --outside-rate "$outside" > "$D/logs/fake.log" 2>&1 &
    FAKE_PID=$!
    for i in $(seq 1 50); do
        grep -q READY "$D/logs/fake.log" 2>/dev/null && break
        sleep 0.1
    done

    rm -f "$D/nginx.pid" "$D/nginx2.pid"
    if [ "$nodes" = 2 ]; then
        redis-cli -p "$REDIS" FLUSHALL > /dev/null
        "$NGINX" -p "$D/" -c "$D/nginx-r1.conf" -e "$D/logs/error.log"
        "$NGINX" -p "$D/" -c "$D/nginx-r2.conf" -e "$D/logs/error2.log"
    else
        "$NGINX" -p "$D/" -c "$D/nginx.conf" -e "$D/logs/error.log"
    fi
    sleep 0.5

    # every wrk stops itself before it starts, and all go on together:
    # started one after another, the first tenants' calls took the first
    # window's credits before the last ones had called at all
    start=$(date +%s)
    for t in $TENANTS; do
        c=1
        [ "$t" = t1 ] && c=$big
        for p in $PORT $([ "$nodes" = 2 ] && echo $PORT2); do
            TOOL=get_ticket sh -c 'kill -STOP $$; exec "$@"' sh \
                wrk -t1 -c"$c" -d"$((MINUTES * 60))s" \
                --timeout 10s -s "$ROOT/bench/call.lua" -H "X-Tenant: $t" \
                "http://127.0.0.1:$p/mcp" > "$D/logs/wrk-$t-$p.log" 2>&1 &
            pids="$pids $!"
        done
    done
    for p in $pids; do
        until ps -o stat= -p "$p" | grep -q '^T'; do sleep 0.05; done
    done
    kill -CONT $pids
    # the tenants' months and the guard's window every second, for the
    # split window by window: two nodes, the window's number in Redis;
    # one node, the status page (a new window when the time to its end
    # goes up by more than the 1 s a clock's turn waits for an answer)
    : > "$D/logs/windows.txt"
    if [ "$nodes" = 1 ]; then
        while kill -0 $pids 2>/dev/null; do
            curl -s "http://127.0.0.1:$PORT/status" | python3 -c '
import json, sys
s = json.load(sys.stdin)
m = {t["tenant"]: t["actions_month"] for z in s["zones"] for t in z["tenants"]}
a = [a for z in s["zones"] for a in z.get("accounts", [])]
if a and len(m) == int(sys.argv[1]):
    print(a[0]["window_ends_in_ms"], *(m[t] for t in sorted(m)))
' "$(echo $TENANTS | wc -w)" >> "$D/logs/windows.txt"
            sleep 1
        done &
    fi
    if [ "$nodes" = 2 ]; then
        month=$(date -u +%Y%m)
        while kill -0 $pids 2>/dev/null; do
            line=$(redis-cli -p "$REDIS" HGET "freshdesk:{acct:bench}:g" win)
            for t in $TENANTS; do
                line="$line $(redis-cli -p "$REDIS" GET \
                              "freshdesk:{acct:bench}:$t:m:$month")"
            done
            echo "$line" >> "$D/logs/windows.txt"
            sleep 1
        done &
    fi
    wait $pids

    # two nodes: each tenant's calls are the cluster's month in Redis
    counts=""
    if [ "$nodes" = 2 ]; then
        for t in $TENANTS; do
            counts="$counts $t=$(redis-cli -p "$REDIS" GET \
                                 "freshdesk:{acct:bench}:$t:m:$month")"
        done
    fi

    python3 - "$label" "$MINUTES" "$outside" \
        "$(curl -s "http://127.0.0.1:$FAKE/__control/stats")" \
        "$(curl -s "http://127.0.0.1:$PORT/status")" "$counts" \
        "$D/logs/windows.txt" <<'PY'
import json, sys
label, minutes, outside = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fake, status = json.loads(sys.argv[4]), json.loads(sys.argv[5])
tenants = {t["tenant"]: t["actions_month"]
           for z in status["zones"] for t in z["tenants"]}
if sys.argv[6].strip():
    tenants = {k: int(v or 0) for k, v in
               (kv.split("=") for kv in sys.argv[6].split())}
total = sum(tenants.values())
fair = total / max(len(tenants), 1)
worst = max(abs(v - fair) / fair for v in tenants.values()) if fair else 0
print(f"| {label} | {fake['too_many']} | {fake['requests'] / minutes:.0f} "
      f"| {' / '.join(str(tenants[t]) for t in sorted(tenants))} "
      f"| {worst * 100:.1f}% |")
# the guard's windows: each tenant's calls in each, and the
# worst distance from fair of a whole window (the last one is cut short)
last, ends = {}, []
w, used = 0, None
for line in open(sys.argv[7]):
    f = line.split()
    if len(f) == 1 + len(tenants) and all(x.isdigit() for x in f):
        if label.startswith("2 nodes"):
            w = int(f[0])
        elif used is not None and int(f[0]) > used + 5000:
            w += 1
        used = int(f[0])
        last[w] = [int(x) for x in f[1:]]
prev, rows, worst2 = [0] * len(tenants), [], 0
for w in sorted(last):
    d = [a - b for a, b in zip(last[w], prev)]
    prev = last[w]
    if sum(d) == 0:
        continue
    rows.append(" / ".join(map(str, d)))
    m = sum(d) / len(d)
    if w != max(last):
        worst2 = max(worst2, max(abs(x - m) / m for x in d))
if rows:
    print(f"|  windows: {'; '.join(rows)} "
          f"| | | worst whole window | {worst2 * 100:.1f}% |")
PY
    kill -QUIT "$(cat "$D/nginx.pid")"
    [ -f "$D/nginx2.pid" ] && kill -QUIT "$(cat "$D/nginx2.pid")"
    kill "$FAKE_PID"
    wait "$FAKE_PID" 2>/dev/null || true
    FAKE_PID=""
    sleep 1
    rm -f "$D"/logs/*.state
}

echo "## Account guard: 5 tenants (100 calls/min each), Pro account (400/min), headroom 20%, ${MINUTES} min"
echo
echo "| run | Freshdesk 429s | gateway credits / min | calls per tenant (t1..t5) | worst distance from fair |"
echo "| --- | ---: | ---: | --- | ---: |"
if [ "$ROWS" = all ]; then
    run "1 connection each" 0 1
    run "t1 on 8 connections" 0 8
    run "outside 150/min, 1 each" 150 1
    run "outside 150/min, t1 on 8" 150 8
fi

# two nodes, one Redis: the account guarded by both together
redis-server --port "$REDIS" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$D" --daemonize yes --pidfile "$D/redis.pid" \
    --logfile "$D/logs/redis.log"
sleep 0.3
RL="freshdesk_quota_redis fd 127.0.0.1:$REDIS timeout=100ms;"
conf "$D/nginx-r1.conf" "$PORT" "$D/nginx.pid" "$RL"
conf "$D/nginx-r2.conf" "$PORT2" "$D/nginx2.pid" "$RL"
run "2 nodes + Redis, 1 each per node" 0 1 2
run "2 nodes + Redis, outside 150/min" 150 1 2
