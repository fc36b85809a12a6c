"""A regular web app that signs its users in and shows their items (Auth0's "Regular Web App" flow).

A confidential client (it has a secret, kept on the server): Authorization Code with PKCE through Authlib's
Flask client, which discovers the issuer, sends the user to its login page, checks `state`, exchanges the
code with the client secret and checks the ID token (signature, issuer, audience, nonce). The browser holds
only a session cookie (Flask's signed cookie, HttpOnly, SameSite=Lax); the tokens stay in this process.
Every page the user sees is rendered here; the API is called from the server with the user's access token,
renewed with the refresh token when it has expired.

    GET  /             who is signed in, their items, a form to add one (or a "Sign in" link)
    GET  /login        to the issuer's login page
    GET  /callback     back from it (the redirect URI to register: `make run` prints it)
    POST /items        add an item;  POST /items/<id>/delete  delete one
    GET  /logout       end the session here and at the issuer (RP-initiated logout)

`make run` serves it for the local issuer (client dev-webapp). Against Auth0:
    WEBAPP_CLIENT_SECRET=... python examples/webapp/webapp.py --issuer https://TENANT.auth0.com/ \\
        --client-id ID --audience https://items.example.com --api https://API_URL --port 3000
"""

from __future__ import annotations

import argparse
import html
import os
import secrets
import sys
import threading
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from authlib.integrations.flask_client import OAuth  # type: ignore[import-untyped]
from flask import Flask, Response, redirect, request, session

SCOPE = "openid profile offline_access read:items write:items delete:items"
RENEW_MARGIN_SECONDS = 30
TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class WebAppSettings:
    issuer: str
    client_id: str
    client_secret: str
    audience: str
    api: str
    # Which permission each route needs ("METHOD /path": [...]), to explain a 403 in words.
    scopes: Mapping[str, Sequence[str]]


PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Items (web app)</title>
<link rel="icon" href="data:,"></head><body><h1>Items</h1>{body}</body></html>"""


def render(body: str, status: int = 200) -> Response:
    return Response(PAGE.format(body=body), status=status, mimetype="text/html")


class UserTokens:
    """The signed-in users' tokens, by a random id their session cookie carries (the cookie is signed, not
    encrypted: no token goes in it). Renews an expired access token with the refresh token."""

    def __init__(self, issuer: Any, settings: WebAppSettings) -> None:
        self.issuer = issuer
        self.settings = settings
        self.tokens: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()

    def keep(self, token: dict[str, Any]) -> str:
        sid = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[sid] = token
        return sid

    def id_token(self, sid: str) -> str | None:
        with self.lock:
            token = self.tokens.get(sid) or {}
        value = token.get("id_token")
        return value if isinstance(value, str) else None

    def forget(self, sid: str) -> None:
        with self.lock:
            self.tokens.pop(sid, None)

    def current(self) -> dict[str, Any] | None:
        sid = session.get("sid", "")
        with self.lock:
            token = self.tokens.get(sid)
        if token is None:
            return None
        if token.get("expires_at", 0) - RENEW_MARGIN_SECONDS <= time.time() and token.get("refresh_token"):
            renewed: dict[str, Any] = self.issuer.fetch_access_token(
                grant_type="refresh_token", refresh_token=token["refresh_token"]
            )
            token = {**token, **renewed}
            with self.lock:
                self.tokens[sid] = token
        return token

    def call_api(self, method: str, path: str, token: Mapping[str, Any], body: Any = None) -> Any:
        url = self.settings.api.rstrip("/") + path
        return self.issuer.request(method, url, token=dict(token), json=body, withhold_token=False)

    def forbidden(self, route: str, token: Mapping[str, Any]) -> str:
        needed = " and ".join(self.settings.scopes.get(route, []))
        held = ", ".join(token.get("scope", "").split()) or "no permission"
        return f"Not allowed: {route} needs the {needed} permission; your access token carries {held}."


def item_row(item: Mapping[str, str]) -> str:
    action = f"/items/{urllib.parse.quote(item['id'])}/delete"
    return (
        f'<li><span class="name">{html.escape(item["name"])}</span> '
        f'<form method="post" action="{action}" style="display:inline">'
        '<button type="submit">Delete</button></form></li>'
    )


def create_webapp(settings: WebAppSettings) -> Flask:
    app = Flask("items_webapp")
    app.secret_key = secrets.token_bytes(32)  # sessions last as long as this process
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    oauth = OAuth(app)
    issuer = oauth.register(
        "issuer",
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        server_metadata_url=settings.issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": SCOPE, "code_challenge_method": "S256", "timeout": TIMEOUT_SECONDS},
    )
    users = UserTokens(issuer, settings)
    app.extensions["user_tokens"] = users  # Flask's registry: tests reach the token store there
    current_token, call_api, forbidden = users.current, users.call_api, users.forbidden

    @app.get("/")
    def home() -> Response:
        token = current_token()
        if token is None:
            return render('<p>Signed out.</p><p><a id="sign-in" href="/login">Sign in</a></p>')
        message = session.pop("message", "")
        answer = call_api("GET", "/items", token)
        if answer.status_code != 200:
            return render(f'<p class="error">The API answered {answer.status_code}.</p>', 502)
        rows = "".join(item_row(item) for item in answer.json()["items"])
        user = session.get("user", {})
        return render(
            f'<p>Signed in as <strong id="who">{html.escape(user.get("name", ""))}</strong> '
            f'({html.escape(user.get("sub", ""))}) <a id="sign-out" href="/logout">Sign out</a></p>'
            + (f'<p id="error" class="error">{html.escape(message)}</p>' if message else "")
            + '<form method="post" action="/items"><label>New item <input name="name" required></label>'
            '<button type="submit">Create</button></form>'
            f'<ul id="items">{rows}</ul>'
        )

    @app.get("/login")
    def login() -> Any:
        redirect_uri = request.host_url.rstrip("/") + "/callback"
        return issuer.authorize_redirect(redirect_uri, audience=settings.audience)

    @app.get("/callback")
    def callback() -> Any:
        token: dict[str, Any] = issuer.authorize_access_token()  # state, code + secret, ID token checked
        sid = users.keep(token)
        claims = token["userinfo"]
        session.clear()
        session.update(sid=sid, user={"sub": claims["sub"], "name": claims.get("name", claims["sub"])})
        return redirect("/")

    @app.post("/items")
    def create() -> Any:
        token = current_token()
        if token is None:
            return redirect("/")
        answer = call_api("POST", "/items", token, {"name": request.form.get("name", "")})
        if answer.status_code == 403:
            session["message"] = forbidden("POST /items", token)
        elif answer.status_code != 201:
            session["message"] = f"The API answered {answer.status_code}."
        return redirect("/", code=303)

    @app.post("/items/<item_id>/delete")
    def delete(item_id: str) -> Any:
        token = current_token()
        if token is None:
            return redirect("/")
        answer = call_api("DELETE", f"/items/{urllib.parse.quote(item_id)}", token)
        if answer.status_code == 403:
            session["message"] = forbidden("DELETE /items/{id}", token)
        return redirect("/", code=303)

    @app.get("/logout")
    def logout() -> Any:
        id_token = users.id_token(session.get("sid", ""))
        users.forget(session.get("sid", ""))
        session.clear()
        metadata = issuer.load_server_metadata()
        params = {"post_logout_redirect_uri": request.host_url, "client_id": settings.client_id}
        if id_token:
            params["id_token_hint"] = id_token
        return redirect(metadata["end_session_endpoint"] + "?" + urllib.parse.urlencode(params))

    return app


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="webapp", description=__doc__.splitlines()[0])
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--audience", required=True)
    parser.add_argument("--api", required=True)
    parser.add_argument("--port", type=int, default=3000)
    args = parser.parse_args(argv)
    secret = os.environ.get("WEBAPP_CLIENT_SECRET")
    if not secret:
        parser.exit(2, "webapp: error: set WEBAPP_CLIENT_SECRET (the application's client secret)\n")
    settings = WebAppSettings(args.issuer, args.client_id, secret, args.audience, args.api, {})
    create_webapp(settings).run("127.0.0.1", args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
