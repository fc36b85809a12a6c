"""A client of the items API that follows Auth0's *Protect Your API* flow, on Authlib's OAuth 2.0 client.

1. Get an access token from the issuer with the client-credentials grant (RFC 6749 §4.4): a form body with
   HTTP Basic client authentication (RFC 6749, Cognito, Okta, Keycloak, the local issuer), or Auth0's JSON
   body with `audience`.
2. Keep it until shortly before it expires (Authlib refetches it then), and send it as a Bearer token.
3. On a 401 (the token was revoked, expired early, or the issuer rotated its keys) get a new token and try
   once more; a second 401 is an error.
4. On a 403, say which scope is missing, from the RFC 6750 `WWW-Authenticate` challenge.
5. Use the answer.

With `--dpop` (RFC 9449) the client makes an EC P-256 key for the run and sends a DPoP proof with the token
request; an issuer that binds the token to the key answers `token_type: DPoP` (Auth0 does for an API that
allows or requires it). Each API call then carries `Authorization: DPoP <token>` and a new `DPoP` proof for
its method and URL (examples/dpop.py). A `Bearer` answer is used as a bearer token.

    python examples/items_client.py --api URL --token-url URL --client-id ID --client-secret SECRET me
    python examples/items_client.py ... create "Milk" --description "2 litres"
    python examples/items_client.py ... list | get ID | delete ID
    python examples/items_client.py --dpop ... me

A user instead of a machine (RFC 8252, examples/native_login.py): `login` signs the user in through the system
browser (loopback redirect, PKCE) and keeps their refresh token in a file only they can read; every other
command without --token-url then acts as that user, renewing the access token with the refresh token:

    python examples/items_client.py --api URL login --issuer ISSUER_URL [--audience API]
    python examples/items_client.py --api URL list

The secret may also come from ITEMS_CLIENT_SECRET (keeps it out of the shell history and `ps`).
Authlib does the OAuth (token request, client authentication, expiry, token placement); what is written
here is the API's own calls, the retry-once rule and the 403 report, which no library knows about.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from authlib.integrations.requests_client import OAuth2Auth, OAuth2Session  # type: ignore[import-untyped]
from authlib.oauth2.client import DEFAULT_HEADERS  # type: ignore[import-untyped]
from dpop import DPoPKey
from native_login import DEFAULT_CREDENTIALS, NATIVE_CLIENT_ID, Credentials, LoginError, login

# Refetch the token this many seconds before it expires (Authlib's `leeway`).
EXPIRY_MARGIN_SECONDS = 30
TIMEOUT_SECONDS = 10.0
# RFC 6750 §3 / RFC 9110 §11.2: auth-param = token "=" ( token / quoted-string )
_AUTH_PARAM = re.compile(
    r'([!#$%&\'*+.^_`|~0-9A-Za-z-]+)=(?:"((?:[^"\\]|\\.)*)"|([!#$%&\'*+.^_`|~0-9A-Za-z-]+))'
)


class ApiError(Exception):
    """The API answered with an error status; `message` is its `{"message": ...}` body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message


class Unauthorized(ApiError):
    """401 again after a fresh token: the client itself is not accepted (wrong issuer, audience ...)."""


@dataclass(frozen=True)
class Challenge:
    """A parsed `WWW-Authenticate: Bearer ...` challenge (RFC 6750 §3)."""

    error: str | None
    scope: str | None
    description: str | None


class InsufficientScope(ApiError):
    """403: the token lacks a scope the route needs; `missing` names it when the server did."""

    def __init__(self, status: int, message: str, challenge: Challenge, granted: Sequence[str]) -> None:
        super().__init__(status, message)
        self.challenge = challenge
        self.missing = sorted(set((challenge.scope or "").split()) - set(granted))
        self.granted = list(granted)

    def __str__(self) -> str:
        if self.missing:
            return f"403 insufficient_scope: the token lacks {' '.join(self.missing)}"
        granted = " ".join(self.granted) or "(none)"
        return f"403 insufficient_scope: the token's scopes ({granted}) do not cover this route"


