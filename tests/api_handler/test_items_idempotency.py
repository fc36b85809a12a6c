"""POST /items with Idempotency-Key: a retry replays the first answer and never makes a second item.

Against DynamoDB Local, with Powertools' Idempotency utility on a table created from template.yaml.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import Any

import pytest
from api_harness import ALICE, BOB, ApiClient, Caller, HttpResponse

from items_api.errors import StoreUnavailable

pytestmark = pytest.mark.slow

KEY = "8e03978e-40d5-43e8-bc93-6894a57f9324"


def _post(
    api: ApiClient, body: dict[str, Any], key: str | None = KEY, caller: Caller = ALICE
) -> HttpResponse:
    headers = {} if key is None else {"Idempotency-Key": key}
    return api.request("POST", "/items", caller=caller, json_body=body, headers=headers)


def _listed_ids(api: ApiClient, caller: Caller = ALICE) -> list[str]:
    response = api.request("GET", "/items", caller=caller, query={"limit": "100"})
    assert response.status == 200
    return [item["id"] for item in response.json["items"]]


def test_same_key_and_body_replays_the_first_answer_and_creates_nothing_new(api: ApiClient) -> None:
    first = _post(api, {"name": "Milk", "description": "2 litres"})
    again = [_post(api, {"name": "Milk", "description": "2 litres"}) for _ in range(3)]

    assert first.status == 201
    for retry in again:
        assert (retry.status, retry.json, retry.headers["location"]) == (
            201,
            first.json,
            first.headers["location"],
        )
    assert _listed_ids(api) == [first.json["id"]]


def test_same_key_with_another_body_is_422_and_stores_nothing(api: ApiClient) -> None:
    first = _post(api, {"name": "Milk"})
    other = _post(api, {"name": "Bread"})

    assert (other.status, other.json) == (
        422,
        {"message": "Idempotency-Key already used with a different request body"},
    )
    assert _listed_ids(api) == [first.json["id"]]


def test_without_the_header_every_post_creates_an_item_as_before(api: ApiClient) -> None:
    created = [_post(api, {"name": "Milk"}, key=None) for _ in range(3)]

    assert [response.status for response in created] == [201, 201, 201]
    assert sorted(_listed_ids(api)) == sorted(response.json["id"] for response in created)


def test_one_key_of_two_callers_makes_one_item_each_and_neither_sees_the_other(api: ApiClient) -> None:
    alice = _post(api, {"name": "Milk"}, caller=ALICE)
    bob = _post(api, {"name": "Milk"}, caller=BOB)
    # Same sub at another issuer: another owner, so another key scope.
    mallory = Caller(ALICE.sub, iss="https://evil.example.com/")
    other_issuer = _post(api, {"name": "Milk"}, caller=mallory)

    ids = {alice.json["id"], bob.json["id"], other_issuer.json["id"]}
    assert [alice.status, bob.status, other_issuer.status] == [201, 201, 201]
    assert len(ids) == 3
    assert _listed_ids(api, ALICE) == [alice.json["id"]]
    assert _listed_ids(api, BOB) == [bob.json["id"]]
    assert _listed_ids(api, mallory) == [other_issuer.json["id"]]


@pytest.mark.parametrize("key", ["", " ", "é-key", "a" * 256, 'quo"te', "tab\tkey"])
def test_a_malformed_key_is_400_and_stores_nothing(api: ApiClient, key: str) -> None:
    response = _post(api, {"name": "Milk"}, key=key)

    assert (response.status, response.json) == (
        400,
        {"message": "Idempotency-Key must be 1 to 255 printable ASCII characters"},
    )
    assert _listed_ids(api) == []


def test_a_quoted_key_is_the_same_key_as_its_bare_content(api: ApiClient) -> None:
    bare = _post(api, {"name": "Milk"}, key=KEY)
    quoted = _post(api, {"name": "Milk"}, key=f'"{KEY}"')

    assert (quoted.status, quoted.json) == (201, bare.json)
    assert _listed_ids(api) == [bare.json["id"]]


def test_a_key_in_progress_is_409_with_retry_after(
    app: ModuleType, api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a first request that is still storing its item
    entered, release = threading.Event(), threading.Event()
    real_create = app.items.create_item

    def slow_create(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        assert release.wait(timeout=30)
        return real_create(*args, **kwargs)

    monkeypatch.setattr(app.items, "create_item", slow_create)
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(_post, api, {"name": "Milk"})
        assert entered.wait(timeout=30)

        # WHEN the client retries meanwhile
        retry = _post(api, {"name": "Milk"})
        release.set()
        first_answer = first.result(timeout=30)

    # THEN the retry is told to come back later; the first one completes; one item exists
    assert (retry.status, retry.json, retry.headers["retry-after"]) == (
        409,
        {"message": "A request with this Idempotency-Key is in progress, retry later"},
        "1",
    )
    assert first_answer.status == 201
    monkeypatch.setattr(app.items, "create_item", real_create)
    assert (_post(api, {"name": "Milk"}).json, _listed_ids(api)) == (
        first_answer.json,
        [first_answer.json["id"]],
    )


def test_a_stored_write_answered_503_is_found_by_the_retry_not_stored_twice(
    app: ModuleType, api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a first attempt whose PutItem is stored but whose answer is lost (a timeout after the write)
    real_put = app.store.__class__.put_new_or_find
    failures = iter([True])

    def stored_then_lost(self: Any, item: Any) -> Any:
        stored = real_put(self, item)
        if next(failures, False):
            raise StoreUnavailable("PutItem", "ReadTimeoutError")
        return stored

    monkeypatch.setattr(app.store.__class__, "put_new_or_find", stored_then_lost)

    # WHEN the client retries with the same key
    lost = _post(api, {"name": "Milk"})
    retry = _post(api, {"name": "Milk"})

    # THEN the first answer was a 503 to retry, and the retry answers the item stored the first time
    assert (lost.status, lost.headers["retry-after"]) == (503, "1")
    assert retry.status == 201
    assert _listed_ids(api) == [retry.json["id"]]
