"""A small HTTP client for the local stack (stdlib only, 127.0.0.1 only), for the e2e tests and the bench."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from devstack.ports import LOOPBACK

TIMEOUT_SECONDS = 60.0


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
    if not url.startswith(f"http://{LOOPBACK}:"):
        raise ValueError(f"refusing a URL that is not on http://{LOOPBACK}: {url}")
    # S310: the scheme and host are checked just above (plain http to 127.0.0.1 only).
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
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


def api_call(
    api_url: str,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    data: bytes | None = None,
) -> HttpResponse:
    """One call to the API: `token` as a Bearer token, `body` sent as JSON (or `data` as it is)."""
    all_headers = dict(headers or {})
    if token is not None:
        all_headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        data = json.dumps(body).encode()
        all_headers["Content-Type"] = "application/json"
    return http(method, api_url.rstrip("/") + path, headers=all_headers, data=data)