def parse_bearer_challenge(header: str | None) -> Challenge:
    """The error, scope and error_description of a Bearer challenge; all None when there is none."""
    if not header or header[:7].lower() != "bearer ":
        return Challenge(None, None, None)
    params: dict[str, str] = {}
    for match in _AUTH_PARAM.finditer(header[7:]):
        name, quoted, token = match.groups()
        params[name.lower()] = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else token
    return Challenge(params.get("error"), params.get("scope"), params.get("error_description"))


def _client_secret_json(
    auth: Any, method: str, uri: str, headers: Any, body: str | bytes | None
) -> tuple[str, Any, str]:
    """Auth0's token request: the form's parameters and the client's credentials as one JSON object.

    An Authlib client-authentication method, so Authlib still builds, sends and parses the request.
    """
    form = body.decode("utf-8") if isinstance(body, bytes) else body or ""
    params = dict(parse_qsl(form))
    params.update(client_id=auth.client_id, client_secret=auth.client_secret)
    headers["Content-Type"] = "application/json"
    return uri, headers, json.dumps(params)


DPOP_TOKEN_TYPE = "dpop"  # noqa: S105 - a token_type name, not a secret


class _TokenAuth(OAuth2Auth):  # type: ignore[misc]  # Authlib ships no type hints
    """Authlib's token placement, plus RFC 9449 §7.1 for a DPoP token: `Authorization: DPoP <token>` and a
    new proof for this request's method and URL (Authlib places Bearer tokens only)."""

    def __call__(self, request: Any) -> Any:
        self.ensure_active_token()  # Authlib's refetch at expiry, before the proof names the token
        key: DPoPKey | None = getattr(self.client, "dpop_key", None)
        if key is None or str(self.token.get("token_type", "")).lower() != DPOP_TOKEN_TYPE:
            return super().__call__(request)
        access_token = self.token["access_token"]
        request.headers["Authorization"] = f"DPoP {access_token}"
        request.headers["DPoP"] = key.proof(request.method, request.url, access_token)
        return request


class _TokenSession(OAuth2Session):  # type: ignore[misc]  # Authlib ships no type hints
    """Authlib's session, with `audience` on every token request, including its own refetch at expiry, and
    with a DPoP key, a proof on each of them (RFC 9449 §5)."""

    token_auth_class = _TokenAuth

    def __init__(self, audience: str | None, dpop_key: DPoPKey | None = None, **kwargs: Any) -> None:
        self.dpop_key = dpop_key
        super().__init__(**kwargs)
        self.audience = audience

    def fetch_token(self, url: str | None = None, **kwargs: Any) -> Any:
        if self.audience is not None:
            kwargs.setdefault("audience", self.audience)
        if self.dpop_key is not None:
            token_url = url or self.metadata["token_endpoint"]
            headers = dict(kwargs.pop("headers", None) or DEFAULT_HEADERS)
            headers["DPoP"] = self.dpop_key.proof("POST", token_url)
            kwargs["headers"] = headers
        return super().fetch_token(url, **kwargs)


