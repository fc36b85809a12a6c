"""The items logic: plain values in, plain values out. It never sees the event, only the caller's subject.

Every operation is scoped to one owner. An item that belongs to someone else is indistinguishable from one
that does not exist (404, never 403, which would confirm that it exists).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from items_api.errors import IdempotencyKeyReused, ItemNotFound
from items_api.identity import Caller
from items_api.pagination import decode_page_token, encode_page_token
from items_api.store import Item, ItemStore
from items_api.validation import NewItem


def utc_timestamp() -> str:
    """Now, as an ISO 8601 UTC timestamp with milliseconds: 2025-01-31T12:34:56.789Z."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_item_id() -> str:
    """A fresh random UUID."""
    return str(uuid.uuid4())


def item_view(item: Item) -> dict[str, Any]:
    """An item as the API shows it (the owner is implied: it is always the caller)."""
    return {
        "id": item.id,
        "name": item.name,
        "description": item.description,
        "created_at": item.created_at,
    }


def me_view(caller: Caller) -> dict[str, Any]:
    """The caller as the authorizer saw it."""
    return {
        "iss": caller.iss,
        "sub": caller.sub,
        "scopes": sorted(caller.scopes),
        "client_id": caller.client_id,
    }


def _checked_id(item_id: str) -> str:
    # Only canonical UUIDs were ever issued; anything else cannot exist, so it is a 404 without a
    # DynamoDB call (and an oversized key never reaches DynamoDB's key-size validation).
    try:
        canonical = str(uuid.UUID(item_id))
    except ValueError as exc:
        raise ItemNotFound from exc
    if canonical != item_id:
        raise ItemNotFound
    return item_id


def create_item(
    store: ItemStore,
    owner: str,
    new: NewItem,
    *,
    now: Callable[[], str] = utc_timestamp,
    new_id: Callable[[], str] = new_item_id,
) -> Item:
    """Store a new item for the owner; the server assigns its id, owner and creation time.

    When the id is stored already (a retry: botocore's after a lost answer, or an Idempotency-Key's id),
    the stored item is the answer if it holds the same fields, and IdempotencyKeyReused (422) if not.
    """
    item = Item(owner=owner, id=new_id(), name=new.name, description=new.description, created_at=now())
    stored = store.put_new_or_find(item)
    if (stored.name, stored.description) != (item.name, item.description):
        raise IdempotencyKeyReused
    return stored


def get_item(store: ItemStore, owner: str, item_id: str) -> Item:
    """The owner's item; ItemNotFound if it does not exist or is someone else's."""
    item = store.get(owner, _checked_id(item_id))
    if item is None:
        raise ItemNotFound
    return item


def delete_item(store: ItemStore, owner: str, item_id: str) -> None:
    """Delete the owner's item; ItemNotFound if there was none to delete (including a lost race)."""
    if not store.delete(owner, _checked_id(item_id)):
        raise ItemNotFound


def list_items(
    store: ItemStore, token_key: bytes, owner: str, limit: int, next_token: str | None
) -> dict[str, Any]:
    """One page of the owner's items and the token for the next page (None on the last one)."""
    after_id = decode_page_token(token_key, owner, next_token) if next_token is not None else None
    page = store.list(owner, limit, after_id)
    return {
        "items": [item_view(item) for item in page.items],
        "next": encode_page_token(token_key, owner, page.last_id) if page.last_id is not None else None,
    }
