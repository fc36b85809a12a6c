"""The list's one question (which entry covers a token), the item format, and the lifetime rule."""

from __future__ import annotations

import pytest

from token_revocation.entries import (
    MAX_LEEWAY_SECONDS,
    Kind,
    Revocation,
    RevocationList,
    lifetime_problem,
)

ISS = "https://tenant.auth0.com/"
OTHER_ISS = "https://other.example.com/"
NOW = 1_800_000_000


def revocation(kind: Kind, target: str, revoked_at: int = NOW, issuer: str = ISS) -> Revocation:
    return Revocation.new(kind, issuer, target, now=revoked_at, max_token_lifetime=3600)


LIST = RevocationList.of(
    [
        revocation(Kind.SUBJECT, "auth0|alice"),
        revocation(Kind.CLIENT, "leaked-client"),
        revocation(Kind.TOKEN, "stolen-jti"),
    ],
    now=NOW,
)


@pytest.mark.parametrize(
    ("subject", "client_id", "token_id", "issued_at", "expected"),
    [
        ("auth0|alice", "spa", "j1", NOW - 60, Kind.SUBJECT),  # issued before the revocation
        ("auth0|alice", "spa", "j1", NOW, Kind.SUBJECT),  # at it: "at or before"
        ("auth0|alice", "spa", "j1", NOW + 1, None),  # a new sign-in after it works again
        ("auth0|alice", "spa", "j1", None, Kind.SUBJECT),  # no iat: nothing says it is newer
        ("auth0|bob", "leaked-client", "j2", NOW - 1, Kind.CLIENT),
        ("auth0|bob", "leaked-client", "j2", NOW + 1, None),
        ("auth0|bob", "spa", "stolen-jti", NOW + 600, Kind.TOKEN),  # a token revocation ignores iat
        ("auth0|bob", "spa", "other-jti", NOW - 60, None),
        ("auth0|bob", "", "", NOW - 60, None),  # no client, no jti: nothing to match
    ],
)
def test_covering_names_the_entry_that_covers_a_token(
    subject: str, client_id: str, token_id: str, issued_at: int | None, expected: Kind | None
) -> None:
    assert LIST.covering(ISS, subject, client_id, token_id, issued_at) is expected


def test_an_entry_covers_only_tokens_of_its_own_issuer() -> None:
    assert LIST.covering(OTHER_ISS, "auth0|alice", "leaked-client", "stolen-jti", NOW - 60) is None


def test_a_later_revocation_of_the_same_subject_wins() -> None:
    revocations = RevocationList.of(
        [revocation(Kind.SUBJECT, "auth0|alice", NOW + 100), revocation(Kind.SUBJECT, "auth0|alice", NOW)],
        now=NOW,
    )
    assert revocations.subjects == {(ISS, "auth0|alice"): NOW + 100}


def test_expired_entries_are_left_out_of_the_list() -> None:
    old = revocation(Kind.TOKEN, "old-jti", NOW - 3600 - MAX_LEEWAY_SECONDS - 1)
    live = revocation(Kind.TOKEN, "live-jti", NOW - 3600 - MAX_LEEWAY_SECONDS)
    revocations = RevocationList.of([old, live], now=NOW)
    assert (revocations.tokens, revocations.size) == (frozenset({(ISS, "live-jti")}), 1)


def test_an_entry_expires_a_max_lifetime_and_the_largest_leeway_after_it_was_written() -> None:
    entry = Revocation.new(Kind.SUBJECT, ISS, "auth0|alice", now=NOW + 0.9, max_token_lifetime=86_400)
    assert (entry.revoked_at, entry.expires_at) == (NOW, NOW + 86_400 + 300)


def test_the_item_is_keyed_unambiguously_and_reads_back_as_the_same_entry() -> None:
    entry = revocation(Kind.CLIENT, 'a","b')
    assert entry.item() == {
        "id": {"S": '["client", "https://tenant.auth0.com/", "a\\",\\"b"]'},
        "kind": {"S": "client"},
        "iss": {"S": ISS},
        "target": {"S": 'a","b'},
        "revoked_at": {"N": str(NOW)},
        "expires_at": {"N": str(NOW + 3600 + 300)},
    }
    assert Revocation.from_item(entry.item()) == entry


@pytest.mark.parametrize(
    "item",
    [
        {},
        {
            "kind": {"S": "user"},
            "iss": {"S": ISS},
            "target": {"S": "x"},
            "revoked_at": {"N": "1"},
            "expires_at": {"N": "2"},
        },
        {
            "kind": {"S": "sub"},
            "iss": {"S": ""},
            "target": {"S": "x"},
            "revoked_at": {"N": "1"},
            "expires_at": {"N": "2"},
        },
        {
            "kind": {"S": "sub"},
            "iss": {"S": ISS},
            "target": {"S": "x"},
            "revoked_at": {"S": "1"},
            "expires_at": {"N": "2"},
        },
    ],
    ids=["empty", "unknown_kind", "empty_issuer", "revoked_at_not_a_number"],
)
def test_an_item_that_is_not_a_revocation_is_refused(item: dict[str, dict[str, str]]) -> None:
    with pytest.raises(ValueError, match="not a revocation item"):
        Revocation.from_item(item)


def test_a_revocation_needs_an_issuer_and_a_value() -> None:
    with pytest.raises(ValueError, match="non-empty issuer and a non-empty value"):
        Revocation.new(Kind.SUBJECT, ISS, "", now=NOW, max_token_lifetime=60)


@pytest.mark.parametrize(
    ("issued_at", "expires_at", "expected"),
    [
        (NOW, NOW + 3600, None),
        (NOW, NOW + 3601, "exp - iat is 3601 s, above MAX_TOKEN_LIFETIME_SECONDS"),
        (None, NOW + 60, "no iat: a revocation could not be bounded in time"),
    ],
)
def test_a_token_living_longer_than_the_maximum_lifetime_has_a_problem(
    issued_at: int | None, expires_at: int, expected: str | None
) -> None:
    assert lifetime_problem(issued_at, expires_at, 3600) == expected
