// DPoP proofs from panva's `dpop` npm package (RFC 9449), an outside builder for tests/interop/.
//
// A JSON-lines service on stdin/stdout, so that one key pair can sign the token request's proof and
// then, once the token is known, the resource request's proof (with `ath`). Each request line is answered
// by one line, in order:
//   {"op": "key", "alg": "ES256"|"RS256"|"PS256"|"Ed25519"}
//       -> {"key": "<id>", "jkt": "<RFC 7638 thumbprint, the package's calculateThumbprint>"}
//   {"op": "proof", "key": "<id>", "htm": "POST", "htu": "https://...", "access_token": "<optional>"}
//       -> {"proof": "<compact JWS>"}
//   anything that fails -> {"error": "<message>"}
// Private keys are generated non-extractable and never leave this process.
import { createInterface } from 'node:readline';
import { importFromScripts } from './node_packages.mjs';

const { calculateThumbprint, generateKeyPair, generateProof } = await importFromScripts('dpop');

const keys = new Map();

async function answer(request) {
  if (request.op === 'key') {
    const keypair = await generateKeyPair(request.alg);
    const key = `key-${keys.size + 1}`;
    keys.set(key, keypair);
    return { key, jkt: await calculateThumbprint(keypair.publicKey) };
  }
  if (request.op === 'proof') {
    const keypair = keys.get(request.key);
    if (!keypair) throw new Error(`unknown key ${request.key}`);
    const proof = await generateProof(keypair, request.htu, request.htm, undefined, request.access_token);
    return { proof };
  }
  throw new Error(`unknown op ${request.op}`);
}

// One line at a time, in order (readline's async iterator waits for each answer before the next line).
for await (const line of createInterface({ input: process.stdin })) {
  let reply;
  try {
    reply = await answer(JSON.parse(line));
  } catch (error) {
    reply = { error: String(error?.message ?? error) };
  }
  process.stdout.write(`${JSON.stringify(reply)}\n`);
}
