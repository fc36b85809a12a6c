// Load for bench/throughput.py: autocannon (scripts/node_modules, pinned in scripts/package.json) on one URL.
//
//   LOAD_BEARER_TOKEN=... node bench/load.mjs URL DURATION_SECONDS CONNECTIONS
//
// GETs URL from CONNECTIONS connections for DURATION_SECONDS, with `Authorization: Bearer $LOAD_BEARER_TOKEN`
// (from the environment, so that the token never shows in a process listing), and prints autocannon's result
// JSON on stdout (it carries no request headers). Only http://127.0.0.1 is accepted. Exit 2 on bad arguments,
// 1 when autocannon fails.
import { createRequire } from "node:module";
import process from "node:process";

const require = createRequire(new URL("../scripts/package.json", import.meta.url));

function fail(message, code = 2) {
  process.stderr.write(`load.mjs: ${message}\n`);
  process.exit(code);
}

const [url, durationArg, connectionsArg] = process.argv.slice(2);
if (url === undefined || connectionsArg === undefined || process.argv.length !== 5) {
  fail("usage: LOAD_BEARER_TOKEN=... node bench/load.mjs URL DURATION_SECONDS CONNECTIONS");
}
let target;
try {
  target = new URL(url);
} catch {
  fail(`not a URL: ${url}`);
}
if (target.protocol !== "http:" || target.hostname !== "127.0.0.1") {
  fail(`only http://127.0.0.1 URLs are accepted, got ${target.origin}`);
}
const duration = Number(durationArg);
if (!Number.isFinite(duration) || duration <= 0) {
  fail(`DURATION_SECONDS must be a positive number, got ${durationArg}`);
}
const connections = Number(connectionsArg);
if (!Number.isInteger(connections) || connections < 1) {
  fail(`CONNECTIONS must be a positive integer, got ${connectionsArg}`);
}
const token = process.env.LOAD_BEARER_TOKEN;
if (!token) {
  fail("LOAD_BEARER_TOKEN is not set");
}

// autocannon keeps every connection open and writes the next request on it as soon as a response is complete,
// even when that response said `Connection: close`. The local stack's gateway (Werkzeug's development server)
// says so on every response, then drains the socket before closing it: it would block reading the next request
// until autocannon times out, and each connection would make one request per timeout. So, for each client,
// the request after a response without keep-alive goes out on a fresh connection, as a browser or curl does.
// `setupClient` is public API; `conn`, `_doRequest` and `_resetConnection` are autocannon 9.0.0's internals
// (pinned exactly in scripts/package.json).
function honourConnectionClose(client) {
  let closing = null; // the connection whose last response said it will be closed
  client.on("headers", (info) => {
    if (info.shouldKeepAlive === false) closing = client.conn;
  });
  const doRequest = client._doRequest;
  client._doRequest = function (...args) {
    if (closing !== null && closing === this.conn) {
      closing = null;
      return this._resetConnection(); // a new connection, which sends the request itself
    }
    return doRequest.apply(this, args);
  };
}

let autocannon;
try {
  autocannon = require("autocannon");
} catch (error) {
  fail(`autocannon not found (${error.code ?? error.message}); run scripts/bootstrap.sh`, 1);
}

try {
  const result = await autocannon({
    url: target.href,
    method: "GET",
    headers: { authorization: `Bearer ${token}` },
    duration,
    connections,
    timeout: 10,
    setupClient: honourConnectionClose,
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (error) {
  fail(`autocannon failed: ${error?.message ?? error}`, 1);
}
