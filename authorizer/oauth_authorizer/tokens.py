"""Access-token verification: Bearer extraction, then PyJWT does every JWS/JWT check → typed Claims."""

from __future__ import annotations

import binascii
import json
import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from functools import lru_cache
from typing import Any, NamedTuple, Protocol

import jwt
from jwt.api_jws import PyJWS
from jwt.api_jwt import PyJWT

from oauth_authorizer.errors import Reason, TokenRejected
from oauth_authorizer.keys import admitted
from oauth_authorizer.profiles import (
    ACCESS_TOKEN_TYPES,
    ID_TOKEN_CLAIMS,
    ID_TOKEN_VALUES,
    RFC9068_TYPE,
    Profile,
    ScopeForm,
    media_type,
)
from oauth_authorizer.settings import IssuerSettings, Settings
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
    scopes: frozenset[str]  # after the issuer's scope_map
    client_id: str
    grant_type: str
    issuer: str
    # The token's confirmation (RFC 7800 `cnf`): the key or certificate it is bound to, if any.
    jkt: str | None = None  # RFC 9449 §6.1: the RFC 7638 thumbprint of the client's DPoP key
    x5t_s256: str | None = None  # RFC 8705 §3.1: the SHA-256 of the client certificate's DER
    # For revocation (docs/revocation.md, "Revoking access"): when the token was issued, and its own id.
    issued_at: int | None = None
    token_id: str = ""


class Scheme(StrEnum):
    """How the request presents its access token (the Authorization header's scheme)."""

    BEARER = "bearer"  # RFC 6750
    DPOP = "dpop"  # RFC 9449 §7.1: with a DPoP proof in the DPoP header


class Credentials(NamedTuple):
    scheme: Scheme
    token: str


class KeyResolver(Protocol):
    def key_for(self, kid: str | None, alg: str) -> jwt.PyJWK: ...

    @property
    def generation(self) -> int:
        """Changes whenever the key set does (tokens verified under another generation are void)."""
        ...


_BASE64URL = re.compile(rb"[A-Za-z0-9_-]*")
_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_decode_json = json.JSONDecoder().decode
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
    """PyJWT's JWT API over _StrictJWS, with PyJWT's minimum key sizes enforced."""

    def __init__(self) -> None:
        super().__init__(options={"enforce_minimum_key_length": True})
        self._jws = _StrictJWS(options=self._get_sig_options())


_JWS = _StrictJWS()
_JWT = _StrictJWT()
_SIGNATURE_OPTIONS = _JWT._get_sig_options()
# The same strict JWS and options for DPoP proofs (oauth_authorizer.dpop).
JWS = _JWS
SIGNATURE_OPTIONS = _SIGNATURE_OPTIONS


@lru_cache(maxsize=64)  # an issuer signs all its tokens under a handful of distinct headers
def _unverified_header(segment: str) -> Mapping[str, Any]:
    """The JOSE header of a token whose first segment is `segment`, to pick the key (read-only).

    get_unverified_header reads only the header segment; the empty payload and signature given
    with it here are not the token's, which `decode` then checks whole.
    """
    return _JWS.get_unverified_header(f"{segment}..")


def _unverified_payload(segment: str) -> dict[str, Any]:
    """The claims of a token, before its signature is checked: `iss` picks the issuer and its keys.

    After the signature check these very claims are validated, so the payload's JSON is parsed once.
    The segment is decoded leniently here, since _COMPACT_JWS has already allowed only the base64url
    alphabet; PyJWT's JWS then decodes the same segment with the strict rules (canonical encoding,
    padding) before the signature check, and a segment that fails them fails the token. A segment that
    passes them decodes to exactly these bytes.
    """
    try:
        raw = binascii.a2b_base64(segment.encode().translate(_TO_STANDARD) + b"==")
        # RFC 7519 §7.2: the claims are UTF-8 JSON (json.loads of bytes would also guess UTF-16/32).
        payload = _decode_json(raw.decode())
    except (ValueError, RecursionError) as exc:  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise TokenRejected(f"Invalid payload string: {type(exc).__name__}", Reason.MALFORMED) from None
    if type(payload) is not dict:
        raise TokenRejected("Invalid payload string: must be a json object", Reason.MALFORMED)
    return payload


