"""The issuer's key set: fetched with a hard deadline, cached with a lifetime, refetched sparingly.

PyJWKClient is not used: its 30 s default timeout, its cool-down that also starts at the first fetch,
and its lack of stale-if-error do not fit an authorizer. This is a small cache of PyJWT `PyJWK`s.
Lambda runs one invocation at a time per environment, so the cache needs no lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from jwt import InvalidKeyError, PyJWK, PyJWTError

from oauth_authorizer.errors import ConfigurationError, KeySetUnavailable, Reason, TokenRejected
from oauth_authorizer.settings import IssuerSettings, KeySetPolicy, Settings, check_fetchable_url

# Which algorithms a key of each type can verify when the JWK does not name its own `alg`.
_RSA = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
_BY_CURVE = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512", "Ed25519": "EdDSA", "Ed448": "EdDSA"}
# RFC 9864's fully-specified names, and the polymorphic algorithm each is one curve of. Current issuers and
# clients sign under them (oidc-provider and panva's `dpop`: `alg: Ed25519`), PyJWT 2.15 only knows
# `EdDSA`: a key bound to `Ed25519` is PyJWT's EdDSA key under that name (the same Ed25519 signature
# check), and an allowlist that admits `EdDSA` admits its Ed25519 form too.
FULLY_SPECIFIED = {"Ed25519": "EdDSA"}


def admitted(algorithms: Iterable[str]) -> frozenset[str]:
    """The algorithm names an allowlist admits: its own, and the fully-specified forms of each."""
    names = frozenset(algorithms)
    return names | {name for name, family in FULLY_SPECIFIED.items() if family in names}


def pyjwk_for(jwk: Mapping[str, Any], alg: str) -> PyJWK:
    """The PyJWK that verifies `alg` with this JWK (PyJWTError if the key does not fit it)."""
    family = FULLY_SPECIFIED.get(alg)
    if family is None:
        return PyJWK(dict(jwk), algorithm=alg)
    if jwk.get("kty") != "OKP" or jwk.get("crv") != alg:
        raise InvalidKeyError(f"{alg} needs an OKP {alg} key")
    key = PyJWK(dict(jwk), algorithm=family)
    key.algorithm_name = alg  # PyJWS then verifies `alg` tokens with this key's (EdDSA) algorithm
    return key


class KeySetEvent(StrEnum):
    """Something operators should see about the key set (logged and counted by the handler)."""

    FETCHED = "fetched"
    FETCH_FAILED = "fetch_failed"
    SERVING_STALE = "serving_stale"
    REFETCH_THROTTLED = "refetch_throttled"


Listener = Callable[[KeySetEvent, str], None]
STALE = -1  # the generation of a key set that is due for a refresh


def _ignore(event: KeySetEvent, detail: str) -> None:
    """The default listener."""


# Records are NamedTuples, not dataclasses: cheaper to create at import (docs/performance.md, "Performance").
class KeySet(NamedTuple):
    """A parsed JWK Set: for each kid, a PyJWK bound to each allowed algorithm the key can verify."""

    keys: Mapping[str | None, Mapping[str, PyJWK]]
    # A digest of the JWKs in use: the same keys give the same fingerprint, whatever else changed.
    fingerprint: str

    @staticmethod
    def from_document(
        document: object, algorithms: Iterable[str], *, strict_for: str | None = None
    ) -> KeySet:
        """The usable keys of a JWK Set; a fetched set's unusable keys are skipped.

        `strict_for` names the setting of an inline key set: there every key must be usable with
        one of the algorithms (and a kid appear once), or the cold start fails naming the setting.
        """
        if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
            raise KeySetUnavailable("the JWKS document is not a JWK Set")
        allowed = admitted(algorithms)
        keys: dict[str | None, dict[str, PyJWK]] = {}
        used: list[object] = []
        for index, jwk in enumerate(document["keys"]):
            bound = _bound_key(jwk, allowed)
            kid = jwk.get("kid") if isinstance(jwk, dict) else None
            if bound and kid not in keys:
                keys[kid] = bound
                used.append(jwk)
            elif strict_for is not None:
                problem = "appears twice" if bound else f"cannot verify any of {sorted(allowed)}"
                raise ConfigurationError(strict_for, f"key {index} (kid {kid!r}) {problem}")
        if not keys:
            raise KeySetUnavailable("the JWK Set has no usable key for the allowed algorithms")
        fingerprint = hashlib.sha256(json.dumps(used, sort_keys=True).encode()).hexdigest()
        return KeySet(keys, fingerprint)

    def find(self, kid: str | None, alg: str) -> PyJWK | None:
        """The key for (kid, alg); a token without kid may use the one key able to verify alg."""
        if kid is None:
            fitting = [bound[alg] for bound in self.keys.values() if alg in bound]
            return fitting[0] if len(fitting) == 1 else None
        bound = self.keys.get(kid)
        return None if bound is None else bound.get(alg)

    def knows(self, kid: str) -> bool:
        return kid in self.keys


def _bound_key(jwk: object, allowed: frozenset[str]) -> dict[str, PyJWK]:
    """A signing JWK as a PyJWK per allowed algorithm it can verify (empty: not usable)."""
    if not isinstance(jwk, dict) or not _is_signing_key(jwk):
        return {}
    kid = jwk.get("kid")
    if kid is not None and not isinstance(kid, str):
        return {}
    bound: dict[str, PyJWK] = {}
    for alg in sorted(_algorithms_for(jwk) & allowed):
        try:
            bound[alg] = pyjwk_for(jwk, alg)
        except PyJWTError:  # the key does not fit the algorithm (type, curve) or is unreadable
            continue
    return bound


def _is_signing_key(jwk: Mapping[str, Any]) -> bool:
    if jwk.get("use", "sig") != "sig":
        return False
    ops = jwk.get("key_ops")
    return ops is None or (isinstance(ops, list) and "verify" in ops)


def _algorithms_for(jwk: Mapping[str, Any]) -> frozenset[str]:
    """The algorithms the key's type (and curve) can verify, narrowed to its declared `alg` if any."""
    kty = jwk.get("kty")
    fitting: frozenset[str] = frozenset()
    if kty == "RSA":
        fitting = _RSA
    elif kty in ("EC", "OKP"):
        crv = jwk.get("crv")
        alg = _BY_CURVE.get(crv) if isinstance(crv, str) else None
        fitting = frozenset({alg}) if alg and (alg == "EdDSA") == (kty == "OKP") else frozenset()
        if fitting and crv in FULLY_SPECIFIED:
            fitting |= {crv}  # `Ed25519` (RFC 9864) as well as `EdDSA`
    declared = jwk.get("alg")
    if declared is None:
        return fitting
    # A key declared for `EdDSA` verifies its curve's fully-specified form too (RFC 9864 §2).
    return fitting & admitted({declared}) if isinstance(declared, str) else frozenset()


