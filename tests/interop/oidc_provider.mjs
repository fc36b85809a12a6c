// panva's certified OpenID provider (npm oidc-provider 9) on 127.0.0.1, for tests/interop/.
//
// It issues real client-credentials access tokens: JWTs (RFC 9068, `typ: at+jwt`) through its resource
// indicators feature (RFC 8707), DPoP-bound ones (RFC 9449, `cnf.jkt`) when the token request has a proof.
// Options, as oidc-provider's docs/README.md names them: features.clientCredentials, features.dPoP,
// features.resourceIndicators (getResourceServerInfo → accessTokenFormat 'jwt'), enabledJWA.
//
// Environment: INTEROP_CLIENTS, a JSON array of {client_id, client_secret, token_alg} (in the environment,
// out of argv and `ps`; token_alg is the JWS alg of that client's access tokens: RS256, ES256, EdDSA or
// Ed25519), INTEROP_API (the resource indicator = audience of the API under test), INTEROP_OTHER_API (a
// second resource server, for tokens of another audience).
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
const clients = JSON.parse(env('INTEROP_CLIENTS'));
const tokenAlgs = new Map(clients.map(({ client_id: id, token_alg: alg }) => [id, alg]));
const api = env('INTEROP_API');
const otherApi = env('INTEROP_OTHER_API');

// The resource servers the provider knows: the API under test, and another one (its tokens have its aud).
const SCOPES = 'read:items write:items';
const resourceServers = {
  [api]: { scope: SCOPES, audience: api },
  [otherApi]: { scope: SCOPES, audience: otherApi },
};

// Fresh signing keys each run (RSA, EC P-256, Ed25519): the authorizer has to fetch them (discovery,
// then jwks_uri). The OKP key has no `alg`, so it signs under both EdDSA and RFC 9864's Ed25519.
const signingKey = (type, options, alg) => ({
  ...generateKeyPairSync(type, options).privateKey.export({ format: 'jwk' }),
  kid: `interop-${type}-${randomBytes(4).toString('hex')}`,
  ...(alg ? { alg } : {}),
  use: 'sig',
});
const signingKeys = [
  signingKey('rsa', { modulusLength: 2048 }, 'RS256'),
  signingKey('ec', { namedCurve: 'P-256' }, 'ES256'),
  signingKey('ed25519', {}, undefined),
];

const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(0, '127.0.0.1', resolve);
});
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: clients.map(({ client_id: id, client_secret: secret }) => ({
    client_id: id,
    client_secret: secret,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_basic',
  })),
  jwks: { keys: signingKeys },
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
      getResourceServerInfo: (_ctx, resourceIndicator, client) => {
        const known = resourceServers[resourceIndicator];
        if (!known) throw new errors.InvalidTarget();
        return {
          ...known,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 300,
          jwt: { sign: { alg: tokenAlgs.get(client.clientId) } },
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
