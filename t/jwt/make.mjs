// Generates fresh keys, key sets and test tokens for t/28-jwt.t into DIR.
// Well-formed tokens are signed by the `jose` package (an independent JWS
// implementation); hostile ones are crafted by hand with node:crypto.
// Private keys never leave DIR (the test's temporary directory).
//
//   node t/jwt/make.mjs DIR NOW AUDIENCE
//
// Writes DIR/jwks.json, jwks-broken.json, jwks-unsupported.json,
// jwks-single.json, jwks-many.json, jwks-notjson.json, tokens.txt and
// tokens-single.txt ("NAME TOKEN" lines).

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

// jose is installed in t/js (t/js/setup.sh), beside the other JS tooling
const require = createRequire(new URL('../js/package.json', import.meta.url));
const { SignJWT, exportJWK } = await import(pathToFileURL(require.resolve('jose')));

const [dir, nowArg, aud] = process.argv.slice(2);
const now = Number(nowArg);
const ISS = 'https://as.example/';
const ISS2 = 'https://as2.example/';

const b64u = (b) => Buffer.from(b).toString('base64url');
const gen = (type, opts) => crypto.generateKeyPairSync(type, opts);

const rsa = gen('rsa', { modulusLength: 2048 });
const rsaPs = gen('rsa', { modulusLength: 2048 });
const ec = gen('ec', { namedCurve: 'P-256' });
const ed = gen('ed25519');
const rsa1024 = gen('rsa', { modulusLength: 1024 });
const ec384 = gen('ec', { namedCurve: 'P-384' });
const x25519 = gen('x25519');

const pub = async (k, extra) => ({ ...(await exportJWK(k.publicKey)), ...extra });

const jwkRsa = await pub(rsa, { kid: 'rsa1', use: 'sig' });
const jwkRsaPs = await pub(rsaPs, { kid: 'rsa-ps', alg: 'PS256' });
const jwkEc = await pub(ec, { kid: 'ec1', alg: 'ES256' });
const jwkEd = await pub(ed, { kid: 'ed1' });

const write = (name, obj) =>
  fs.writeFileSync(path.join(dir, name),
                   typeof obj === 'string' ? obj : JSON.stringify(obj));

write('jwks.json', { keys: [jwkRsa, jwkRsaPs, jwkEc, jwkEd] });

// a point off the curve: y of another point
const otherEc = await pub(gen('ec', { namedCurve: 'P-256' }), {});
const offCurve = { ...jwkEc, kid: 'ec-off', y: otherEc.y };

write('jwks-broken.json', { keys: [
  { kty: 'oct', kid: 'hmac', k: b64u('secret') },
  await pub(rsa1024, { kid: 'rsa-1024' }),
  offCurve,
  { kty: 'RSA', kid: 'rsa-bad-n', n: 'AQAB==', e: 'AQAB' },
  { ...jwkRsa, kid: 'rsa-enc', use: 'enc' },
  await pub(ec384, { kid: 'ec-384' }),
  { ...jwkRsa, kid: 'rsa-private', d: 'AQAB' },
  { ...jwkEc, kid: 'ec-wrong-alg', alg: 'RS256' },
  'not an object',
  jwkEd,
  jwkRsa,
] });

write('jwks-unsupported.json', { keys: [
  { kty: 'oct', kid: 'hmac', k: b64u('secret') },
  await pub(ec384, { kid: 'ec-384' }),
  await pub(x25519, { kid: 'x25519' }),
  { ...jwkRsa, use: 'enc' },
] });

write('jwks-single.json', { keys: [{ ...jwkEc, kid: undefined }] });
write('jwks-many.json', { keys: Array(33).fill(jwkEd) });
write('jwks-notjson.json', '{"keys": [');

// well-formed tokens, signed by jose

const base = () => ({
  iss: ISS, aud, sub: 'user-42', client_id: 'cli-ro',
  scope: 'freshdesk:read', iat: now, exp: now + 3600,
  email: 'ann@example.com', tenant: 'acme', n: 7, admin: true,
  nested: { a: 1 },
});

const sign = (claims, header, key) =>
  new SignJWT(claims).setProtectedHeader(header).sign(key);

const lines = [];
const add = (name, token) => lines.push(`${name} ${token}`);

add('ok_rs256', await sign(base(), { alg: 'RS256', kid: 'rsa1', typ: 'at+jwt' }, rsa.privateKey));
add('ok_ps256', await sign(base(), { alg: 'PS256', kid: 'rsa1' }, rsa.privateKey));
add('ok_ps256_keyalg', await sign(base(), { alg: 'PS256', kid: 'rsa-ps' }, rsaPs.privateKey));
add('ok_es256', await sign(base(), { alg: 'ES256', kid: 'ec1' }, ec.privateKey));
add('ok_eddsa', await sign(base(), { alg: 'EdDSA', kid: 'ed1' }, ed.privateKey));

const scp = base();
delete scp.scope;
delete scp.client_id;
scp.scp = ['freshdesk:read', 'freshdesk:write'];
scp.azp = 'cli-rw';
add('ok_scp_azp', await sign(scp, { alg: 'ES256', kid: 'ec1' }, ec.privateKey));

