"""The sign-in tests' user agent: cookies kept, redirects returned (not followed), PKCE, the login form."""

from __future__ import annotations

import base64
import hashlib
import html
import http.cookiejar
import re
import secrets
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from devstack.client import HttpResponse

SPA_URL = "http://127.0.0.1:9/spa/"  # registered only: these tests never follow the redirect
WEBAPP_URL = "http://127.0.0.1:9/webapp"
PASSWORDS = {"alice": "alice-pw", "bob": "bob-pw", "carol": "carol-pw"}
WEBAPP_SECRET = "webapp-secret"
API_SCOPES = "read:items write:items delete:items"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class UserAgent:
    """A browser's part of the flow: one cookie jar, each response as it is (302s included)."""

    def __init__(self) -> None:
        self.cookies = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(
            _NoRedirect, urllib.request.HTTPCookieProcessor(self.cookies)
        )

    def request(
        self,
        method: str,
        url: str,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        assert url.startswith("http://127.0.0.1:"), url
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
        try:
            with self._opener.open(request, timeout=60) as response:
                return HttpResponse(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            with error:
                return HttpResponse(error.code, dict(error.headers), error.read())


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge), RFC 7636 §4.1-4.2."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def query_of(location: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


@dataclass
class Authorization:
    """One authorization request's parameters (PKCE pair, state, nonce) and where it went."""

    issuer: str
    client_id: str = "dev-spa"
    redirect_uri: str = SPA_URL
    scope: str = f"openid profile {API_SCOPES}"
    audience: str | None = "https://items.example.com"
    extra: dict[str, str] = field(default_factory=dict)
    verifier: str = ""
    state: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(12))

    def url(self) -> str:
        self.verifier, challenge = pkce_pair()
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": self.scope,
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            **({"audience": self.audience} if self.audience else {}),
            **self.extra,
        }
        params = {k: v for k, v in params.items() if v != ""}
        return self.issuer.rstrip("/") + "/authorize?" + urllib.parse.urlencode(params)


def login_form_action(page: bytes, base: str) -> str:
    match = re.search(rb'<form method="post" action="([^"]+)"', page)
    assert match, page[:500]
    action: str = html.unescape(match.group(1).decode())
    return urllib.parse.urljoin(base, action)


def sign_in(agent: UserAgent, authorization: Authorization, user: str, password: str | None = None) -> str:
    """Through the login page to the redirect; the code it carries (state checked)."""
    url = authorization.url()
    page = agent.request("GET", url)
    assert page.status == 200, (page.status, page.body[:300])
    answer = agent.request(
        "POST", login_form_action(page.body, url), {"username": user, "password": password or PASSWORDS[user]}
    )
    assert answer.status == 302, (answer.status, answer.body[:300])
    params = query_of(answer.headers["Location"])
    assert params["state"] == authorization.state
    return params["code"]


def exchange(
    token_endpoint: str, authorization: Authorization, code: str, secret: str | None = None, **extra: str
) -> HttpResponse:
    """The code for tokens at the token endpoint (the client's PKCE verifier; Basic auth with a secret)."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": authorization.redirect_uri,
        "code_verifier": authorization.verifier,
        **extra,
    }
    headers = {}
    if secret is None:
        form["client_id"] = authorization.client_id
    else:
        basic = base64.b64encode(f"{authorization.client_id}:{secret}".encode()).decode()
        headers["Authorization"] = f"Basic {basic}"
    return UserAgent().request("POST", token_endpoint, form, headers)


def refresh(token_endpoint: str, client_id: str, refresh_token: str) -> HttpResponse:
    form = {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": refresh_token}
    return UserAgent().request("POST", token_endpoint, form)
