// panva's certified OpenID provider (npm oidc-provider 9) on 127.0.0.1 as the *outside* issuer of
// `make run ARGS="--issuer URL --audience AUD"`: users sign in through its own login page (its development
// interactions: any login name, then a consent page), and it issues RFC 9068 JWT access tokens for the API
// through its resource indicators feature (RFC 8707; `defaultResource` stands in for Auth0's `audience`).
//
// The SPA's client is public and `native`: oidc-provider then accepts its loopback redirect URI on any port
// (RFC 8252 §7.3), which the stack's SPA listens on (a free port, known only once the stack runs).
// Environment: SIGNIN_API (the API identifier: the tokens' aud), SIGNIN_CLIENT_ID (the SPA's client id).
// Stdout: exactly one JSON line, {"issuer": ...}, once it listens. Runs until its stdin closes or SIGTERM.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { importFromScripts } from '../interop/node_packages.mjs';

console.info = (...args) => console.error(...args); // notices to stderr: stdout is the one JSON line

const { default: Provider, errors } = await importFromScripts('oidc-provider');

const api = process.env.SIGNIN_API;
const clientId = process.env.SIGNIN_CLIENT_ID;
if (!api || !clientId) throw new Error('SIGNIN_API and SIGNIN_CLIENT_ID are required');

const signingKey = {
  ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
  kid: `signin-${randomBytes(4).toString('hex')}`,
  alg: 'RS256',
  use: 'sig',
};

const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(0, '127.0.0.1', resolve);
});
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/'],
      post_logout_redirect_uris: ['http://127.0.0.1/'],
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  clientBasedCORS: () => true, // the SPA calls the token endpoint from its own origin
  findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id, name: id }) }),
  claims: { openid: ['sub'], profile: ['name'] },
  features: {
    devInteractions: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => api,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resourceIndicator) => {
        if (resourceIndicator !== api) throw new errors.InvalidTarget();
        return {
          scope: 'read:items write:items delete:items',
          audience: api,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 300,
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
});

server.on('request', provider.callback());
process.stdout.write(`${JSON.stringify({ issuer })}\n`);

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
