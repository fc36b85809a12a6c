"""A signing key and an OpenID issuer (discovery + JWKS) on a free 127.0.0.1 port, for the benchmarks."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from devstack.ports import LOOPBACK

AUDIENCE = "https://api.example.com/"
KID = "bench"


@dataclass(frozen=True)
class BenchKey:
    private: rsa.RSAPrivateKey

    @staticmethod
    def generate() -> BenchKey:
        return BenchKey(rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @property
    def public(self) -> rsa.RSAPublicKey:
        return self.private.public_key()

    def jwks(self) -> dict[str, Any]:
        jwk = {**RSAAlgorithm.to_jwk(self.public, as_dict=True), "kid": KID, "alg": "RS256", "use": "sig"}
        return {"keys": [jwk]}

    def token(self, issuer: str, scope: str, serial: int, **extra: Any) -> str:
        """An RS256 access token like Auth0's; `serial` (jti) makes each one a token never seen before.
        `extra` claims are added (a DPoP-bound token's `cnf`)."""
        now = int(time.time())
        payload: Mapping[str, Any] = {
            "iss": issuer,
            "aud": [AUDIENCE],
            "sub": "auth0|bench-user",
            "azp": "bench-client",
            "iat": now,
            "exp": now + 3600,
            "scope": scope,
            "jti": f"bench-{serial}",
            **extra,
        }
        return jwt.encode(dict(payload), self.private, algorithm="RS256", headers={"kid": KID, "typ": "JWT"})


@contextlib.contextmanager
def serve_issuer(key: BenchKey) -> Iterator[str]:
    """Discovery and JWKS over real HTTP on 127.0.0.1 (port 0: the OS picks a free one); yields the
    issuer URL. Counts nothing and logs nothing."""
    server = ThreadingHTTPServer((LOOPBACK, 0), _Handler)
    url = f"http://{LOOPBACK}:{server.server_address[1]}/"
    server.documents = {  # type: ignore[attr-defined]
        "/.well-known/openid-configuration": {"issuer": url, "jwks_uri": f"{url}jwks.json"},
        "/jwks.json": key.jwks(),
    }
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        documents: dict[str, Any] = self.server.documents  # type: ignore[attr-defined]
        body = json.dumps(documents.get(self.path, {})).encode()
        self.send_response(200 if self.path in documents else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""
