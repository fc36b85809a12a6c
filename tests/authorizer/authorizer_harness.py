"""Real materials for the authorizer tests: generated keys, signed tokens, and an issuer on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from devstack.ports import LOOPBACK, free_port
from lambda_loader import (
    AUTHORIZER_APP,
    LambdaContext,  # noqa: F401  (the tests' context, re-exported)
    authorizer_environment,
    load_lambda_app,
)

ROOT = Path(__file__).resolve().parents[2]
API = "https://api.example.com/"
ROUTE_SCOPES = {
    "GET /me": [],
    "GET /items": ["read:items"],
    "POST /items": ["write:items"],
    "GET /items/{id}": ["read:items"],
    "DELETE /items/{id}": ["delete:items"],
}
ARN_PREFIX = "arn:aws:execute-api:eu-west-1:123456789012:abc123/v1"
# requestContext.domainName as API Gateway gives it on the execute-api endpoint (REST and HTTP API)
REST_DOMAIN = "abc123.execute-api.eu-west-1.amazonaws.com"
HTTP_DOMAIN = "def456.execute-api.eu-west-1.amazonaws.com"

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


@dataclass(frozen=True)
class SigningKey:
    """A private key, its kid and algorithm, and its public JWK."""

    kid: str
    alg: str
    private: PrivateKey

    @property
    def jwk(self) -> dict[str, Any]:
        public = self.private.public_key()
        if isinstance(public, rsa.RSAPublicKey):
            data = RSAAlgorithm.to_jwk(public, as_dict=True)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            data = ECAlgorithm.to_jwk(public, as_dict=True)
        else:
            data = OKPAlgorithm.to_jwk(public, as_dict=True)
        return {**data, "kid": self.kid, "use": "sig", "alg": self.alg}


def rsa_key(kid: str, alg: str = "RS256") -> SigningKey:
    return SigningKey(kid, alg, rsa.generate_private_key(public_exponent=65537, key_size=2048))


def ec_key(kid: str) -> SigningKey:
    return SigningKey(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))


def ed25519_key(kid: str) -> SigningKey:
    return SigningKey(kid, "EdDSA", ed25519.Ed25519PrivateKey.generate())


@dataclass
class Keys:
    """The session's keys: the issuer's (RSA, EC P-256, Ed25519), a rotation spare and an attacker's."""

    rsa: SigningKey
    ec: SigningKey
    ed: SigningKey
    spare: SigningKey
    attacker: SigningKey

    def jwks(self, *keys: SigningKey) -> dict[str, Any]:
        return {"keys": [key.jwk for key in (keys or (self.rsa, self.ec, self.ed))]}


@dataclass
class Issuer:
    """A discovery document and JWKS served over HTTP on 127.0.0.1, with knobs for failure modes."""

    port: int
    jwks: dict[str, Any]
    hits: Counter[str] = field(default_factory=Counter)
    status: int = 200
    delay_seconds: float = 0.0
    drip_seconds: float = 0.0  # pause between body bytes: a reply that trickles in
    discovery_overrides: dict[str, Any] = field(default_factory=dict)
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/"

    @property
    def jwks_uri(self) -> str:
        return f"{self.url}keys/jwks.json"

    def discovery(self) -> dict[str, Any]:
        return {"issuer": self.url, "jwks_uri": self.jwks_uri, **self.discovery_overrides}


