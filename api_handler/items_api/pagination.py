"""Page size and the opaque `next` token of GET /items.

The token carries the last item id of a page, authenticated with an HMAC over (owner, id) under the
deployment's page-token key. A token that was altered, forged without the key, or issued to another caller
fails verification (400). Even a forged token could not reach another owner's data: the listing always
queries the caller's own partition, and the token only chooses where in it to resume.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from typing import Final

from items_api.errors import BadRequest, InvalidPageToken

DEFAULT_LIMIT: Final = 20
MAX_LIMIT: Final = 100
MAX_TOKEN_CHARS: Final = 512
_VERSION: Final = "1"
_DOMAIN: Final = b"items-api/next-token/v1"
_BASE64URL: Final = re.compile(r"[A-Za-z0-9_-]*")


QUERY_PARAMETERS: Final = ("limit", "next")


def page_query(query: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """The listing's query parameters, each given at most once (a repeated one is ambiguous: 400)."""
    result: dict[str, str] = {}
    for name in QUERY_PARAMETERS:
        values = query.get(name) or []
        if len(values) > 1:
            raise BadRequest(f"'{name}' must be given at most once")
        if values:
            result[name] = values[0]
    return result


def parse_limit(query: Mapping[str, str]) -> int:
    """The `limit` query parameter: an integer from 1 to MAX_LIMIT, DEFAULT_LIMIT when absent."""
    raw = query.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_LIMIT:
        raise BadRequest(f"'limit' must be an integer from 1 to {MAX_LIMIT}")
    return int(raw)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    """Canonical unpadded base64url only: the one spelling `_b64` produces, so a token has exactly one form.

    The standard decoder alone is lenient: it ignores `=` and unused trailing bits, so a changed last
    character or an appended `=` would decode to the same bytes.
    """
    if _BASE64URL.fullmatch(text) is None:
        raise ValueError("not unpadded base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:
        raise ValueError("not the canonical base64url form")
    return data


def _mac(key: bytes, owner: str, last_id: str) -> bytes:
    # Length-prefixed fields: no (owner, id) pair can be re-split into another with the same MAC input.
    message = b"\x00".join([_DOMAIN, *(f"{len(part)}:{part}".encode() for part in (owner, last_id))])
    return hmac.digest(key, message, hashlib.sha256)


def encode_page_token(key: bytes, owner: str, last_id: str) -> str:
    """An opaque token resuming the owner's listing after `last_id`."""
    return f"{_VERSION}.{_b64(last_id.encode('utf-8'))}.{_b64(_mac(key, owner, last_id))}"


def decode_page_token(key: bytes, owner: str, token: str) -> str:
    """The last item id inside a token issued to this owner; InvalidPageToken for anything else."""
    if len(token) > MAX_TOKEN_CHARS or not token.isascii():
        raise InvalidPageToken
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != _VERSION:
        raise InvalidPageToken
    try:
        last_id = _unb64(parts[1]).decode("utf-8")
        mac = _unb64(parts[2])
    except (binascii.Error, ValueError) as exc:  # UnicodeDecodeError is a ValueError
        raise InvalidPageToken from exc
    if not hmac.compare_digest(mac, _mac(key, owner, last_id)):
        raise InvalidPageToken
    return last_id
