"""The caller, as the authorizer saw it: read from the authorizer context API Gateway hands over.

REST APIs put the Lambda authorizer's context in `requestContext.authorizer` (next to `principalId`);
HTTP APIs (payload 2.0) put it in `requestContext.authorizer.lambda`. Powertools' `get_context()` returns
exactly that mapping for both, so this module only sees a plain mapping.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from items_api.errors import Unauthenticated

# DynamoDB caps a partition key at 2048 bytes; a subject or an issuer is far shorter in practice.
MAX_SUBJECT_CHARS = 512
MAX_ISSUER_CHARS = 512
MAX_OWNER_BYTES = 2048
# The default of LEEWAY_SECONDS, the one clock-skew setting both functions read (the template passes its
# LeewaySeconds parameter to both). API Gateway may serve a cached decision for up to the cache TTL after
# the token expired; re-checking `exp` here closes that window to the leeway.
EXPIRY_LEEWAY_SECONDS = 30


@dataclass(frozen=True)
class Caller:
    """Who is calling: the token's issuer and subject, its granted scopes and its OAuth client."""

    iss: str
    sub: str
    scopes: frozenset[str]
    client_id: str | None
    # For the revocation check (items_api/revocation.py): when the token was issued, and its id.
    issued_at: int | None = None
    token_id: str = ""

    @property
    def owner(self) -> str:
        """The caller's partition key: the pair (iss, sub), so one `sub` from two issuers is two owners.

        A JSON array is unambiguous (no pair can be re-split into another) and pure ASCII (json.dumps
        escapes the rest, a lone surrogate included), so it is always a valid DynamoDB string key.
        """
        return json.dumps([self.iss, self.sub])


def _optional_text(context: Mapping[str, Any], key: str) -> str | None:
    value = context.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Unauthenticated
    return value


def _numeric_date(context: Mapping[str, Any], key: str) -> int | None:
    # REST APIs hand context numbers over as strings, HTTP APIs as numbers.
    value = context.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Unauthenticated
    text = str(value)
    if not (text.isascii() and text.isdigit()):
        raise Unauthenticated
    return int(text)


def caller_from_authorizer_context(
    context: Mapping[str, Any] | None, now: float | None = None, leeway: int = EXPIRY_LEEWAY_SECONDS
) -> Caller:
    """Build the Caller from the authorizer context; a missing, empty, inconsistent or expired context is 401.

    `exp` is checked when present (the authorizer always sends it), so a decision API Gateway cached past the
    token's expiry does not open the data.
    """
    if not context:
        raise Unauthenticated
    expires_at = _numeric_date(context, "exp")
    current = time.time() if now is None else now
    if expires_at is not None and expires_at + leeway < current:
        raise Unauthenticated
    sub = _optional_text(context, "sub")
    principal_id = _optional_text(context, "principalId")
    if sub is None:
        sub = principal_id
    elif principal_id is not None and principal_id != sub:
        # The authorizer sets principalId to the subject; anything else means a foreign or broken authorizer.
        raise Unauthenticated
    if sub is None or len(sub) > MAX_SUBJECT_CHARS:
        raise Unauthenticated
    # The authorizer always names the issuer; without it the owner is unknown, so nothing is served.
    iss = _optional_text(context, "iss")
    if iss is None or len(iss) > MAX_ISSUER_CHARS:
        raise Unauthenticated
    scope = _optional_text(context, "scope") or ""
    caller = Caller(
        iss=iss,
        sub=sub,
        scopes=frozenset(scope.split()),
        client_id=_optional_text(context, "client_id"),
        issued_at=_numeric_date(context, "iat"),
        token_id=_optional_text(context, "jti") or "",
    )
    if len(caller.owner) > MAX_OWNER_BYTES:  # ASCII: characters are bytes
        raise Unauthenticated
    return caller