_SCHEMES = {"bearer": Scheme.BEARER, "dpop": Scheme.DPOP}


def credentials(authorization: str | None) -> Credentials:
    """The scheme and token of an `Authorization: Bearer <token>` (RFC 6750) or `Authorization: DPoP
    <token>` (RFC 9449 §7.1) value, the scheme in any letter case. Whether DPoP is accepted, and the
    proof, are the sender-constraint check's (oauth_authorizer.senders).

    RFC 6750 §2.1 separates scheme and token by spaces (`1*SP`): a tab or any other whitespace is not a
    separator, so `Bearer<TAB><token>` is not the Bearer scheme. Other whitespace inside the token is
    left to the compact-JWS check, which refuses it as malformed (not here: this runs on every request,
    cache hits included, and no verified token holds whitespace, so such a token is never a hit).
    """
    if authorization is None:
        raise TokenRejected("no Authorization header", Reason.MISSING_TOKEN)
    if len(authorization) > MAX_TOKEN_LENGTH + 64:
        raise TokenRejected("Authorization header too long", Reason.MALFORMED)
    parts = [part for part in authorization.split(" ") if part]
    if not parts:
        raise TokenRejected("no Authorization header", Reason.MISSING_TOKEN)
    scheme = _SCHEMES.get(parts[0].lower())
    if scheme is None:
        raise TokenRejected("Authorization scheme is not Bearer or DPoP", Reason.MISSING_TOKEN)
    if len(parts) != 2:
        raise TokenRejected("the credentials are not one token", Reason.MALFORMED)
    return Credentials(scheme, parts[1])


class _TrustedIssuer:
    """One configured issuer, ready to verify: its keys, algorithms, audiences, profile and options."""

    def __init__(self, issuer: IssuerSettings, keys: KeyResolver) -> None:
        self.name = issuer.issuer
        self.keys = keys
        self.algorithms = admitted(issuer.algorithms)
        self.audiences = list(issuer.audiences)
        self.profile = issuer.profile
        self.id_token_claims = issuer.profile.id_token_claims
        self.require_at_jwt = issuer.require_at_jwt
        self.scope_map = dict(issuer.scope_map)
        # Merged once, not on every call (PyJWT's decode merges them per call).
        self.options = _JWT._merge_options({"require": REQUIRED_CLAIMS})
        self.options_without_aud = _JWT._merge_options(
            {"require": [claim for claim in REQUIRED_CLAIMS if claim != "aud"], "verify_aud": False}
        )


