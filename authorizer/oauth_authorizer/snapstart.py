"""Lambda SnapStart runtime hooks: a snapshot that starts with keys, a restore that trusts nothing old.

With SnapStart (template parameter SnapStart=PublishedVersions), Lambda runs the init once per published
version, snapshots the environment's memory and starts every later environment from that snapshot,
possibly hours later and many at a time. So:
- before the snapshot, every configured issuer's discovery document and key set are fetched, so that
  a restored environment answers its first token without a fetch;
- after each restore, every fetched key set is due for a refresh (it is still usable under
  stale-if-error within its bound, counted from the fetch, not from the restore: keys.py), and the
  verified-token cache is emptied (its entries are of unknown age).
The authorizer draws no random numbers, so there is no random state to draw anew here (the API
handler's items_api/snapstart.py has some).

The hooks register with `snapshot_restore_py`, which Lambda's Python runtimes include (and awslambdaric
depends on). Without it (not Lambda, not the RIE), nothing registers: there is no snapshot to prepare.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from oauth_authorizer.keys import InlineKeys, KeySetCache
from oauth_authorizer.token_cache import VerifiedTokens

if TYPE_CHECKING:  # the revocation layer is imported only when revocation is on
    from token_revocation.cache import RevocationCache


def before_snapshot(keys: Mapping[str, KeySetCache | InlineKeys]) -> None:
    """Fetch every issuer's key set (an inline key set has nothing to fetch)."""
    for resolver in keys.values():
        if isinstance(resolver, KeySetCache):
            resolver.prefetch()


def after_restore(
    keys: Mapping[str, KeySetCache | InlineKeys],
    tokens: VerifiedTokens[Any] | None,
    revocations: RevocationCache | None = None,
) -> None:
    """Mark every key set due for a refresh, forget every verified token and the revocation list."""
    for resolver in keys.values():
        if isinstance(resolver, KeySetCache):
            resolver.restored()
    if tokens is not None:
        tokens.clear()
    if revocations is not None:
        revocations.restored()


def register(
    keys: Mapping[str, KeySetCache | InlineKeys],
    tokens: VerifiedTokens[Any] | None,
    revocations: RevocationCache | None = None,
) -> bool:
    """Register both hooks with the runtime; False when snapshot_restore_py is not installed."""
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot  # type: ignore[import-untyped]  # noqa: PLC0415
    except ModuleNotFoundError:
        return False
    register_before_snapshot(before_snapshot, keys)
    register_after_restore(after_restore, keys, tokens, revocations)
    return True
