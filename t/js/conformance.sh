#!/usr/bin/env bash
# Run the MCP conformance suite (@modelcontextprotocol/conformance, server mode) scenario
# by scenario against URL and summarise.
#
# usage: t/js/conformance.sh URL [scenario ...]
#   default scenarios (the ones that apply to a stateless, tools-only server):
#     server-initialize ping tools-list dns-rebinding-protection server-sse-multiple-streams
#   env: T (temp root, default /tmp), CONFORMANCE_KEEP=1 keeps the results dir,
#        CONFORMANCE_VERBOSE=1 prints the whole output of every scenario.
# output: one "PASS name  (Passed: x/y, ...)" or "FAIL name  (...)" line per scenario
#         (a FAIL is followed by up to 5 indented FAILURE/Error lines), then "N passed, M failed".
# exit:   0 if every scenario passed, 1 if any failed, 2 on usage/setup errors.
# The suite cannot send headers (no Authorization): point it at a location that needs no
# token, on 127.0.0.1/localhost (dns-rebinding-protection needs a loopback URL).
set -u
JS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
URL=${1:-}
if [ -z "$URL" ]; then echo "usage: $0 URL [scenario ...]" >&2; exit 2; fi
shift
if [ $# -gt 0 ]; then SCENARIOS=("$@")
else SCENARIOS=(server-initialize ping tools-list dns-rebinding-protection server-sse-multiple-streams); fi

. "$JS_DIR/env.sh"
BIN="$JS_DIR/node_modules/.bin/conformance"
if [ ! -x "$BIN" ] || ! node --version 2>/dev/null | grep -q '^v22\.'; then
  echo "conformance.sh: tooling missing, run $JS_DIR/setup.sh first" >&2; exit 2
fi

mkdir -p "$MCP_JS_TMP"
RESULTS=$(mktemp -d "$MCP_JS_TMP/conformance.XXXXXX")
if [ "${CONFORMANCE_KEEP:-0}" = 1 ]; then echo "results: $RESULTS"; else trap 'rm -rf "$RESULTS"' EXIT; fi

strip() { sed 's/\x1b\[[0-9;]*m//g'; }
pass=0; fail=0
for s in "${SCENARIOS[@]}"; do
  out=$(cd "$RESULTS" && "$BIN" server --url "$URL" --scenario "$s" -o "$RESULTS" 2>&1)
  rc=$?
  out=$(printf '%s\n' "$out" | strip)
  [ "${CONFORMANCE_VERBOSE:-0}" = 1 ] && printf '%s\n' "$out"
  line=$(printf '%s\n' "$out" | grep -E '^Passed:' | tail -1)
  # no summary line (bad scenario name, crash): show the start of the output instead
  [ -n "$line" ] || line=$(printf '%s\n' "$out" | grep -v '^[[:space:]]*$' | head -2 | sed 's/^[[:space:]]*//' | paste -sd' ' -)
  if [ "$rc" -eq 0 ] && printf '%s\n' "$out" | grep -qE '^Passed:'; then
    pass=$((pass+1)); echo "PASS $s  ($line)"
  else
    fail=$((fail+1)); echo "FAIL $s  ($line)"
    printf '%s\n' "$out" | grep -E 'FAILURE|Error' | head -5 | sed 's/^/    /'
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
