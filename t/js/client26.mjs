#!/usr/bin/env node
// SDK v2 client driver (@modelcontextprotocol/client) for the 2026-07-28
// revision and the era negotiation.
//
// usage: node client26.mjs URL MODE      MODE: legacy | auto | 2026-07-28 (pinned)
//   MCP_HEADERS  JSON object of HTTP headers sent on every request
//   MCP_CALLS    JSON array of tool calls: [{"name":..,"arguments":{..}}, ...]
//
// Connects, lists tools, calls each of MCP_CALLS, then prints ONE JSON
// object: {"ok":true,"protocol":"2026-07-28","era":"modern","tools":[..],
// "calls":[{"name":..,"result":{..}} | {"name":..,"error":{"code":..,"message":..}}]}
// or {"ok":false,"stage":..,"error":{..}} (exit 1).
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

function emit(obj, code) {
  process.stdout.write(JSON.stringify(obj) + '\n', () => process.exit(code));
}

const [url, modeArg] = process.argv.slice(2);
if (!url || !modeArg) emit({ ok: false, error: { message: 'usage: client26.mjs URL MODE' } }, 2);

const headers = JSON.parse(process.env.MCP_HEADERS || '{}');
const calls = JSON.parse(process.env.MCP_CALLS || '[]');
const mode = modeArg === 'legacy' || modeArg === 'auto' ? modeArg : { pin: modeArg };

function err(e) {
  return { code: e?.code ?? null, message: String(e?.message ?? e) };
}

let stage = 'connect';
try {
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
  const client = new Client({ name: 'freshdesk-gateway-tests-v2', version: '1.0.0' },
                            { versionNegotiation: { mode } });
  await client.connect(transport);

  stage = 'tools/list';
  const tools = [];
  let cursor;
  do {
    const page = await client.listTools(cursor ? { cursor } : undefined);
    tools.push(...page.tools.map((t) => t.name));
    cursor = page.nextCursor;
  } while (cursor);

  stage = 'tools/call';
  const out = [];
  for (const c of calls) {
    try {
      out.push({ name: c.name, result: await client.callTool({ name: c.name, arguments: c.arguments ?? {} }) });
    } catch (e) {
      out.push({ name: c.name, error: err(e) });
    }
  }

  const result = {
    ok: true,
    protocol: client.getNegotiatedProtocolVersion() ?? null,
    era: client.getProtocolEra() ?? null,
    server: client.getServerVersion() ?? null,
    tools,
    calls: out,
  };
  await client.close().catch(() => {});
  emit(result, 0);
} catch (e) {
  emit({ ok: false, stage, error: err(e) }, 1);
}