def _handler_for(issuer: Issuer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            issuer.hits[self.path] += 1
            if issuer.delay_seconds:
                issuer.release.wait(issuer.delay_seconds)
            if self.path == "/.well-known/openid-configuration":
                body: object = issuer.discovery()
            elif self.path == "/keys/jwks.json":
                body = issuer.jwks
            else:
                self.send_error(404)
                return
            if issuer.status != 200:
                self.send_error(issuer.status)
                return
            payload = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if not issuer.drip_seconds:
                self.wfile.write(payload)
                return
            for byte in payload:
                if issuer.release.wait(issuer.drip_seconds):
                    return
                self.wfile.write(bytes([byte]))
                self.wfile.flush()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test output is the tests'."""

    return Handler


@contextmanager
def serve_issuer(jwks: dict[str, Any]) -> Iterator[Issuer]:
    issuer = Issuer(port=free_port(), jwks=jwks)
    server = ThreadingHTTPServer((LOOPBACK, issuer.port), _handler_for(issuer))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield issuer
    finally:
        issuer.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


def claims(issuer: Issuer, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": issuer.url,
        "aud": [API, f"{issuer.url}userinfo"],
        "sub": "auth0|user-1",
        "azp": "spa-client",
        "iat": now,
        "exp": now + 600,
        "scope": "openid read:items",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def mint(key: SigningKey, payload: Mapping[str, Any], **headers: Any) -> str:
    return jwt.encode(dict(payload), key.private, algorithm=key.alg, headers={"kid": key.kid, **headers})


def environment(issuer: Issuer, **overrides: str) -> dict[str, str]:
    algorithms = "RS256,ES256,EdDSA"
    return authorizer_environment(
        issuer=issuer.url, audience=API, route_scopes=ROUTE_SCOPES, algorithms=algorithms, **overrides
    )


def load_app() -> ModuleType:
    """A fresh cold start of authorizer/app.py in this process, under a unique module name."""
    return load_lambda_app(AUTHORIZER_APP, "authorizer_app")


def token_event(authorization: str, method: str = "GET", path: str = "items") -> dict[str, Any]:
    return {
        "type": "TOKEN",
        "authorizationToken": authorization,
        "methodArn": f"{ARN_PREFIX}/{method}/{path}",
    }


def request_event(headers: dict[str, str], method: str = "GET", resource: str = "/items") -> dict[str, Any]:
    path = resource.replace("{id}", "42")
    return {
        "type": "REQUEST",
        "methodArn": f"{ARN_PREFIX}/{method}{path}",
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {},
        "pathParameters": {"id": "42"} if "{id}" in resource else {},
        "stageVariables": {},
        "requestContext": {
            "requestId": "rest-request-1",
            "stage": "v1",
            "httpMethod": method,
            "domainName": REST_DOMAIN,
            "path": f"/v1{path}",  # the full path called: the stage first, on the execute-api endpoint
            "identity": {"sourceIp": "203.0.113.7", "clientCert": None},
        },
    }


def http_v2_event(headers: dict[str, str], method: str = "GET", route: str = "/items") -> dict[str, Any]:
    path = route.replace("{id}", "42")
    return {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": f"arn:aws:execute-api:eu-west-1:123456789012:abc123/$default/{method}{path}",
        "identitySource": [headers.get("authorization", "")],
        "routeKey": f"{method} {route}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "requestId": "http-request-1",
            "domainName": HTTP_DOMAIN,
            "http": {"method": method, "path": path},
        },
    }


def route_logs_to(stream: TextIO) -> None:
    """The app's logger keeps the stream of its first cold start; point it at this test's capture
    (only its own stdout handler: pytest adds its capture handlers, StreamHandlers too, to the logger)."""
    for handler in logging.getLogger("authorizer").handlers:
        if type(handler) is logging.StreamHandler:
            handler.stream = stream


def iam_allows(response: Mapping[str, Any], method_arn: str) -> bool:
    """How API Gateway evaluates the policy for one request: explicit Deny wins, then any Allow."""
    statements = response["policyDocument"]["Statement"]
    matches = [
        statement["Effect"]
        for statement in statements
        if statement["Action"] == "execute-api:Invoke"
        and any(fnmatchcase(method_arn, resource) for resource in statement["Resource"])
    ]
    return "Deny" not in matches and "Allow" in matches


def emf_records(output: str) -> list[dict[str, Any]]:
    """The CloudWatch EMF documents printed (decision lines are log records and EMF documents)."""
    return [record for record in json_lines(output) if "_aws" in record]


def log_records(output: str) -> list[dict[str, Any]]:
    """The log records printed: every line with a message (a decision line is one too)."""
    return [record for record in json_lines(output) if "message" in record]


def json_lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]
