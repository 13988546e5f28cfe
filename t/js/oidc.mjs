// An OAuth 2.1 / OpenID Connect authorization server for the gateway's
// OAuth tests and `make demo AUTH=oauth`: oidc-provider (from t/js) on
// 127.0.0.1, issuing JWT access tokens for one resource, the gateway's
// MCP endpoint (RFC 8707 resource indicators: aud = the resource, with a
// `scope` claim).
//
//   node t/js/oidc.mjs --port PORT --resource URL --jwks FILE
//                      [--org ORG] [--client ID=ORG:SCOPE,SCOPE ...]
//
// - issuer http://127.0.0.1:PORT (its discovery document at
//   /.well-known/openid-configuration, its keys at /jwks);
// - grants: client credentials, authorization code with PKCE (S256,
//   required for every client), refresh tokens;
// - dynamic client registration (RFC 7591) at /reg, open (no initial
//   access token), so that MCP clients (the SDK, mcp-remote) register
//   themselves;
// - the development login and consent pages of oidc-provider
//   (/interaction/UID: any login and password), plain HTML forms that a
//   test drives with HTTP requests;
// - two registered confidential clients, by default `freshdesk-ro`
//   (freshdesk:read) and `freshdesk-rw` (freshdesk:read freshdesk:write),
//   with fresh random secrets; a client that asks for no scope gets the
//   ones it is registered for;
// - every access token carries an `org` claim (the organisation of the
//   registered client, else --org, default `demo`) for the gateway's
//   claim-to-tenant map.
//
// Before listening it writes the public JWKS of its signing key to FILE
// (the gateway's freshdesk_oauth_jwks), so nginx can start after it; the
// same keys are served at /jwks for a gateway that fetches jwks_uri.
// Then it prints, on stdout:
//
//   oauth issuer http://127.0.0.1:PORT
//   oauth client <client_id> <client_secret> <scope ...>
//   READY
//
// The signing key is made at start and lives only in this process.
// SIGTERM or SIGINT stops it.

import crypto from 'node:crypto';
import fs from 'node:fs';
import { parseArgs } from 'node:util';

import Provider, { errors } from 'oidc-provider';

const SCOPES = ['freshdesk:read', 'freshdesk:write'];

function usage(msg) {
  process.stderr.write(`oidc.mjs: ${msg}\n`
    + 'usage: node t/js/oidc.mjs --port PORT --resource URL --jwks FILE '
    + '[--org ORG] [--client ID=ORG:SCOPE,SCOPE ...]\n');
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      port: { type: 'string' },
      resource: { type: 'string' },
      jwks: { type: 'string' },
      org: { type: 'string', default: 'demo' },
      client: { type: 'string', multiple: true },
      ttl: { type: 'string', default: '3600' },
    },
  }).values;
} catch (e) {
  usage(e.message);
}

const port = Number(args.port);
if (!Number.isInteger(port) || port < 1 || port > 65535) usage('--port: a TCP port');

let resource;
try {
  resource = new URL(args.resource);
} catch {
  usage('--resource: the URL of the MCP endpoint, e.g. http://127.0.0.1:8080/mcp');
}
if (!/^https?:$/.test(resource.protocol) || resource.hash || resource.search) {
  usage('--resource: an http(s) URL without query or fragment');
}
const RESOURCE = args.resource;

if (!args.jwks) usage('--jwks: the file to write the public key set to');

const ttl = Number(args.ttl);
if (!Number.isInteger(ttl) || ttl < 10) usage('--ttl: seconds, at least 10');

// registered clients: ID=ORG:SCOPE,SCOPE
const wanted = args.client?.length ? args.client
  : ['freshdesk-ro=demo:freshdesk:read',
     'freshdesk-rw=demo:freshdesk:read,freshdesk:write'];
const clients = [];
const orgOf = new Map();

for (const spec of wanted) {
  const m = /^([A-Za-z0-9._-]+)=([A-Za-z0-9._-]+):(.+)$/.exec(spec);
  if (!m) usage(`--client "${spec}": ID=ORG:SCOPE,SCOPE`);
  const scope = m[3].split(',');
  for (const s of scope) {
    if (!SCOPES.includes(s)) usage(`--client "${spec}": unknown scope "${s}"`);
  }
  orgOf.set(m[1], m[2]);
  clients.push({
    client_id: m[1],
    client_secret: crypto.randomBytes(24).toString('base64url'),
    client_name: m[1],
    scope: scope.join(' '),
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
  });
}

