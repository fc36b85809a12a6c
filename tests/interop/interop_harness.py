"""Outside parties for the interop tests: panva's oidc-provider and dpop npm packages, run by Node.

Both are started as child processes (tests/interop/*.mjs) that speak JSON lines on stdout; only their
own PIDs are stopped at teardown. The authorizer under test is the real authorizer/app.py, cold-started
in this process with an environment pointing at the provider's issuer URL on 127.0.0.1.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import IO, Any, TextIO

from authlib.integrations.requests_client import OAuth2Session  # type: ignore[import-untyped]

from lambda_loader import (
    AUTHORIZER_APP,
    LambdaContext,  # noqa: F401  (the tests' context, re-exported)
    load_lambda_app,
)
from lambda_loader import authorizer_environment as shared_authorizer_environment

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
NODE_MODULES = ROOT / "scripts" / "node_modules"
STARTUP_SECONDS = 15.0
ANSWER_SECONDS = 10.0

# The API under test: its resource indicator (RFC 8707) is the tokens' `aud`; its public host is the one
# requestContext.domainName names, so the resource proofs' htu is https://api.example.test/items.
API = "https://api.example.test/"
OTHER_API = "https://other.example.test/"
API_DOMAIN = "api.example.test"
ITEMS_URL = f"https://{API_DOMAIN}/items"
SCOPES = "read:items write:items"
ROUTE_SCOPES = {
    "GET /me": [],
    "GET /items": ["read:items"],
    "POST /items": ["write:items"],
    "GET /items/{id}": ["read:items"],
    "DELETE /items/{id}": ["delete:items"],
}
ARN_PREFIX = "arn:aws:execute-api:eu-west-1:123456789012:abc123/v1"

# (the handler's answer, or the exception it raised; the one decision line it printed)
Outcome = tuple[Any, dict[str, Any]]


class NodeProcess:
    """A Node child process answering JSON lines on stdout; a line that does not come in time fails."""

    def __init__(self, script: Path, env: Mapping[str, str]) -> None:
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("the interop tests need Node.js (as scripts/bootstrap.sh does)")
        for package in ("oidc-provider", "dpop"):
            if not (NODE_MODULES / package).is_dir():
                raise RuntimeError(f"scripts/node_modules/{package} is missing: run `make setup`")
        self.name = script.name
        self.process = subprocess.Popen(
            [node, str(script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **env},
        )
        self.stderr: list[str] = []
        self._stderr_reader = threading.Thread(target=self._collect_stderr, daemon=True)
        self._stderr_reader.start()

    def _collect_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line.rstrip("\n"))

    def read_json(self, timeout: float = ANSWER_SECONDS) -> dict[str, Any]:
        """The next stdout line as a JSON object (the process is stopped if it does not come in time)."""
        stdout: IO[str] | None = self.process.stdout
        assert stdout is not None
        watchdog = threading.Timer(timeout, self.process.kill)
        watchdog.start()
        try:
            line = stdout.readline()
        finally:
            watchdog.cancel()
        if not line:
            raise RuntimeError(f"{self.name} ended without answering; its stderr: {self.stderr[-5:]}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def ask(self, request: Mapping[str, Any]) -> dict[str, Any]:
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(json.dumps(request) + "\n")
        stdin.flush()
        answer = self.read_json()
        if "error" in answer:
            raise RuntimeError(f"{self.name}: {answer['error']}")
        return answer

    def stop(self) -> None:
        """Close its stdin (both helpers end then), then SIGTERM and SIGKILL this PID if it lingers."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._stderr_reader.join(timeout=5)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@dataclass(frozen=True)
class Client:
    """An OAuth client registered at oidc-provider (client_secret_basic, client_credentials only)."""

    client_id: str
    client_secret: str


@dataclass(frozen=True)
class OidcProvider:
    """oidc-provider, listening on 127.0.0.1: its issuer URL, token endpoint and the test clients, one per
    JWS algorithm its access tokens are signed with."""

    issuer: str
    token_endpoint: str
    clients: Mapping[str, Client]

    @property
    def client_id(self) -> str:
        """The client of the RS256 tokens (the authorizer's default ALLOWED_ALGORITHMS)."""
        return self.clients["RS256"].client_id

    def session(self, scope: str = SCOPES, token_alg: str = "RS256") -> Any:
        """Authlib's OAuth 2.0 client (as examples/items_client.py uses it), HTTP Basic authentication."""
        client = self.clients[token_alg]
        return OAuth2Session(
            client_id=client.client_id,
            client_secret=client.client_secret,
            scope=scope,
            token_endpoint=self.token_endpoint,
            token_endpoint_auth_method="client_secret_basic",
        )

    def fetch_token(
        self,
        resource: str | None = API,
        scope: str = SCOPES,
        dpop_proof: str | None = None,
        token_alg: str = "RS256",
    ) -> dict[str, Any]:
        """A client-credentials token response (RFC 6749 §4.4), for `resource` (RFC 8707 §2), signed with
        `token_alg` (the client's resource server setting in oidc_provider.mjs)."""
        extra: dict[str, Any] = {} if resource is None else {"resource": resource}
        headers = {} if dpop_proof is None else {"DPoP": dpop_proof}
        with self.session(scope, token_alg) as session:
            token: dict[str, Any] = dict(
                session.fetch_token(
                    self.token_endpoint, grant_type="client_credentials", headers=headers, **extra
                )
            )
        return token


