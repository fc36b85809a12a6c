"""The revocation check of every decision (docs/revocation.md), over the shared layer's list.

It runs after the token is verified (a verified-token cache hit included), so every fact it compares
is one the issuer signed. While revocation is on (REVOCATION_TABLE), a token must also carry `iat` and
live at most MAX_TOKEN_LIFETIME_SECONDS: the list's entries expire that long after a revocation, and a
longer-lived token could outlive the entry that revokes it.
"""

from __future__ import annotations

from oauth_authorizer.errors import Reason, TokenRejected
from oauth_authorizer.tokens import Claims
from token_revocation.cache import Listener, ListUnavailable, RevocationCache
from token_revocation.dynamodb import TableReader
from token_revocation.entries import lifetime_problem
from token_revocation.settings import RevocationSettings


class RevocationCheck:
    """Refuses (TokenRejected) a token the list covers, or any token while there is no list."""

    def __init__(self, settings: RevocationSettings, cache: RevocationCache) -> None:
        self.cache = cache
        self._max_lifetime = settings.max_token_lifetime_seconds

    @staticmethod
    def from_settings(settings: RevocationSettings, listener: Listener) -> RevocationCheck:
        reader = TableReader(table=settings.table, endpoint_url=settings.endpoint_url, region=settings.region)
        cache = RevocationCache(reader.read_all, refresh_seconds=settings.refresh_seconds, listener=listener)
        return RevocationCheck(settings, cache)

    def check(self, claims: Claims) -> None:
        problem = lifetime_problem(claims.issued_at, claims.expires_at, self._max_lifetime)
        if problem is not None:
            raise TokenRejected(problem, Reason.LIFETIME_EXCEEDED)
        try:
            revocations = self.cache.current()
        except ListUnavailable as exc:
            raise TokenRejected(str(exc), Reason.REVOCATION_UNAVAILABLE) from None
        kind = revocations.covering(
            claims.issuer, claims.subject, claims.client_id, claims.token_id, claims.issued_at
        )
        if kind is not None:  # the detail names the kind of entry, never the token
            raise TokenRejected(f"a {kind.name.lower()} revocation covers the token", Reason.REVOKED)
