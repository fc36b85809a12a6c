// The npm packages of scripts/package.json, for the interop helpers beside the tests.
// Node resolves a bare `import 'oidc-provider'` from the importing file's folder upwards, and these helpers
// live in tests/interop/, so each package is resolved from scripts/ (where `npm ci` installed it) instead.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const fromScripts = createRequire(new URL('../../scripts/package.json', import.meta.url));

export async function importFromScripts(name) {
  return import(pathToFileURL(fromScripts.resolve(name)).href);
}
