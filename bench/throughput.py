"""Requests per second through the whole local stack, measured by a standard load tool in a second process.

`local_stack_throughput()` starts the local stack (issuer, DynamoDB Local, both functions in the Lambda RIE,
the API Gateway emulator; all on 127.0.0.1, free ports), gets a real access token for the `dev-admin` client
with a client_credentials request to the local issuer, creates one item, and then puts load on `GET /items`
with autocannon (npm, pinned in scripts/package.json) driven by bench/load.mjs under `node`. The token goes
to that process in its environment, never on its command line, and is never printed.

A run where any response was not 2xx, or any request errored, raises RuntimeError: a broken stack must not
report a fine-looking figure. The figure is for comparing runs on one machine, not a production estimate:
each function runs in one Lambda RIE process that takes one invocation at a time (as one Lambda execution
environment does), and the gateway (Werkzeug's development server) closes the connection after every
response, so every request includes a new TCP connection.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"
if str(SCRIPTS) not in sys.path:  # bootstrap's .pth file puts it there too; this also works without it
    sys.path.insert(0, str(SCRIPTS))

from devstack.client import api_call, token_request  # noqa: E402 - after the code root is on sys.path
from devstack.ports import LOOPBACK  # noqa: E402
from devstack.stack import LocalStack, StackOptions, local_stack  # noqa: E402

LOAD_SCRIPT = Path(__file__).resolve().with_name("load.mjs")
AUTOCANNON_PACKAGE = SCRIPTS / "node_modules" / "autocannon" / "package.json"
ROUTE_PATH = "/items"
ROUTE = f"GET {ROUTE_PATH}"  # bench/load.mjs only sends GETs
CLIENT_ID = "dev-admin"
# Fixed for the run so the benchmark can authenticate; a development secret of a loopback-only issuer.
CLIENT_SECRETS = {CLIENT_ID: "bench-admin-secret"}
TOKEN_ENV = "LOAD_BEARER_TOKEN"  # how bench/load.mjs receives the token (never argv: `ps` shows argv)
LOAD_TIMEOUT_MARGIN_SECONDS = 60.0  # start-up and shutdown of node, on top of the load's own duration


@dataclass(frozen=True)
class Throughput:
    """What autocannon measured on one route: completed requests per second and latency percentiles.

    `non_2xx` and `errors` are always 0 in a returned value (a run with any raises); they are kept so that the
    figure shows what was checked.
    """

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    errors: int
    route: str


def _loopback_url(url: str) -> str:
    if not url.startswith(f"http://{LOOPBACK}:"):
        raise ValueError(f"refusing a URL that is not on http://{LOOPBACK}: {url}")
    return url


def _access_token(stack: LocalStack) -> str:
    """A real access token for `dev-admin`: an RFC 6749 §4.4 client_credentials request, HTTP Basic auth."""
    response = token_request(
        stack.issuer.token_endpoint,
        CLIENT_ID,
        CLIENT_SECRETS[CLIENT_ID],
        audience=stack.issuer.config.audience,
    )
    if response.status != 200:
        raise RuntimeError(
            f"token request for {CLIENT_ID} failed: HTTP {response.status}: {response.body[:200]!r}"
        )
    token = response.json().get("access_token")
    if not isinstance(token, str) or not token:
        raise RuntimeError(f"token response for {CLIENT_ID} has no access_token")
    return token


def _check_call(stack: LocalStack, token: str, method: str, path: str, body: Any = None) -> Any:
    """One authorized API call that must succeed (2xx); its JSON answer."""
    response = api_call(stack.api_url, method, path, token=token, body=body)
    if not 200 <= response.status < 300:
        raise RuntimeError(
            f"{method} {path} before the load failed: HTTP {response.status}: {response.body[:200]!r}"
        )
    return response.json()


def _load_command(node: str, url: str, duration_seconds: float, connections: int) -> list[str]:
    return [node, str(LOAD_SCRIPT), _loopback_url(url), repr(float(duration_seconds)), str(connections)]


def _load_tool() -> str:
    """The `node` executable, once it is known that bench/load.mjs can load autocannon with it."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node not found: the load tool (autocannon) needs Node.js 20")
    if not AUTOCANNON_PACKAGE.is_file():
        raise RuntimeError(
            f"autocannon not installed ({AUTOCANNON_PACKAGE} missing): run scripts/bootstrap.sh"
        )
    return node


