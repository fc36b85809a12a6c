// panva's certified OpenID provider (npm oidc-provider 9) on 127.0.0.1, for tests/interop/.
//
// It issues real client-credentials access tokens: JWTs (RFC 9068, `typ: at+jwt`) through its resource
// indicators feature (RFC 8707), DPoP-bound ones (RFC 9449, `cnf.jkt`) when the token request has a proof.
// Options, as oidc-provider's docs/README.md names them: features.clientCredentials, features.dPoP,
// features.resourceIndicators (getResourceServerInfo → accessTokenFormat 'jwt'), enabledJWA.
//
// Environment: INTEROP_CLIENT_ID, INTEROP_CLIENT_SECRET (kept out of argv and `ps`), INTEROP_API (the
// resource indicator = audience of the API under test), INTEROP_OTHER_API (a second resource server, for
// tokens of another audience).
// Stdout: exactly one JSON line, {"issuer": ..., "port": ...}, once the provider listens; then nothing.
// Runs until its stdin closes or it gets SIGTERM.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { importFromScripts } from './node_packages.mjs';

// oidc-provider prints its notices with console.info: to stderr, so stdout stays the port line only.
console.info = (...args) => console.error(...args);

const { default: Provider, errors } = await importFromScripts('oidc-provider');

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const clientId = env('INTEROP_CLIENT_ID');
const clientSecret = env('INTEROP_CLIENT_SECRET');
const api = env('INTEROP_API');
const otherApi = env('INTEROP_OTHER_API');

// The resource servers the provider knows: the API under test, and another one (its tokens have its aud).
const SCOPES = 'read:items write:items';
const resourceServers = {
  [api]: { scope: SCOPES, audience: api },
  [otherApi]: { scope: SCOPES, audience: otherApi },
};

// A fresh RS256 signing key each run: the authorizer has to fetch it (discovery, then jwks_uri).
const signingKey = {
  ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
  kid: `interop-${randomBytes(4).toString('hex')}`,
  alg: 'RS256',
  use: 'sig',
};

const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(0, '127.0.0.1', resolve);
});
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  ttl: { ClientCredentials: 300 }, // the opaque tokens' lifetime; JWT ones have accessTokenTTL below
  enabledJWA: {
    // The default is ES256, Ed25519, EdDSA; the RSA ones too, so every key type of the tests is accepted.
    dPoPSigningAlgValues: ['ES256', 'PS256', 'RS256', 'Ed25519', 'EdDSA'],
  },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    dPoP: { enabled: true },
    introspection: { enabled: false },
    revocation: { enabled: false },
    resourceIndicators: {
      enabled: true,
      // No `resource` parameter: no resource server, so the token is opaque (oidc-provider's default).
      defaultResource: (_ctx, _client, oneOf) => oneOf,
      getResourceServerInfo: (_ctx, resourceIndicator) => {
        const known = resourceServers[resourceIndicator];
        if (!known) throw new errors.InvalidTarget();
        return {
          ...known,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 300,
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
});

server.on('request', provider.callback());
process.stdout.write(`${JSON.stringify({ issuer, port })}\n`);

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
