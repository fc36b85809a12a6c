"""Inputs that fuzzing found (an outside atheris run, and fuzz/handler_target.py), pinned as regressions.

The outside run found a 500 in pagination for an odd `sub`: the owner was the raw `sub` then, and a lone
surrogate cannot be encoded (for the page token's HMAC, or by botocore for DynamoDB). The owner is now the
JSON string of (iss, sub), which escapes every such character, so both pages answer 200.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_harness import ApiClient, Caller

from devstack.dynamodb_local import DynamoDBLocal

pytestmark = pytest.mark.slow

CORPUS = Path(__file__).resolve().parents[2] / "fuzz" / "corpus" / "handler"
ODD_SUBS = ["\ud800", "a\udfff|b", "\x00", "\u2028", '["iss", "sub"]', "é|ü", "\\", '"']


@pytest.mark.parametrize("sub", ODD_SUBS, ids=repr)
def test_an_odd_sub_pages_through_its_own_items(api: ApiClient, sub: str) -> None:
    caller = Caller(sub)
    created = {api.create(caller, f"item-{n}")["id"] for n in range(3)}

    first = api.request("GET", "/items", caller=caller, query={"limit": "2"})
    assert first.status == 200
    second = api.request("GET", "/items", caller=caller, query={"limit": "2", "next": first.json["next"]})

    assert second.status == 200
    assert second.json["next"] is None
    assert {item["id"] for item in first.json["items"] + second.json["items"]} == created


@pytest.mark.parametrize("sub", ODD_SUBS[:3], ids=repr)
def test_an_odd_subs_page_token_is_refused_for_another_caller(api: ApiClient, sub: str) -> None:
    caller = Caller(sub)
    for n in range(2):
        api.create(caller, f"item-{n}")
    token = api.request("GET", "/items", caller=caller, query={"limit": "1"}).json["next"]

    other = api.request("GET", "/items", caller=Caller(sub + "x"), query={"limit": "1", "next": token})

    assert (other.status, other.json) == (400, {"message": "Invalid next token"})


@pytest.fixture
def fuzz_environment(dynamodb: DynamoDBLocal) -> Iterator[None]:
    dynamodb.create_table("items-fuzz-replay")
    dynamodb.create_table("idempotency-fuzz-replay", "IdempotencyTable")
    saved = dict(os.environ)
    os.environ.update(
        DYNAMODB_ENDPOINT_URL=dynamodb.endpoint_url,
        FUZZ_TABLE_NAME="items-fuzz-replay",
        FUZZ_IDEMPOTENCY_TABLE_NAME="idempotency-fuzz-replay",
    )
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_the_committed_handler_corpus_replays_without_a_crash(fuzz_environment: None) -> None:
    from fuzz import handler_target

    seeds = sorted(CORPUS.iterdir())
    assert len(seeds) >= 20
    for seed in seeds:
        handler_target.test_one_input(seed.read_bytes())
