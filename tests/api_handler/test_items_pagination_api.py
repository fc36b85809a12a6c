"""GET /items pages through the caller's items with `limit` and an opaque, owner-bound `next` token."""

from __future__ import annotations

from typing import Any

import pytest
from api_harness import ALICE, BOB, ApiClient, load_app

pytestmark = pytest.mark.slow


def _pages(api: ApiClient, limit: int) -> list[dict[str, Any]]:
    pages, query = [], {"limit": str(limit)}
    while True:
        response = api.request("GET", "/items", query=query)
        assert response.status == 200
        pages.append(response.json)
        if response.json["next"] is None:
            return pages
        query = {"limit": str(limit), "next": response.json["next"]}


def test_pages_cover_every_item_exactly_once_and_the_last_has_no_next(api: ApiClient) -> None:
    # GIVEN 7 items
    created = sorted((api.create(ALICE, f"item {n}") for n in range(7)), key=lambda item: item["id"])

    # WHEN paging 3 at a time
    pages = _pages(api, 3)

    # THEN 3 + 3 + 1, in id order, and no trailing empty page
    assert [len(page["items"]) for page in pages] == [3, 3, 1]
    assert [item for page in pages for item in page["items"]] == created
    assert all(isinstance(page["next"], str) for page in pages[:-1])


def test_an_exactly_full_last_page_has_no_next(api: ApiClient) -> None:
    for n in range(4):
        api.create(ALICE, f"item {n}")

    assert [len(page["items"]) for page in _pages(api, 2)] == [2, 2]


def test_default_limit_is_20(api: ApiClient) -> None:
    for n in range(21):
        api.create(ALICE, f"item {n}")

    response = api.request("GET", "/items")

    assert (len(response.json["items"]), response.json["next"] is not None) == (20, True)


def test_a_tampered_next_token_is_400(api: ApiClient) -> None:
    for n in range(3):
        api.create(ALICE, f"item {n}")
    token = api.request("GET", "/items", query={"limit": "1"}).json["next"]
    version, last_id, mac = token.split(".")
    # Flip one character of the id part: a different, still well-formed base64url string.
    tampered = f"{version}.{last_id[:-1]}{'A' if last_id[-1] != 'A' else 'B'}.{mac}"

    response = api.request("GET", "/items", query={"limit": "1", "next": tampered})

    assert (response.status, response.json) == (400, {"message": "Invalid next token"})


@pytest.mark.parametrize("token", ["garbage", "1.2.3", "", "1..", "1.%%%.@@@", "x" * 600])
def test_a_malformed_next_token_is_400(api: ApiClient, token: str) -> None:
    response = api.request("GET", "/items", query={"next": token})

    assert (response.status, response.json) == (400, {"message": "Invalid next token"})


def test_another_callers_next_token_is_400(api: ApiClient) -> None:
    # GIVEN a next token issued to Bob
    for n in range(3):
        api.create(BOB, f"bob {n}")
    bobs_token = api.request("GET", "/items", caller=BOB, query={"limit": "1"}).json["next"]
    assert bobs_token is not None

    # WHEN Alice presents it
    response = api.request("GET", "/items", caller=ALICE, query={"next": bobs_token})

    # THEN
    assert (response.status, response.json) == (400, {"message": "Invalid next token"})


def test_a_token_from_another_environments_cold_start_key_is_400(api: ApiClient) -> None:
    # GIVEN a token from this execution environment
    for n in range(2):
        api.create(ALICE, f"item {n}")
    token = api.request("GET", "/items", query={"limit": "1"}).json["next"]

    # WHEN another environment, with its own cold-start key, gets it
    other = ApiClient(load_app(), api.shape)
    response = other.request("GET", "/items", query={"limit": "1", "next": token})

    # THEN it cannot verify it
    assert (response.status, response.json) == (400, {"message": "Invalid next token"})


def test_a_shared_page_token_key_makes_tokens_valid_across_environments(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAGE_TOKEN_KEY", "k" * 40)
    first, second = ApiClient(load_app(), api.shape), ApiClient(load_app(), api.shape)
    for n in range(2):
        first.create(ALICE, f"item {n}")
    token = first.request("GET", "/items", query={"limit": "1"}).json["next"]

    response = second.request("GET", "/items", query={"limit": "1", "next": token})

    assert (response.status, len(response.json["items"]), response.json["next"]) == (200, 1, None)
