"""Settings: the environment, parsed and validated once at cold start."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

from oauth_authorizer.errors import ConfigurationError
from oauth_authorizer.profiles import DEFAULT_PROFILE, PROFILES, Profile
from oauth_authorizer.routes import RouteTable, parse_route_scopes

if TYPE_CHECKING:  # the revocation layer is imported only when REVOCATION_TABLE turns revocation on
    from token_revocation.settings import RevocationSettings

ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"}
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
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]+")  # RFC 6749 §3.3 scope-token
DEFAULT_DPOP_ALGORITHMS = ("ES256", "RS256", "PS256", "EdDSA")
DEFAULT_DPOP_IAT_WINDOW_SECONDS = 60
MAX_DPOP_IAT_WINDOW_SECONDS = 600
_TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")  # DynamoDB's table-name rule


class DpopMode(StrEnum):
    """An issuer's DPoP policy (RFC 9449), as Auth0's per-API setting: none, allowed or required."""

    OFF = "off"  # the DPoP scheme is refused; a DPoP-bound token is refused as well
    ALLOWED = "allowed"  # DPoP-bound tokens need a valid proof; unbound bearer tokens keep working
    REQUIRED = "required"  # every token must be DPoP-bound and come with a proof


_DPOP_MODES = {mode.value: mode for mode in DpopMode}


# Records are NamedTuples, not dataclasses: cheaper to create at import (docs/performance.md, "Performance").
class DpopSettings(NamedTuple):
    """How DPoP proofs are checked, for every issuer whose `dpop` is not off."""

    iat_window_seconds: int = DEFAULT_DPOP_IAT_WINDOW_SECONDS
    algorithms: tuple[str, ...] = DEFAULT_DPOP_ALGORITHMS
    # A DynamoDB table that remembers proof `jti`s across execution environments (memory always does).
    replay_table: str | None = None
    dynamodb_endpoint_url: str | None = None  # DynamoDB Local, for the local stack and tests


class KeySetPolicy(NamedTuple):
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


class IssuerSettings(NamedTuple):
    """One trusted issuer: how its tokens are verified, and where their facts are (its profile)."""

    issuer: str
    audiences: tuple[str, ...]
    profile: Profile
    jwks_uri: str | None
    # An inline JWK Set (the `JWKS` variable or an entry's `jwks`): used instead of fetching, no network.
    jwks: Mapping[str, Any] | None
    algorithms: tuple[str, ...]
    require_at_jwt: bool = False
    # This issuer's scope names → the names ROUTE_SCOPES uses (unmapped scopes pass through).
    scope_map: Mapping[str, str] = MappingProxyType({})
    dpop: DpopMode = DpopMode.OFF
    # Where this issuer was configured, for error messages: "ISSUER" or "ISSUERS[2]".
    source: str = "ISSUER"

    @property
    def discovery_uri(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    def field(self, name: str) -> str:
        """The configuration name of one of this issuer's settings, as errors name it."""
        if self.source == "ISSUER":
            return _SINGLE_NAMES[name]
        return f"{self.source}.{name}"


class Settings(NamedTuple):
    """The authorizer's configuration."""

    issuers: tuple[IssuerSettings, ...]
    leeway_seconds: int
    routes: RouteTable
    simple_responses: bool
    token_cache_seconds: int = DEFAULT_TOKEN_CACHE_SECONDS
    metrics_namespace: str = DEFAULT_METRICS_NAMESPACE
    key_set: KeySetPolicy = KeySetPolicy()
    dpop: DpopSettings = DpopSettings()
    # The revocation list (REVOCATION_TABLE and companions); None: revocation off.
    revocation: RevocationSettings | None = None

    @property
    def dpop_enabled(self) -> bool:
        """Whether any issuer accepts DPoP (only then are proofs ever checked)."""
        return any(issuer.dpop is not DpopMode.OFF for issuer in self.issuers)


