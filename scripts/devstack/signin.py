"""People sign in to the local issuer: Authorization Code with PKCE, OpenID Connect ID tokens, refresh tokens.

The development stand-in for Auth0's Universal Login, built on Authlib's grants: `AuthorizationCodeGrant`
(RFC 6749 §4.1), `CodeChallenge` (RFC 7636), `OpenIDCode` (OpenID Connect Core §3.1) and `RefreshTokenGrant`
(RFC 6749 §6). What they leave out, written here (each says why where it is):
  - PKCE is not mandatory at /authorize in Authlib 1.9, even with CodeChallenge(required=True): a request
    without `code_challenge`, or with `plain`, is refused here (S256 only, as Auth0 and OAuth 2.1);
  - public clients (`none` at the token endpoint) are not in the grants' auth methods by default;
  - OpenIDCode's defaults read `get_jwt_config`, deprecated (a warning, an error under our pytest); the
    ID token is built here, and a refreshed one keeps the sign-in's `auth_time` (Authlib would put `now`);
  - a reused code is refused by Authlib; RFC 6749 §4.1.2's "revoke the tokens issued from it" and Auth0's
    refresh-token reuse detection (revoke the whole family) need state Authlib leaves to the application.

Endpoints (Auth0's paths): GET /authorize (the login page when nobody is signed in), POST /authorize (the
login form), GET /oidc/logout (RP-initiated logout), POST /oauth/token with grant_type=authorization_code
or refresh_token. State (sessions, codes, refresh tokens) lives in memory: a restart signs everyone out.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, ClassVar

from authlib.oauth2.rfc6749 import ClientMixin, OAuth2Request  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749.errors import (  # type: ignore[import-untyped]
    AccessDeniedError,
    InvalidRequestError,
)
from authlib.oauth2.rfc6749.grants import (  # type: ignore[import-untyped]
    AuthorizationCodeGrant,
    RefreshTokenGrant,
)
from authlib.oauth2.rfc6749.util import scope_to_list  # type: ignore[import-untyped]
from authlib.oauth2.rfc7636 import CodeChallenge  # type: ignore[import-untyped]
from authlib.oidc.core import OpenIDCode  # type: ignore[import-untyped]
from authlib.oidc.core.util import create_half_hash  # type: ignore[import-untyped]
from joserfc import jwt
from joserfc.jwk import RSAKey

ALL_PERMISSIONS: tuple[str, ...] = ("read:items", "write:items", "delete:items")
# The development users and their permissions on the API (Auth0 RBAC: "Add Permissions in the Access Token").
USER_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "alice": ALL_PERMISSIONS,
    "bob": ALL_PERMISSIONS,
    "carol": ("read:items",),
}
# Scopes that are not API permissions: Auth0 grants them whatever the user holds.
OIDC_SCOPES: tuple[str, ...] = ("openid", "profile", "email", "offline_access")
CODE_LIFETIME_SECONDS = 60  # RFC 6749 §4.1.2: short-lived (Auth0: 60 s)
ID_TOKEN_LIFETIME_SECONDS = 36000  # Auth0's default (10 h)
SESSION_COOKIE = "devstack_session"
AUTHORIZE_PATH = "/authorize"
LOGOUT_PATH = "/oidc/logout"
USER_AUTH_METHODS = {"public": ("none",), "confidential": ("client_secret_basic", "client_secret_post")}
USER_GRANT_TYPES = ("authorization_code", "refresh_token")
LOOPBACK_CALLBACK_PATH = "/callback"


# --- users -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DevUser:
    name: str
    password: str = field(repr=False)
    permissions: tuple[str, ...]

    @property
    def sub(self) -> str:
        return f"auth0|{self.name}"  # Auth0's database-connection user ids read "auth0|<id>"

    def check_password(self, password: str) -> bool:
        return hmac.compare_digest(password.encode(), self.password.encode())


def dev_users(passwords: Mapping[str, str] | None = None) -> dict[str, DevUser]:
    """The development users, with the given passwords or fresh random ones."""
    given = passwords or {}
    unknown = set(given) - set(USER_PERMISSIONS)
    if unknown:
        known = ", ".join(USER_PERMISSIONS)
        raise ValueError(f"unknown development user(s): {', '.join(sorted(unknown))} (known: {known})")
    return {
        name: DevUser(name, given.get(name) or secrets.token_urlsafe(12), permissions)
        for name, permissions in USER_PERMISSIONS.items()
    }


def parse_user_passwords(pairs: list[str]) -> dict[str, str]:
    """`NAME=PASSWORD` pairs (from --user) as a dict."""
    result: dict[str, str] = {}
    for pair in pairs:
        name, sep, password = pair.partition("=")
        if not sep or not password:
            raise ValueError(f"--user expects NAME=PASSWORD, got {name!r}=...")
        result[name] = password
    return result


@dataclass(frozen=True)
class SignedIn:
    """A user with the time they typed their password (OpenID Connect `auth_time`)."""

    user: DevUser
    auth_time: int

    def get_user_id(self) -> str:
        return self.user.sub


# --- clients ---------------------------------------------------------------------------------------------


def is_loopback_callback(uri: str) -> bool:
    """RFC 8252 §7.3: http://127.0.0.1:{any port}/callback (the native app's loopback redirect)."""
    try:
        parts = urllib.parse.urlsplit(uri)
        port = parts.port
    except ValueError:
        return False
    return (
        parts.scheme == "http"
        and parts.hostname == "127.0.0.1"
        and port is not None
        and parts.path == LOOPBACK_CALLBACK_PATH
        and not parts.query
        and not parts.fragment
        and "@" not in parts.netloc
    )


