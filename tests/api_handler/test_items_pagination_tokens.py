"""The `next` token: opaque, tamper-evident and bound to its owner; and the bounded `limit`."""

from __future__ import annotations

import pytest

from items_api.errors import BadRequest, InvalidPageToken
from items_api.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    decode_page_token,
    encode_page_token,
    page_query,
    parse_limit,
)

KEY = b"k" * 32
ITEM_ID = "0b7e1c9e-4a55-4e0a-9d0f-2f6a1c3b8e21"


def test_a_token_round_trips_for_its_owner() -> None:
    token = encode_page_token(KEY, "auth0|alice", ITEM_ID)

    assert decode_page_token(KEY, "auth0|alice", token) == ITEM_ID


def test_a_token_is_url_safe_and_does_not_show_the_owner() -> None:
    token = encode_page_token(KEY, "auth0|alice", ITEM_ID)

    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert "alice" not in token


def test_another_owners_token_is_invalid() -> None:
    token = encode_page_token(KEY, "auth0|bob", ITEM_ID)

    with pytest.raises(InvalidPageToken):
        decode_page_token(KEY, "auth0|alice", token)


def test_a_token_under_another_key_is_invalid() -> None:
    token = encode_page_token(b"other key " * 4, "auth0|alice", ITEM_ID)

    with pytest.raises(InvalidPageToken):
        decode_page_token(KEY, "auth0|alice", token)


def test_every_single_character_change_is_detected() -> None:
    token = encode_page_token(KEY, "auth0|alice", ITEM_ID)
    for position, original in enumerate(token):
        for replacement in {"A", "B", "-", "."} - {original}:
            tampered = token[:position] + replacement + token[position + 1 :]
            with pytest.raises(InvalidPageToken):
                decode_page_token(KEY, "auth0|alice", tampered)


def test_only_the_canonical_base64url_spelling_is_accepted() -> None:
    # Non-canonical spellings decode to the same bytes with a lenient decoder: unused trailing bits set
    # in the last character, padding, or characters outside the unpadded base64url alphabet.
    token = encode_page_token(KEY, "auth0|alice", ITEM_ID)
    version, id_part, mac_part = token.split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    # A 32-byte MAC is 43 characters; its last one carries 4 data bits and 2 unused ones.
    last = alphabet.index(mac_part[-1])
    same_bytes = [alphabet[(last & ~0b11) | low] for low in range(4) if (last & ~0b11) | low != last]
    variants = [
        *(f"{version}.{id_part}.{mac_part[:-1]}{char}" for char in same_bytes),
        f"{token}=",
        f"{token}==",
        f"{version}.{id_part}=.{mac_part}",
        f"{version}.{id_part}.{mac_part[:20]}\n{mac_part[20:]}",
        f"{version}.{id_part}.{mac_part.replace('-', '+').replace('_', '/')}",
    ]

    for variant in variants:
        if variant == token:
            continue
        with pytest.raises(InvalidPageToken):
            decode_page_token(KEY, "auth0|alice", variant)
    assert len(same_bytes) == 3


def test_owner_and_id_cannot_be_reshuffled_between_fields() -> None:
    # ("a", "b|c") and ("a|b", "c") must not authenticate each other.
    token = encode_page_token(KEY, "a", "b|c")

    with pytest.raises(InvalidPageToken):
        decode_page_token(KEY, "a|b", "1." + token.split(".")[1] + "." + token.split(".")[2])


@pytest.mark.parametrize(
    "token", ["", "1", "1.", "1..", "2.YQ.YQ", "1.YQ", "1.*.*", "1.YQ.YQ.YQ", "é", "x" * 513]
)
def test_malformed_tokens_are_invalid(token: str) -> None:
    with pytest.raises(InvalidPageToken):
        decode_page_token(KEY, "auth0|alice", token)


def test_invalid_page_token_is_a_bad_request() -> None:
    assert issubclass(InvalidPageToken, BadRequest)


@pytest.mark.parametrize(
    ("query", "limit"),
    [({}, DEFAULT_LIMIT), ({"limit": "1"}, 1), ({"limit": "100"}, MAX_LIMIT)],
)
def test_limit_defaults_and_bounds(query: dict[str, str], limit: int) -> None:
    assert parse_limit(query) == limit


@pytest.mark.parametrize("raw", ["", "0", "101", "-5", "+5", "5.0", "1e2", "²", "٣", "five"])
def test_limit_outside_the_bounds_or_not_a_plain_integer_is_rejected(raw: str) -> None:
    with pytest.raises(BadRequest):
        parse_limit({"limit": raw})


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {}),
        ({"limit": ["5"]}, {"limit": "5"}),
        ({"limit": ["5"], "next": ["1.a.b"], "other": ["x", "y"]}, {"limit": "5", "next": "1.a.b"}),
    ],
)
def test_page_query_takes_each_parameter_once(query: dict[str, list[str]], expected: dict[str, str]) -> None:
    assert page_query(query) == expected


@pytest.mark.parametrize("name", ["limit", "next"])
def test_a_repeated_page_parameter_is_a_bad_request(name: str) -> None:
    with pytest.raises(BadRequest, match=f"^'{name}' must be given at most once$"):
        page_query({name: ["1", "2"]})
