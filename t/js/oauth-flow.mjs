#!/usr/bin/env node
// The interactive OAuth flow of the official TypeScript SDK client against
// the gateway and t/js/oidc.mjs, with no browser: the SDK does discovery
// (the 401's resource_metadata, the Protected Resource Metadata, the
// authorization server's metadata), dynamic client registration and the
// authorization request (code + PKCE S256, RFC 8707 resource); this script
// plays the user agent: it follows the authorization URL with HTTP
// requests (a small cookie jar), fills in oidc-provider's login and
// consent forms, catches the redirect to the client's redirect URI and
// hands the code back to the SDK (transport.finishAuth). Then the SDK
// connects again with the token, lists the tools and calls them.
//
// usage: node t/js/oauth-flow.mjs MCP_URL
//   OAUTH_LOGIN   the login typed into the login form (default "ann")
//   MCP_CALLS     JSON array of tool calls [{"name":..,"arguments":{..}}]
//   MCP_TIMEOUT_MS  per step (default 20000)
//
// Prints ONE JSON object on stdout:
//   {"ok":true,"steps":[...],"registered":{"client_id":..,"auth_method":..},
//    "authorization":{"code_challenge_method":"S256","resource":..,"scope":..},
//    "token":{"scope":..,"claims":{iss,aud,sub,client_id,scope,org}},
//    "tools":[names],"calls":[{"name":..,"result"|"error":..}]}       exit 0
//   {"ok":false,"stage":..,"error":..,"steps":[...]}                   exit 1
// Never prints a token, a code, a verifier or a client secret.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

const steps = [];
let stage = 'args';

function emit(obj, code) {
  process.stdout.write(JSON.stringify(obj) + '\n', () => process.exit(code));
}

function fail(error) {
  emit({ ok: false, stage, error: String(error?.message ?? error), steps }, 1);
}

const url = process.argv[2];
if (!url) {
  emit({ ok: false, stage, error: 'usage: oauth-flow.mjs MCP_URL' }, 2);
}

let calls = [];
try {
  calls = JSON.parse(process.env.MCP_CALLS || '[]');
  if (!Array.isArray(calls)) throw new Error('MCP_CALLS: not an array');
} catch (e) {
  emit({ ok: false, stage, error: `MCP_CALLS: ${e.message}` }, 2);
}

const login = process.env.OAUTH_LOGIN || 'ann';
const timeoutMs = Number(process.env.MCP_TIMEOUT_MS || 20000);
// the client's redirect URI: nothing listens there, the driver stops at
// the redirect and reads the code from its Location
const REDIRECT = 'http://127.0.0.1:1/callback';

// --- the SDK's OAuthClientProvider, in memory -----------------------------

const store = {};

const provider = {
  get redirectUrl() { return REDIRECT; },
  get clientMetadata() {
    return {
      client_name: 'freshdesk-gateway-test (SDK)',
      redirect_uris: [REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      // no scope: the SDK registers and asks for the scopes of the 401
      // challenge (or of the metadata's scopes_supported)
      application_type: 'native',
    };
  },
  state() { return 'st-' + Math.random().toString(36).slice(2); },
  clientInformation() { return store.client; },
  saveClientInformation(info) {
    store.client = info;
    steps.push('registered');
  },
  tokens() { return store.tokens; },
  saveTokens(tokens) {
    store.tokens = tokens;
    steps.push('tokens');
  },
  redirectToAuthorization(u) {
    store.authorizationUrl = u;
    steps.push('redirect');
  },
  saveCodeVerifier(v) { store.verifier = v; },
  codeVerifier() { return store.verifier; },
};

// --- a user agent: fetch, no automatic redirects, a cookie jar -------------

const jar = new Map();

function keepCookies(res) {
  for (const line of res.headers.getSetCookie()) {
    const [pair, ...attrs] = line.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const gone = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a))
      || attrs.some((a) => /^\s*expires=/i.test(a)
                           && Date.parse(a.split('=')[1]) < Date.now());
    if (gone || value === '') jar.delete(name);
    else jar.set(name, value);
  }
}

async function agent(u, init = {}) {
  const headers = new Headers(init.headers);
  if (jar.size) {
    headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
  }
  const res = await fetch(u, {
    ...init, headers, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs),
  });
  keepCookies(res);
  return res;
}

