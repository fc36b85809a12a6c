"""The caller, as the authorizer saw it: read from the authorizer context API Gateway hands over.

REST APIs put the Lambda authorizer's context in `requestContext.authorizer` (next to `principalId`);
HTTP APIs (payload 2.0) put it in `requestContext.authorizer.lambda`. Powertools' `get_context()` returns
exactly that mapping for both, so this module only sees a plain mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from items_api.errors import Unauthenticated

# DynamoDB caps a partition key at 2048 bytes; a subject is far shorter in practice.
MAX_SUBJECT_CHARS = 512


@dataclass(frozen=True)
class Caller:
    """Who is calling: the token's subject, its granted scopes and the OAuth client it was issued to."""

    sub: str
    scopes: frozenset[str]
    client_id: str | None


def _optional_text(context: Mapping[str, Any], key: str) -> str | None:
    value = context.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Unauthenticated
    return value


def caller_from_authorizer_context(context: Mapping[str, Any] | None) -> Caller:
    """Build the Caller from the authorizer context; a missing, empty or inconsistent context is 401."""
    if not context:
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
    scope = _optional_text(context, "scope") or ""
    return Caller(sub=sub, scopes=frozenset(scope.split()), client_id=_optional_text(context, "client_id"))
