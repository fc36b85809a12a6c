"""A native app signs its user in (RFC 8252): the system browser, a loopback redirect, PKCE, a refresh token.

1. Read the issuer's discovery document (authorization, token and JWKS endpoints).
2. Listen on http://127.0.0.1:{a free port}/callback (RFC 8252 §7.3: any port, the issuer allows it).
3. Open the system browser at the authorization URL: Authorization Code with PKCE S256 (RFC 7636), `state`,
   `nonce`, `offline_access` for a refresh token, Auth0's `audience` for the API.
4. The browser comes back to the loopback listener with the code; `state` is checked, the code exchanged
   (with the PKCE verifier; a public client has no secret), the ID token's signature, issuer, audience and
   nonce checked with PyJWT.
5. The refresh token is kept in a file only the user can read (0600, in a 0700 directory); each later
   command renews its access token with it, and keeps the rotated refresh token in its place.

Authlib's OAuth2Session builds the authorization URL with the PKCE challenge and makes the token requests;
what is written here is the loopback listener and the credentials file, which no library does for us.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import queue
import secrets
import sys
import tempfile
import threading
import urllib.parse
import webbrowser
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import jwt
import requests
from authlib.integrations.requests_client import OAuth2Session  # type: ignore[import-untyped]

NATIVE_CLIENT_ID = "dev-native"
DEFAULT_SCOPE = "openid profile offline_access read:items write:items delete:items"
DEFAULT_CREDENTIALS = Path.home() / ".config" / "items-client" / "credentials.json"
CALLBACK_PATH = "/callback"
LOGIN_TIMEOUT_SECONDS = 300.0
TIMEOUT_SECONDS = 10.0


class LoginError(Exception):
    """The sign-in did not complete: the issuer's error, a wrong state, a bad ID token, a timeout."""


@dataclass(frozen=True)
class Credentials:
    """What the credentials file keeps: enough to renew the user's access token without a browser."""

    issuer: str
    token_endpoint: str
    client_id: str
    audience: str | None
    refresh_token: str

    def save(self, path: Path) -> None:
        """Write atomically, readable by the user only (0600 in a 0700 directory)."""
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".credentials-")  # mkstemp: mode 0600
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(asdict(self), out)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> Credentials:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__})


def discover(issuer: str) -> dict[str, Any]:
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    response = requests.get(url, timeout=TIMEOUT_SECONDS)
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    return document


class _CallbackHandler(http.server.BaseHTTPRequestHandler):
    """Takes the one redirect back to /callback; answers the browser with a page it can show."""

    answers: queue.Queue[dict[str, str]]

    def do_GET(self) -> None:
        parts = urllib.parse.urlsplit(self.path)
        if parts.path != CALLBACK_PATH:
            self.send_error(404)
            return
        params = dict(urllib.parse.parse_qsl(parts.query))
        ok = "code" in params
        # No favicon request: the listener is gone once this page is shown.
        head = '<!doctype html><link rel="icon" href="data:,">'
        body = (
            f"{head}<title>Signed in</title><p>Signed in: you can close this tab.</p>"
            if ok
            else f"{head}<title>Sign-in failed</title><p>The sign-in did not complete.</p>"
        ).encode()
        self.send_response(200 if ok else 400)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.answers.put(params)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the query holds the code."""


@contextlib.contextmanager
def loopback_listener() -> Iterator[tuple[str, queue.Queue[dict[str, str]]]]:
    """http://127.0.0.1:{free port}/callback and the queue its redirect lands in."""
    answers: queue.Queue[dict[str, str]] = queue.Queue()
    handler = type("CallbackHandler", (_CallbackHandler,), {"answers": answers})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}{CALLBACK_PATH}", answers
    finally:
        server.shutdown()
        server.server_close()


def login(
    issuer: str,
    *,
    client_id: str = NATIVE_CLIENT_ID,
    audience: str | None = None,
    scope: str = DEFAULT_SCOPE,
    open_browser: bool = True,
    timeout: float = LOGIN_TIMEOUT_SECONDS,
) -> tuple[Credentials, Mapping[str, Any]]:
    """Sign a user in through the browser; their credentials and the checked ID token's claims."""
    metadata = discover(issuer)
    with loopback_listener() as (redirect_uri, answers):
        session = OAuth2Session(
            client_id,
            scope=scope,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="none",  # noqa: S106 - an auth method's name: a public client
        )
        verifier = secrets.token_urlsafe(48)
        nonce = secrets.token_urlsafe(16)
        extra = {"nonce": nonce, **({"audience": audience} if audience else {})}
        url, state = session.create_authorization_url(
            metadata["authorization_endpoint"], code_verifier=verifier, **extra
        )
        print(
            f"Sign in in your browser; if it does not open, open this URL:\n{url}",
            file=sys.stderr,
            flush=True,
        )
        if open_browser:
            webbrowser.open(url)
        try:
            params = answers.get(timeout=timeout)
        except queue.Empty:
            raise LoginError(f"no answer from the browser within {timeout:g} s") from None
    if "error" in params:
        raise LoginError(f"{params['error']}: {params.get('error_description', '')}".rstrip(": "))
    if params.get("state") != state:
        raise LoginError("the answer's state is not this sign-in's (CSRF?)")
    token = session.fetch_token(
        metadata["token_endpoint"], code=params["code"], code_verifier=verifier, timeout=TIMEOUT_SECONDS
    )
    claims = check_id_token(token["id_token"], metadata, client_id, nonce)
    if not token.get("refresh_token"):
        raise LoginError("the issuer gave no refresh token (is offline_access allowed?)")
    credentials = Credentials(
        metadata["issuer"], metadata["token_endpoint"], client_id, audience, token["refresh_token"]
    )
    return credentials, claims


def check_id_token(id_token: str, metadata: Mapping[str, Any], client_id: str, nonce: str) -> dict[str, Any]:
    """OpenID Connect Core §3.1.3.7: signature (the issuer's JWKS), iss, aud, exp and the nonce."""
    key = jwt.PyJWKClient(metadata["jwks_uri"]).get_signing_key_from_jwt(id_token).key
    claims: dict[str, Any] = jwt.decode(
        id_token, key, algorithms=["RS256"], audience=client_id, issuer=metadata["issuer"]
    )
    if claims.get("nonce") != nonce:
        raise LoginError("the ID token's nonce is not this sign-in's")
    return claims