class KeySetCache:
    """The issuer's signing keys, cached across warm invocations."""

    def __init__(
        self,
        *,
        issuer: str,
        jwks_uri: str | None,
        discovery_uri: str,
        algorithms: Iterable[str],
        policy: KeySetPolicy,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        listener: Listener = _ignore,
    ) -> None:
        self._issuer = issuer
        self._jwks_uri = jwks_uri
        self._discovery_uri = discovery_uri
        self._algorithms = tuple(algorithms)
        self._policy = policy
        self._clock = clock
        self._wall_clock = wall_clock  # only to carry the key set's age across a SnapStart restore
        self._listener = listener
        self._keys: KeySet | None = None
        self._fetched_at = 0.0
        self._fetched_wall = 0.0
        self._due = False  # due for a refresh whatever its age (after a SnapStart restore)
        self._last_attempt: float | None = None
        self._last_failure: float | None = None
        self._generation = 0

    @property
    def generation(self) -> int:
        """Goes up whenever the usable keys change or are lost: what was verified before is void.

        Once the key set is due for a refresh it is STALE, which matches no generation: cached
        verifications are not trusted again until a lookup has refreshed the keys (or failed to).
        """
        if (
            self._keys is None
            or self._due
            or self._clock() - self._fetched_at >= self._policy.max_age_seconds
        ):
            return STALE
        return self._generation

    def prefetch(self) -> None:
        """Discover and fetch the key set now (before a SnapStart snapshot); a failure is logged and
        counted like any, and the first token naming the issuer tries again."""
        with contextlib.suppress(KeySetUnavailable):
            self._refresh_or_keep(self._clock())

    def restored(self) -> None:
        """After a SnapStart restore: the snapshot may be hours old, so the key set is due for a refresh,
        and still usable under stale-if-error within its bound counted from the fetch (by the wall clock:
        the monotonic clock of a restored environment says nothing of the time spent in the snapshot).
        Refetch throttles measured before the snapshot are forgotten."""
        if self._keys is not None:
            age = max(0.0, self._wall_clock() - self._fetched_wall)
            self._fetched_at = self._clock() - age
        self._due = True
        self._last_attempt = self._last_failure = None

    @classmethod
    def for_issuer(
        cls, issuer: IssuerSettings, policy: KeySetPolicy, listener: Listener = _ignore
    ) -> KeySetCache:
        return cls(
            issuer=issuer.issuer,
            jwks_uri=issuer.jwks_uri,
            discovery_uri=issuer.discovery_uri,
            algorithms=issuer.algorithms,
            policy=policy,
            listener=listener,
        )

    def key_for(self, kid: str | None, alg: str) -> PyJWK:
        """The verification key for a token's kid and (already allowed) alg.

        Raises KeySetUnavailable when no usable key set exists, TokenRejected when the key is unknown
        or cannot verify `alg`.
        """
        now = self._clock()
        keys = self._current(now)
        key = keys.find(kid, alg)
        if key is not None:
            return key
        if kid is None:
            raise TokenRejected(f"no kid, and not exactly one key for {alg}", Reason.UNKNOWN_KEY)
        if keys.knows(kid):
            raise TokenRejected(f"key {kid!r} cannot verify {alg}", Reason.BAD_ALGORITHM)
        # An unknown kid may be a key the issuer just rotated in: look again, but rarely.
        if (
            self._last_attempt is not None
            and now - self._last_attempt < self._policy.refetch_cooldown_seconds
        ):
            self._listener(KeySetEvent.REFETCH_THROTTLED, f"unknown kid {kid!r}")
            raise TokenRejected(f"unknown kid {kid!r}", Reason.UNKNOWN_KEY)
        keys = self._refresh_or_keep(now)
        key = keys.find(kid, alg)
        if key is None:
            raise TokenRejected(f"unknown kid {kid!r}", Reason.UNKNOWN_KEY)
        return key

    def _current(self, now: float) -> KeySet:
        if self._keys is not None and not self._due and now - self._fetched_at < self._policy.max_age_seconds:
            return self._keys
        if (
            self._last_failure is not None
            and now - self._last_failure < self._policy.retry_after_failure_seconds
        ):
            return self._stale_or_raise(now, "the last refresh failed moments ago")
        return self._refresh_or_keep(now)

    def _refresh_or_keep(self, now: float) -> KeySet:
        self._last_attempt = now
        try:
            keys = self._fetch()
        except KeySetUnavailable as exc:
            self._last_failure = now
            self._listener(KeySetEvent.FETCH_FAILED, str(exc))
            return self._stale_or_raise(now, str(exc))
        if self._keys is None or keys.fingerprint != self._keys.fingerprint:
            self._generation += 1
        self._keys, self._fetched_at, self._last_failure = keys, self._clock(), None
        self._fetched_wall, self._due = self._wall_clock(), False
        self._listener(KeySetEvent.FETCHED, f"{len(keys.keys)} keys")
        return keys

    def _stale_or_raise(self, now: float, why: str) -> KeySet:
        limit = self._policy.max_age_seconds + self._policy.stale_if_error_seconds
        if self._keys is not None and now - self._fetched_at < limit:
            self._listener(KeySetEvent.SERVING_STALE, f"age {now - self._fetched_at:.0f}s: {why}")
            return self._keys
        self._generation += 1  # no usable key set: nothing verified with the old one stands either
        raise KeySetUnavailable(why)

    def _fetch(self) -> KeySet:
        deadline = time.monotonic() + self._policy.timeout_seconds
        jwks_uri = self._jwks_uri or self._discover(deadline)
        document = fetch_json(jwks_uri, deadline=deadline, max_bytes=self._policy.max_document_bytes)
        return KeySet.from_document(document, self._algorithms)

    def _discover(self, deadline: float) -> str:
        metadata = fetch_json(
            self._discovery_uri, deadline=deadline, max_bytes=self._policy.max_document_bytes
        )
        if not isinstance(metadata, dict):
            raise KeySetUnavailable("the discovery document is not a JSON object")
        # OpenID Connect Discovery §4.3: the document must name exactly the issuer it was fetched for.
        if metadata.get("issuer") != self._issuer:
            raise KeySetUnavailable("the discovery document names a different issuer")
        jwks_uri = metadata.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise KeySetUnavailable("the discovery document has no jwks_uri")
        try:
            check_fetchable_url("jwks_uri", jwks_uri)
        except ConfigurationError as exc:
            raise KeySetUnavailable(f"discovered {exc}") from exc
        self._jwks_uri = jwks_uri
        return jwks_uri


