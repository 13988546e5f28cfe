#!/usr/bin/env node
// SDK client test driver for the /mcp endpoint.
//
// usage: node client.mjs URL
//   MCP_HEADERS     JSON object of HTTP headers sent on every request, e.g. {"Authorization":"Bearer x"}
//   MCP_CALLS       JSON array of tool calls: [{"name":"echo","arguments":{"text":"hi"}}, ...]
//   MCP_TIMEOUT_MS  per-request timeout in ms (default 30000)
//
// Connects with the official TypeScript SDK (Client + StreamableHTTPClientTransport),
// pings, lists tools (following nextCursor), calls each tool of MCP_CALLS and the
// unknown tool "no_such_tool", then prints ONE JSON object on stdout:
//
//   {"ok":true,"server":{...serverInfo},"protocol":"2025-11-25","session":null,
//    "capabilities":{...},"tools":["name",...],
//    "calls":[{"name":..,"result":{...}} | {"name":..,"error":{"code":..,"message":..,"source":..}}],
//    "unknown_tool":{"code":-32602,"message":"...","source":"server"},
//    "transport_errors":[]}                                   -> exit 0
//
//   {"ok":false,"error":{"code":..,"message":..},"stage":"connect"|"ping"|"tools/list"}  -> exit 1
//   {"ok":false,"error":{"code":"usage","message":..}}                                  -> exit 2
//
// error.source: "server" = the server answered with a JSON-RPC error; "client" = the SDK
// rejected the answer itself (e.g. structuredContent not matching outputSchema);
// "transport" = HTTP/network level (code is then the HTTP status or a system error code).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';

function emit(obj, code) {
  process.stdout.write(JSON.stringify(obj) + '\n', () => process.exit(code));
}

function usage(message) {
  emit({ ok: false, error: { code: 'usage', message } }, 2);
}

function parseEnvJson(name, fallback, check) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  let v;
  try { v = JSON.parse(raw); } catch (e) { throw new Error(`${name} is not valid JSON: ${e.message}`); }
  if (!check(v)) throw new Error(`${name} has the wrong shape`);
  return v;
}

let serverErrors = 0; // JSON-RPC error responses received from the server so far

function describe(e, errorsBefore) {
  const out = { code: null, message: String(e?.message ?? e) };
  if (e instanceof McpError) {
    out.code = e.code;
    out.source = serverErrors > errorsBefore ? 'server' : 'client';
    if (e.data !== undefined) out.data = e.data;
  } else if (e && typeof e.code === 'number') {          // StreamableHTTPError: HTTP status
    out.code = e.code;
    out.source = 'transport';
  } else {                                               // fetch failure, timeout, ...
    const cause = e?.cause;
    out.code = e?.code ?? cause?.code ?? null;
    if (cause?.message && !out.message.includes(cause.message)) out.message += `: ${cause.message}`;
    out.source = 'transport';
  }
  return out;
}

const urlArg = process.argv[2];
let url, headers, calls, timeout;
try {
  if (!urlArg) throw new Error('usage: node client.mjs URL  (env MCP_HEADERS, MCP_CALLS, MCP_TIMEOUT_MS)');
  url = new URL(urlArg);
  headers = parseEnvJson('MCP_HEADERS', {}, (v) => v && typeof v === 'object' && !Array.isArray(v)
    && Object.values(v).every((x) => typeof x === 'string'));
  calls = parseEnvJson('MCP_CALLS', [], (v) => Array.isArray(v) && v.every((c) => c && typeof c.name === 'string'
    && (c.arguments === undefined || (typeof c.arguments === 'object' && c.arguments !== null && !Array.isArray(c.arguments)))));
  timeout = Number(process.env.MCP_TIMEOUT_MS || 30000);
  if (!Number.isFinite(timeout) || timeout <= 0) throw new Error('MCP_TIMEOUT_MS must be a positive number');
} catch (e) {
  usage(e.message);
}

if (url) {
  const opts = { timeout };
  const transportErrors = [];
  const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers } });
  const client = new Client({ name: 'mcp-js-test-client', version: '0.0.1' });
  client.onerror = (e) => { transportErrors.push(describe(e, serverErrors)); };
  let stage = 'connect';
  try {
    await client.connect(transport, opts); // initialize + notifications/initialized (+ GET, 405 expected)
    const onmessage = transport.onmessage;
    transport.onmessage = (msg, extra) => {
      if (msg && msg.error !== undefined && msg.id !== undefined) serverErrors++;
      onmessage?.(msg, extra);
    };
    const out = {
      ok: true,
      server: client.getServerVersion() ?? null,
      protocol: transport.protocolVersion ?? null,
      session: transport.sessionId ?? null,
      capabilities: client.getServerCapabilities() ?? null,
      tools: [],
      calls: [],
      unknown_tool: null,
      transport_errors: transportErrors,
    };

    stage = 'ping';
    await client.ping(opts);

    stage = 'tools/list';
    const seen = new Set();
    let cursor;
    for (let page = 0; ; page++) {
      if (page >= 100) throw new Error('tools/list: more than 100 pages');
      const res = await client.listTools(cursor === undefined ? {} : { cursor }, opts);
      for (const t of res.tools) out.tools.push(t.name);
      cursor = res.nextCursor;
      if (cursor === undefined || cursor === null) break;
      if (seen.has(cursor)) throw new Error(`tools/list: cursor ${JSON.stringify(cursor)} repeated`);
      seen.add(cursor);
    }

    stage = 'tools/call';
    for (const c of calls) {
      const before = serverErrors;
      try {
        const result = await client.callTool({ name: c.name, arguments: c.arguments ?? {} }, undefined, opts);
        out.calls.push({ name: c.name, result });
      } catch (e) {
        out.calls.push({ name: c.name, error: describe(e, before) });
      }
    }

    const before = serverErrors;
    try {
      const result = await client.callTool({ name: 'no_such_tool', arguments: {} }, undefined, opts);
      out.unknown_tool = { code: null, message: 'answered with a result instead of a JSON-RPC error', result };
    } catch (e) {
      out.unknown_tool = describe(e, before);
    }

    if (transport.sessionId) await transport.terminateSession().catch(() => {});
    await client.close().catch(() => {});
    emit(out, 0);
  } catch (e) {
    await client.close().catch(() => {});
    const err = describe(e, serverErrors);
    delete err.source;
    emit({ ok: false, stage, error: err }, 1);
  }
}
