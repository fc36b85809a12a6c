"""Settings: the environment, parsed and validated once at cold start."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from oauth_authorizer.errors import ConfigurationError
from oauth_authorizer.routes import RouteTable, parse_route_scopes

ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
DEFAULT_ALGORITHMS = ("RS256",)
DEFAULT_LEEWAY_SECONDS = 30
MAX_LEEWAY_SECONDS = 300
# How long a verified token is remembered (bounded further by its own exp); 0 turns the cache off.
DEFAULT_TOKEN_CACHE_SECONDS = 300
MAX_TOKEN_CACHE_SECONDS = 3600
DEFAULT_METRICS_NAMESPACE = "OAuthProtectedApi"
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off", ""})


@dataclass(frozen=True, slots=True)
class KeySetPolicy:
    """How the issuer's key set is fetched and cached (defaults suit Lambda; tests shorten them)."""

    # One deadline for the whole refresh (discovery + JWKS): a dead issuer costs at most this long.
    timeout_seconds: float = 3.0
    max_age_seconds: float = 600.0
    # An unknown kid triggers at most one refetch per window, so random kids cannot flood the issuer.
    refetch_cooldown_seconds: float = 30.0
    # After a failed refresh, requests fail fast (or use the stale set) for this long before retrying.
    retry_after_failure_seconds: float = 5.0
    # How long past max_age the last good key set keeps serving while refreshes fail.
    stale_if_error_seconds: float = 3600.0
    max_document_bytes: int = 512 * 1024


@dataclass(frozen=True, slots=True)
class Settings:
    """The authorizer's configuration."""

    issuer: str
    audiences: tuple[str, ...]
    jwks_uri: str | None
    algorithms: tuple[str, ...]
    leeway_seconds: int
    routes: RouteTable
    simple_responses: bool
    token_cache_seconds: int = DEFAULT_TOKEN_CACHE_SECONDS
    metrics_namespace: str = DEFAULT_METRICS_NAMESPACE
    key_set: KeySetPolicy = KeySetPolicy()

    @property
    def discovery_uri(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Read every variable; the first bad one raises ConfigurationError naming it."""
    issuer = _required(environ, "ISSUER")
    check_fetchable_url("ISSUER", issuer)
    jwks_uri = environ.get("JWKS_URI", "").strip() or None
    if jwks_uri is not None:
        check_fetchable_url("JWKS_URI", jwks_uri)
    return Settings(
        issuer=issuer,
        audiences=_audiences(_required(environ, "AUDIENCE")),
        jwks_uri=jwks_uri,
        algorithms=_algorithms(environ.get("ALLOWED_ALGORITHMS", "")),
        leeway_seconds=_seconds(
            "LEEWAY_SECONDS", environ.get("LEEWAY_SECONDS", ""), DEFAULT_LEEWAY_SECONDS, MAX_LEEWAY_SECONDS
        ),
        routes=parse_route_scopes(_required(environ, "ROUTE_SCOPES")),
        simple_responses=_boolean("SIMPLE_RESPONSES", environ.get("SIMPLE_RESPONSES", "")),
        token_cache_seconds=_seconds(
            "TOKEN_CACHE_SECONDS",
            environ.get("TOKEN_CACHE_SECONDS", ""),
            DEFAULT_TOKEN_CACHE_SECONDS,
            MAX_TOKEN_CACHE_SECONDS,
        ),
        metrics_namespace=environ.get("POWERTOOLS_METRICS_NAMESPACE", "").strip()
        or DEFAULT_METRICS_NAMESPACE,
    )


def check_fetchable_url(variable: str, url: str) -> None:
    """https anywhere; plain http only on a loopback host (local development)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigurationError(variable, f"{url!r} is not an absolute https:// URL")
    if parts.username is not None or parts.password is not None:
        raise ConfigurationError(variable, "must not carry credentials")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigurationError(variable, f"{url!r} must use https (plain http is for loopback hosts only)")


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _required(environ: Mapping[str, str], variable: str) -> str:
    value = environ.get(variable, "").strip()
    if not value:
        raise ConfigurationError(variable, "is required")
    return value


def _audiences(raw: str) -> tuple[str, ...]:
    audiences = tuple(part.strip() for part in raw.split(","))
    if any(not aud for aud in audiences):
        raise ConfigurationError("AUDIENCE", "has an empty entry")
    return audiences


def _algorithms(raw: str) -> tuple[str, ...]:
    if not raw.strip():
        return DEFAULT_ALGORITHMS
    names = tuple(part.strip() for part in raw.split(","))
    for name in names:
        if name.lower() == "none" or name.upper().startswith("HS"):
            raise ConfigurationError(
                "ALLOWED_ALGORITHMS", f"{name!r} is refused: only asymmetric algorithms verify access tokens"
            )
        if name not in ASYMMETRIC_ALGORITHMS:
            allowed = ", ".join(sorted(ASYMMETRIC_ALGORITHMS))
            raise ConfigurationError("ALLOWED_ALGORITHMS", f"unknown algorithm {name!r} (one of {allowed})")
    return tuple(dict.fromkeys(names))


def _seconds(variable: str, raw: str, default: int, maximum: int) -> int:
    if not raw.strip():
        return default
    try:
        seconds = int(raw)
    except ValueError:
        raise ConfigurationError(variable, f"{raw!r} is not a whole number of seconds") from None
    if not 0 <= seconds <= maximum:
        raise ConfigurationError(variable, f"must be between 0 and {maximum}")
    return seconds


def _boolean(variable: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(variable, f"{raw!r} is not true or false")