class InlineKeys:
    """A key set given in the configuration (`JWKS`, or an ISSUERS entry's `jwks`): never fetched.

    Built at cold start; a key that cannot verify any allowed algorithm fails it. An unknown kid is
    simply unknown: there is nothing to refetch, and no network request is ever made.
    """

    # Never changes and is never due for a refresh: verified tokens stay valid for their own lifetime.
    generation = 1

    def __init__(self, document: Mapping[str, Any], algorithms: Iterable[str], *, setting: str) -> None:
        self._keys = KeySet.from_document(document, algorithms, strict_for=setting)

    def key_for(self, kid: str | None, alg: str) -> PyJWK:
        key = self._keys.find(kid, alg)
        if key is not None:
            return key
        if kid is None:
            raise TokenRejected(f"no kid, and not exactly one key for {alg}", Reason.UNKNOWN_KEY)
        if self._keys.knows(kid):
            raise TokenRejected(f"key {kid!r} cannot verify {alg}", Reason.BAD_ALGORITHM)
        raise TokenRejected(f"unknown kid {kid!r}", Reason.UNKNOWN_KEY)


def key_resolver(
    issuer: IssuerSettings, policy: KeySetPolicy, listener: Listener = _ignore
) -> KeySetCache | InlineKeys:
    """The keys of one issuer: its inline key set, or a cache that fetches on the first token naming it."""
    if issuer.jwks is not None:
        return InlineKeys(issuer.jwks, issuer.algorithms, setting=issuer.field("jwks"))
    return KeySetCache.for_issuer(issuer, policy, listener)


