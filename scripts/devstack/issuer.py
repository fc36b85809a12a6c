"""A local OAuth 2.0 / OpenID Connect issuer: clients or users in, Auth0-shaped RS256 tokens out.

Built on Authlib rather than hand-rolled OAuth: its `AuthorizationServer` and `ClientCredentialsGrant`
(RFC 6749 §4.4) do client authentication (HTTP Basic and client_secret_post), grant dispatch and the
§5.2 error responses; its RFC 9068 `JWTBearerTokenGenerator` (joserfc underneath) signs the tokens.

Endpoints, all on http://127.0.0.1:PORT:
  GET  /.well-known/openid-configuration   discovery (issuer, jwks_uri, token_endpoint, ...)
  GET  /.well-known/jwks.json              the public signing key
  POST /oauth/token                        grant_type=client_credentials [&audience=...] [&scope=...]
                                           as a form (RFC 6749) or, as Auth0 documents it, a JSON object;
                                           with a valid `DPoP` proof header (RFC 9449 §5), the token is
                                           bound to the proof's key (`cnf.jkt`, `token_type: DPoP`), as
                                           Auth0 binds it; a bad proof is 400 invalid_dpop_proof;
                                           also grant_type=authorization_code|refresh_token (devstack.signin)
  GET  /authorize                          Authorization Code + PKCE (S256): the login page, then a code
  GET  /oidc/logout                        RP-initiated logout

The signing key is generated once and kept in .local/issuer-key.json (gitignored), so that tokens it
issued stay verifiable from one run to the next (events/*.json are signed by a key of their own, see
make_events.py). Run it alone with `python -m devstack.issuer`.
"""

from __future__ import annotations

import argparse
import contextlib
import hmac
import json
import os
import secrets
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import jwt as pyjwt
from authlib.integrations.flask_oauth2 import AuthorizationServer  # type: ignore[import-untyped]
from authlib.oauth2.base import OAuth2Error  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749 import ClientMixin, OAuth2Request  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749.errors import (  # type: ignore[import-untyped]
    InvalidRequestError,
    InvalidScopeError,
)
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749.util import scope_to_list  # type: ignore[import-untyped]
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator  # type: ignore[import-untyped]
from flask import Flask, Response, jsonify, request
from joserfc import jwk, jwt
from joserfc.jwk import RSAKey
from werkzeug.datastructures import Headers

from devstack.ports import LOOPBACK, free_port
from devstack.servers import RunningServer, start_wsgi
from devstack.signin import (
    AUTHORIZE_PATH,
    LOGOUT_PATH,
    SESSION_COOKIE,
    AppClient,
    DevAuthorizationCodeGrant,
    DevOpenIDCode,
    DevRefreshTokenGrant,
    DevUser,
    RefreshIdToken,
    S256CodeChallenge,
    SignedIn,
    SignInState,
    app_clients,
    dev_users,
    error_page,
    login_page,
    new_session_id,
    page,
    parse_user_passwords,
    remember_refresh_token,
    session_key,
)
from devstack.signin import USER_AUDIENCE as _USER_AUDIENCE
from devstack.template import ROOT

KEY_PATH = ROOT / ".local" / "issuer-key.json"
ALL_SCOPES: tuple[str, ...] = ("read:items", "write:items", "delete:items")
# The example API identifier of samconfig.toml; the stack passes it to the authorizer as AUDIENCE.
DEFAULT_AUDIENCE = "https://items.example.com"
TOKEN_LIFETIME_SECONDS = 3600
GRANT_TYPE = "client_credentials"
AUTH_METHODS = ("client_secret_basic", "client_secret_post")
TOKEN_PATH = "/oauth/token"  # noqa: S105 - a URL path, not a secret
JWKS_PATH = "/.well-known/jwks.json"
DISCOVERY_PATH = "/.well-known/openid-configuration"


# --- the signing key ------------------------------------------------------------------------------------


def load_signing_key(path: Path = KEY_PATH) -> RSAKey:
    """The issuer's RSA key: created on first use (2048 bits, kid = RFC 7638 thumbprint), kept at `path`."""
    if not path.exists():
        key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"}, private=True)
        data = {**key.as_dict(private=True), "kid": key.thumbprint()}
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".issuer-key-")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out)
        # link() refuses to overwrite: if another process created the key meanwhile, its key wins.
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
        os.unlink(tmp)
    return RSAKey.import_key(json.loads(path.read_text(encoding="utf-8")))


