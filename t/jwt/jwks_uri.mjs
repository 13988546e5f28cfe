// Keys, key sets and tokens for t/35-jwks-uri.t, made fresh in DIR by the
// `jose` package.  Private keys stay in DIR's process.
//
//   node t/jwt/jwks_uri.mjs DIR NOW RESOURCE ISSUER
//
// Writes DIR/jwks-a.json (key a1), DIR/jwks-ab.json (a1 and b1: a rotation
// that adds b1), DIR/jwks-broken.json (only unusable keys) and
// DIR/jwks-file.json (f1, for the file beside the jwks_uri); prints
// "NAME TOKEN" lines: a (kid a1), b (kid b1), f (kid f1), azp (kid a1, azp
// but no client_id), x1..x12 (unknown kids).

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

const a = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const b = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const f = crypto.generateKeyPairSync('ed25519');

const jwk = async (k, kid, alg) => ({ ...(await exportJWK(k.publicKey)), kid, alg, use: 'sig' });
const ja = await jwk(a, 'a1', 'RS256');
const jb = await jwk(b, 'b1', 'ES256');
const jf = await jwk(f, 'f1', 'EdDSA');
const write = (name, keys) =>
  fs.writeFileSync(path.join(dir, name), JSON.stringify({ keys }));
write('jwks-a.json', [ja]);
write('jwks-ab.json', [ja, jb]);
write('jwks-file.json', [jf]);
write('jwks-broken.json', [{ kty: 'oct', k: b64u('secret'), kid: 'hmac' },
                           { kty: 'RSA', kid: 'cut', n: 'AQAB', e: 'AQAB' }]);

const base = (extra) => ({ iss, aud, iat: now, exp: now + 3600,
                           scope: 'freshdesk:read freshdesk:write',
                           org: 'acme', ...extra });
const sign = (claims, key, header) =>
  new SignJWT(claims).setProtectedHeader(header).sign(key);

const out = {};
out.a = await sign(base({ sub: 'user-a', client_id: 'client-a' }),
                   a.privateKey, { alg: 'RS256', kid: 'a1' });
out.b = await sign(base({ sub: 'user-b', client_id: 'client-b' }),
                   b.privateKey, { alg: 'ES256', kid: 'b1' });
out.f = await sign(base({ sub: 'user-f', client_id: 'client-f' }),
                   f.privateKey, { alg: 'EdDSA', kid: 'f1' });
out.azp = await sign(base({ sub: 'user-z', azp: 'client-azp' }),
                     a.privateKey, { alg: 'RS256', kid: 'a1' });
for (let i = 1; i <= 12; i++) {
  out[`x${i}`] = await sign(base({ sub: `user-x${i}` }), a.privateKey,
                            { alg: 'RS256', kid: `unknown-${i}` });
}

for (const [k, v] of Object.entries(out)) console.log(`${k} ${v}`);
