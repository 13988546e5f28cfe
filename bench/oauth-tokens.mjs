// Tokens for bench/oauth-callgrind.pl's first-verification rows: one key
// per algorithm (RS256, PS256, ES256, EdDSA) in DIR/jwks-bench.json, and N
// distinct tokens per algorithm (a jti each, so none is a cache hit).
//
//   node bench/oauth-tokens.mjs DIR NOW RESOURCE ISSUER N
//
// Prints "ALG TOKEN" lines.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(new URL('../t/js/package.json', import.meta.url));
const { SignJWT, exportJWK } = await import(pathToFileURL(require.resolve('jose')));

const [dir, nowArg, aud, iss, nArg] = process.argv.slice(2);
const now = Number(nowArg);
const n = Number(nArg);

const keys = {
  RS256: crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }),
  PS256: crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }),
  ES256: crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  EdDSA: crypto.generateKeyPairSync('ed25519'),
};

const jwks = [];
for (const [alg, k] of Object.entries(keys)) {
  jwks.push({ ...(await exportJWK(k.publicKey)), kid: `b-${alg}`, alg, use: 'sig' });
}
fs.writeFileSync(path.join(dir, 'jwks-bench.json'), JSON.stringify({ keys: jwks }));

for (const [alg, k] of Object.entries(keys)) {
  for (let i = 0; i < n; i++) {
    const t = await new SignJWT({ iss, aud, iat: now, exp: now + 3600,
                                  sub: 'user-2', client_id: 'client-rw',
                                  scope: 'freshdesk:read freshdesk:write',
                                  org: 'acme', jti: `${alg}-${i}` })
      .setProtectedHeader({ alg, kid: `b-${alg}` }).sign(k.privateKey);
    console.log(`${alg} ${t}`);
  }
}