def key_resolvers(
    settings: Settings, listener_for: Callable[[str], Listener] | None = None
) -> dict[str, KeySetCache | InlineKeys]:
    """Every configured issuer's keys, by issuer (nothing is fetched here); `listener_for(issuer)`
    gives the listener of that issuer's key-set events."""
    return {
        issuer.issuer: key_resolver(
            issuer, settings.key_set, listener_for(issuer.issuer) if listener_for else _ignore
        )
        for issuer in settings.issuers
    }


_ssl_context: ssl.SSLContext | None = None


def _tls() -> ssl.SSLContext:
    global _ssl_context  # noqa: PLW0603 - built on first use: loading CA certificates costs cold-start time
    if _ssl_context is None:
        _ssl_context = ssl.create_default_context()
    return _ssl_context


def fetch_json(url: str, *, deadline: float, max_bytes: int) -> object:
    """GET a JSON document; the whole exchange ends by `deadline` (time.monotonic) or fails.

    Redirects are not followed. Any failure raises KeySetUnavailable.

    Written on http.client rather than urllib.request (what PyJWKClient uses): urllib's timeout bounds
    each socket operation, not the exchange, so a slow-drip reply can hold a request far past it, and
    it follows redirects to wherever they point. No maintained library in the Lambda runtime does both.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    timeout = _remaining(deadline, url)
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(host, parts.port, timeout=timeout, context=_tls())
    else:
        conn = http.client.HTTPConnection(host, parts.port, timeout=timeout)
    response: http.client.HTTPResponse | None = None
    try:
        conn.request("GET", target, headers={"Accept": "application/json", "Accept-Encoding": "identity"})
        # Kept here: a reply marked "close" takes the socket over from the connection.
        sock = conn.sock
        _limit(sock, deadline, url)
        response = conn.getresponse()
        if response.status != 200:
            raise KeySetUnavailable(f"{url} answered HTTP {response.status}")
        length = response.getheader("Content-Length")
        if length is not None and length.isdigit() and int(length) > max_bytes:
            raise KeySetUnavailable(f"{url} sent more than {max_bytes} bytes")
        body = bytearray()
        while not response.isclosed():  # the response closes itself once the whole body is read
            _limit(sock, deadline, url)
            chunk = response.read1(65536)
            if not chunk:
                break
            body += chunk
            if len(body) > max_bytes:
                raise KeySetUnavailable(f"{url} sent more than {max_bytes} bytes")
        return json.loads(body)
    except (OSError, http.client.HTTPException) as exc:  # timeouts, refusals, TLS failures, broken replies
        raise KeySetUnavailable(f"{url} unreachable: {type(exc).__name__}") from exc
    except ValueError as exc:  # JSON or UTF-8 decoding
        raise KeySetUnavailable(f"{url} did not answer JSON") from exc
    finally:
        if response is not None:
            response.close()
        conn.close()


def _limit(sock: socket.socket | None, deadline: float, url: str) -> None:
    # The connection's timeout bounds each socket operation; resetting it to what is left before
    # every read makes the deadline hold for the whole exchange (no slow-drip reply).
    if sock is not None:
        sock.settimeout(_remaining(deadline, url))


def _remaining(deadline: float, url: str) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise KeySetUnavailable(f"{url} timed out")
    return left
