// Keys, key sets and access tokens for t/29-oauth.t, made fresh in DIR by
// the `jose` package (hostile ones by hand).  Private keys stay in DIR.
//
//   node t/jwt/oauth.mjs DIR NOW RESOURCE ISSUER
//
// Writes DIR/jwks.json (RSA + P-256 public keys), DIR/jwks-none.json
// (only unusable keys) and prints "NAME TOKEN" lines.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(new URL('../js/package.json', import.meta.url));
const { SignJWT, exportJWK } = await import(pathToFileURL(require.resolve('jose')));

const [dir, nowArg, aud, iss] = process.argv.slice(2);
const now = Number(nowArg);
const b64u = (b) => Buffer.from(b).toString('base64url');

const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });

const jwkRsa = { ...(await exportJWK(rsa.publicKey)), kid: 'rsa1', use: 'sig' };
const jwkEc = { ...(await exportJWK(ec.publicKey)), kid: 'ec1', alg: 'ES256' };
fs.writeFileSync(path.join(dir, 'jwks.json'),
                 JSON.stringify({ keys: [jwkRsa, jwkEc] }));
fs.writeFileSync(path.join(dir, 'jwks-none.json'), JSON.stringify({
  keys: [{ kty: 'oct', k: b64u('secret'), kid: 'hmac' },
         { ...(await exportJWK(crypto.generateKeyPairSync('rsa',
             { modulusLength: 1024 }).publicKey)), kid: 'small' }] }));

const base = (extra) => ({ iss, aud, iat: now, exp: now + 3600,
                           sub: 'user-1', client_id: 'client-ro',
                           org: 'acme', ...extra });
const sign = (claims, key = rsa.privateKey, header = { alg: 'RS256', kid: 'rsa1' }) =>
  new SignJWT(claims).setProtectedHeader(header).sign(key);

const out = {};
out.read = await sign(base({ scope: 'freshdesk:read' }));
out.write = await sign(base({ sub: 'user-2', client_id: 'client-rw',
                              scope: 'freshdesk:read freshdesk:write' }));
out.write_ec = await sign(base({ sub: 'user-3', client_id: 'client-ec',
                                 scope: 'freshdesk:read freshdesk:write' }),
                          ec.privateKey, { alg: 'ES256', kid: 'ec1' });
out.globex = await sign(base({ sub: 'user-4', org: 'globex',
                               scope: 'freshdesk:read' }));
out.noorg = await sign(base({ sub: 'user-5', org: undefined,
                              scope: 'freshdesk:read' }));
out.expired = await sign(base({ iat: now - 7200, exp: now - 3600,
                                scope: 'freshdesk:read' }));
out.wrong_aud = await sign(base({ aud: 'https://other.example/mcp',
                                  scope: 'freshdesk:read' }));
out.wrong_iss = await sign(base({ iss: 'https://evil.example/',
                                  scope: 'freshdesk:read' }));
out.other_key = await sign(base({ scope: 'freshdesk:read' }),
                           other.privateKey);
// the read token with a payload that claims more: the signature no longer fits
{
  const [h, , s] = out.read.split('.');
  const p = b64u(JSON.stringify(base({ scope: 'freshdesk:read freshdesk:write' })));
  out.tampered = `${h}.${p}.${s}`;
}
// alg none, unsigned
out.none = `${b64u(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.` +
           `${b64u(JSON.stringify(base({ scope: 'freshdesk:read freshdesk:write' })))}.`;
out.none_sig = out.none + 'AAAA';

for (const [k, v] of Object.entries(out)) console.log(`${k} ${v}`);