def _run_load(node: str, url: str, token: str, duration_seconds: float, connections: int) -> dict[str, Any]:
    """Run autocannon (bench/load.mjs under node) against `url`; its result JSON."""
    timeout = duration_seconds + LOAD_TIMEOUT_MARGIN_SECONDS
    try:
        completed = subprocess.run(
            _load_command(node, url, duration_seconds, connections),
            env={**os.environ, TOKEN_ENV: token},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"the load tool (autocannon) did not finish within {timeout:.0f}s") from None
    stderr = completed.stderr.replace(token, "<token>").strip()[-2000:]
    if completed.returncode != 0:
        raise RuntimeError(f"the load tool (autocannon) failed (exit {completed.returncode}): {stderr}")
    try:
        result: dict[str, Any] = json.loads(completed.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(f"the load tool (autocannon) printed no result JSON: {stderr}") from None
    return result


def _throughput(result: Mapping[str, Any], route: str) -> Throughput:
    """autocannon's result as a Throughput; RuntimeError when any request failed or none completed."""
    try:
        requests = int(result["requests"]["total"])
        non_2xx = int(result["non2xx"])
        errors = int(result["errors"])  # connection errors and timeouts (autocannon counts both here)
        duration = float(result["duration"])  # seconds, as measured by autocannon
        p50_ms = float(result["latency"]["p50"])
        p99_ms = float(result["latency"]["p99"])
    except (KeyError, TypeError, ValueError) as error:
        raise RuntimeError(f"the load tool (autocannon) result lacks a field: {error!r}") from None
    if non_2xx or errors:
        codes = {code: stats["count"] for code, stats in result.get("statusCodeStats", {}).items()}
        raise RuntimeError(
            f"{route} under load: {non_2xx} non-2xx response(s) and {errors} error(s) "
            f"({result.get('timeouts', 0)} timeouts) out of {requests}; status codes: {codes}"
        )
    if requests == 0:
        raise RuntimeError(f"{route} under load: no request completed")
    return Throughput(
        # total / measured duration rather than requests.average, the mean of whole-second samples.
        requests_per_second=requests / duration,
        p50_ms=p50_ms,
        p99_ms=p99_ms,
        requests=requests,
        non_2xx=non_2xx,
        errors=errors,
        route=route,
    )


@contextmanager
def _quiet_request_log() -> Iterator[None]:
    """Silence Werkzeug's one log line per request (thousands under load) for the block, then restore it."""
    logger = logging.getLogger("werkzeug")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def local_stack_throughput(*, duration_seconds: float, connections: int) -> Throughput:
    """Requests per second and latency of `GET /items` through the whole local stack, under autocannon.

    Starts the local stack (the template's authorizer cache TTL), gets a `dev-admin` token from the local
    issuer, creates one item, then GETs /items with that token from `connections` connections for
    `duration_seconds`. Everything stays on 127.0.0.1 and everything started is stopped before returning.

    Raises ValueError for a non-positive duration or connection count, and RuntimeError when node or
    autocannon is missing, the load tool fails, or any request under load failed or was answered non-2xx.
    """
    if not (math.isfinite(duration_seconds) and duration_seconds > 0):
        raise ValueError(f"duration_seconds must be a positive number of seconds, got {duration_seconds}")
    if connections < 1:
        raise ValueError(f"connections must be at least 1, got {connections}")
    node = _load_tool()  # before the stack, which takes seconds to start

    options = StackOptions(client_secrets=CLIENT_SECRETS)
    with (
        _quiet_request_log(),
        open(os.devnull, "w", encoding="utf-8") as log_sink,
        local_stack(options, log_sink=log_sink) as stack,
    ):
        token = _access_token(stack)
        _check_call(stack, token, "POST", "/items", {"name": "bench item", "description": "GET /items data"})
        listed = _check_call(stack, token, "GET", ROUTE_PATH)
        if not listed or not listed.get("items"):
            raise RuntimeError(f"{ROUTE} before the load returned no items after POST /items")
        result = _run_load(node, stack.api_url.rstrip("/") + ROUTE_PATH, token, duration_seconds, connections)
    return _throughput(result, ROUTE)