// the signing key: RSA 2048, RS256 (the JWT access tokens and ID tokens)
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const kid = `oidc-${crypto.randomBytes(6).toString('hex')}`;
const jwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
const pub = { kty: jwk.kty, n: jwk.n, e: jwk.e, kid, alg: 'RS256', use: 'sig' };

// the scopes a client may hold at the resource: its registered ones, or
// all of them for a client registered without `scope`
const clientScopes = (client) => (client?.scope
  ? SCOPES.filter((s) => client.scope.split(' ').includes(s))
  : SCOPES);

const ISSUER = `http://127.0.0.1:${port}`;

const provider = new Provider(ISSUER, {
  clients,
  jwks: { keys: [jwk] },
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  // openid and offline_access plus the resource's scopes: listing those
  // here makes oidc-provider refuse a registered client one it was not
  // registered for (invalid_scope)
  scopes: ['openid', 'offline_access', ...SCOPES],
  claims: { openid: ['sub'] },
  pkce: { required: () => true },
  // OAuth 2.1: the authorization code flow only (no implicit, no hybrid)
  responseTypes: ['code'],
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    registration: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // no `resource` parameter: the gateway's resource anyway
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, indicator, client) => {
        if (indicator !== RESOURCE) {
          throw new errors.InvalidTarget(`unknown resource ${indicator}`);
        }
        return {
          scope: clientScopes(client).join(' '),
          audience: RESOURCE,
          accessTokenTTL: ttl,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  extraTokenClaims: (ctx, token) => ({
    org: orgOf.get(token.clientId) ?? args.org,
  }),
  // every TTL set, so oidc-provider does not warn about its defaults
  ttl: {
    AccessToken: ttl,
    ClientCredentials: ttl,
    AuthorizationCode: 60,
    IdToken: 3600,
    RefreshToken: 86400,
    Interaction: 600,
    Session: 3600,
    Grant: 3600,
    DeviceCode: 600,
    BackchannelAuthenticationRequest: 600,
  },
  // any login of the development login page is an account of that name
  findAccount: (ctx, sub) => ({
    accountId: sub,
    claims: () => ({ sub }),
  }),
  renderError: (ctx, out) => {
    ctx.type = 'json';
    ctx.body = out;
  },
});

// "a client that asks for no scope gets the ones it is registered for":
// oidc-provider issues a client credentials token without scope then;
// fill the token in before it is saved (and so before it is signed and
// the answer's `scope` is made from it)
const { ClientCredentials } = provider;
const save = ClientCredentials.prototype.save;
ClientCredentials.prototype.save = function saveWithScope(...a) {
  if (!this.scope && this.resourceServer) {
    this.scope = clientScopes(this.client)
      .filter((s) => this.resourceServer.scope.split(' ').includes(s))
      .join(' ') || undefined;
  }
  return save.apply(this, a);
};

// errors the provider answers (bad client secret, bad scope, ...) are
// normal test traffic: one line on stderr, no stack
provider.on('server_error', (ctx, err) => {
  process.stderr.write(`oidc.mjs: server_error: ${err?.stack ?? err}\n`);
});

fs.writeFileSync(`${args.jwks}.tmp`, JSON.stringify({ keys: [pub] }, null, 2) + '\n');
fs.renameSync(`${args.jwks}.tmp`, args.jwks);

const server = provider.listen(port, '127.0.0.1');

server.on('error', (e) => {
  process.stderr.write(`oidc.mjs: cannot listen on 127.0.0.1:${port}: ${e.message}\n`);
  process.exit(1);
});

server.on('listening', () => {
  const out = [`oauth issuer ${ISSUER}`];
  for (const c of clients) {
    out.push(`oauth client ${c.client_id} ${c.client_secret} ${c.scope}`);
  }
  out.push('READY');
  process.stdout.write(out.join('\n') + '\n');
});

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.close();
    process.exit(0);
  });
}
