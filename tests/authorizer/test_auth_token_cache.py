"""The verified-token cache: a repeated token skips verification, and nothing else does."""

from __future__ import annotations

from dataclasses import dataclass

import jwt
import pytest
from authorizer_harness import Issuer, Keys, claims, environment, mint

from oauth_authorizer.errors import Reason, TokenRejected
from oauth_authorizer.keys import STALE, KeySetCache, key_resolvers
from oauth_authorizer.settings import Settings, load_settings
from oauth_authorizer.token_cache import VerifiedTokens, token_digest
from oauth_authorizer.tokens import Claims, TokenVerifier

NOW = 1_900_000_000.0


@dataclass
class Clock:
    now: float = NOW

    def __call__(self) -> float:
        return self.now


@dataclass
class CountingKeys:
    """The real key-set cache, counting lookups (each full verification makes one)."""

    keys: KeySetCache
    lookups: int = 0

    def key_for(self, kid: str | None, alg: str) -> jwt.PyJWK:
        self.lookups += 1
        return self.keys.key_for(kid, alg)

    @property
    def generation(self) -> int:
        return self.keys.generation


@dataclass
class FixedKeys:
    """A key set whose generation the test sets (the cache only reads `generation`)."""

    generation: int = 1

    def key_for(self, kid: str | None, alg: str) -> jwt.PyJWK:
        raise AssertionError("the cache never looks a key up")


def claims_expiring_at(expires_at: int, subject: str = "auth0|user-1") -> Claims:
    return Claims(subject, expires_at, frozenset({"read:items"}), "spa-client", "", "https://issuer.example/")


@pytest.fixture
def counting(settings: Settings) -> CountingKeys:
    key_set = key_resolvers(settings)[settings.issuers[0].issuer]
    assert isinstance(key_set, KeySetCache)
    return CountingKeys(key_set)


@pytest.fixture
def verifier(settings: Settings, counting: CountingKeys) -> TokenVerifier:
    return TokenVerifier(
        settings, {settings.issuers[0].issuer: counting}, VerifiedTokens(max_age_seconds=300)
    )


def test_repeated_token_is_verified_once(
    verifier: TokenVerifier, counting: CountingKeys, issuer: Issuer, keys: Keys
) -> None:
    token = mint(keys.rsa, claims(issuer, exp=2_000_000_000))
    answers = [verifier.verify(token) for _ in range(5)]
    assert answers == [verifier.verify(token)] * 5
    assert answers[0].subject == "auth0|user-1"
    assert counting.lookups == 1


def test_token_differing_in_one_byte_is_verified_in_full_and_refused(
    verifier: TokenVerifier, counting: CountingKeys, issuer: Issuer, keys: Keys
) -> None:
    # GIVEN a token that passed and is cached
    token = mint(keys.rsa, claims(issuer, exp=2_000_000_000))
    verifier.verify(token)
    # WHEN the same token arrives with its payload altered (a scope added) under the old signature
    header, _, signature = token.split(".")
    forged_payload = mint(keys.rsa, claims(issuer, exp=2_000_000_000, scope="openid read:items admin")).split(
        "."
    )[1]
    forged = f"{header}.{forged_payload}.{signature}"
    # THEN it is not a cache hit: full verification refuses the signature
    with pytest.raises(TokenRejected) as caught:
        verifier.verify(forged)
    assert (caught.value.reason, counting.lookups) == (Reason.BAD_SIGNATURE, 2)


def test_rejected_tokens_are_never_cached(
    verifier: TokenVerifier, counting: CountingKeys, issuer: Issuer, keys: Keys
) -> None:
    expired = mint(keys.rsa, claims(issuer, exp=1_600_000_000))
    reasons = []
    for _ in range(3):
        with pytest.raises(TokenRejected) as caught:
            verifier.verify(expired)
        reasons.append(caught.value.reason)
    assert (reasons, counting.lookups) == ([Reason.EXPIRED] * 3, 3)


def test_token_verified_with_stale_keys_is_not_cached(
    settings: Settings, counting: CountingKeys, issuer: Issuer, keys: Keys
) -> None:
    # GIVEN a key set past its lifetime while the issuer is down (stale-if-error serves it)
    verifier = TokenVerifier(
        settings, {settings.issuers[0].issuer: counting}, VerifiedTokens(max_age_seconds=300)
    )
    verifier.verify(mint(keys.rsa, claims(issuer, jti="warm-up")))
    counting.keys._fetched_at -= settings.key_set.max_age_seconds
    issuer.status = 503
    # WHEN one token arrives twice
    token = mint(keys.rsa, claims(issuer))
    verifier.verify(token)
    verifier.verify(token)
    # THEN both were verified in full
    assert counting.lookups == 3