class ItemsClient:
    """The items API, with a client-credentials token from any OAuth 2.0 issuer."""

    def __init__(
        self,
        api_url: str,
        token_url: str,
        client_id: str,
        client_secret: str | None,
        *,
        audience: str | None = None,
        scope: str | None = None,
        json_token_request: bool = False,
        timeout: float = TIMEOUT_SECONDS,
        dpop_key: DPoPKey | None = None,
        refresh_token: str | None = None,
        on_refresh_token: Callable[[str], None] | None = None,
    ) -> None:
        """A machine's client (client_credentials with `client_secret`), or with `refresh_token` a
        signed-in user's (public: renewed with the refresh token; each rotated one to on_refresh_token)."""
        self.api_url = api_url.rstrip("/")
        self.token_url = token_url
        self.token_requests = 0
        self.user_mode = refresh_token is not None
        self._on_refresh_token = on_refresh_token
        if self.user_mode:
            grant: dict[str, Any] = {
                "token_endpoint_auth_method": "none",
                # Expired from the start: the first call renews it with the refresh token.
                "token": {
                    "access_token": "",
                    "token_type": "Bearer",
                    "refresh_token": refresh_token,
                    "expires_at": 0,
                },
            }
        else:
            grant = {
                "grant_type": "client_credentials",  # Authlib refetches such a token itself once it is due
                "token_endpoint_auth_method": "client_secret_json"
                if json_token_request
                else "client_secret_basic",
            }
        self.session = _TokenSession(
            audience,
            dpop_key,
            client_id=client_id,
            client_secret=client_secret,
            scope=scope,
            token_endpoint=token_url,
            leeway=EXPIRY_MARGIN_SECONDS,
            update_token=self._token_updated,
            **grant,
        )
        self.session.register_client_auth_method(("client_secret_json", _client_secret_json))
        self.timeout = timeout

    def _count_token_request(self) -> None:
        self.token_requests += 1

    def _token_updated(self, token: Mapping[str, Any], **_kwargs: Any) -> None:
        self._count_token_request()
        if self._on_refresh_token is not None and token.get("refresh_token"):
            self._on_refresh_token(token["refresh_token"])  # rotated: the old one is spent

    def fetch_token(self) -> Mapping[str, Any]:
        """A new access token from the issuer (also what a 401 leads to)."""
        if self.user_mode:
            refreshed: Mapping[str, Any] = self.session.refresh_token(
                self.token_url, refresh_token=self.session.token["refresh_token"]
            )  # Authlib calls _token_updated
            return refreshed
        token: Mapping[str, Any] = self.session.fetch_token(self.token_url, grant_type="client_credentials")
        self._count_token_request()
        return token

    def _granted_scopes(self) -> list[str]:
        token = self.session.token or {}
        return str(token.get("scope") or "").split()

    def request(
        self, method: str, path: str, body: Any = None, params: Mapping[str, Any] | None = None
    ) -> Any:
        """One API call: its JSON answer (None for a 204); ApiError, Unauthorized or InsufficientScope."""
        if not self.session.token:
            self.fetch_token()
        response = self._send(method, path, body, params)
        if response.status_code == 401:
            # The token may have been revoked or the issuer's keys rotated: one fresh token, one retry.
            self.fetch_token()
            response = self._send(method, path, body, params)
        if response.status_code < 400:
            return response.json() if response.content else None
        message = _message(response)
        if response.status_code == 401:
            raise Unauthorized(401, message)
        if response.status_code == 403:
            challenge = parse_bearer_challenge(response.headers.get("WWW-Authenticate"))
            if challenge.error == "insufficient_scope":
                raise InsufficientScope(403, message, challenge, self._granted_scopes())
        raise ApiError(response.status_code, message)

    def _send(self, method: str, path: str, body: Any, params: Mapping[str, Any] | None) -> Any:
        return self.session.request(
            method, self.api_url + path, json=body, params=params, timeout=self.timeout
        )

    def me(self) -> Any:
        return self.request("GET", "/me")

    def list_items(self, limit: int | None = None, next_token: str | None = None) -> Any:
        params = {k: v for k, v in {"limit": limit, "next": next_token}.items() if v is not None}
        return self.request("GET", "/items", params=params)

    def all_items(self, limit: int | None = None) -> list[Any]:
        """Every item, following the `next` tokens page after page."""
        items: list[Any] = []
        next_token: str | None = None
        while True:
            page = self.list_items(limit, next_token)
            items.extend(page["items"])
            next_token = page["next"]
            if next_token is None:
                return items

    def create_item(self, name: str, description: str | None = None) -> Any:
        body = {"name": name} if description is None else {"name": name, "description": description}
        return self.request("POST", "/items", body)

    def get_item(self, item_id: str) -> Any:
        return self.request("GET", f"/items/{item_id}")

    def delete_item(self, item_id: str) -> None:
        self.request("DELETE", f"/items/{item_id}")


def _message(response: Any) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason or "error"
    return str(body.get("message")) if isinstance(body, dict) else str(body)