add('ok_aud_array', await sign({ ...base(), aud: ['https://other/', aud] }, { alg: 'EdDSA', kid: 'ed1' }, ed.privateKey));
add('ok_iss2', await sign({ ...base(), iss: ISS2 }, { alg: 'EdDSA', kid: 'ed1' }, ed.privateKey));
add('ok_in_leeway', await sign({ ...base(), exp: now - 30 }, { alg: 'EdDSA', kid: 'ed1' }, ed.privateKey));
add('ok_nbf_in_leeway', await sign({ ...base(), nbf: now + 30 }, { alg: 'EdDSA', kid: 'ed1' }, ed.privateKey));
add('ok_nokid_rs256', await sign(base(), { alg: 'RS256' }, rsa.privateKey));
add('ok_nokid_es256', await sign(base(), { alg: 'ES256' }, ec.privateKey));

add('expired', await sign({ ...base(), exp: now - 120 }, { alg: 'EdDSA', kid: 'ed1' }, ed.privateKey));
add('expired_at_edge', await sign({ ...base(), exp: now - 60 }, { alg: 'EdDSA', kid: 'ed1' }, ed.privateKey));
add('nbf_future', await sign({ ...base(), nbf: now + 600 }, { alg: 'EdDSA', kid: 'ed1' }, ed.privateKey));
add('bad_iss', await sign({ ...base(), iss: 'https://evil.example/' }, { alg: 'EdDSA', kid: 'ed1' }, ed.privateKey));
add('bad_iss_prefix', await sign({ ...base(), iss: ISS + 'x' }, { alg: 'EdDSA', kid: 'ed1' }, ed.privateKey));
const noIss = base();
delete noIss.iss;
add('no_iss', await sign(noIss, { alg: 'EdDSA', kid: 'ed1' }, ed.privateKey));
add('bad_aud', await sign({ ...base(), aud: 'https://other/mcp' }, { alg: 'EdDSA', kid: 'ed1' }, ed.privateKey));
add('bad_aud_array', await sign({ ...base(), aud: ['https://a/', 'https://b/'] }, { alg: 'EdDSA', kid: 'ed1' }, ed.privateKey));
const noAud = base();
delete noAud.aud;
add('no_aud', await sign(noAud, { alg: 'EdDSA', kid: 'ed1' }, ed.privateKey));
const noTenant = base();
delete noTenant.tenant;
add('missing_tenant', await sign(noTenant, { alg: 'EdDSA', kid: 'ed1' }, ed.privateKey));
const noExp = base();
delete noExp.exp;
add('missing_exp', await sign(noExp, { alg: 'EdDSA', kid: 'ed1' }, ed.privateKey));
add('unknown_kid', await sign(base(), { alg: 'RS256', kid: 'nope' }, rsa.privateKey));
add('nokid_ps256_ambiguous', await sign(base(), { alg: 'PS256' }, rsa.privateKey));
add('rs256_on_ec_key', await sign(base(), { alg: 'RS256', kid: 'ec1' }, rsa.privateKey));
add('rs256_on_ps256_key', await sign(base(), { alg: 'RS256', kid: 'rsa-ps' }, rsaPs.privateKey));
add('eddsa_on_rsa_key', await sign(base(), { alg: 'EdDSA', kid: 'rsa1' }, ed.privateKey));
add('other_rsa_key', await sign(base(), { alg: 'RS256', kid: 'rsa1' }, rsaPs.privateKey));

// tampering: one bit of the signature, one byte of the claims

const flip = (token) => {
  const [h, p, s] = token.split('.');
  const sig = Buffer.from(s, 'base64url');
  sig[sig.length >> 1] ^= 0x01;
  return `${h}.${p}.${b64u(sig)}`;
};
const tamper = (token) => {
  const [h, p, s] = token.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url'));
  claims.sub = 'admin';
  return `${h}.${b64u(JSON.stringify(claims))}.${s}`;
};

for (const l of lines.slice(0, 5)) {
  const [name, t] = l.split(' ');
  add(name.replace('ok_', 'bitflip_'), flip(t));
}
add('tampered_claims', tamper(lines[0].split(' ')[1]));

// hand-crafted hostile tokens

const seg = (obj) => b64u(typeof obj === 'string' ? obj : JSON.stringify(obj));
const craft = (header, claims, alg, key) => {
  const input = `${seg(header)}.${seg(claims)}`;
  let sig;
  if (alg === 'RS256') sig = crypto.sign('sha256', Buffer.from(input), key);
  if (alg === 'ES256') sig = crypto.sign('sha256', Buffer.from(input), { key, dsaEncoding: 'der' });
  if (alg === 'PS256-salt64') sig = crypto.sign('sha256', Buffer.from(input), {
    key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 });
  if (alg === 'HMAC') sig = crypto.createHmac('sha256', key).update(input).digest();
  return `${input}.${sig ? b64u(sig) : ''}`;
};

