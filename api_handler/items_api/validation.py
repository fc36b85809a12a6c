"""Untrusted input in, plain typed values out: request bodies and the new item's fields.

Bad input is the norm here: every failure is a BadRequest (400) or PayloadTooLarge (413) with a short,
fixed message that never echoes the input.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Final, NoReturn

from items_api.errors import BadRequest, PayloadTooLarge

MAX_BODY_BYTES: Final = 16 * 1024
MAX_NAME_CHARS: Final = 200
MAX_DESCRIPTION_CHARS: Final = 2000

# What a client may send on POST /items; anything else is rejected, never silently dropped.
CLIENT_FIELDS: Final = frozenset({"name", "description"})
# Fields the server assigns; sending one is a 400 that says so (it is never honoured).
SERVER_FIELDS: Final = frozenset({"id", "owner", "created_at"})


@dataclass(frozen=True)
class NewItem:
    """The client-supplied part of an item, validated."""

    name: str
    description: str | None


def _reject_constant(name: str) -> NoReturn:
    # json.loads accepts NaN and Infinity, which are not JSON.
    raise BadRequest("Request body is not valid JSON")


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # A repeated key would let one copy pass validation and the other be stored; JSON parsers disagree on
    # which wins, so refuse the ambiguity.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise BadRequest("Request body has a duplicate field")
        result[key] = value
    return result


def body_bytes(body: str | None, is_base64_encoded: bool) -> bytes:
    """The raw request body: base64-decoded when API Gateway encoded it; empty or oversized bodies fail."""
    if not body:
        raise BadRequest("Request body is required")
    if is_base64_encoded:
        # Cheap bound before decoding: base64 grows data by 4/3.
        if len(body) > (MAX_BODY_BYTES + 2) // 3 * 4:
            raise PayloadTooLarge
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadRequest("Request body is not valid base64") from exc
    else:
        if len(body) > MAX_BODY_BYTES:
            raise PayloadTooLarge
        try:
            raw = body.encode("utf-8")
        except UnicodeEncodeError as exc:  # lone surrogates from a \ud800-style escape in the event
            raise BadRequest("Request body is not valid UTF-8") from exc
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge
    if not raw:
        raise BadRequest("Request body is required")
    return raw


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """Decode UTF-8 JSON that must be an object."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("Request body is not valid UTF-8") from exc
    try:
        value = json.loads(
            text, parse_constant=_reject_constant, object_pairs_hook=_object_without_duplicates
        )
    except (json.JSONDecodeError, RecursionError) as exc:
        raise BadRequest("Request body is not valid JSON") from exc
    if not isinstance(value, dict):
        raise BadRequest("Request body must be a JSON object")
    return value


def _text(key: str, value: Any, max_chars: int, kind: str = "a string") -> str:
    if not isinstance(value, str):
        raise BadRequest(f"Field '{key}' must be {kind}")
    if len(value) > max_chars:
        raise BadRequest(f"Field '{key}' must be at most {max_chars} characters")
    return value


def new_item_from_body(body: dict[str, Any]) -> NewItem:
    """Validate a POST /items body: `name` (required), `description` (optional, may be null), nothing else."""
    server_fields = sorted(SERVER_FIELDS.intersection(body))
    if server_fields:
        raise BadRequest(f"Field '{server_fields[0]}' is assigned by the server")
    unknown = sorted(set(body) - CLIENT_FIELDS)
    if unknown:
        # The name is the caller's own input: bounded, and only ever inside a JSON string.
        raise BadRequest(f"Unknown field '{unknown[0][:64]}'; allowed fields are 'name' and 'description'")
    if "name" not in body:
        raise BadRequest("Field 'name' is required")
    name = _text("name", body["name"], MAX_NAME_CHARS)
    if not name.strip():
        raise BadRequest("Field 'name' must not be empty")
    # null is "no description", as an item shows it (`"description": null`), so a client may send back what
    # it read; an absent field means the same.
    raw_description = body.get("description")
    description = (
        None
        if raw_description is None
        else _text("description", raw_description, MAX_DESCRIPTION_CHARS, "a string or null")
    )
    return NewItem(name=name, description=description)