# The single-issuer form's variables, by the ISSUERS entry key each one stands for.
_SINGLE_NAMES = {
    "issuer": "ISSUER",
    "audiences": "AUDIENCE",
    "jwks_uri": "JWKS_URI",
    "algorithms": "ALLOWED_ALGORITHMS",
    "profile": "TOKEN_PROFILE",
    "jwks": "JWKS",
    "scope_map": "SCOPE_MAP",
}
SINGLE_ISSUER_VARIABLES = tuple(_SINGLE_NAMES.values())
# The keys of an ISSUERS entry (`dpop` defaults to the DPOP variable, which serves both forms).
ENTRY_KEYS = frozenset({*_SINGLE_NAMES, "require_at_jwt", "dpop"})
# JWK members that only a private (or symmetric) key has (RFC 7518 §6.2.2, §6.3.2, §6.4.1).
PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Read every variable; the first bad one raises ConfigurationError naming it."""
    raw_issuers = environ.get("ISSUERS", "").strip()
    dpop = _dpop_mode("DPOP", environ.get("DPOP", "").strip() or DpopMode.OFF.value)
    if raw_issuers:
        combined = [name for name in SINGLE_ISSUER_VARIABLES if environ.get(name, "").strip()]
        if combined:
            raise ConfigurationError(
                "ISSUERS", f"cannot be combined with the single-issuer variables ({', '.join(combined)})"
            )
        issuers = _issuer_entries(raw_issuers, dpop)
    else:
        issuers = (_single_issuer(environ, dpop),)
    return Settings(
        issuers=issuers,
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
        dpop=_dpop_settings(environ),
        revocation=_revocation_settings(environ),
    )


def _revocation_settings(environ: Mapping[str, str]) -> RevocationSettings | None:
    """None unless REVOCATION_TABLE is set: only then is the revocation layer (token_revocation) needed,
    so a deployment without the layer and without revocation runs unchanged."""
    if not environ.get("REVOCATION_TABLE", "").strip():
        return None
    from token_revocation.settings import RevocationSettingsError, load_revocation_settings  # noqa: PLC0415

    try:
        return load_revocation_settings(environ)
    except RevocationSettingsError as exc:
        raise ConfigurationError(exc.variable, exc.problem) from None


def _dpop_mode(variable: str, raw: object) -> DpopMode:
    mode = _DPOP_MODES.get(raw) if isinstance(raw, str) else None
    if mode is None:
        raise ConfigurationError(variable, f"{raw!r} is not one of {', '.join(_DPOP_MODES)}")
    return mode


def _dpop_settings(environ: Mapping[str, str]) -> DpopSettings:
    table = environ.get("DPOP_REPLAY_TABLE", "").strip() or None
    if table is not None and not _TABLE_NAME.fullmatch(table):
        raise ConfigurationError("DPOP_REPLAY_TABLE", f"{table!r} is not a DynamoDB table name")
    endpoint = environ.get("DYNAMODB_ENDPOINT_URL", "").strip() or None
    if endpoint is not None:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError("DYNAMODB_ENDPOINT_URL", "must be empty or an http(s) URL")
    window = _seconds(
        "DPOP_IAT_WINDOW_SECONDS",
        environ.get("DPOP_IAT_WINDOW_SECONDS", ""),
        DEFAULT_DPOP_IAT_WINDOW_SECONDS,
        MAX_DPOP_IAT_WINDOW_SECONDS,
        minimum=1,
    )
    raw_algorithms = environ.get("DPOP_ALGORITHMS", "")
    return DpopSettings(
        iat_window_seconds=window,
        algorithms=_algorithms(raw_algorithms, "DPOP_ALGORITHMS")
        if raw_algorithms.strip()
        else DEFAULT_DPOP_ALGORITHMS,
        replay_table=table,
        dynamodb_endpoint_url=endpoint,
    )


def _single_issuer(environ: Mapping[str, str], dpop: DpopMode) -> IssuerSettings:
    issuer = environ.get("ISSUER", "").strip()
    if not issuer:
        raise ConfigurationError("ISSUER", "is required (or ISSUERS, for several issuers)")
    check_fetchable_url("ISSUER", issuer)
    jwks_uri = environ.get("JWKS_URI", "").strip() or None
    raw_jwks = environ.get("JWKS", "").strip()
    if jwks_uri is not None and raw_jwks:
        raise ConfigurationError(
            "JWKS", "cannot be combined with JWKS_URI (an inline key set is not fetched)"
        )
    if jwks_uri is not None:
        check_fetchable_url("JWKS_URI", jwks_uri)
    raw_map = environ.get("SCOPE_MAP", "").strip()
    return IssuerSettings(
        issuer=issuer,
        audiences=_audiences(_required(environ, "AUDIENCE")),
        profile=_profile("TOKEN_PROFILE", environ.get("TOKEN_PROFILE", "").strip() or DEFAULT_PROFILE),
        jwks_uri=jwks_uri,
        jwks=_inline_jwks("JWKS", _json("JWKS", raw_jwks)) if raw_jwks else None,
        algorithms=_algorithms(environ.get("ALLOWED_ALGORITHMS", "")),
        scope_map=_scope_map("SCOPE_MAP", _json("SCOPE_MAP", raw_map)) if raw_map else MappingProxyType({}),
        dpop=dpop,
    )


def _issuer_entries(raw: str, dpop: DpopMode) -> tuple[IssuerSettings, ...]:
    entries = _json("ISSUERS", raw)
    if not isinstance(entries, list):
        raise ConfigurationError("ISSUERS", "is not a JSON array of issuer objects")
    if not entries:
        raise ConfigurationError("ISSUERS", "is an empty array (configure at least one issuer)")
    issuers: list[IssuerSettings] = []
    seen: dict[str, str] = {}
    for index, entry in enumerate(entries):
        issuer = _issuer_entry(f"ISSUERS[{index}]", entry, dpop)
        if issuer.issuer in seen:
            raise ConfigurationError(
                f"ISSUERS[{index}].issuer",
                f"{issuer.issuer!r} is already configured by {seen[issuer.issuer]}",
            )
        seen[issuer.issuer] = f"ISSUERS[{index}]"
        issuers.append(issuer)
    return tuple(issuers)


def _issuer_entry(source: str, entry: object, default_dpop: DpopMode) -> IssuerSettings:
    if not isinstance(entry, dict):
        raise ConfigurationError(source, "is not a JSON object")
    unknown = sorted(set(entry) - ENTRY_KEYS)
    if unknown:
        raise ConfigurationError(
            source, f"unknown key {unknown[0]!r} (known: {', '.join(sorted(ENTRY_KEYS))})"
        )
    issuer = entry.get("issuer")
    if not isinstance(issuer, str) or not issuer.strip():
        raise ConfigurationError(f"{source}.issuer", "is required (a string)")
    check_fetchable_url(f"{source}.issuer", issuer)
    jwks_uri = entry.get("jwks_uri")
    if jwks_uri is not None and "jwks" in entry:
        raise ConfigurationError(
            f"{source}.jwks", "cannot be combined with jwks_uri (an inline key set is not fetched)"
        )
    if jwks_uri is not None:
        if not isinstance(jwks_uri, str):
            raise ConfigurationError(f"{source}.jwks_uri", "is not a string")
        check_fetchable_url(f"{source}.jwks_uri", jwks_uri)
    profile = entry.get("profile", DEFAULT_PROFILE)
    if not isinstance(profile, str):
        raise ConfigurationError(f"{source}.profile", "is not a string")
    algorithms = entry.get("algorithms")
    if algorithms is not None and (
        not isinstance(algorithms, list)
        or not all(isinstance(name, str) for name in algorithms)
        or not algorithms
    ):
        raise ConfigurationError(f"{source}.algorithms", "is not a non-empty array of algorithm names")
    require_at_jwt = entry.get("require_at_jwt", False)
    if not isinstance(require_at_jwt, bool):
        raise ConfigurationError(f"{source}.require_at_jwt", "is not true or false")
    dpop = _dpop_mode(f"{source}.dpop", entry["dpop"]) if "dpop" in entry else default_dpop
    return IssuerSettings(
        issuer=issuer,
        audiences=_audience_list(f"{source}.audiences", entry.get("audiences")),
        profile=_profile(f"{source}.profile", profile),
        jwks_uri=jwks_uri,
        jwks=_inline_jwks(f"{source}.jwks", entry["jwks"]) if "jwks" in entry else None,
        algorithms=_algorithms(",".join(algorithms), f"{source}.algorithms")
        if algorithms
        else DEFAULT_ALGORITHMS,
        require_at_jwt=require_at_jwt,
        scope_map=_scope_map(f"{source}.scope_map", entry["scope_map"])
        if "scope_map" in entry
        else MappingProxyType({}),
        dpop=dpop,
        source=source,
    )


def _json(variable: str, raw: str) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise ConfigurationError(variable, "is not valid JSON") from None


def _audience_list(variable: str, audiences: object) -> tuple[str, ...]:
    if audiences is None:
        raise ConfigurationError(variable, "is required (a non-empty array of strings)")
    if not isinstance(audiences, list):
        raise ConfigurationError(variable, "is not an array of strings")
    if not audiences:
        raise ConfigurationError(variable, "is empty (list at least one accepted audience)")
    if not all(isinstance(aud, str) and aud.strip() for aud in audiences):
        raise ConfigurationError(variable, "holds something other than non-empty strings")
    return tuple(dict.fromkeys(audiences))


def _profile(variable: str, name: str) -> Profile:
    profile = PROFILES.get(name)
    if profile is None:
        raise ConfigurationError(variable, f"unknown profile {name!r} (one of {', '.join(PROFILES)})")
    return profile


def _scope_map(variable: str, mapping: object) -> Mapping[str, str]:
    if not isinstance(mapping, dict):
        raise ConfigurationError(variable, "is not a JSON object of scope names")
    for source, target in mapping.items():
        if (
            not _SCOPE_TOKEN.fullmatch(source)
            or not isinstance(target, str)
            or not _SCOPE_TOKEN.fullmatch(target)
        ):
            raise ConfigurationError(variable, f"entry {source!r} does not map a scope name to a scope name")
    return MappingProxyType(dict(mapping))


def _inline_jwks(variable: str, document: object) -> Mapping[str, Any]:
    """An inline JWK Set: public keys only. Whether each key suits the algorithms is checked when the
    key set is built (oauth_authorizer.keys), also at cold start."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list) or not document["keys"]:
        raise ConfigurationError(variable, 'is not a JWK Set ({"keys": [...]} with at least one key)')
    for index, jwk in enumerate(document["keys"]):
        if not isinstance(jwk, dict):
            raise ConfigurationError(variable, f"key {index} is not a JSON object")
        private = sorted(PRIVATE_JWK_MEMBERS.intersection(jwk))
        if private:
            raise ConfigurationError(
                variable,
                f"key {index} has private members {private}: it is a leaked private key"
                " (publish the public key only)",
            )
    return MappingProxyType(document)


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


def _algorithms(raw: str, variable: str = "ALLOWED_ALGORITHMS") -> tuple[str, ...]:
    if not raw.strip():
        return DEFAULT_ALGORITHMS
    names = tuple(part.strip() for part in raw.split(","))
    for name in names:
        if name.lower() == "none" or name.upper().startswith("HS"):
            raise ConfigurationError(
                variable, f"{name!r} is refused: only asymmetric algorithms verify access tokens"
            )
        if name not in ASYMMETRIC_ALGORITHMS:
            allowed = ", ".join(sorted(ASYMMETRIC_ALGORITHMS))
            raise ConfigurationError(variable, f"unknown algorithm {name!r} (one of {allowed})")
    return tuple(dict.fromkeys(names))


def _seconds(variable: str, raw: str, default: int, maximum: int, minimum: int = 0) -> int:
    if not raw.strip():
        return default
    try:
        seconds = int(raw)
    except ValueError:
        raise ConfigurationError(variable, f"{raw!r} is not a whole number of seconds") from None
    if not minimum <= seconds <= maximum:
        raise ConfigurationError(variable, f"must be between {minimum} and {maximum}")
    return seconds


def _boolean(variable: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(variable, f"{raw!r} is not true or false")