def public_jwks(key: RSAKey) -> dict[str, list[dict[str, Any]]]:
    """The JWKS document (public parts only) for `key`."""
    return {"keys": [dict(key.as_dict(private=False))]}


# --- clients ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DevClient(ClientMixin):  # type: ignore[misc]  # Authlib ships no type hints
    """A confidential development client allowed the client_credentials grant for some scopes."""

    client_id: str
    client_secret: str = field(repr=False)
    scopes: tuple[str, ...]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        """The scopes to grant: all of the client's when none were asked for (as Auth0 does)."""
        requested = scope_to_list(scope)
        if not requested:
            return " ".join(self.scopes)
        return " ".join(s for s in requested if s in self.scopes)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(client_secret.encode(), self.client_secret.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == GRANT_TYPE


# Development clients: one with every scope, one read-only, one with none.
CLIENT_SCOPES: dict[str, tuple[str, ...]] = {
    "dev-admin": ALL_SCOPES,
    "dev-reader": ("read:items",),
    "dev-noscope": (),
}


# Clients that sign users in (devstack.signin.app_clients); only dev-webapp has a secret.
APP_CLIENT_IDS = ("dev-spa", "dev-native", "dev-webapp")


def dev_clients(client_secrets: Mapping[str, str] | None = None) -> dict[str, DevClient]:
    """The client_credentials clients, with the given secrets or fresh random ones (dev-webapp's secret,
    which --client-secret may also fix, is taken by devstack.signin.app_clients)."""
    given = {k: v for k, v in (client_secrets or {}).items() if k != "dev-webapp"}
    unknown = set(given) - set(CLIENT_SCOPES)
    if unknown:
        known = ", ".join(CLIENT_SCOPES)
        raise ValueError(f"unknown development client(s): {', '.join(sorted(unknown))} (known: {known})")
    return {
        client_id: DevClient(client_id, given.get(client_id) or secrets.token_urlsafe(24), scopes)
        for client_id, scopes in CLIENT_SCOPES.items()
    }


# --- tokens ----------------------------------------------------------------------------------------------


class AccessTokenGenerator(JWTBearerTokenGenerator):  # type: ignore[misc]  # Authlib ships no type hints
    """RFC 9068 JWT access tokens shaped like Auth0's client-credentials tokens."""

    def __init__(self, issuer: str, audience: str, key: RSAKey, lifetime: int = TOKEN_LIFETIME_SECONDS):
        super().__init__(
            issuer=issuer,
            alg="RS256",
            expires_generator=lambda _client, _grant: lifetime,
            refresh_token_generator=lambda **_kwargs: secrets.token_urlsafe(32),
        )
        self.audience = audience
        self.key = key
        self.lifetime = lifetime

    def get_jwks(self) -> RSAKey:
        return self.key

    def claims(self, client: DevClient, scope: str, issued_at: int | None = None) -> dict[str, Any]:
        """The claims of a token for `client` granted `scope` (space-separated), issued at `issued_at`."""
        now = int(time.time()) if issued_at is None else issued_at
        granted = scope_to_list(scope) or []
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": f"{client.client_id}@clients",
            "aud": self.audience,
            "iat": now,
            "exp": now + self.lifetime,
            "jti": self.get_jti(client, GRANT_TYPE, None, scope),
            "azp": client.client_id,
            "client_id": client.client_id,  # RFC 9068 requires it; Auth0 carries the same value in azp
            "gty": "client-credentials",
            "permissions": granted,
        }
        if granted:
            claims["scope"] = " ".join(granted)
        return claims

    def sign(self, claims: Mapping[str, Any]) -> str:
        header = {"alg": self.alg, "typ": "at+jwt", "kid": self.key.kid}
        token: str = jwt.encode(header, dict(claims), self.key)
        return token

    def user_claims(self, client: ClientMixin, user: SignedIn, scope: str, audience: str) -> dict[str, Any]:
        """A user's access token, as Auth0 shapes it: `sub` the user, `permissions` all the user holds for
        the API (RBAC "Add Permissions in the Access Token"), `scope` what was asked for and granted."""
        now = int(time.time())
        return {
            "iss": self.issuer,
            "sub": user.user.sub,
            "aud": audience,
            "iat": now,
            "exp": now + self.lifetime,
            "jti": self.get_jti(client, "authorization_code", user, scope),
            "azp": client.get_client_id(),
            "client_id": client.get_client_id(),
            "scope": scope,
            "permissions": list(user.user.permissions),
        }

    def access_token_generator(self, client: DevClient, grant_type: str, user: object, scope: str) -> str:
        if isinstance(user, SignedIn):
            claims = self.user_claims(client, user, scope, _USER_AUDIENCE.get() or self.audience)
        else:
            claims = self.claims(client, scope)
        jkt = _BOUND_KEY.get()
        if jkt is not None:
            claims["cnf"] = {"jkt": jkt}  # RFC 9449 §6.1
        return self.sign(claims)

    def generate(  # noqa: PLR0917 - BearerTokenGenerator.generate's signature (Authlib calls it positionally)
        self,
        grant_type: str,
        client: ClientMixin,
        user: object = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        # Auth0 returns a refresh token only when `offline_access` was granted.
        offline = "offline_access" in (scope_to_list(scope) or [])
        token: dict[str, Any] = super().generate(
            grant_type, client, user, scope, expires_in, include_refresh_token and offline
        )
        if _BOUND_KEY.get() is not None:
            token["token_type"] = "DPoP"  # noqa: S105 - RFC 9449 §5: a DPoP-scheme token, not a secret
        return token


# --- DPoP at the token endpoint (RFC 9449 §5) -------------------------------------------------------------
# Authlib has no DPoP support (its issue is open since 2021): the proof is checked with PyJWT, and the
# key's RFC 7638 thumbprint comes from joserfc (Authlib's own JOSE library). Written apart from the
# authorizer's checks on purpose: this plays Auth0, whose binding the authorizer must accept.

DPOP_ALGORITHMS = ("ES256", "RS256", "PS256", "EdDSA")
DPOP_IAT_WINDOW_SECONDS = 60
DPOP_PROOF_TYPE = "dpop+jwt"
# Members of a private or symmetric JWK (RFC 7517/7518): a proof's jwk must be a public key.
_PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_PROOF_CLAIMS = ("jti", "htm", "htu", "iat")
# The thumbprint of the key the current token request proved (None: a bearer token). Set by the token
# view around Authlib's token response, read by the token generator.
_BOUND_KEY: ContextVar[str | None] = ContextVar("dpop_jkt", default=None)


class InvalidDpopProofError(OAuth2Error):  # type: ignore[misc]  # Authlib ships no type hints
    """RFC 9449 §5: the token request's DPoP proof is missing a part, malformed, or does not fit it."""

    error = "invalid_dpop_proof"


class DpopProofs:
    """Checks token-request proofs: typ, an asymmetric alg, a public jwk and its signature, htm, htu,
    iat within the window and a jti not seen within it. Gives the key's RFC 7638 thumbprint."""

    def __init__(self, window: int = DPOP_IAT_WINDOW_SECONDS, clock: Callable[[], float] = time.time) -> None:
        self.window = window
        self._clock = clock
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def verify(self, proofs: Sequence[str], method: str, url: str) -> str:
        """The thumbprint of the key of the one proof in `proofs`, else InvalidDpopProofError."""
        if len(proofs) != 1:
            raise InvalidDpopProofError(description="Exactly one DPoP header is required.")
        proof = proofs[0]
        try:
            header = pyjwt.get_unverified_header(proof)
        except pyjwt.InvalidTokenError:
            raise InvalidDpopProofError(description="The DPoP proof is not a JWS.") from None
        public_jwk = header.get("jwk")
        alg = header.get("alg")
        if header.get("typ") != DPOP_PROOF_TYPE:
            raise InvalidDpopProofError(description="The DPoP proof's typ must be dpop+jwt.")
        if alg not in DPOP_ALGORITHMS:
            raise InvalidDpopProofError(description="The DPoP proof's alg is not supported.")
        if not isinstance(public_jwk, dict) or _PRIVATE_JWK_MEMBERS & set(public_jwk):
            raise InvalidDpopProofError(description="The DPoP proof's jwk must be a public key.")
        try:
            key = pyjwt.PyJWK(public_jwk, algorithm=alg)
            claims = pyjwt.decode(
                proof,
                key,
                algorithms=[alg],
                # iat is checked below, within the window both ways.
                options={"require": list(_PROOF_CLAIMS), "verify_iat": False},
            )
        except (pyjwt.InvalidTokenError, pyjwt.PyJWKError, ValueError, TypeError):
            raise InvalidDpopProofError(
                description="The DPoP proof's signature or claims are invalid."
            ) from None
        self._check_claims(claims, method, url)
        thumbprint: str = jwk.import_key(public_jwk).thumbprint()
        return thumbprint

    def _check_claims(self, claims: Mapping[str, Any], method: str, url: str) -> None:
        now = self._clock()
        iat, jti = claims["iat"], claims["jti"]
        if claims["htm"] != method or claims["htu"] != url:
            raise InvalidDpopProofError(description="The DPoP proof is for another method or URL.")
        if not isinstance(iat, int | float) or not abs(now - iat) <= self.window:
            raise InvalidDpopProofError(description="The DPoP proof's iat is outside the accepted window.")
        if not isinstance(jti, str) or not jti:
            raise InvalidDpopProofError(description="The DPoP proof has no jti.")
        with self._lock:
            self._seen = {seen: until for seen, until in self._seen.items() if until > now}
            if jti in self._seen:
                raise InvalidDpopProofError(description="The DPoP proof's jti was already used.")
            self._seen[jti] = now + self.window


# --- the token endpoint ----------------------------------------------------------------------------------


class InvalidTargetError(OAuth2Error):  # type: ignore[misc]  # Authlib ships no type hints
    """The requested audience is not an API this issuer serves (RFC 8707 §2)."""

    error = "invalid_target"
    description = "The requested audience is unknown."


class DevClientCredentialsGrant(ClientCredentialsGrant):  # type: ignore[misc]  # Authlib ships no type hints
    """RFC 6749 §4.4 with Auth0's `audience` parameter and per-client allowed scopes."""

    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = list(AUTH_METHODS)

    def validate_token_request(self) -> None:
        super().validate_token_request()
        audience = self.request.payload.data.get("audience")
        if audience is not None and audience != self.server.audience:
            raise InvalidTargetError()

    def validate_requested_scope(self) -> None:
        """A scope the client may not have is `invalid_scope` (RFC 6749 §5.2), not silently dropped."""
        requested = set(scope_to_list(self.request.payload.scope) or [])
        if not requested <= set(self.request.client.scopes):
            raise InvalidScopeError()


class JsonTokenRequest(OAuth2Request):  # type: ignore[misc]  # Authlib ships no type hints
    """A token request whose parameters came as a JSON object, as Auth0 documents its token endpoint.

    Authlib reads token requests from the form only (RFC 6749 §4.4.2); this hands the same parameters to
    the same grant and client authentication (client_secret_post from the body, or HTTP Basic).
    """

    def __init__(self, method: str, uri: str, headers: Headers, params: Mapping[str, str]):
        super().__init__(method=method, uri=uri, headers=headers)
        self.payload = BasicOAuth2Payload(dict(params))

    @property
    def form(self) -> Mapping[str, str]:
        data: Mapping[str, str] = self.payload.data
        return data

    @property
    def args(self) -> Mapping[str, str]:
        return {}


def json_token_params(body: bytes) -> dict[str, str]:
    """The parameters of a JSON token request: an object of strings, else InvalidRequestError."""
    try:
        params = json.loads(body)
    except ValueError:
        raise InvalidRequestError(description="The request body is not valid JSON.") from None
    if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
        raise InvalidRequestError(description="The request body must be a JSON object of strings.")
    return params


class DevAuthorizationServer(AuthorizationServer):  # type: ignore[misc]  # Authlib ships no type hints
    audience: str

    def create_oauth2_request(self, flask_request: object) -> OAuth2Request:
        if isinstance(flask_request, OAuth2Request):
            return flask_request
        return super().create_oauth2_request(flask_request)


@dataclass(frozen=True)
class IssuerConfig:
    issuer: str
    audience: str
    clients: Mapping[str, DevClient]
    key: RSAKey
    # Users and the apps that sign them in (devstack.signin); none: client_credentials only.
    users: Mapping[str, DevUser] = field(default_factory=dict)
    apps: Mapping[str, AppClient] = field(default_factory=dict)
    # Origins whose pages may call the token endpoint from JavaScript (Auth0: Allowed Web Origins).
    web_origins: tuple[str, ...] = ()

    def query_client(self, client_id: str) -> DevClient | AppClient | None:
        return self.clients.get(client_id) or self.apps.get(client_id)

    @property
    def base_url(self) -> str:
        return self.issuer.rstrip("/")

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.base_url + AUTHORIZE_PATH,
            "token_endpoint": self.base_url + TOKEN_PATH,
            "end_session_endpoint": self.base_url + LOGOUT_PATH,
            "jwks_uri": self.base_url + JWKS_PATH,
            "grant_types_supported": [GRANT_TYPE, "authorization_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": [*AUTH_METHODS, "none"],
            "scopes_supported": ["openid", "profile", "offline_access", *ALL_SCOPES],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "name"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "code_challenge_methods_supported": ["S256"],
            "prompt_values_supported": ["none", "login"],
            "subject_types_supported": ["public"],
            "dpop_signing_alg_values_supported": list(DPOP_ALGORITHMS),  # RFC 9449 §5.1
        }

    def generator(self) -> AccessTokenGenerator:
        return AccessTokenGenerator(self.issuer, self.audience, self.key)


def create_app(config: IssuerConfig, state: SignInState | None = None) -> Flask:
    """The issuer's Flask app; `state` holds sessions, codes and refresh tokens (a new one by default)."""
    app = Flask("devstack.issuer")
    state = state or SignInState()
    server = DevAuthorizationServer(
        app,
        query_client=config.query_client,
        # Access tokens are stateless JWTs; refresh tokens are remembered for rotation and reuse detection.
        save_token=lambda token, oauth_request: remember_refresh_token(state, token, oauth_request),
    )
    server.audience = config.audience
    server.signin_state = state
    server.register_grant(DevClientCredentialsGrant)
    openid = DevOpenIDCode(config.issuer, config.key, state)
    server.register_grant(DevAuthorizationCodeGrant, [S256CodeChallenge(required=True), openid])
    server.register_grant(DevRefreshTokenGrant, [RefreshIdToken(openid)])
    server.register_token_generator("default", config.generator())
    dpop_proofs = DpopProofs()
    token_endpoint = config.base_url + TOKEN_PATH

    @app.get(DISCOVERY_PATH)
    @app.get("/.well-known/oauth-authorization-server")
    def discovery() -> Response:
        return jsonify(config.discovery())

    @app.get(JWKS_PATH)
    def jwks() -> Response:
        return jsonify(public_jwks(config.key))

    @app.post(TOKEN_PATH)
    def token() -> Response:
        oauth_request = None
        if request.mimetype == "application/json":
            try:
                params = json_token_params(request.get_data())
            except InvalidRequestError as error:
                error_response: Response = server.handle_error_response(None, error)
                return error_response
            oauth_request = JsonTokenRequest(request.method, request.url, request.headers, params)
        jkt = None
        if "DPoP" in request.headers:
            try:
                jkt = dpop_proofs.verify(request.headers.getlist("DPoP"), request.method, token_endpoint)
            except InvalidDpopProofError as error:
                dpop_error: Response = server.handle_error_response(None, error)
                return dpop_error
        bound = _BOUND_KEY.set(jkt)
        try:
            response: Response = server.create_token_response(oauth_request)
        finally:
            _BOUND_KEY.reset(bound)
        return allow_web_origin(response)

    def allow_web_origin(response: Response) -> Response:
        """CORS for the token endpoint: a single-page app's origin must be allowed (Auth0: Web Origins)."""
        origin = request.headers.get("Origin")
        if origin and origin in config.web_origins:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
        return response

    @app.after_request
    def public_documents_cors(response: Response) -> Response:
        if request.path in (DISCOVERY_PATH, JWKS_PATH):
            response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    @app.route(TOKEN_PATH, methods=["OPTIONS"])
    def token_preflight() -> Response:
        response = allow_web_origin(Response(status=204))
        response.headers["Access-Control-Allow-Methods"] = "POST"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type, DPoP"
        return response

    register_signin(app, server, config, state)
    return app


def register_signin(
    app: Flask, server: DevAuthorizationServer, config: IssuerConfig, state: SignInState
) -> None:
    """/authorize (the login page, then a code) and /oidc/logout; the grants are registered in create_app."""

    def signed_in() -> SignedIn | None:
        session_id = request.cookies.get(SESSION_COOKIE)
        if not session_id:
            return None
        with state.lock:
            return state.sessions.get(session_key(session_id))

    @app.route(AUTHORIZE_PATH, methods=["GET", "POST"])
    def authorize() -> Response:
        session = signed_in() if request.method == "GET" else None
        try:
            grant = server.get_consent_grant(end_user=session)
        except OAuth2Error as error:
            if error.redirect_uri:  # the client and its redirect URI are known: tell the client
                redirected: Response = server.handle_error_response(None, error)
                return redirected
            # RFC 6749 §4.1.2.1: never redirect to an unverified URI; the user is told instead.
            return html_response(error_page(error.description or error.error), 400)
        query = request.query_string.decode("ascii", "replace")
        if request.method == "POST":
            user = config.users.get(request.form.get("username", ""))
            if user is None or not user.check_password(request.form.get("password", "")):
                return html_response(
                    login_page(query, grant.request.client.client_id, "Wrong username or password."), 401
                )
            session = SignedIn(user, int(time.time()))
            session_id = new_session_id()
            with state.lock:
                state.sessions[session_key(session_id)] = session
            response: Response = server.create_authorization_response(grant_user=session, grant=grant)
            response.set_cookie(SESSION_COOKIE, session_id, httponly=True, samesite="Lax", path="/")
            return response
        if session is None or getattr(grant, "prompt", None) == "login":
            return html_response(login_page(query, grant.request.client.client_id), 200)
        # Consent-free first-party flow: a signed-in user gets a code at once (Auth0 skips consent too).
        granted: Response = server.create_authorization_response(grant_user=session, grant=grant)
        return granted

    @app.get(LOGOUT_PATH)
    def logout() -> Response:
        """OpenID Connect RP-Initiated Logout 1.0: end the session, back to a registered URI (or a page)."""
        args = request.args
        client_id = args.get("client_id") or _id_token_audience(args.get("id_token_hint"), config)
        target = args.get("post_logout_redirect_uri")
        app_client = config.apps.get(client_id or "")
        if target and (app_client is None or not app_client.check_post_logout_redirect_uri(target)):
            unregistered = "post_logout_redirect_uri is not registered for the client."
            return html_response(error_page(unregistered), 400)
        session_id = request.cookies.get(SESSION_COOKIE)
        if session_id:
            with state.lock:
                state.sessions.pop(session_key(session_id), None)
        if target:
            params = {"state": args["state"]} if args.get("state") else {}
            response = Response(status=302, headers={"Location": add_query(target, params)})
        else:
            response = html_response(page("Signed out", "<p>You are signed out.</p>"), 200)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response


def html_response(body: str, status: int) -> Response:
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"  # the login page is never framed (clickjacking)
    return response


def add_query(url: str, params: Mapping[str, str]) -> str:
    if not params:
        return url
    return url + ("&" if "?" in url else "?") + urllib.parse.urlencode(params)


def _id_token_audience(id_token_hint: str | None, config: IssuerConfig) -> str | None:
    """The client an ID token we issued was for (signature checked; expiry ignored, as the spec allows)."""
    if not id_token_hint:
        return None
    try:
        claims = pyjwt.decode(
            id_token_hint,
            pyjwt.PyJWK(dict(config.key.as_dict(private=False))).key,
            algorithms=["RS256"],
            issuer=config.issuer,
            options={"verify_aud": False, "verify_exp": False},
        )
    except pyjwt.InvalidTokenError:
        return None
    audience = claims.get("aud")
    return audience if isinstance(audience, str) else None


@dataclass(frozen=True)
class RunningIssuer:
    config: IssuerConfig
    server: RunningServer

    @property
    def token_endpoint(self) -> str:
        return self.config.base_url + TOKEN_PATH

    @property
    def jwks_uri(self) -> str:
        return self.config.base_url + JWKS_PATH

    def stop(self) -> None:
        self.server.stop()


@dataclass(frozen=True)
class SignInSettings:
    """Who signs in and where the apps live: users' passwords (random unless given), the SPA's URL (dev-spa's
    redirect and post-logout URI) and the web app's base URL (dev-webapp's redirect URI is its /callback)."""

    passwords: Mapping[str, str] = field(default_factory=dict)
    spa_url: str | None = None
    webapp_url: str | None = None


def build_config(
    issuer: str,
    audience: str,
    client_secrets: Mapping[str, str],
    key: RSAKey,
    signin: SignInSettings | None = None,
) -> IssuerConfig:
    """The issuer's configuration; passwords and secrets not given are drawn at random."""
    signin = signin or SignInSettings()
    spa_origin = origin_of(signin.spa_url) if signin.spa_url else None
    return IssuerConfig(
        issuer=issuer,
        audience=audience,
        clients=dev_clients(client_secrets),
        key=key,
        users=dev_users(signin.passwords),
        apps=app_clients(signin.spa_url, signin.webapp_url, client_secrets.get("dev-webapp")),
        web_origins=(spa_origin,) if spa_origin else (),
    )


def origin_of(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def start_issuer(
    port: int | None = None,
    audience: str = DEFAULT_AUDIENCE,
    client_secrets: Mapping[str, str] | None = None,
    key_path: Path = KEY_PATH,
    signin: SignInSettings | None = None,
) -> RunningIssuer:
    """Start the issuer on 127.0.0.1:port (a free one by default) in a background thread."""
    port = port or free_port()
    config = build_config(
        f"http://{LOOPBACK}:{port}/",  # Auth0-style: the issuer identifier ends with a slash
        audience,
        client_secrets or {},
        load_signing_key(key_path),
        signin,
    )
    return RunningIssuer(config=config, server=start_wsgi(create_app(config), port, "issuer"))


def parse_client_secrets(pairs: Iterable[str]) -> dict[str, str]:
    """`CLIENT_ID=SECRET` pairs (from --client-secret) as a dict."""
    result: dict[str, str] = {}
    for pair in pairs:
        client_id, sep, secret = pair.partition("=")
        if not sep or not secret:
            raise ValueError(f"--client-secret expects CLIENT_ID=SECRET, got {client_id!r}=...")
        result[client_id] = secret
    return result


def describe_clients(clients: Mapping[str, DevClient]) -> str:
    """One line per client, for the user (the secrets are development secrets of this run)."""
    return "\n".join(
        f"  {c.client_id:<12} secret {c.client_secret}  scopes: {' '.join(c.scopes) or '(none)'}"
        for c in clients.values()
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.issuer", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=None, help="127.0.0.1 port (default: free)")
    parser.add_argument("--audience", default=DEFAULT_AUDIENCE)
    parser.add_argument("--client-secret", action="append", default=[], metavar="CLIENT_ID=SECRET")
    parser.add_argument("--user", action="append", default=[], metavar="NAME=PASSWORD")
    parser.add_argument("--spa-url", help="dev-spa's redirect and post-logout URI")
    parser.add_argument("--webapp-url", help="dev-webapp's base URL (its redirect URI is URL/callback)")
    args = parser.parse_args(argv)
    try:
        client_secrets = parse_client_secrets(args.client_secret)
        dev_clients(client_secrets)
        passwords = parse_user_passwords(args.user)
        dev_users(passwords)
    except ValueError as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")  # one line, not the usage block
    signin = SignInSettings(passwords, args.spa_url, args.webapp_url)
    issuer = start_issuer(args.port, args.audience, client_secrets, signin=signin)
    print(f"Issuer {issuer.config.issuer}  token endpoint {issuer.token_endpoint}\n")
    print(describe_clients(issuer.config.clients))
    for user in issuer.config.users.values():
        print(f"  {user.name:<12} password {user.password}  permissions: {' '.join(user.permissions)}")
    print(flush=True)
    try:
        issuer.server.thread.join()
    except KeyboardInterrupt:
        issuer.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