// follow redirects and forms until the client's redirect URI comes back
async function userAgent(start) {
  let res = await agent(start);
  for (let hop = 0; hop < 20; hop++) {
    if (res.status >= 300 && res.status < 400) {
      const to = new URL(res.headers.get('location'), res.url || start);
      if (to.href.startsWith(REDIRECT)) return to;
      res = await agent(to);
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) {
      throw new Error(`the authorization server answered ${res.status}: ${html.slice(0, 200)}`);
    }
    const form = /<form[^>]*action="([^"]+)"[^>]*method="post"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
    if (!form) throw new Error('no form on the authorization server\'s page');
    const prompt = /name="prompt" value="([a-z]+)"/.exec(form[2])?.[1];
    const body = new URLSearchParams({ prompt });
    if (prompt === 'login') {
      body.set('login', login);
      body.set('password', 'any password');
    } else if (prompt !== 'consent') {
      throw new Error(`unknown prompt "${prompt}"`);
    }
    steps.push(prompt);
    const action = new URL(form[1].replace(/&amp;/g, '&'), res.url || start);
    res = await agent(action, {
      method: 'POST', body,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  }
  throw new Error('too many redirects');
}

// --- the flow --------------------------------------------------------------

function claimsOf(token) {
  try {
    const c = JSON.parse(Buffer.from(token.split('.')[1], 'base64url'));
    return {
      iss: c.iss, aud: c.aud, sub: c.sub, client_id: c.client_id,
      scope: c.scope, org: c.org,
    };
  } catch {
    return null;
  }
}

function errorOf(e) {
  return {
    code: e?.code ?? null,
    message: String(e?.message ?? e),
  };
}

const info = { name: 'freshdesk-oauth-flow', version: '1.0.0' };

try {
  stage = 'connect-unauthorized';
  let transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider });
  let client = new Client(info);
  try {
    await client.connect(transport);
    throw new Error('connected without a token');
  } catch (e) {
    if (!(e instanceof UnauthorizedError)) throw e;
    steps.push('unauthorized');
  }
  if (!store.authorizationUrl) throw new Error('the SDK did not start an authorization');

  const a = store.authorizationUrl.searchParams;
  const authorization = {
    endpoint: store.authorizationUrl.origin + store.authorizationUrl.pathname,
    response_type: a.get('response_type'),
    code_challenge_method: a.get('code_challenge_method'),
    has_code_challenge: !!a.get('code_challenge'),
    resource: a.get('resource'),
    scope: a.get('scope'),
    client_id_registered: a.get('client_id') === store.client?.client_id,
  };

  stage = 'authorize';
  const back = await userAgent(store.authorizationUrl);
  const code = back.searchParams.get('code');
  if (!code) {
    throw new Error(`no code: ${back.searchParams.get('error')} ${back.searchParams.get('error_description')}`);
  }
  steps.push('code');

  stage = 'token';
  await transport.finishAuth(code);

  stage = 'connect';
  transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider });
  client = new Client(info);
  await client.connect(transport);
  steps.push('connected');

  stage = 'tools/list';
  const tools = [];
  let cursor;
  do {
    const r = await client.listTools(cursor ? { cursor } : {}, { timeout: timeoutMs });
    for (const t of r.tools) tools.push(t.name);
    cursor = r.nextCursor;
  } while (cursor);

  stage = 'tools/call';
  const results = [];
  for (const c of calls) {
    try {
      const r = await client.callTool({ name: c.name, arguments: c.arguments ?? {} },
                                      undefined, { timeout: timeoutMs });
      results.push({ name: c.name, result: r });
    } catch (e) {
      results.push({ name: c.name, error: errorOf(e) });
    }
  }

  await client.close();

  emit({
    ok: true,
    steps,
    registered: {
      client_id: store.client?.client_id,
      auth_method: store.client?.token_endpoint_auth_method ?? null,
      has_secret: !!store.client?.client_secret,
    },
    authorization,
    token: {
      type: store.tokens?.token_type,
      scope: store.tokens?.scope,
      claims: claimsOf(store.tokens?.access_token ?? ''),
    },
    tools,
    calls: results,
  }, 0);
} catch (e) {
  fail(e);
}