def sign_in(args: argparse.Namespace) -> int:
    """`login`: the user signs in through the browser; the refresh token goes to the credentials file."""
    try:
        credentials, claims = login(
            args.issuer,
            client_id=args.login_client_id,
            audience=args.audience,
            open_browser=not args.no_browser,
        )
    except (LoginError, OSError, ValueError) as error:
        print(f"items_client: login failed: {error}", file=sys.stderr)
        return 1
    credentials.save(args.credentials)
    who = claims.get("name") or claims["sub"]
    print(f"Signed in as {who} ({claims['sub']}); credentials in {args.credentials}")
    return 0


def user_client(parser: argparse.ArgumentParser, args: argparse.Namespace) -> ItemsClient:
    """The signed-in user's client, from the credentials file `login` wrote."""
    try:
        credentials = Credentials.load(args.credentials)
    except FileNotFoundError:
        parser.exit(2, f"{parser.prog}: error: give --token-url (a machine) or run `login` first (a user)\n")
    path = args.credentials

    def keep(refresh_token: str) -> None:
        Credentials(
            credentials.issuer,
            credentials.token_endpoint,
            credentials.client_id,
            credentials.audience,
            refresh_token,
        ).save(path)

    return ItemsClient(
        args.api,
        credentials.token_endpoint,
        credentials.client_id,
        None,
        audience=credentials.audience,
        refresh_token=credentials.refresh_token,
        on_refresh_token=keep,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="items_client", description=__doc__.splitlines()[0])
    parser.add_argument("--api", required=True, help="the API's base URL (ApiUrl, or what `make run` prints)")
    parser.add_argument("--token-url", help="the issuer's token endpoint (a machine: client_credentials)")
    parser.add_argument("--client-id", help="the machine's client id (with --token-url)")
    parser.add_argument("--client-secret", default=os.environ.get("ITEMS_CLIENT_SECRET"))
    parser.add_argument("--audience", help="the API identifier (Auth0 requires it)")
    parser.add_argument("--scope", help="space-separated scopes to ask for (default: all the client has)")
    parser.add_argument("--json", action="store_true", help="send the token request as JSON (Auth0)")
    parser.add_argument(
        "--dpop", action="store_true", help="DPoP (RFC 9449): a key for this run, a proof with every request"
    )
    parser.add_argument(
        "--credentials",
        type=Path,
        default=DEFAULT_CREDENTIALS,
        help=f"the signed-in user's credentials file (`login` writes it; default {DEFAULT_CREDENTIALS})",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    signin = commands.add_parser("login", help="sign a user in through the system browser (RFC 8252)")
    signin.add_argument(
        "--issuer", required=True, help="the issuer URL (make run prints it; Auth0: https://TENANT/)"
    )
    signin.add_argument("--login-client-id", default=NATIVE_CLIENT_ID, help="the native app's client id")
    signin.add_argument("--no-browser", action="store_true", help="print the URL only, open no browser")
    commands.add_parser("me")
    listing = commands.add_parser("list")
    listing.add_argument("--limit", type=int)
    create = commands.add_parser("create")
    create.add_argument("name")
    create.add_argument("--description")
    for name in ("get", "delete"):
        commands.add_parser(name).add_argument("id")
    args = parser.parse_args(argv)
    if args.command == "login":
        return sign_in(args)
    if args.token_url is None:
        client = user_client(parser, args)
    else:
        if not args.client_id or not args.client_secret:
            parser.exit(
                2, f"{parser.prog}: error: give --client-id and --client-secret (or ITEMS_CLIENT_SECRET)\n"
            )
        client = ItemsClient(
            args.api,
            args.token_url,
            args.client_id,
            args.client_secret,
            audience=args.audience,
            scope=args.scope,
            json_token_request=args.json,
            dpop_key=DPoPKey() if args.dpop else None,
        )
    calls: dict[str, Callable[[], Any]] = {
        "me": client.me,
        "list": lambda: client.all_items(args.limit),
        "create": lambda: client.create_item(args.name, args.description),
        "get": lambda: client.get_item(args.id),
        "delete": lambda: client.delete_item(args.id),
    }
    try:
        result = calls[args.command]()
    except ApiError as error:
        print(f"{parser.prog}: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # token endpoint errors (Authlib's OAuthError), network errors
        print(f"{parser.prog}: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    if result is not None:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
