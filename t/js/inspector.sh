#!/usr/bin/env bash
# Inspector CLI (@modelcontextprotocol/inspector --cli) on the pinned Node 22, with a private
# HOME under ${T:-/tmp}/mcp-js/inspector-home (no ~/.mcp-inspector in the real home).
# All arguments are passed through; --stored-auth-only is added (never start an interactive
# OAuth login; a 401 exits 3 with auth_required) unless the caller passes an auth flag
# itself or sets INSPECTOR_INTERACTIVE_AUTH=1.
#
# usage: t/js/inspector.sh URL --method tools/list [-q] [--header "Authorization: Bearer x"]
#        t/js/inspector.sh URL --method tools/call --tool-name echo --tool-arg text=hi
#        t/js/inspector.sh URL --method tools/call --tool-name echo --tool-args-json '{"text":"hi"}'
#        t/js/inspector.sh --help
# exit (Inspector 2.12.0): 0 ok, 1 usage/other error, 3 auth required, 4 unreachable,
#        5 tool returned isError or tool not found, 6 --strict schema errors.
set -u
JS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$JS_DIR/env.sh"
BIN="$JS_DIR/node_modules/.bin/inspector"
if [ ! -x "$BIN" ] || ! node --version 2>/dev/null | grep -q '^v22\.'; then
  echo "inspector.sh: tooling missing, run $JS_DIR/setup.sh first" >&2; exit 1
fi
mkdir -p "$MCP_INSPECTOR_HOME"

extra=(--stored-auth-only)
if [ "${INSPECTOR_INTERACTIVE_AUTH:-0}" = 1 ]; then extra=(); fi
for a in "$@"; do
  case "$a" in
    --stored-auth-only|--use-stored-auth|--relogin|--no-revoke|-h|--help|-V|--version) extra=() ;;
  esac
done
cd "$MCP_INSPECTOR_HOME" || exit 1
HOME="$MCP_INSPECTOR_HOME" USERPROFILE="$MCP_INSPECTOR_HOME" exec "$BIN" --cli "${extra[@]}" "$@"
