// SPDX-License-Identifier: MIT
//
// oidc_provider.mjs: a real OpenID provider for kuvert's sign-in tests: npm's oidc-provider
// (a certified implementation, pinned in package-lock.json) on 127.0.0.1 with one
// confidential client. The person who signs in is chosen by the test (POST /__test/next),
// standing in for MitID: the interaction finishes at once, without a form.
//
// To test kuvert's ID-token checks, POST /__test/mode {"mode": M} changes the ID token of the
// next token responses after the provider made it:
//   normal       unchanged
//   forged       same header and claims, signed with a key that is not in the JWKS
//   wrong_aud    aud = another client, correctly signed
//   expired      exp and iat an hour in the past, correctly signed
//   wrong_iss    iss = another issuer, correctly signed
//   wrong_nonce  nonce replaced, correctly signed
//   alg_none     unsigned ("alg": "none")
//
// Usage: node tests/web/oidc_provider.mjs --redirect URL [--client-id ID] [--client-secret S]
// Prints one line "oidc-provider: listening on http://127.0.0.1:PORT" when ready.
import http from 'node:http';
import { randomUUID } from 'node:crypto';

import * as jose from 'jose';
import Provider from 'oidc-provider';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const clientId = args['client-id'] || 'kuvert';
const clientSecret = args['client-secret'] || 'kuvert-test-secret';
if (!args.redirect) {
  console.error('usage: oidc_provider.mjs --redirect URL');
  process.exit(2);
}

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const signingJwk = { ...(await jose.exportJWK(privateKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
const { privateKey: otherKey } = await jose.generateKeyPair('RS256', { extractable: true });

let next = { sub: 'citizen-1', name: 'Mette Hansen', cpr: '2211771212' };
let mode = 'normal';
const accounts = new Map();

const server = http.createServer();
server.listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [args.redirect],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [signingJwk] },
  cookies: { keys: [randomUUID()] },
  claims: { openid: ['sub'], profile: ['name', 'cpr', 'cvr'], email: ['email'] },
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    const a = accounts.get(id);
    if (!a) return undefined;
    return { accountId: id, async claims() { return { ...a }; } };
  },
});
provider.proxy = false;

async function sign(payload, header, key) {
  return new jose.SignJWT(payload).setProtectedHeader(header).sign(key);
}

async function tamper(idToken) {
  const header = jose.decodeProtectedHeader(idToken);
  const claims = jose.decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  switch (mode) {
    case 'forged': return sign(claims, header, otherKey);
    case 'wrong_aud': return sign({ ...claims, aud: 'another-client' }, header, privateKey);
    case 'expired': return sign({ ...claims, iat: now - 7200, exp: now - 3600 }, header, privateKey);
    case 'wrong_iss': return sign({ ...claims, iss: 'http://evil.example' }, header, privateKey);
    case 'wrong_nonce': return sign({ ...claims, nonce: 'not-the-nonce' }, header, privateKey);
    case 'alg_none': {
      const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
      return `${b64({ alg: 'none', kid: header.kid })}.${b64(claims)}.`;
    }
    default: return idToken;
  }
}

provider.use(async (ctx, nxt) => {
  await nxt();
  if (ctx.path === '/token' && mode !== 'normal' && ctx.body && ctx.body.id_token) {
    ctx.body = { ...ctx.body, id_token: await tamper(ctx.body.id_token) };
  }
});

async function readJson(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 65536) throw new Error('too big');
  }
  return body ? JSON.parse(body) : {};
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === 'login') {
    accounts.set(next.sub, { ...next });
    await provider.interactionFinished(req, res, { login: { accountId: next.sub } },
                                       { mergeWithLastSubmission: false });
    return;
  }
  const grant = new provider.Grant({ accountId: details.session.accountId,
                                     clientId: details.params.client_id });
  grant.addOIDCScope('openid profile email');
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } },
                                     { mergeWithLastSubmission: true });
}

const handler = provider.callback();
server.on('request', async (req, res) => {
  try {
    if (req.method === 'POST' && req.url === '/__test/next') {
      next = await readJson(req);
      res.writeHead(204).end();
    } else if (req.method === 'POST' && req.url === '/__test/mode') {
      mode = (await readJson(req)).mode || 'normal';
      res.writeHead(204).end();
    } else if (req.url.startsWith('/interaction/')) {
      await interaction(req, res);
    } else {
      handler(req, res);
    }
  } catch (e) {
    console.error(e);
    if (!res.headersSent) res.writeHead(500).end(String(e.message || e));
  }
});

console.log(`oidc-provider: listening on ${issuer}`);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
