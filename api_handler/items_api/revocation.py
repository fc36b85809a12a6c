"""The handler's revocation check, before any route runs: the authorizer's list, read the same way.

API Gateway serves a cached Allow for up to AuthorizerCacheTtl without asking the authorizer again, so
this check is what makes a revocation take effect within the refresh interval whatever the TTL (README,
"Revoking access"). It compares the authorizer context's facts (iss, sub, client_id, iat, jti: the
token's verified claims) with the list of the shared layer (token_revocation).
- covered: 401 with `WWW-Authenticate: Bearer error="invalid_token"`, as the gateway's own 401;
- no list yet (never read in this environment, or stale past its bound): 503 with Retry-After, the
  answer to every other unavailable table here; nothing is served.
"""

from __future__ import annotations

from collections.abc import Callable

from items_api.errors import StoreUnavailable, Unauthenticated
from items_api.identity import Caller
from token_revocation.cache import Listener, ListUnavailable, RevocationCache
from token_revocation.dynamodb import TableReader
from token_revocation.entries import Kind
from token_revocation.settings import RevocationSettings


class Revoked(Unauthenticated):
    """A revocation covers the caller's token: the same 401 as any invalid token."""

    def __init__(self, kind: Kind) -> None:
        super().__init__()
        self.kind = kind


class RevocationGuard:
    """Raises Revoked for a covered caller, StoreUnavailable (503) while there is no list."""

    def __init__(self, cache: RevocationCache, on_revoked: Callable[[str], None]) -> None:
        self.cache = cache
        self._on_revoked = on_revoked

    @staticmethod
    def from_settings(
        settings: RevocationSettings, listener: Listener, on_revoked: Callable[[str], None]
    ) -> RevocationGuard:
        reader = TableReader(table=settings.table, endpoint_url=settings.endpoint_url, region=settings.region)
        cache = RevocationCache(reader.read_all, refresh_seconds=settings.refresh_seconds, listener=listener)
        return RevocationGuard(cache, on_revoked)

    def check(self, caller: Caller) -> None:
        try:
            revocations = self.cache.current()
        except ListUnavailable:
            raise StoreUnavailable("RevocationList", "ListUnavailable") from None
        kind = revocations.covering(
            caller.iss, caller.sub, caller.client_id or "", caller.token_id, caller.issued_at
        )
        if kind is not None:
            self._on_revoked(kind.value)
            raise Revoked(kind)
