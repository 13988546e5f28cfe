#!/bin/sh
# make demo: the gateway on 127.0.0.1:PORT in front of the bundled fake
# Freshdesk, on a private prefix (no /etc, no system nginx, no port 80).
# Runs in the foreground; Ctrl-C stops everything it started.
set -eu

PORT=${1:-8080}
FAKE_PORT=${FAKE_PORT:-$((PORT + 1))}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=$ROOT/build/demo
TOKEN=demo-token
NGINX=${NGINX:-/usr/sbin/nginx}

mkdir -p "$PREFIX/logs" "$PREFIX/tmp"
chmod 755 "$PREFIX"
chmod 777 "$PREFIX/logs" "$PREFIX/tmp"

sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@ROOT@|$ROOT|g" \
    -e "s|@PORT@|$PORT|g" -e "s|@FAKE_PORT@|$FAKE_PORT|g" \
    -e "s|@TOKEN@|$TOKEN|g" "$ROOT/tools/demo.conf.in" > "$PREFIX/nginx.conf"

python3 "$ROOT/t/fake_freshdesk.py" --port "$FAKE_PORT" \
    > "$PREFIX/logs/fake.log" 2>&1 &
FAKE=$!

cleanup() {
    trap - INT TERM EXIT
    [ -f "$PREFIX/nginx.pid" ] && kill -QUIT "$(cat "$PREFIX/nginx.pid")" \
        2>/dev/null || true
    kill "$FAKE" 2>/dev/null || true
    wait 2>/dev/null || true
    echo "demo stopped"
}
trap cleanup INT TERM EXIT

for i in $(seq 1 50); do
    grep -q READY "$PREFIX/logs/fake.log" 2>/dev/null && break
    sleep 0.1
done

"$NGINX" -p "$PREFIX/" -c "$PREFIX/nginx.conf" -e "$PREFIX/logs/error.log" -t -q

cat <<MSG

  Freshdesk MCP gateway (demo) on http://127.0.0.1:$PORT/mcp
  upstream: fake Freshdesk on 127.0.0.1:$FAKE_PORT (no account needed)

  Credentials, as a header line:

    Authorization: Bearer $TOKEN

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

  Try:  t/js/inspector.sh http://127.0.0.1:$PORT/mcp \\
          --header "Authorization: Bearer $TOKEN" --method tools/list
  Quota status: curl http://127.0.0.1:$PORT/freshdesk/status
  Logs: $PREFIX/logs/   Ctrl-C stops the demo.

MSG

"$NGINX" -p "$PREFIX/" -c "$PREFIX/nginx.conf" -e "$PREFIX/logs/error.log" \
    -g 'daemon off;' &
wait $!