@dataclass(frozen=True)
class AppClient(ClientMixin):  # type: ignore[misc]  # Authlib ships no type hints
    """An application that signs users in: public (no secret) or confidential; exact redirect URIs."""

    client_id: str
    client_secret: str | None = field(repr=False)
    redirect_uris: tuple[str, ...] = ()
    post_logout_redirect_uris: tuple[str, ...] = ()
    loopback: bool = False  # any 127.0.0.1 port on /callback (native apps)

    @property
    def public(self) -> bool:
        return self.client_secret is None

    @property
    def scopes(self) -> tuple[str, ...]:
        return ALL_PERMISSIONS

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.redirect_uris[0] if len(self.redirect_uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        # As Auth0: any scope may be asked for; the user's permissions narrow it when the code is issued.
        return " ".join(scope_to_list(scope) or [])

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        if self.loopback and is_loopback_callback(redirect_uri):
            return True
        return redirect_uri in self.redirect_uris

    def check_post_logout_redirect_uri(self, uri: str) -> bool:
        return uri in self.post_logout_redirect_uris or (self.loopback and is_loopback_callback(uri))

    def check_client_secret(self, client_secret: str) -> bool:
        if self.client_secret is None:
            return False
        return hmac.compare_digest(client_secret.encode(), self.client_secret.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        methods = USER_AUTH_METHODS["public" if self.public else "confidential"]
        return endpoint == "token" and method in methods

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in USER_GRANT_TYPES


def app_clients(
    spa_url: str | None, webapp_url: str | None, webapp_secret: str | None = None
) -> dict[str, AppClient]:
    """dev-spa (public), dev-native (public, loopback) and dev-webapp (confidential): the contract ids.
    An app whose URL is not known has no redirect URI (nothing can sign in through it)."""
    spa = (spa_url.rstrip("/") + "/",) if spa_url else ()
    webapp = webapp_url.rstrip("/") if webapp_url else None
    return {
        "dev-spa": AppClient("dev-spa", None, spa, spa),
        "dev-native": AppClient("dev-native", None, loopback=True),
        "dev-webapp": AppClient(
            "dev-webapp",
            webapp_secret or secrets.token_urlsafe(24),
            (webapp + "/callback",) if webapp else (),
            (webapp + "/",) if webapp else (),
        ),
    }


# --- what the issuer remembers ----------------------------------------------------------------------------


@dataclass
class AuthorizationCode:
    """Authlib's AuthorizationCodeMixin: one issued code, single-use."""

    code: str
    client_id: str
    redirect_uri: str
    scope: str
    audience: str
    signed_in: SignedIn
    nonce: str | None
    code_challenge: str
    code_challenge_method: str
    expires_at: float
    used: bool = False
    family: str | None = None  # the refresh-token family issued from it (revoked if the code is reused)

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.signed_in.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> list[str]:
        return ["pwd"]


@dataclass
class RefreshToken:
    """One refresh token of a rotation family (Auth0: every use returns a new one, reuse revokes all)."""

    client_id: str
    scope: str
    audience: str
    signed_in: SignedIn
    family: str
    spent: bool = False

    def check_client(self, client: ClientMixin) -> bool:
        return bool(client.get_client_id() == self.client_id)

    def get_scope(self) -> str:
        return self.scope

    def is_expired(self) -> bool:
        return False

    def is_revoked(self) -> bool:
        return self.spent


class SignInState:
    """Sessions, codes and refresh tokens, in memory, behind one lock."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.sessions: dict[str, SignedIn] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.revoked_families: set[str] = set()
        self.nonces: set[tuple[str, str]] = set()
        self.lock = threading.Lock()

    def revoke_family(self, family: str | None) -> None:
        if family is not None:
            self.revoked_families.add(family)


# --- the grants ------------------------------------------------------------------------------------------


def _state(grant: Any) -> SignInState:
    state: SignInState = grant.server.signin_state
    return state


def granted_scope(requested: str | None, user: DevUser) -> str:
    """Auth0's RBAC: the OIDC scopes asked for, plus the API scopes asked for that the user holds."""
    asked = scope_to_list(requested) or []
    return " ".join(s for s in asked if s in OIDC_SCOPES or s in user.permissions)


class S256CodeChallenge(CodeChallenge):  # type: ignore[misc]  # Authlib ships no type hints
    """RFC 7636, S256 only and mandatory at /authorize.

    Authlib 1.9 checks a challenge only when one is sent (a request without any is a plain RFC 6749 code
    request to it, even with required=True) and treats a missing method as `plain` (RFC 7636 §4.3).
    """

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: code_challenge is missing.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE: code_challenge_method must be S256.")
        super().validate_code_challenge(grant, redirect_uri)

    def get_authorization_code_challenge(self, authorization_code: AuthorizationCode) -> str:
        return authorization_code.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code: AuthorizationCode) -> str:
        return authorization_code.code_challenge_method


class DevAuthorizationCodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    # "none": public clients (the SPA, the native app) authenticate with PKCE only (RFC 7636 §1).
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_basic", "client_secret_post", "none"]

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        state = _state(self)
        signed_in: SignedIn = request.user
        data = request.payload.data
        record = AuthorizationCode(
            code=code,
            client_id=request.client.get_client_id(),
            redirect_uri=request.payload.redirect_uri,
            scope=granted_scope(request.payload.scope, signed_in.user),
            audience=data.get("audience") or self.server.audience,
            signed_in=signed_in,
            nonce=data.get("nonce"),
            code_challenge=data["code_challenge"],
            code_challenge_method=data["code_challenge_method"],
            expires_at=state.clock() + CODE_LIFETIME_SECONDS,
        )
        with state.lock:
            state.codes[code] = record
            if record.nonce:
                state.nonces.add((record.client_id, record.nonce))

    def query_authorization_code(self, code: str, client: AppClient) -> AuthorizationCode | None:
        state = _state(self)
        with state.lock:
            record = state.codes.get(code)
            if record is None or record.client_id != client.client_id:
                return None
            if record.used:
                # RFC 6749 §4.1.2: a code used twice is refused, and what was issued from it is revoked.
                state.revoke_family(record.family)
                return None
            if record.expires_at <= state.clock():
                return None
            return record

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        # Kept, marked used: a second use must be recognised (and revoke what the first one issued).
        with _state(self).lock:
            authorization_code.used = True

    def authenticate_user(self, authorization_code: AuthorizationCode) -> SignedIn:
        return authorization_code.signed_in

    def validate_authorization_request(self) -> str:
        redirect_uri: str = super().validate_authorization_request()
        audience = self.request.payload.data.get("audience")
        if audience is not None and audience != self.server.audience:
            # Auth0's answer for an unknown API identifier.
            raise AccessDeniedError(description=f"Service not found: {audience}", redirect_uri=redirect_uri)
        return redirect_uri

    def create_token_response(self) -> Any:
        with user_audience(self.request.authorization_code.audience):
            return super().create_token_response()


class DevRefreshTokenGrant(RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_basic", "client_secret_post", "none"]
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: every use returns a new refresh token

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshToken | None:
        state = _state(self)
        with state.lock:
            record = state.refresh_tokens.get(refresh_token)
            if record is None or record.family in state.revoked_families:
                return None
            if record.spent:
                # Auth0's reuse detection: a spent token is presented again, so someone holds a copy; the
                # whole family is revoked (the legitimate holder signs in again).
                state.revoke_family(record.family)
                return None
            return record

    def authenticate_user(self, refresh_token: RefreshToken) -> SignedIn:
        return refresh_token.signed_in

    def _validate_token_scope(self, token: RefreshToken) -> None:
        """Authlib refuses a `scope` wider than the grant (invalid_scope); Auth0 grants what the grant
        holds instead (oidc-client-ts sends its whole configured scope with every refresh)."""

    def issue_token(self, user: SignedIn, refresh_token: RefreshToken) -> dict[str, Any]:
        held = scope_to_list(refresh_token.scope) or []
        asked = scope_to_list(self.request.payload.scope)
        scope = " ".join(s for s in held if asked is None or s in asked)
        token: dict[str, Any] = self.generate_token(
            user=user, scope=scope, include_refresh_token=self.INCLUDE_NEW_REFRESH_TOKEN
        )
        return token

    def create_token_response(self) -> Any:
        with user_audience(self.request.refresh_token.audience):
            return super().create_token_response()

    def revoke_old_credential(self, refresh_token: RefreshToken) -> None:
        with _state(self).lock:
            refresh_token.spent = True


@contextmanager
def user_audience(audience: str) -> Iterator[None]:
    token = USER_AUDIENCE.set(audience)
    try:
        yield
    finally:
        USER_AUDIENCE.reset(token)


def remember_refresh_token(state: SignInState, token: Mapping[str, Any], request: OAuth2Request) -> None:
    """The server's save_token: record a new refresh token in its family (new for a code, else inherited)."""
    value = token.get("refresh_token")
    if not value:
        return
    previous: RefreshToken | None = getattr(request, "refresh_token", None)
    code: AuthorizationCode | None = getattr(request, "authorization_code", None)
    with state.lock:
        if previous is not None:
            record = RefreshToken(
                previous.client_id, previous.scope, previous.audience, previous.signed_in, previous.family
            )
        else:
            assert code is not None
            family = secrets.token_hex(8)
            record = RefreshToken(code.client_id, code.scope, code.audience, code.signed_in, family)
            code.family = record.family
        state.refresh_tokens[value] = record


class DevOpenIDCode(OpenIDCode):  # type: ignore[misc]
    """ID tokens for the code grant and for refreshes.

    Written here rather than through OpenIDCode's defaults: those read `get_jwt_config` (deprecated in
    Authlib 1.9: a warning), and on a refresh they would stamp `auth_time` with the time of the refresh,
    where OpenID Connect Core §12.2 (and oidc-client-ts) want the original sign-in's.
    """

    def __init__(self, issuer: str, key: RSAKey, state: SignInState) -> None:
        super().__init__(require_nonce=False)
        self.issuer = issuer
        self.key = key
        self.state = state

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        with self.state.lock:
            return (request.payload.client_id, nonce) in self.state.nonces

    def generate_user_info(self, user: SignedIn, scope: str) -> dict[str, Any]:
        info: dict[str, Any] = {"sub": user.user.sub}
        if "profile" in (scope_to_list(scope) or []):
            info.update(name=user.user.name, nickname=user.user.name)
        return info

    def encode_id_token(self, token: Mapping[str, Any], request: OAuth2Request) -> str:
        signed_in: SignedIn = request.user
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": request.client.get_client_id(),
            "iat": now,
            "exp": now + ID_TOKEN_LIFETIME_SECONDS,
            "auth_time": signed_in.auth_time,
        }
        code: AuthorizationCode | None = getattr(request, "authorization_code", None)
        if code is not None and code.nonce:
            claims["nonce"] = code.nonce
        at_hash = create_half_hash(token["access_token"], "RS256")
        claims["at_hash"] = at_hash.decode("ascii")
        claims.update(self.generate_user_info(signed_in, token["scope"]))
        header = {"alg": "RS256", "typ": "JWT", "kid": self.key.kid}
        id_token: str = jwt.encode(header, claims, self.key)
        return id_token


class RefreshIdToken:
    """A grant extension: an ID token in refresh responses too (OpenID Connect Core §12.2), when the grant
    was for `openid`. OpenIDCode hooks into the code grant only."""

    def __init__(self, openid: DevOpenIDCode) -> None:
        self.openid = openid

    def __call__(self, grant: Any) -> None:
        grant.register_hook("after_create_token_response", self.openid.process_token)


# --- pages -----------------------------------------------------------------------------------------------

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="icon" href="data:,">
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}}
label{{display:block;margin:.5rem 0}}.error{{color:#a00}}</style></head>
<body><h1>{title}</h1>{body}</body></html>"""


def page(title: str, body: str) -> str:
    return PAGE.format(title=html.escape(title), body=body)


def login_page(query: str, client_id: str, error: str = "") -> str:
    """The login form: plain HTML, posted back to /authorize with the same query (works without JS)."""
    action = html.escape(AUTHORIZE_PATH + "?" + query, quote=True)
    message = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return page(
        "Sign in",
        f"<p>to <strong>{html.escape(client_id)}</strong> (local development issuer)</p>{message}"
        f'<form method="post" action="{action}">'
        '<label>Username <input name="username" autocomplete="username" required autofocus></label>'
        '<label>Password <input name="password" type="password" autocomplete="current-password" required>'
        '</label><button type="submit">Sign in</button></form>',
    )


def error_page(message: str) -> str:
    return page("Sign-in error", f'<p class="error">{html.escape(message)}</p>')


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def session_key(session_id: str) -> str:
    """Sessions are kept under a hash of the cookie, so the table holds nothing a caller could send."""
    return hashlib.sha256(session_id.encode()).hexdigest()


# The API a user's access token is for (the code's or refresh token's `audience`), set by the grants
# around the token response and read by the token generator.
USER_AUDIENCE: ContextVar[str | None] = ContextVar("user_audience", default=None)