@contextmanager
def run_oidc_provider(clients: Mapping[str, Client]) -> Iterator[OidcProvider]:
    """tests/interop/oidc_provider.mjs with these clients (by the alg of their access tokens): waits for
    its port line, reads its discovery document."""
    registered = [
        {"client_id": client.client_id, "client_secret": client.client_secret, "token_alg": alg}
        for alg, client in clients.items()
    ]
    node = NodeProcess(
        HERE / "oidc_provider.mjs",
        {"INTEROP_CLIENTS": json.dumps(registered), "INTEROP_API": API, "INTEROP_OTHER_API": OTHER_API},
    )
    try:
        started = node.read_json(STARTUP_SECONDS)
        issuer = started["issuer"]
        with OAuth2Session() as session:  # its requests session; no token for a public document
            discovery = session.get(
                f"{issuer}/.well-known/openid-configuration", withhold_token=True, timeout=5
            ).json()
        yield OidcProvider(issuer, discovery["token_endpoint"], clients)
    finally:
        node.stop()


@dataclass(frozen=True)
class DpopKey:
    """A key pair held by the dpop helper process, and its RFC 7638 thumbprint as the package computes it."""

    key: str
    jkt: str


class DpopSigner:
    """tests/interop/dpop_proofs.mjs: key pairs and proofs from panva's `dpop` package."""

    def __init__(self, node: NodeProcess) -> None:
        self._node = node

    def key(self, alg: str) -> DpopKey:
        answer = self._node.ask({"op": "key", "alg": alg})
        return DpopKey(answer["key"], answer["jkt"])

    def proof(self, key: DpopKey, htm: str, htu: str, access_token: str | None = None) -> str:
        request = {"op": "proof", "key": key.key, "htm": htm, "htu": htu}
        if access_token is not None:
            request["access_token"] = access_token
        proof: str = self._node.ask(request)["proof"]
        return proof


@contextmanager
def run_dpop_signer() -> Iterator[DpopSigner]:
    node = NodeProcess(HERE / "dpop_proofs.mjs", {})
    try:
        yield DpopSigner(node)
    finally:
        node.stop()


def authorizer_environment(issuer: str, **overrides: str) -> dict[str, str]:
    """The authorizer's variables for oidc-provider as the single issuer: discovery, then its jwks_uri."""
    overrides = {"TOKEN_PROFILE": "oidc", "DPOP": "off", **overrides}
    return shared_authorizer_environment(
        issuer=issuer, audience=API, route_scopes=ROUTE_SCOPES, algorithms="RS256", **overrides
    )


def load_app() -> ModuleType:
    """A fresh cold start of authorizer/app.py in this process, under a unique module name."""
    return load_lambda_app(AUTHORIZER_APP, "interop_authorizer_app")


def rest_request_event(headers: dict[str, str], method: str = "GET", path: str = "/items") -> dict[str, Any]:
    """API Gateway's REST REQUEST event (DPOP_CONTRACT.md) for `METHOD https://api.example.test<path>`,
    on a custom domain without a base path, so requestContext.path is the path the client called."""
    return {
        "type": "REQUEST",
        "methodArn": f"{ARN_PREFIX}/{method}{path}",
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": {},
        "pathParameters": {},
        "stageVariables": {},
        "requestContext": {
            "requestId": "interop-request-1",
            "stage": "v1",
            "httpMethod": method,
            "domainName": API_DOMAIN,
            "path": path,
            "identity": {"sourceIp": "203.0.113.7", "clientCert": None},
        },
    }


def route_logs_to(stream: TextIO) -> None:
    """Point the app's own stdout handler at this test's capture (its stream is bound at cold start)."""
    for handler in logging.getLogger("authorizer").handlers:
        if type(handler) is logging.StreamHandler:
            handler.stream = stream


def decision_lines(output: str) -> list[dict[str, Any]]:
    """The decision lines printed (each is a log record and a Decision EMF document)."""
    records = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [record for record in records if record.get("location") == "decision"]
