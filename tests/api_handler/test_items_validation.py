"""Request bodies and item fields, in process: decoding, size, JSON shape and field rules."""

from __future__ import annotations

import base64

import pytest

from items_api.errors import BadRequest, PayloadTooLarge
from items_api.validation import MAX_BODY_BYTES, NewItem, body_bytes, new_item_from_body, parse_json_object


def test_plain_body_is_encoded_as_utf8() -> None:
    assert body_bytes('{"name": "é"}', is_base64_encoded=False) == '{"name": "é"}'.encode()


def test_base64_body_is_decoded() -> None:
    assert body_bytes(base64.b64encode(b'{"a": 1}').decode(), is_base64_encoded=True) == b'{"a": 1}'


def test_exactly_16_kib_is_accepted_and_one_byte_more_is_too_large() -> None:
    assert len(body_bytes("x" * MAX_BODY_BYTES, is_base64_encoded=False)) == MAX_BODY_BYTES
    with pytest.raises(PayloadTooLarge):
        body_bytes("x" * (MAX_BODY_BYTES + 1), is_base64_encoded=False)


def test_multibyte_characters_count_as_bytes_for_the_size_limit() -> None:
    with pytest.raises(PayloadTooLarge):
        body_bytes("é" * (MAX_BODY_BYTES // 2 + 1), is_base64_encoded=False)


def test_base64_of_exactly_16_kib_is_accepted_and_one_byte_more_is_too_large() -> None:
    exact = base64.b64encode(b"x" * MAX_BODY_BYTES).decode()
    over = base64.b64encode(b"x" * (MAX_BODY_BYTES + 1)).decode()

    assert len(body_bytes(exact, is_base64_encoded=True)) == MAX_BODY_BYTES
    with pytest.raises(PayloadTooLarge):
        body_bytes(over, is_base64_encoded=True)


@pytest.mark.parametrize("body", [None, ""])
def test_missing_body_is_a_bad_request(body: str | None) -> None:
    with pytest.raises(BadRequest, match=r"^Request body is required$"):
        body_bytes(body, is_base64_encoded=False)


def test_base64_of_nothing_is_a_bad_request() -> None:
    with pytest.raises(BadRequest, match=r"^Request body is not valid base64$"):
        body_bytes("====", is_base64_encoded=True)


def test_parse_json_object_returns_the_object() -> None:
    assert parse_json_object(b'{"name": "x", "n": [1, 2]}') == {"name": "x", "n": [1, 2]}


@pytest.mark.parametrize("raw", [b"Infinity", b'{"a": -Infinity}', b'{"a": NaN}'])
def test_non_json_constants_are_refused(raw: bytes) -> None:
    with pytest.raises(BadRequest, match=r"^Request body is not valid JSON$"):
        parse_json_object(raw)


def test_a_utf8_bom_is_not_json() -> None:
    with pytest.raises(BadRequest, match=r"^Request body is not valid JSON$"):
        parse_json_object(b'\xef\xbb\xbf{"name": "x"}')


def test_new_item_from_body_keeps_the_values_as_sent() -> None:
    assert new_item_from_body({"name": "  padded  ", "description": ""}) == NewItem(
        name="  padded  ", description=""
    )


def test_server_fields_are_named_before_unknown_ones() -> None:
    with pytest.raises(BadRequest, match=r"^Field 'owner' is assigned by the server$"):
        new_item_from_body({"name": "x", "zzz": 1, "owner": "auth0|bob"})


def test_an_unknown_field_name_is_echoed_at_most_64_characters() -> None:
    with pytest.raises(BadRequest) as caught:
        new_item_from_body({"name": "x", "y" * 1000: 1})

    assert str(caught.value) == f"Unknown field '{'y' * 64}'; allowed fields are 'name' and 'description'"