def test_entry_ends_at_the_token_exp_without_leeway() -> None:
    clock = Clock()
    cache: VerifiedTokens[Claims] = VerifiedTokens(max_age_seconds=300, clock=clock)
    digest = token_digest("a.b.c")
    cache.put(digest, claims_expiring_at(int(NOW) + 60), FixedKeys(), generation=1)
    clock.now = NOW + 59.9
    assert cache.get(digest) == claims_expiring_at(int(NOW) + 60)
    clock.now = NOW + 60
    assert (cache.get(digest), len(cache)) == (None, 0)


def test_entry_ends_after_max_age_even_for_a_long_lived_token() -> None:
    clock = Clock()
    cache: VerifiedTokens[Claims] = VerifiedTokens(max_age_seconds=300, clock=clock)
    digest = token_digest("a.b.c")
    cache.put(digest, claims_expiring_at(int(NOW) + 86_400), FixedKeys(), generation=1)
    clock.now = NOW + 299.9
    assert cache.get(digest) is not None
    clock.now = NOW + 300
    assert cache.get(digest) is None


def test_new_key_set_generation_voids_every_entry_of_that_key_set_only() -> None:
    cache: VerifiedTokens[Claims] = VerifiedTokens(max_age_seconds=300, clock=Clock())
    rotated, other = FixedKeys(), FixedKeys()
    digests = [token_digest(f"token-{n}") for n in range(3)]
    for digest in digests:
        cache.put(digest, claims_expiring_at(int(NOW) + 600), rotated, generation=1)
    kept = token_digest("other-issuer")
    cache.put(kept, claims_expiring_at(int(NOW) + 600), other, generation=1)
    rotated.generation = 2
    assert ([cache.get(d) for d in digests], len(cache)) == ([None, None, None], 1)
    assert cache.get(kept) == claims_expiring_at(int(NOW) + 600)
    # AND an entry of the old generation is not accepted back either
    rotated.generation = 1
    assert cache.get(digests[1]) is None


def test_key_set_due_for_refresh_is_stale_and_matches_no_entry() -> None:
    cache: VerifiedTokens[Claims] = VerifiedTokens(max_age_seconds=300, clock=Clock())
    keys = FixedKeys()
    digest = token_digest("a.b.c")
    cache.put(digest, claims_expiring_at(int(NOW) + 600), keys, generation=1)
    keys.generation = STALE
    assert cache.get(digest) is None
    # AND nothing verified while the keys are stale is remembered
    cache.put(digest, claims_expiring_at(int(NOW) + 600), keys, generation=STALE)
    assert len(cache) == 0


def test_cache_is_bounded_and_drops_the_oldest_first() -> None:
    cache: VerifiedTokens[Claims] = VerifiedTokens(max_age_seconds=300, max_entries=3, clock=Clock())
    digests = [token_digest(f"token-{n}") for n in range(5)]
    for n, digest in enumerate(digests):
        cache.put(digest, claims_expiring_at(int(NOW) + 600, subject=f"user-{n}"), FixedKeys(), generation=1)
    kept = [c.subject if (c := cache.get(d)) else None for d in digests]
    assert (kept, len(cache)) == ([None, None, "user-2", "user-3", "user-4"], 3)


def test_withdrawn_signing_key_stops_a_cached_token(issuer: Issuer, keys: Keys) -> None:
    # GIVEN a token verified and cached under the issuer's key set
    settings = load_settings(environment(issuer))
    resolvers = key_resolvers(settings)
    key_set = resolvers[issuer.url]
    assert isinstance(key_set, KeySetCache)
    verifier = TokenVerifier(settings, resolvers, VerifiedTokens(max_age_seconds=300))
    token = mint(keys.rsa, claims(issuer, exp=2_000_000_000))
    verifier.verify(token)
    # WHEN the issuer withdraws that key and the key set comes due for its refresh
    issuer.jwks = keys.jwks(keys.spare)
    key_set._fetched_at -= settings.key_set.max_age_seconds
    # THEN the cached token is verified again (refreshing the keys), and refused
    with pytest.raises(TokenRejected) as caught:
        verifier.verify(token)
    assert caught.value.reason is Reason.UNKNOWN_KEY
