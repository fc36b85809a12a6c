"""A bounded memory of access tokens that already passed full verification (as Envoy's jwt_authn).

Why a cache hit is as good as a verification:
- Only a token that passed every check (signature, alg, iss, aud, exp/nbf, claim types) is stored.
- An entry is found only by the SHA-256 of the whole compact token (header, payload and signature).
  A token that differs in any byte has another digest, and finding a second token with the same
  digest is a second-preimage attack on SHA-256. A hit is therefore the very token that was checked.
- The cache keeps digests and typed claims, never a token, so its memory holds nothing to replay.
- An entry ends at the token's `exp` (without the verification leeway) or `max_age` seconds after it
  was verified, whichever comes first. `nbf` needs no re-check: it was already in the past.
- An entry is only valid for the key-set generation it was verified under, of the key set of the
  token's own issuer. A new key set (rotation, a withdrawn key) or the loss of the key set voids every
  entry of that issuer, and once the key set is due for a refresh none of them is used until it has
  been refreshed. So a token signed with a key the issuer
  withdrew stops working at the same moment as it would without the cache.
- It lives in one execution environment's memory, is bounded in entries (the oldest go first) and is
  never shared or persisted. Failures are never cached, so a flood of bad tokens cannot fill it.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

from oauth_authorizer.keys import STALE

DEFAULT_MAX_ENTRIES = 2048


# What the cache needs of the claims and of the key set, and no more: the module stays below tokens.py
# (which stores its Claims and KeyResolver here) instead of importing it back.
class Expiring(Protocol):
    @property
    def expires_at(self) -> int | float: ...


class Generational(Protocol):
    @property
    def generation(self) -> int: ...


ClaimsT = TypeVar("ClaimsT", bound=Expiring)


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class VerifiedTokens(Generic[ClaimsT]):
    """Token digest → (claims, valid until, the key set and generation it was verified under)."""

    def __init__(
        self,
        *,
        max_age_seconds: float,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._max_age = max_age_seconds
        self._max_entries = max_entries
        self._clock = clock  # wall clock: `exp` is a wall-clock time
        # Insertion-ordered, and popitem(last=False) drops the oldest in O(1) (a dict's first key is
        # O(n) to find once many entries have been deleted before it).
        self._entries: OrderedDict[bytes, tuple[ClaimsT, float, Generational, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        """Forget every verified token (after a SnapStart restore: the snapshot's are of unknown age)."""
        self._entries.clear()

    def get(self, digest: bytes) -> ClaimsT | None:
        """The claims of a token still in date and verified under its key set's current generation."""
        entry = self._entries.get(digest)
        if entry is None:
            return None
        claims, valid_until, keys, generation = entry
        # A new key set (or one due for a refresh: STALE matches no generation) voids the entry; the
        # token is verified in full again, which refreshes the keys.
        if keys.generation != generation or self._clock() >= valid_until:
            del self._entries[digest]
            return None
        return claims

    def put(self, digest: bytes, claims: ClaimsT, keys: Generational, generation: int) -> None:
        """Remember a token that has just passed full verification with `keys` at `generation`."""
        if generation == STALE:  # verified with stale keys (the issuer is down): not remembered
            return
        if len(self._entries) >= self._max_entries:
            self._entries.popitem(last=False)
        valid_until = min(float(claims.expires_at), self._clock() + self._max_age)
        self._entries[digest] = (claims, valid_until, keys, generation)