class TokenVerifier:
    """Verifies access tokens: the token's `iss` picks one configured issuer, whose keys, algorithms,
    audiences and profile are then the only ones used for it."""

    def __init__(
        self, settings: Settings, keys: Mapping[str, KeyResolver], cache: VerifiedTokens[Claims] | None = None
    ) -> None:
        self._issuers = {
            issuer.issuer: _TrustedIssuer(issuer, keys[issuer.issuer]) for issuer in settings.issuers
        }
        self._cache = cache
        self._leeway = settings.leeway_seconds

    def verify(self, token: str) -> Claims:
        if len(token) > MAX_TOKEN_LENGTH:
            raise TokenRejected("longer than any access token", Reason.MALFORMED)
        if not token.isascii():  # a JWS is base64url; a lone surrogate must not reach the digest
            raise TokenRejected("not a compact JWS (non-ASCII characters)", Reason.MALFORMED)
        if self._cache is None:
            return self._verify(token)[0]
        digest = token_digest(token)
        claims = self._cache.get(digest)
        if claims is None:
            claims, keys = self._verify(token)
            # Read after the key lookup: a refresh during it starts a new generation.
            self._cache.put(digest, claims, keys, keys.generation)
        return claims

    def _verify(self, token: str) -> tuple[Claims, KeyResolver]:
        if _COMPACT_JWS.fullmatch(token) is None:  # before the key lookup: junk never costs a fetch
            raise TokenRejected("not a compact JWS (three base64url segments)", Reason.MALFORMED)
        header_segment, _, rest = token.partition(".")
        payload_segment = rest.partition(".")[0]
        try:
            header = _unverified_header(header_segment)
        except jwt.DecodeError as exc:
            raise TokenRejected(f"unreadable header: {exc}", Reason.MALFORMED) from exc
        except jwt.PyJWTError as exc:  # PyJWT's header checks: `crit` it does not support, a non-string kid
            raise TokenRejected(f"header refused: {exc}", Reason.FORBIDDEN_HEADER) from exc
        payload = _unverified_payload(payload_segment)
        issuer = self._issuer_of(payload)
        alg = header.get("alg")
        # The token's alg only selects among the issuer's algorithms; `none` and HS* are never among them.
        if not isinstance(alg, str) or alg not in issuer.algorithms:
            raise TokenRejected("alg not allowed", Reason.BAD_ALGORITHM)
        forbidden = sorted(FORBIDDEN_HEADERS.intersection(header))
        if forbidden:
            raise TokenRejected(f"forbidden header parameters {forbidden}", Reason.FORBIDDEN_HEADER)
        _check_type_header(header.get("typ"), issuer.require_at_jwt)
        key = issuer.keys.key_for(header.get("kid"), alg)
        profile = issuer.profile
        without_aud = profile.audience_fallback_claim is not None and payload.get("aud") is None
        try:
            # PyJWT's JWS decodes every segment strictly and checks the signature; PyJWT's JWT then validates
            # the claims read above from that same segment, with this issuer's options merged at cold start.
            _JWS.decode_complete(token, key=key, algorithms=[alg], options=_SIGNATURE_OPTIONS)
            _check_access_token(payload, profile, issuer.id_token_claims)
            _JWT._validate_claims(
                payload,
                issuer.options_without_aud if without_aud else issuer.options,
                audience=issuer.audiences,
                issuer=issuer.name,
                leeway=self._leeway,
            )
        except jwt.PyJWTError as exc:
            raise TokenRejected(str(exc), _reason(exc)) from exc
        if without_aud:
            bound_to = payload.get(profile.audience_fallback_claim or "")
            if bound_to not in issuer.audiences:
                raise TokenRejected(
                    f"no aud, and {profile.audience_fallback_claim} is not an accepted audience",
                    Reason.WRONG_AUDIENCE,
                )
        return claims_from_payload(payload, issuer), issuer.keys

    def _issuer_of(self, payload: Mapping[str, Any]) -> _TrustedIssuer:
        iss = payload.get("iss")
        if not isinstance(iss, str):
            raise TokenRejected("iss is missing or not a string", Reason.WRONG_ISSUER)
        issuer = self._issuers.get(iss)
        if issuer is None:  # refused before any key lookup: an unknown issuer costs no fetch
            raise TokenRejected(f"iss {iss[:100]!r} is not a configured issuer", Reason.UNKNOWN_ISSUER)
        return issuer


def _check_type_header(typ: object, require_at_jwt: bool) -> None:
    """The JOSE `typ`, when present, must name an access token (RFC 8725 §3.11, RFC 9068 §2.1)."""
    if typ is None:
        if require_at_jwt:
            raise TokenRejected("no typ header, and at+jwt is required", Reason.WRONG_TOKEN_TYPE)
        return
    kind = media_type(typ) if isinstance(typ, str) else None
    if kind not in ACCESS_TOKEN_TYPES:
        raise TokenRejected("typ header names another kind of JWT", Reason.WRONG_TOKEN_TYPE)
    if require_at_jwt and kind != RFC9068_TYPE:
        raise TokenRejected("typ header is not at+jwt", Reason.WRONG_TOKEN_TYPE)


def _check_access_token(
    payload: Mapping[str, Any], profile: Profile, id_token_claims: frozenset[str]
) -> None:
    """Refuse ID tokens and tokens of another type, by the marks of the profiles table
    (`id_token_claims`: the profile's, computed once)."""
    if not id_token_claims.isdisjoint(payload):
        claim = next(claim for claim in ID_TOKEN_CLAIMS if claim in payload and claim in id_token_claims)
        raise TokenRejected(f"carries {claim}: an ID token, not an access token", Reason.ID_TOKEN)
    for claim, value in ID_TOKEN_VALUES.items():
        if payload.get(claim) == value:
            raise TokenRejected(f"{claim} is {value!r}: an ID token, not an access token", Reason.ID_TOKEN)
    for claim, value in profile.required_values.items():
        if payload.get(claim) != value:
            raise TokenRejected(f"{claim} is not {value!r}", Reason.WRONG_TOKEN_TYPE)


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


