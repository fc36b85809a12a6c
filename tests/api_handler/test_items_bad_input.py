"""Bad input is the norm: every class of it answers 400 (or 413) with a JSON message, and stores nothing."""

from __future__ import annotations

import json
import sys

import pytest
from api_harness import ApiClient, EventSpec

pytestmark = pytest.mark.slow

UNKNOWN_COLOUR = "Unknown field 'colour'; allowed fields are 'name' and 'description'"


def _nothing_stored(api: ApiClient) -> bool:
    return bool(api.request("GET", "/items").json == {"items": [], "next": None})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "Request body is not valid JSON"),
        ('{"name": "x"', "Request body is not valid JSON"),
        ('{"name": NaN}', "Request body is not valid JSON"),
        ('{"name": "a", "name": "b"}', "Request body has a duplicate field"),
        ('["name"]', "Request body must be a JSON object"),
        ('"name"', "Request body must be a JSON object"),
        ("null", "Request body must be a JSON object"),
        ("42", "Request body must be a JSON object"),
        (None, "Request body is required"),
        ("", "Request body is required"),
    ],
    ids=[
        "garbage",
        "truncated",
        "nan",
        "duplicate-key",
        "array",
        "string",
        "null",
        "number",
        "absent",
        "empty",
    ],
)
def test_a_body_that_is_not_one_json_object_is_400(api: ApiClient, body: str | None, message: str) -> None:
    response = api.request("POST", "/items", body=body)

    assert (response.status, response.json) == (400, {"message": message})
    assert response.headers["content-type"] == "application/json"
    assert _nothing_stored(api)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({}, "Field 'name' is required"),
        ({"description": "no name"}, "Field 'name' is required"),
        ({"name": ""}, "Field 'name' must not be empty"),
        ({"name": " \t\n"}, "Field 'name' must not be empty"),
        ({"name": None}, "Field 'name' must be a string"),
        ({"name": 7}, "Field 'name' must be a string"),
        ({"name": ["x"]}, "Field 'name' must be a string"),
        ({"name": {"x": 1}}, "Field 'name' must be a string"),
        ({"name": "x" * 201}, "Field 'name' must be at most 200 characters"),
        ({"name": "x", "description": 3}, "Field 'description' must be a string or null"),
        ({"name": "x", "description": ["d"]}, "Field 'description' must be a string or null"),
        ({"name": "x", "description": "d" * 2001}, "Field 'description' must be at most 2000 characters"),
        (
            {"name": "x", "colour": "red"},
            "Unknown field 'colour'; allowed fields are 'name' and 'description'",
        ),
        ({"name": "x", "id": "mine"}, "Field 'id' is assigned by the server"),
        ({"name": "x", "owner": "auth0|bob"}, "Field 'owner' is assigned by the server"),
        ({"name": "x", "created_at": "2000-01-01"}, "Field 'created_at' is assigned by the server"),
    ],
    ids=lambda value: json.dumps(value)[:40] if isinstance(value, dict) else "",
)
def test_wrong_missing_empty_unknown_or_server_fields_are_400(
    api: ApiClient, payload: dict[str, object], message: str
) -> None:
    response = api.request("POST", "/items", json_body=payload)

    assert (response.status, response.json) == (400, {"message": message})
    assert _nothing_stored(api)


def test_deeply_nested_json_within_the_size_limit_is_400_not_a_crash(api: ApiClient) -> None:
    response = api.request("POST", "/items", body='{"name": ' + "[" * 8000 + "]" * 8000 + "}")

    # Python 3.12+ (the Lambda runtime is 3.13) decodes this depth; 3.11's decoder hits its recursion limit.
    expected = (
        "Field 'name' must be a string" if sys.version_info >= (3, 12) else "Request body is not valid JSON"
    )
    assert (response.status, response.json) == (400, {"message": expected})


def test_limits_are_inclusive(api: ApiClient) -> None:
    response = api.request("POST", "/items", json_body={"name": "n" * 200, "description": "d" * 2000})

    assert response.status == 201
    assert (len(response.json["name"]), len(response.json["description"])) == (200, 2000)


def test_name_length_counts_characters_not_bytes(api: ApiClient) -> None:
    response = api.request("POST", "/items", json_body={"name": "é" * 200})

    assert (response.status, response.json["name"]) == (201, "é" * 200)


def test_a_body_over_16_kib_is_413(api: ApiClient) -> None:
    body = json.dumps({"name": "x", "description": "d" * (16 * 1024)})

    response = api.request("POST", "/items", body=body)

    assert (response.status, response.json) == (413, {"message": "Request body too large"})
    assert _nothing_stored(api)


def test_a_base64_body_over_16_kib_is_413(api: ApiClient) -> None:
    response = api.request("POST", "/items", base64_body=b" " * (16 * 1024 + 1))

    assert (response.status, response.json) == (413, {"message": "Request body too large"})


def test_a_base64_encoded_body_is_decoded(api: ApiClient) -> None:
    payload = {"name": "Café", "description": "crème"}

    response = api.request("POST", "/items", base64_body=json.dumps(payload).encode("utf-8"))

    assert response.status == 201
    assert (response.json["name"], response.json["description"]) == ("Café", "crème")


@pytest.mark.parametrize(
    "raw",
    [b'{"name": "\xff\xfe"}', b'{"name": "\xc3\x28"}', b'{"name": "\xed\xa0\x80"}'],
    ids=["invalid-byte", "bad-continuation", "encoded-surrogate"],
)
def test_base64_bytes_that_are_not_utf8_are_400(api: ApiClient, raw: bytes) -> None:
    response = api.request("POST", "/items", base64_body=raw)

    assert (response.status, response.json) == (400, {"message": "Request body is not valid UTF-8"})
    assert _nothing_stored(api)


def test_a_body_flagged_base64_that_is_not_base64_is_400(api: ApiClient) -> None:
    event = api.event(EventSpec("POST", "/items", body="{not base64!}", is_base64_encoded=True))

    response = api.invoke(event)

    assert (response.status, response.json) == (400, {"message": "Request body is not valid base64"})


def test_a_lone_surrogate_in_the_event_body_is_400(api: ApiClient) -> None:
    response = api.request("POST", "/items", body='{"name": "\ud800"}')

    assert (response.status, response.json) == (400, {"message": "Request body is not valid UTF-8"})


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "1.5", "١٢", " 5", "99999999999999999999"])
def test_a_limit_outside_1_to_100_or_not_an_integer_is_400(api: ApiClient, limit: str) -> None:
    response = api.request("GET", "/items", query={"limit": limit})

    assert (response.status, response.json) == (400, {"message": "'limit' must be an integer from 1 to 100"})
