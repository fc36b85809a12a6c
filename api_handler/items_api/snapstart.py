"""Lambda SnapStart runtime hook of the API handler: random state is drawn anew after every restore.

With SnapStart, every execution environment restored from one snapshot starts with the memory of the
one init that made it, random state included. After a restore:
- the fallback pagination key (drawn at init when neither PAGE_TOKEN_KEY nor a secret is set) is drawn
  anew, so that no two environments share it;
- the `random` module is reseeded from os.urandom (botocore draws its retry jitter from it: restored
  environments would otherwise retry in step).
Item ids come from uuid4 (os.urandom), which needs nothing. The Secrets Manager key and the DynamoDB
client need nothing either: Powertools' cache expires by the wall clock, and botocore reconnects.

The hook registers with `snapshot_restore_py`, which Lambda's Python runtimes include (and awslambdaric
depends on). Without it (not Lambda, not the RIE), nothing registers.
"""

from __future__ import annotations

import random

from items_api.page_token_key import EphemeralPageTokenKey, PageTokenKey


def after_restore(page_token_key: PageTokenKey) -> None:
    if isinstance(page_token_key, EphemeralPageTokenKey):
        page_token_key.redraw()
    random.seed()


def register(page_token_key: PageTokenKey) -> bool:
    """Register the after-restore hook with the runtime; False when snapshot_restore_py is not installed."""
    try:
        from snapshot_restore_py import register_after_restore  # type: ignore[import-untyped]  # noqa: PLC0415
    except ModuleNotFoundError:
        return False
    register_after_restore(after_restore, page_token_key)
    return True
