"""The caller comes from the authorizer context only; anything missing or inconsistent is 401."""

from __future__ import annotations

from typing import Any

import pytest

from items_api.errors import Unauthenticated
from items_api.identity import EXPIRY_LEEWAY_SECONDS, Caller, caller_from_authorizer_context

NOW = 1_800_000_000
ISS = "https://tenant.auth0.com/"


def test_rest_context_with_principal_id_and_flat_keys() -> None:
    context = {
        "principalId": "auth0|alice",
        "sub": "auth0|alice",
        "iss": ISS,
        "scope": "read:items  write:items",
        "client_id": "abc",
        "exp": str(NOW + 60),
        "integrationLatency": 12,
    }

    assert caller_from_authorizer_context(context, now=NOW) == Caller(
        iss=ISS, sub="auth0|alice", scopes=frozenset({"read:items", "write:items"}), client_id="abc"
    )


def test_principal_id_alone_is_the_subject() -> None:
    caller = caller_from_authorizer_context({"principalId": "auth0|alice", "iss": ISS, "scope": ""})

    assert caller == Caller(iss=ISS, sub="auth0|alice", scopes=frozenset(), client_id=None)


def test_http_api_context_without_principal_id() -> None:
    context = {"sub": "auth0|bob", "iss": ISS, "scope": "read:items", "exp": NOW + 60}

    caller = caller_from_authorizer_context(context, now=NOW)

    assert caller == Caller(iss=ISS, sub="auth0|bob", scopes=frozenset({"read:items"}), client_id=None)


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
        {"sub": "auth0|alice", "exp": "soon"},
        {"sub": "auth0|alice", "exp": 1.8e9},
        {"sub": "auth0|alice", "exp": True},
        {"sub": "auth0|alice", "exp": "-1"},
        {"sub": "auth0|alice", "scope": "read:items"},
        {"sub": "auth0|alice", "iss": ""},
        {"sub": "auth0|alice", "iss": 7},
        {"sub": "auth0|alice", "iss": "https://" + "i" * 505},
        {"sub": "\ud800" * 512, "iss": ISS},
    ],
)
def test_missing_empty_or_inconsistent_context_is_unauthenticated(context: dict[str, Any] | None) -> None:
    with pytest.raises(Unauthenticated):
        caller_from_authorizer_context(context, now=NOW)


@pytest.mark.parametrize("exp", [NOW - EXPIRY_LEEWAY_SECONDS - 1, str(NOW - 3600)])
def test_an_expired_token_served_from_a_stale_authorizer_cache_is_unauthenticated(exp: int | str) -> None:
    with pytest.raises(Unauthenticated):
        caller_from_authorizer_context({"sub": "auth0|alice", "iss": ISS, "exp": exp}, now=NOW)


@pytest.mark.parametrize("exp", [NOW - EXPIRY_LEEWAY_SECONDS, NOW, str(NOW + 1)])
def test_a_token_within_its_lifetime_or_the_leeway_is_accepted(exp: int | str) -> None:
    caller = caller_from_authorizer_context({"sub": "auth0|alice", "iss": ISS, "exp": exp}, now=NOW)

    assert caller == Caller(iss=ISS, sub="auth0|alice", scopes=frozenset(), client_id=None)


def test_owner_is_the_issuer_and_subject_pair_in_ascii() -> None:
    caller = caller_from_authorizer_context({"sub": "user-\u00e9\ud800", "iss": ISS}, now=NOW)
    assert caller.owner == '["https://tenant.auth0.com/", "user-\\u00e9\\ud800"]'
    # AND one subject under two issuers is two owners
    other = caller_from_authorizer_context(
        {"sub": "user-\u00e9\ud800", "iss": "https://other.example/"}, now=NOW
    )
    assert other.owner != caller.owner


@pytest.mark.parametrize(("leeway", "accepted"), [(0, False), (10, True)])
def test_the_leeway_is_the_configured_one(leeway: int, accepted: bool) -> None:
    context = {"sub": "auth0|alice", "iss": ISS, "exp": NOW - 5}

    if accepted:
        assert caller_from_authorizer_context(context, now=NOW, leeway=leeway).sub == "auth0|alice"
    else:
        with pytest.raises(Unauthenticated):
            caller_from_authorizer_context(context, now=NOW, leeway=leeway)