const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' });
add('alg_none', craft({ alg: 'none', kid: 'rsa1' }, base(), 'none'));
add('alg_none_nokid', craft({ alg: 'none' }, base(), 'none'));
add('alg_none_upper', craft({ alg: 'NONE', kid: 'rsa1' }, base(), 'none'));
add('hs256_pem_as_secret', craft({ alg: 'HS256', kid: 'rsa1' }, base(), 'HMAC', pem));
add('hs256_n_as_secret', craft({ alg: 'HS256', kid: 'rsa1' }, base(), 'HMAC',
                               Buffer.from(jwkRsa.n, 'base64url')));
add('rs512', craft({ alg: 'RS512', kid: 'rsa1' }, base(), 'RS256', rsa.privateKey));
add('ps256_salt_64', craft({ alg: 'PS256', kid: 'rsa1' }, base(), 'PS256-salt64', rsa.privateKey));
add('es256_der_signature', craft({ alg: 'ES256', kid: 'ec1' }, base(), 'ES256', ec.privateKey));
add('rs256_signed_by_hand', craft({ alg: 'RS256', kid: 'rsa1' }, base(), 'RS256', rsa.privateKey));
add('exp_string', craft({ alg: 'RS256', kid: 'rsa1' }, { ...base(), exp: String(now + 3600) }, 'RS256', rsa.privateKey));
add('deep_claims', craft({ alg: 'RS256', kid: 'rsa1' },
                         `{"iss":"${ISS}","x":${'['.repeat(40)}${']'.repeat(40)}}`, 'RS256', rsa.privateKey));
add('claims_not_json', craft({ alg: 'RS256', kid: 'rsa1' }, 'not json', 'RS256', rsa.privateKey));
add('dup_claim', craft({ alg: 'RS256', kid: 'rsa1' },
                       `{"iss":"${ISS}","aud":"${aud}","exp":${now + 3600},"sub":"a","sub":"b","tenant":"t"}`,
                       'RS256', rsa.privateKey));

const good = lines[0].split(' ')[1];
const [gh, gp, gs] = good.split('.');
add('two_parts', `${gh}.${gp}`);
add('four_parts', `${good}.${gs}`);
add('one_part', gh);
add('empty_header', `.${gp}.${gs}`);
add('padding', `${gh}.${gp}.${gs}==`);
add('bad_char', `${gh}.${gp.slice(0, 10)}*${gp.slice(11)}.${gs}`);
add('plus_slash', `${gh}.${gp}.${gs.replace(/[-_]/g, (c) => (c === '-' ? '+' : '/'))}+/`);
add('sig_extra_char', `${gh}.${gp}.${gs}A`);
add('bad_length', `${gh}.${gp}${'A'.repeat((5 - (gp.length % 4)) % 4)}.${gs}`);
add('noncanonical_tail', `${gh}.${gp}.${gs.slice(0, -1)}${gs.endsWith('B') ? 'C' : 'B'}`);
add('header_not_json', `${seg('not json')}.${gp}.${gs}`);
add('header_array', `${seg('["RS256"]')}.${gp}.${gs}`);
add('header_deep', `${seg(`{"alg":"RS256","kid":"rsa1","x":${'['.repeat(100)}${']'.repeat(100)}}`)}.${gp}.${gs}`);
add('header_very_deep', `${seg(`{"alg":"RS256","x":${'['.repeat(2000)}${']'.repeat(2000)}}`)}.${gp}.${gs}`);
add('header_dup_alg', `${seg('{"alg":"RS256","alg":"none","kid":"rsa1"}')}.${gp}.${gs}`);
add('header_crit', `${seg({ alg: 'RS256', kid: 'rsa1', crit: ['exp'], exp: 1 })}.${gp}.${gs}`);
add('header_kid_number', `${seg({ alg: 'RS256', kid: 5 })}.${gp}.${gs}`);
add('header_no_alg', `${seg({ kid: 'rsa1' })}.${gp}.${gs}`);
add('header_nul', `${seg('{"alg":"RS256\\u0000x","kid":"rsa1"}')}.${gp}.${gs}`);

const big = await sign({ ...base(), pad: 'x'.repeat(7000) }, { alg: 'EdDSA', kid: 'ed1' }, ed.privateKey);
add('oversized', big);
const fits = await sign({ ...base(), pad: 'x'.repeat(5000) }, { alg: 'EdDSA', kid: 'ed1' }, ed.privateKey);
add('ok_large', fits);

fs.writeFileSync(path.join(dir, 'tokens.txt'), lines.join('\n') + '\n');

// against the single-key set (no kid anywhere)
const single = [
  `ok_single_es256 ${await sign(base(), { alg: 'ES256' }, ec.privateKey)}`,
  `single_rs256 ${await sign(base(), { alg: 'RS256' }, rsa.privateKey)}`,
  `single_kid_unknown ${await sign(base(), { alg: 'ES256', kid: 'ec1' }, ec.privateKey)}`,
];
fs.writeFileSync(path.join(dir, 'tokens-single.txt'), single.join('\n') + '\n');
fs.writeFileSync(path.join(dir, 'sizes.txt'),
                 `oversized ${big.length}\nok_large ${fits.length}\n`);
