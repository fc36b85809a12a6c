"""Access-token verification: Bearer extraction, then PyJWT does every JWS/JWT check → typed Claims."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import jwt

from oauth_authorizer.errors import Reason, TokenRejected
from oauth_authorizer.settings import Settings

# Far above any real access token (Auth0's with many permissions stay under 8 KiB), far below harm.
MAX_TOKEN_LENGTH = 16 * 1024
# Header parameters that would let the token choose its own key or demand unknown processing
# (RFC 8725 §2.6 and §3.10): never fetched, never trusted, so refused outright.
FORBIDDEN_HEADERS = frozenset({"jwk", "jku", "x5u", "x5c", "crit"})
REQUIRED_CLAIMS = ["exp", "iss", "aud", "sub"]


@dataclass(frozen=True, slots=True)
class Claims:
    """The verified facts of an access token that the authorizer uses."""

    subject: str
    expires_at: int
    scopes: frozenset[str]
    client_id: str
    grant_type: str


class KeyResolver(Protocol):
    def key_for(self, kid: str | None, alg: str) -> jwt.PyJWK: ...


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` value (scheme in any letter case, RFC 6750)."""
    if authorization is None or not authorization.strip():
        raise TokenRejected("no Authorization header", Reason.MISSING_TOKEN)
    if len(authorization) > MAX_TOKEN_LENGTH + 64:
        raise TokenRejected("Authorization header too long", Reason.MALFORMED)
    scheme, *credentials = authorization.split()
    if scheme.lower() != "bearer":
        raise TokenRejected("Authorization scheme is not Bearer", Reason.MISSING_TOKEN)
    if len(credentials) != 1:
        raise TokenRejected("Bearer credentials are not one token", Reason.MALFORMED)
    return credentials[0]


class TokenVerifier:
    """Verifies access tokens against the issuer's key set and the configured claims."""

    def __init__(self, settings: Settings, keys: KeyResolver) -> None:
        self._keys = keys
        self._algorithms = frozenset(settings.algorithms)
        self._issuer = settings.issuer
        self._audiences = list(settings.audiences)
        self._leeway = settings.leeway_seconds

    def verify(self, token: str) -> Claims:
        if len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
            raise TokenRejected("not a compact JWS", Reason.MALFORMED)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError as exc:
            raise TokenRejected(f"unreadable header: {exc}", Reason.MALFORMED) from exc
        except jwt.PyJWTError as exc:  # PyJWT's header checks: `crit` it does not support, a non-string kid
            raise TokenRejected(f"header refused: {exc}", Reason.FORBIDDEN_HEADER) from exc
        alg = header.get("alg")
        # The token's alg only selects among ALLOWED_ALGORITHMS; `none` and HS* are never among them.
        if not isinstance(alg, str) or alg not in self._algorithms:
            raise TokenRejected("alg not allowed", Reason.BAD_ALGORITHM)
        forbidden = sorted(FORBIDDEN_HEADERS.intersection(header))
        if forbidden:
            raise TokenRejected(f"forbidden header parameters {forbidden}", Reason.FORBIDDEN_HEADER)
        key = self._keys.key_for(header.get("kid"), alg)
        try:
            payload = jwt.decode(
                token,
                key=key,
                algorithms=[alg],
                audience=self._audiences,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": REQUIRED_CLAIMS, "enforce_minimum_key_length": True},
            )
        except jwt.PyJWTError as exc:
            raise TokenRejected(str(exc), _reason(exc)) from exc
        return claims_from_payload(payload)


# Most specific first: InvalidSignatureError is a DecodeError, every claim error an InvalidTokenError.
_REASONS: tuple[tuple[type[jwt.PyJWTError], Reason], ...] = (
    (jwt.ExpiredSignatureError, Reason.EXPIRED),
    (jwt.ImmatureSignatureError, Reason.NOT_YET_VALID),
    (jwt.InvalidAudienceError, Reason.WRONG_AUDIENCE),
    (jwt.InvalidIssuerError, Reason.WRONG_ISSUER),
    (jwt.InvalidSignatureError, Reason.BAD_SIGNATURE),
    (jwt.InvalidAlgorithmError, Reason.BAD_ALGORITHM),
    (jwt.InvalidKeyError, Reason.UNKNOWN_KEY),
    (jwt.DecodeError, Reason.MALFORMED),
)
_MISSING = {"aud": Reason.WRONG_AUDIENCE, "iss": Reason.WRONG_ISSUER}


def _reason(exc: jwt.PyJWTError) -> Reason:
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return _MISSING.get(exc.claim, Reason.INVALID_CLAIMS)
    return next((reason for kind, reason in _REASONS if isinstance(exc, kind)), Reason.INVALID_CLAIMS)


def claims_from_payload(payload: dict[str, Any]) -> Claims:
    """Typed claims from a verified payload; a claim of the wrong JSON type rejects the token."""
    subject = payload["sub"]
    if not isinstance(subject, str) or not subject:
        raise TokenRejected("sub is not a non-empty string", Reason.INVALID_CLAIMS)
    for name in ("exp", "nbf", "iat"):
        value = payload.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise TokenRejected(f"{name} is not a NumericDate", Reason.INVALID_CLAIMS)
    return Claims(
        subject=subject,
        expires_at=int(payload["exp"]),
        scopes=granted_scopes(payload),
        client_id=_optional_string(payload, "azp") or _optional_string(payload, "client_id"),
        grant_type=_optional_string(payload, "gty"),
    )


def granted_scopes(payload: dict[str, Any]) -> frozenset[str]:
    """The union of `scope` (space-delimited), `permissions` (Auth0 RBAC) and `scp` (string or array)."""
    scopes: set[str] = set()
    scope = payload.get("scope")
    if scope is not None:
        if not isinstance(scope, str):
            raise TokenRejected("scope is not a string", Reason.INVALID_CLAIMS)
        scopes.update(scope.split())
    permissions = payload.get("permissions")
    if permissions is not None:
        scopes.update(_scope_list(permissions, "permissions"))
    scp = payload.get("scp")
    if isinstance(scp, str):
        scopes.update(scp.split())
    elif scp is not None:
        scopes.update(_scope_list(scp, "scp"))
    return frozenset(scopes)


def _scope_list(value: object, name: str) -> Iterable[str]:
    if not isinstance(value, list) or not all(
        isinstance(item, str) and item and not any(ch.isspace() for ch in item) for item in value
    ):
        raise TokenRejected(f"{name} is not an array of scope strings", Reason.INVALID_CLAIMS)
    return value


def _optional_string(payload: dict[str, Any], name: str) -> str:
    value = payload.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TokenRejected(f"{name} is not a string", Reason.INVALID_CLAIMS)
    return value
