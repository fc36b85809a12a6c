"""A small HTTP client for the local stack (stdlib only, 127.0.0.1 only)."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from devstack.stack import LocalStack

# Fixed for the session so tests can authenticate; they are development secrets of a loopback issuer.
CLIENT_SECRETS = {
    "dev-admin": "e2e-admin-secret",
    "dev-reader": "e2e-reader-secret",
    "dev-noscope": "e2e-noscope-secret",
}


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def http(
    method: str, url: str, *, headers: Mapping[str, str] | None = None, data: bytes | None = None
) -> HttpResponse:
    """One HTTP request to 127.0.0.1; any status is a response, never an exception."""
    assert url.startswith("http://127.0.0.1:"), url
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return HttpResponse(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        with error:
            return HttpResponse(error.code, dict(error.headers), error.read())


def token_request(token_endpoint: str, client_id: str, secret: str, **params: str) -> HttpResponse:
    """A standard client_credentials token request: form POST with HTTP Basic client authentication."""
    form = urllib.parse.urlencode({"grant_type": "client_credentials", **params}).encode()
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    headers = {"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"}
    return http("POST", token_endpoint, headers=headers, data=form)


@dataclass(frozen=True)
class StackClient:
    stack: LocalStack

    def token(self, client_id: str) -> str:
        response = token_request(self.stack.issuer.token_endpoint, client_id, CLIENT_SECRETS[client_id])
        assert response.status == 200, response.body
        token: str = response.json()["access_token"]
        return token

    def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        url = self.stack.api_url.rstrip("/") + path
        return http(method, url, headers=all_headers, data=data)

    @property
    def authorizer_invocations(self) -> int:
        return self.stack.gateway.service.authorizer_invocations["OAuthAuthorizer"]
