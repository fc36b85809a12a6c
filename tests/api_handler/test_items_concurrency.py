"""Two deletes of one item, really at the same time against DynamoDB Local: exactly one wins.

The race runs through the logic and data layers (items.delete_item on the real store), from two threads
released by one barrier. The resolver is not thread-safe (Powertools keeps the current event in a class
attribute) and Lambda never runs two requests at once in one execution environment, so each thread maps its
outcome to a status with the API's own error model, as the handler does. A sequential test in
test_items_routes.py pins the same 204/404 through the full handler.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus

import pytest

from devstack.dynamodb_local import DynamoDBLocal
from items_api import items
from items_api.errors import ItemsApiError
from items_api.store import DynamoDBClients, ItemStore
from items_api.validation import NewItem

pytestmark = pytest.mark.slow

OWNER = "auth0|alice"
RACES = 25


def _store(dynamodb: DynamoDBLocal, table_name: str) -> ItemStore:
    # The handler's own client factory, as each execution environment builds it at cold start.
    return ItemStore(DynamoDBClients(dynamodb.endpoint_url), table_name)


def _delete_status(store: ItemStore, item_id: str, barrier: threading.Barrier) -> Callable[[], int]:
    def run() -> int:
        barrier.wait()
        try:
            items.delete_item(store, OWNER, item_id)
        except ItemsApiError as exc:
            return int(exc.status)
        return int(HTTPStatus.NO_CONTENT)

    return run


def test_two_concurrent_deletes_of_one_item_give_one_204_and_one_404(
    dynamodb: DynamoDBLocal, table_name: str
) -> None:
    # GIVEN one store (one client) per "execution environment"
    stores = [_store(dynamodb, table_name), _store(dynamodb, table_name)]
    outcomes = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for n in range(RACES):
            item = items.create_item(stores[0], OWNER, NewItem(name=f"race {n}", description=None))
            barrier = threading.Barrier(2)

            # WHEN both delete it at once
            futures = [pool.submit(_delete_status(store, item.id, barrier)) for store in stores]

            outcomes.append(sorted(future.result() for future in futures))
            # AND the item is gone either way
            assert stores[1].get(OWNER, item.id) is None

    # THEN every race had exactly one winner
    assert outcomes == [[204, 404]] * RACES