def claims_from_payload(payload: Mapping[str, Any], issuer: _TrustedIssuer) -> Claims:
    """Typed claims from a verified payload; a claim of the wrong JSON type rejects the token."""
    subject = payload["sub"]
    if not isinstance(subject, str) or not subject:
        raise TokenRejected("sub is not a non-empty string", Reason.INVALID_CLAIMS)
    for name in ("exp", "nbf", "iat"):
        value = payload.get(name)
        if value is not None and (value is True or value is False or not isinstance(value, _NUMBERS)):
            raise TokenRejected(f"{name} is not a NumericDate", Reason.INVALID_CLAIMS)
    profile = issuer.profile
    scopes = granted_scopes(payload, profile)
    if issuer.scope_map:
        scopes = frozenset(issuer.scope_map.get(scope, scope) for scope in scopes)
    jkt, x5t_s256 = _confirmation(payload.get("cnf"))
    return Claims(
        subject=subject,
        expires_at=int(payload["exp"]),
        scopes=scopes,
        client_id=next(
            (
                _optional_string(payload, name)
                for name in profile.client_id_claims
                if payload.get(name) is not None
            ),
            "",
        ),
        grant_type=_optional_string(payload, "gty"),
        issuer=issuer.name,
        jkt=jkt,
        x5t_s256=x5t_s256,
        issued_at=None if payload.get("iat") is None else int(payload["iat"]),
        token_id=_optional_string(payload, "jti"),
    )


# The confirmation methods this authorizer checks (RFC 9449 §6.1, RFC 8705 §3.1).
_CONFIRMATIONS = ("jkt", "x5t#S256")


def _confirmation(cnf: object) -> tuple[str | None, str | None]:
    """`cnf.jkt` and `cnf["x5t#S256"]`. A binding this authorizer cannot check (`jwk`, `kid`, ... of
    RFC 7800) refuses the token: taking it as a bearer token would drop the binding its issuer put on it."""
    if cnf is None:
        return None, None
    if not isinstance(cnf, dict) or not cnf:
        raise TokenRejected("cnf is not a non-empty JSON object", Reason.INVALID_CLAIMS)
    unknown = sorted(set(cnf) - set(_CONFIRMATIONS))
    if unknown:
        raise TokenRejected(f"cnf member {unknown[0][:40]!r} cannot be checked", Reason.UNSUPPORTED_BINDING)
    values = [cnf.get(name) for name in _CONFIRMATIONS]
    if not all(value is None or (isinstance(value, str) and value) for value in values):
        raise TokenRejected("a cnf member is not a non-empty string", Reason.INVALID_CLAIMS)
    return values[0], values[1]


def granted_scopes(payload: Mapping[str, Any], profile: Profile) -> frozenset[str]:
    """The union of the profile's scope claims (`scope`, `scp`, `permissions`, `roles`, ...)."""
    scopes: set[str] = set()
    for name, form in profile.scope_claims:
        value = payload.get(name)
        if value is None:
            continue
        if isinstance(value, str) and form is not ScopeForm.ARRAY:
            scopes.update(value.split())
        elif form is ScopeForm.SPACE_DELIMITED:
            raise TokenRejected(f"{name} is not a string", Reason.INVALID_CLAIMS)
        else:
            scopes.update(_scope_list(value, name))
    return frozenset(scopes)


def _scope_list(value: object, name: str) -> Iterable[str]:
    if not isinstance(value, list) or not all(
        isinstance(item, str) and item and not any(ch.isspace() for ch in item) for item in value
    ):
        raise TokenRejected(f"{name} is not an array of scope strings", Reason.INVALID_CLAIMS)
    return value


def _optional_string(payload: Mapping[str, Any], name: str) -> str:
    value = payload.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TokenRejected(f"{name} is not a string", Reason.INVALID_CLAIMS)
    return value
