"""The key-set cache against a real issuer on 127.0.0.1: lifetime, rotation, refetch limit, stale-if-error."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from authorizer_harness import Issuer, Keys, ec_key, rsa_key

from devstack.ports import free_port
from oauth_authorizer.errors import KeySetUnavailable, Reason, TokenRejected
from oauth_authorizer.keys import STALE, KeySet, KeySetCache, KeySetEvent
from oauth_authorizer.settings import KeySetPolicy

DISCOVERY = "/.well-known/openid-configuration"
JWKS = "/keys/jwks.json"
POLICY = KeySetPolicy(
    timeout_seconds=2.0,
    max_age_seconds=600,
    refetch_cooldown_seconds=30,
    retry_after_failure_seconds=5,
    stale_if_error_seconds=3600,
)


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Events:
    seen: list[tuple[KeySetEvent, str]] = field(default_factory=list)

    def __call__(self, event: KeySetEvent, detail: str) -> None:
        self.seen.append((event, detail))

    @property
    def kinds(self) -> list[KeySetEvent]:
        return [event for event, _ in self.seen]


def cache_for(
    issuer: Issuer,
    clock: Clock,
    events: Events | None = None,
    *,
    jwks_uri: str | None = None,
    policy: KeySetPolicy = POLICY,
    algorithms: tuple[str, ...] = ("RS256", "ES256", "EdDSA"),
) -> KeySetCache:
    return KeySetCache(
        issuer=issuer.url,
        jwks_uri=jwks_uri,
        discovery_uri=f"{issuer.url}.well-known/openid-configuration",
        algorithms=algorithms,
        policy=policy,
        clock=clock,
        listener=events or Events(),
    )


def test_key_set_is_discovered_fetched_once_and_cached(issuer: Issuer, keys: Keys) -> None:
    # GIVEN a cold cache using discovery
    clock, events = Clock(), Events()
    cache = cache_for(issuer, clock, events)
    # WHEN keys are looked up many times within the lifetime
    found = [
        cache.key_for(kid, alg) for kid, alg in [("rsa-1", "RS256"), ("ec-1", "ES256"), ("ed-1", "EdDSA")] * 5
    ]
    clock.now += 599
    cache.key_for("rsa-1", "RS256")
    # THEN discovery and JWKS were each fetched exactly once
    assert [key.key_id for key in found[:3]] == ["rsa-1", "ec-1", "ed-1"]
    assert dict(issuer.hits) == {DISCOVERY: 1, JWKS: 1}
    assert events.seen == [(KeySetEvent.FETCHED, "3 keys")]


def test_configured_jwks_uri_skips_discovery(issuer: Issuer) -> None:
    cache_for(issuer, Clock(), jwks_uri=issuer.jwks_uri).key_for("rsa-1", "RS256")
    assert dict(issuer.hits) == {JWKS: 1}


def test_key_set_is_refetched_after_its_lifetime(issuer: Issuer) -> None:
    clock = Clock()
    cache = cache_for(issuer, clock)
    cache.key_for("rsa-1", "RS256")
    clock.now += 601
    cache.key_for("rsa-1", "RS256")
    # Discovery is remembered; only the JWKS is fetched again
    assert dict(issuer.hits) == {DISCOVERY: 1, JWKS: 2}


def test_rotated_in_key_is_picked_up_with_one_refetch(issuer: Issuer, keys: Keys) -> None:
    # GIVEN a warm cache, then the issuer rotates in a new key
    clock = Clock()
    cache = cache_for(issuer, clock)
    cache.key_for("rsa-1", "RS256")
    clock.now += 31
    issuer.jwks = keys.jwks(keys.spare, keys.rsa)
    # WHEN a token signed by the new key arrives
    key = cache.key_for("rsa-2", "RS256")
    # THEN exactly one refetch found it
    assert key.key_id == "rsa-2"
    assert issuer.hits[JWKS] == 2


def test_random_kids_cause_at_most_one_refetch_per_cooldown(issuer: Issuer) -> None:
    # GIVEN a warm cache past the cool-down
    clock, events = Clock(), Events()
    cache = cache_for(issuer, clock, events)
    cache.key_for("rsa-1", "RS256")
    clock.now += 31
    # WHEN a flood of tokens with random kids arrives within one window
    for n in range(200):
        with pytest.raises(TokenRejected) as caught:
            cache.key_for(f"random-{n}", "RS256")
        assert caught.value.reason is Reason.UNKNOWN_KEY
        clock.now += 0.1
    # THEN only one refetch happened, and the rest were throttled
    assert issuer.hits[JWKS] == 2
    assert events.kinds.count(KeySetEvent.REFETCH_THROTTLED) == 199
    # AND after the window, one more refetch is allowed
    clock.now += 30
    with pytest.raises(TokenRejected):
        cache.key_for("random-again", "RS256")
    assert issuer.hits[JWKS] == 3


def test_unknown_kid_right_after_a_fetch_is_not_refetched(issuer: Issuer) -> None:
    cache = cache_for(issuer, Clock())
    with pytest.raises(TokenRejected) as caught:
        cache.key_for("unknown", "RS256")
    assert (caught.value.reason, issuer.hits[JWKS]) == (Reason.UNKNOWN_KEY, 1)


def test_known_kid_with_an_algorithm_it_cannot_verify_is_not_refetched(issuer: Issuer) -> None:
    clock = Clock()
    cache = cache_for(issuer, clock)
    cache.key_for("rsa-1", "RS256")
    clock.now += 100
    with pytest.raises(TokenRejected) as caught:
        cache.key_for("rsa-1", "ES256")
    assert (caught.value.reason, issuer.hits[JWKS]) == (Reason.BAD_ALGORITHM, 1)


def test_stale_key_set_is_served_while_refreshes_fail_then_expires(issuer: Issuer) -> None:
    # GIVEN a key set fetched once, then the issuer starts failing
    clock, events = Clock(), Events()
    cache = cache_for(issuer, clock, events)
    cache.key_for("rsa-1", "RS256")
    issuer.status = 503
    # WHEN the lifetime passes
    clock.now += 601
    # THEN the last good key set keeps working, and the failure and staleness are reported
    assert cache.key_for("rsa-1", "RS256").key_id == "rsa-1"
    assert events.kinds == [KeySetEvent.FETCHED, KeySetEvent.FETCH_FAILED, KeySetEvent.SERVING_STALE]
    assert "HTTP 503" in events.seen[1][1]
    # AND retries are spaced out: none within the back-off
    clock.now += 1
    cache.key_for("rsa-1", "RS256")
    assert issuer.hits[JWKS] == 2
    clock.now += 5
    cache.key_for("rsa-1", "RS256")
    assert issuer.hits[JWKS] == 3
    # AND past the stale-if-error bound, it is no longer trusted
    clock.now += 3600
    with pytest.raises(KeySetUnavailable):
        cache.key_for("rsa-1", "RS256")


def test_recovery_after_failures_resets_the_cache(issuer: Issuer) -> None:
    clock, events = Clock(), Events()
    cache = cache_for(issuer, clock, events)
    cache.key_for("rsa-1", "RS256")
    issuer.status = 500
    clock.now += 601
    cache.key_for("rsa-1", "RS256")
    issuer.status = 200
    clock.now += 6
    cache.key_for("rsa-1", "RS256")
    clock.now += 599
    cache.key_for("rsa-1", "RS256")
    assert issuer.hits[JWKS] == 3
    assert events.kinds[-1] is KeySetEvent.FETCHED


def test_cold_start_with_a_dead_issuer_fails_and_backs_off(issuer: Issuer) -> None:
    # GIVEN nothing listens on the JWKS port
    clock = Clock()
    dead = f"http://127.0.0.1:{free_port()}/jwks.json"
    cache = cache_for(issuer, clock, jwks_uri=dead)
    # THEN lookups fail as unavailable (never as a valid key)
    with pytest.raises(KeySetUnavailable, match="unreachable: ConnectionRefusedError"):
        cache.key_for("rsa-1", "RS256")
    # AND within the back-off, no new connection is attempted (the message says why)
    with pytest.raises(KeySetUnavailable, match="the last refresh failed moments ago"):
        cache.key_for("rsa-1", "RS256")


def test_slow_issuer_is_cut_off_at_the_deadline(issuer: Issuer) -> None:
    # GIVEN an issuer that takes 30 s to answer, and a 0.3 s deadline
    issuer.delay_seconds = 30
    cache = cache_for(issuer, Clock(), policy=KeySetPolicy(timeout_seconds=0.3))
    # THEN the lookup gives up as unavailable instead of waiting
    with pytest.raises(KeySetUnavailable, match=r"TimeoutError|timed out"):
        cache.key_for("rsa-1", "RS256")


def test_trickling_reply_is_cut_off_at_the_deadline(issuer: Issuer) -> None:
    # GIVEN an issuer that answers at once but sends its body one byte every 50 ms
    issuer.drip_seconds = 0.05
    cache = cache_for(issuer, Clock(), jwks_uri=issuer.jwks_uri, policy=KeySetPolicy(timeout_seconds=0.5))
    # THEN the whole exchange is bounded by the deadline, not each read
    with pytest.raises(KeySetUnavailable, match=r"TimeoutError|timed out"):
        cache.key_for("rsa-1", "RS256")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"issuer": "https://someone-else.example.com/"}, "names a different issuer"),
        ({"jwks_uri": None}, "has no jwks_uri"),
        ({"jwks_uri": "http://keys.example.com/jwks.json"}, "must use https"),
        ({"jwks_uri": "file:///etc/passwd"}, "not an absolute https:// URL"),
    ],
)
def test_untrustworthy_discovery_document_is_refused(
    issuer: Issuer, overrides: dict[str, object], message: str
) -> None:
    issuer.discovery_overrides = overrides
    with pytest.raises(KeySetUnavailable, match=message):
        cache_for(issuer, Clock()).key_for("rsa-1", "RS256")
    assert issuer.hits[JWKS] == 0


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "not a JWK Set"),
        ({"keys": {}}, "not a JWK Set"),
        ({"keys": []}, "no usable key"),
        ({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"}]}, "no usable key"),
    ],
)
def test_unusable_jwks_document_is_refused(issuer: Issuer, document: object, message: str) -> None:
    issuer.jwks = document  # type: ignore[assignment]
    with pytest.raises(KeySetUnavailable, match=message):
        cache_for(issuer, Clock(), jwks_uri=issuer.jwks_uri).key_for("rsa-1", "RS256")


def test_oversized_jwks_document_is_refused(issuer: Issuer, keys: Keys) -> None:
    issuer.jwks = {"keys": [keys.rsa.jwk], "padding": "x" * 2048}
    with pytest.raises(KeySetUnavailable, match="more than 1024 bytes"):
        cache_for(
            issuer, Clock(), jwks_uri=issuer.jwks_uri, policy=KeySetPolicy(max_document_bytes=1024)
        ).key_for("rsa-1", "RS256")


def test_key_set_keeps_only_signing_keys_that_fit_allowed_algorithms(keys: Keys) -> None:
    # GIVEN a JWK Set mixing usable keys with encryption keys, mismatched types and an RSA key without alg
    no_alg = {k: v for k, v in keys.spare.jwk.items() if k != "alg"} | {"kid": "rsa-no-alg"}
    p256 = ec_key("unused")
    document = {
        "keys": [
            keys.rsa.jwk,
            keys.ec.jwk,
            {**keys.rsa.jwk, "kid": "enc", "use": "enc"},
            {**keys.rsa.jwk, "kid": "wrap-only", "key_ops": ["wrapKey"]},
            {**keys.rsa.jwk, "kid": "rsa-claims-es256", "alg": "ES256"},
            {**p256.jwk, "kid": "p256-claims-es384", "alg": "ES384"},
            no_alg,
            "not a key",
            {"kty": "RSA", "kid": "broken", "n": "AQAB"},
            {"kty": "EC", "kid": "odd-curve", "crv": ["P-256"], "x": "AA", "y": "AA"},
            {"kty": "OKP", "kid": "okp-claims-p256", "crv": "P-256", "x": "AA"},
        ]
    }
    # WHEN parsed for RS256, PS256, ES256 and ES384
    key_set = KeySet.from_document(document, ["RS256", "PS256", "ES256", "ES384"])
    # THEN each kid is bound only to the algorithms its key can verify
    assert {kid: sorted(bound) for kid, bound in key_set.keys.items()} == {
        "rsa-1": ["RS256"],
        "ec-1": ["ES256"],
        "rsa-no-alg": ["PS256", "RS256"],
    }


def test_token_without_kid_uses_the_only_key_for_its_algorithm(keys: Keys) -> None:
    key_set = KeySet.from_document(keys.jwks(keys.rsa, keys.ec), ["RS256", "ES256"])
    assert key_set.find(None, "ES256") is key_set.keys["ec-1"]["ES256"]
    two_rsa = KeySet.from_document(keys.jwks(keys.rsa, rsa_key("rsa-3")), ["RS256"])
    assert two_rsa.find(None, "RS256") is None


# The key-set generation: what the verified-token cache checks its entries against


def test_generation_stays_when_a_refetch_brings_the_same_keys(issuer: Issuer) -> None:
    clock = Clock()
    cache = cache_for(issuer, clock)
    cache.key_for("rsa-1", "RS256")
    first = cache.generation
    clock.now += 601
    cache.key_for("rsa-1", "RS256")
    assert (first, cache.generation, issuer.hits[JWKS]) == (1, 1, 2)


def test_generation_moves_when_the_issuer_withdraws_or_adds_a_key(issuer: Issuer, keys: Keys) -> None:
    # GIVEN a warm cache
    clock = Clock()
    cache = cache_for(issuer, clock)
    cache.key_for("rsa-1", "RS256")
    # WHEN the issuer rotates in a new key, and later withdraws the old one
    issuer.jwks = keys.jwks(keys.spare, keys.rsa)
    clock.now += 601
    cache.key_for("rsa-2", "RS256")
    after_rotation = cache.generation
    issuer.jwks = keys.jwks(keys.spare)
    clock.now += 601
    cache.key_for("rsa-2", "RS256")
    # THEN each change of the usable keys is a new generation
    assert (after_rotation, cache.generation) == (2, 3)


def test_generation_moves_when_no_usable_key_set_is_left(issuer: Issuer) -> None:
    # GIVEN a key set whose stale-if-error bound has passed while the issuer is down
    clock = Clock()
    cache = cache_for(issuer, clock)
    cache.key_for("rsa-1", "RS256")
    issuer.status = 503
    clock.now += 601 + 3600
    # WHEN a key is looked up, and later the issuer recovers with the very same keys
    with pytest.raises(KeySetUnavailable):
        cache.key_for("rsa-1", "RS256")
    while_down = cache.generation
    issuer.status = 200
    clock.now += 5
    cache.key_for("rsa-1", "RS256")
    # THEN nothing verified before the loss stands after it
    assert (while_down, cache.generation) == (STALE, 2)


def test_generation_is_stale_once_the_key_set_is_due_for_refresh(issuer: Issuer) -> None:
    clock = Clock()
    cache = cache_for(issuer, clock)
    before_first_fetch = cache.generation
    cache.key_for("rsa-1", "RS256")
    clock.now += 599.9
    fresh = cache.generation
    clock.now += 0.1
    assert (before_first_fetch, fresh, cache.generation) == (STALE, 1, STALE)
