"""The authorizer's one error model: configuration errors fail the cold start, rejections answer 401."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Why a decision came out as it did: the `reason` dimension of the Decision metric."""

    ALLOWED = "allowed"
    INSUFFICIENT_SCOPE = "insufficient_scope"
    MISSING_TOKEN = "missing_token"  # noqa: S105 - a metric label, not a secret
    MALFORMED = "malformed"
    FORBIDDEN_HEADER = "forbidden_header"
    BAD_ALGORITHM = "bad_algorithm"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    WRONG_ISSUER = "wrong_issuer"
    UNKNOWN_ISSUER = "unknown_issuer"  # an `iss` that no configured issuer has: nothing is fetched
    WRONG_AUDIENCE = "wrong_audience"
    INVALID_CLAIMS = "invalid_claims"
    ID_TOKEN = "id_token"  # noqa: S105 - an OpenID Connect ID token presented as an access token
    WRONG_TOKEN_TYPE = "wrong_token_type"  # noqa: S105 - a JOSE `typ` or type claim of another kind of JWT
    JWKS_UNAVAILABLE = "jwks_unavailable"
    # Sender-constrained tokens (RFC 9449 DPoP, RFC 8705 certificate-bound): oauth_authorizer.senders.
    DPOP_INVALID = "dpop_invalid"  # no proof, a bad proof, or the DPoP scheme where DPoP is off
    DPOP_REPLAY = "dpop_replay"  # a proof's jti already seen within the window
    DPOP_REPLAY_UNAVAILABLE = "dpop_replay_unavailable"  # the replay table cannot answer: fail closed
    DPOP_BINDING = "dpop_binding"  # cnf.jkt is not the proof's key, a bound token as Bearer, or unbound
    CERT_BINDING = "cert_binding"  # cnf["x5t#S256"] is not the client certificate's (or there is none)
    UNSUPPORTED_BINDING = "unsupported_binding"  # a cnf member this authorizer cannot check: refused
    BAD_EVENT = "bad_event"
    # Revocation (docs/revocation.md, "Revoking access"): oauth_authorizer.revocation.
    REVOKED = "revoked"  # a subject, client or token revocation covers the token
    REVOCATION_UNAVAILABLE = "revocation_unavailable"  # no revocation list to check against: fail closed
    LIFETIME_EXCEEDED = "lifetime_exceeded"  # no iat, or exp - iat above MAX_TOKEN_LIFETIME_SECONDS


class AuthorizerError(Exception):
    """Base class of every error this package raises."""


class ConfigurationError(AuthorizerError):
    """An environment variable is missing or invalid; the message names it."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


class Rejected(AuthorizerError):
    """The request is refused with 401; `reason` says why (never the token itself)."""

    reason: Reason = Reason.MALFORMED

    def __init__(self, detail: str, reason: Reason | None = None) -> None:
        super().__init__(detail)
        if reason is not None:
            self.reason = reason


class TokenRejected(Rejected):
    """The access token is missing, malformed, or fails verification."""


class KeySetUnavailable(Rejected):
    """The issuer's key set cannot be fetched and no usable copy is cached."""

    reason = Reason.JWKS_UNAVAILABLE


class BadEvent(Rejected):
    """The event is not an API Gateway authorizer event this function understands."""

    reason = Reason.BAD_EVENT
