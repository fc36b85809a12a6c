"""The caller comes from the authorizer context only; anything missing or inconsistent is 401."""

from __future__ import annotations

from typing import Any

import pytest

from items_api.errors import Unauthenticated
from items_api.identity import Caller, caller_from_authorizer_context


def test_rest_context_with_principal_id_and_flat_keys() -> None:
    context = {
        "principalId": "auth0|alice",
        "sub": "auth0|alice",
        "scope": "read:items  write:items",
        "client_id": "abc",
        "exp": "1767225600",
        "integrationLatency": 12,
    }

    assert caller_from_authorizer_context(context) == Caller(
        sub="auth0|alice", scopes=frozenset({"read:items", "write:items"}), client_id="abc"
    )


def test_principal_id_alone_is_the_subject() -> None:
    caller = caller_from_authorizer_context({"principalId": "auth0|alice", "scope": ""})

    assert caller == Caller(sub="auth0|alice", scopes=frozenset(), client_id=None)


def test_http_api_context_without_principal_id() -> None:
    caller = caller_from_authorizer_context({"sub": "auth0|bob", "scope": "read:items", "exp": 1767225600})

    assert caller == Caller(sub="auth0|bob", scopes=frozenset({"read:items"}), client_id=None)


@pytest.mark.parametrize(
    "context",
    [
        None,
        {},
        {"sub": ""},
        {"principalId": ""},
        {"scope": "read:items"},
        {"sub": 7},
        {"sub": ["auth0|alice"]},
        {"sub": "auth0|alice", "principalId": "auth0|mallory"},
        {"sub": "auth0|alice", "scope": ["read:items"]},
        {"sub": "auth0|alice", "client_id": 5},
        {"sub": "x" * 513},
    ],
)
def test_missing_empty_or_inconsistent_context_is_unauthenticated(context: dict[str, Any] | None) -> None:
    with pytest.raises(Unauthenticated):
        caller_from_authorizer_context(context)
