"""Access-token verification: Bearer extraction, then PyJWT does every JWS/JWT check → typed Claims."""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, NamedTuple, Protocol

import jwt
from jwt.api_jws import PyJWS
from jwt.api_jwt import PyJWT

from oauth_authorizer.errors import Reason, TokenRejected
from oauth_authorizer.settings import Settings
from oauth_authorizer.token_cache import VerifiedTokens, token_digest

# Far above any real access token (Auth0's with many permissions stay under 8 KiB), far below harm.
MAX_TOKEN_LENGTH = 16 * 1024
# Header parameters that would let the token choose its own key or demand unknown processing
# (RFC 8725 §2.6 and §3.10): never fetched, never trusted, so refused outright.
FORBIDDEN_HEADERS = frozenset({"jwk", "jku", "x5u", "x5c", "crit"})
REQUIRED_CLAIMS = ["exp", "iss", "aud", "sub"]


class Claims(NamedTuple):
    """The verified facts of an access token that the authorizer uses (immutable, hashable)."""

    subject: str
    expires_at: int
    scopes: frozenset[str]
    client_id: str
    grant_type: str


class KeyResolver(Protocol):
    def key_for(self, kid: str | None, alg: str) -> jwt.PyJWK: ...

    @property
    def generation(self) -> int:
        """Changes whenever the key set does (tokens verified under another generation are void)."""
        ...


_BASE64URL = re.compile(rb"[A-Za-z0-9_-]*")
_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
# The last character of a segment of length ≡ 2 (or 3) mod 4 carries 4 (or 2) unused low bits.
_CANONICAL_LAST = {2: frozenset(b"AQgw"), 3: frozenset(b"AEIMQUYcgkosw048")}
# Three base64url segments (some issuers pad with `=`); decode checks the details.
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]*={0,2}\.[A-Za-z0-9_-]*={0,2}")


class _StrictJWS(PyJWS):
    """PyJWT's JWS with one step made fast: the strict base64url decoding of each segment.

    PyJWT 2.14+ checks every byte of a segment against the base64url alphabet in a Python generator
    and then re-encodes the result to compare; for an access token that costs about as much as the
    RSA verification itself. This is the same check, rule for rule (at most two `=` and only on a
    4-aligned segment, no length ≡ 1 mod 4, only the alphabet, canonical encoding), done with one
    regex and a look at the last character. Everything else, parsing, signature, claims, stays
    PyJWT's. PyJWT is pinned, and tests/authorizer/test_auth_strict_jws.py compares this with PyJWT's own
    on every edge case, and checks that the override is the method PyJWT calls.
    """

    @staticmethod
    def _decode_base64url_segment(segment: bytes, name: str) -> bytes:
        stripped = segment.rstrip(b"=")
        padding = len(segment) - len(stripped)
        rest = len(stripped) % 4
        if (
            padding > 2
            or (padding and len(segment) % 4)
            or rest == 1
            or _BASE64URL.fullmatch(stripped) is None
            # Canonical (RFC 4648 §3.5): the bits of the last character past the data are zero.
            or (rest and stripped[-1] not in _CANONICAL_LAST[rest])
        ):
            raise jwt.DecodeError(f"Invalid {name} padding")
        return binascii.a2b_base64(stripped.translate(_TO_STANDARD) + b"=" * (-rest % 4))


class _StrictJWT(PyJWT):
    """PyJWT's JWT API over _StrictJWS, with our decode options set once (not merged on every call):
    the registered claims every access token must carry, and PyJWT's minimum key sizes enforced."""

    def __init__(self) -> None:
        super().__init__(options={"require": REQUIRED_CLAIMS, "enforce_minimum_key_length": True})
        self._jws = _StrictJWS(options=self._get_sig_options())


_JWS = _StrictJWS()
_JWT = _StrictJWT()


@lru_cache(maxsize=64)  # an issuer signs all its tokens under a handful of distinct headers
def _unverified_header(segment: str) -> Mapping[str, Any]:
    """The JOSE header of a token whose first segment is `segment`, to pick the key (read-only).

    get_unverified_header reads only the header segment; the empty payload and signature given
    with it here are not the token's, which `decode` then checks whole.
    """
    return _JWS.get_unverified_header(f"{segment}..")


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` value (scheme in any letter case, RFC 6750)."""
    if authorization is None:
        raise TokenRejected("no Authorization header", Reason.MISSING_TOKEN)
    if len(authorization) > MAX_TOKEN_LENGTH + 64:
        raise TokenRejected("Authorization header too long", Reason.MALFORMED)
    parts = authorization.split()
    if not parts:
        raise TokenRejected("no Authorization header", Reason.MISSING_TOKEN)
    if parts[0].lower() != "bearer":
        raise TokenRejected("Authorization scheme is not Bearer", Reason.MISSING_TOKEN)
    if len(parts) != 2:
        raise TokenRejected("Bearer credentials are not one token", Reason.MALFORMED)
    return parts[1]


class TokenVerifier:
    """Verifies access tokens against the issuer's key set and the configured claims."""

    def __init__(self, settings: Settings, keys: KeyResolver, cache: VerifiedTokens | None = None) -> None:
        self._keys = keys
        self._cache = cache
        self._algorithms = frozenset(settings.algorithms)
        self._issuer = settings.issuer
        self._audiences = list(settings.audiences)
        self._leeway = settings.leeway_seconds

    def verify(self, token: str) -> Claims:
        if len(token) > MAX_TOKEN_LENGTH:
            raise TokenRejected("longer than any access token", Reason.MALFORMED)
        if self._cache is None:
            return self._verify(token)
        digest = token_digest(token)
        claims = self._cache.get(digest, self._keys.generation)
        if claims is None:
            claims = self._verify(token)
            # Read after the key lookup: a refresh during it starts a new generation.
            self._cache.put(digest, claims, self._keys.generation)
        return claims

    def _verify(self, token: str) -> Claims:
        if _COMPACT_JWS.fullmatch(token) is None:  # before the key lookup: junk never costs a fetch
            raise TokenRejected("not a compact JWS (three base64url segments)", Reason.MALFORMED)
        try:
            header = _unverified_header(token.partition(".")[0])
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
            payload = _JWT.decode(
                token,
                key=key,
                algorithms=[alg],
                audience=self._audiences,
                issuer=self._issuer,
                leeway=self._leeway,
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


_NUMBERS = (int, float)


def claims_from_payload(payload: dict[str, Any]) -> Claims:
    """Typed claims from a verified payload; a claim of the wrong JSON type rejects the token."""
    subject = payload["sub"]
    if not isinstance(subject, str) or not subject:
        raise TokenRejected("sub is not a non-empty string", Reason.INVALID_CLAIMS)
    for name in ("exp", "nbf", "iat"):
        value = payload.get(name)
        if value is not None and (value is True or value is False or not isinstance(value, _NUMBERS)):
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
