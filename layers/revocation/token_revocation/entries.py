"""What can be revoked, how a revocation is stored, and the one question both functions ask of the list.

Three kinds, each with the issuer (a `sub` or a `jti` means nothing without its `iss`):
- a subject (iss, sub): every token of that user issued (`iat`) at or before the revocation;
- a client (iss, client_id): every token issued to that client at or before the revocation;
- a token (iss, jti): that one token.

An entry expires (DynamoDB TTL, `expires_at`) once no token it covers can still be valid: the functions
accept no token living longer than MAX_TOKEN_LIFETIME_SECONDS (exp - iat), so every token covered by a
revocation at `revoked_at` has expired by `revoked_at + max lifetime + MAX_LEEWAY_SECONDS`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, NamedTuple

# The largest clock-skew leeway either function accepts (LEEWAY_SECONDS, 0-300): an entry outlives the
# tokens it covers by this much, whatever the deployment's leeway.
MAX_LEEWAY_SECONDS = 300


class Kind(StrEnum):
    """What a revocation names (the value of the item's `kind` attribute)."""

    SUBJECT = "sub"
    CLIENT = "client"
    TOKEN = "jti"  # noqa: S105 - a kind name, not a secret


_KINDS = {kind.value: kind for kind in Kind}
# The item's attribute names (ATTRIBUTES: the Scan's projection, all of them but the key).
KEY = "id"
ATTRIBUTES = ("kind", "iss", "target", "revoked_at", "expires_at")


class Revocation(NamedTuple):
    """One entry of the list."""

    kind: Kind
    issuer: str
    target: str  # the subject, the client id or the token id
    revoked_at: int  # epoch seconds: tokens issued at or before it are covered (subject, client)
    expires_at: int  # epoch seconds: the table's TTL attribute

    @staticmethod
    def new(kind: Kind, issuer: str, target: str, *, now: float, max_token_lifetime: int) -> Revocation:
        if not issuer or not target:
            raise ValueError("a revocation needs a non-empty issuer and a non-empty value")
        revoked_at = int(now)
        return Revocation(
            kind, issuer, target, revoked_at, revoked_at + max_token_lifetime + MAX_LEEWAY_SECONDS
        )

    @property
    def key(self) -> str:
        """The partition key: one entry per (kind, iss, value); revoking again moves `revoked_at` on.

        A JSON array cannot be re-split into another triple, whatever the values hold."""
        return json.dumps([self.kind.value, self.issuer, self.target])

    def item(self) -> dict[str, dict[str, str]]:
        """The entry as a DynamoDB item (attribute-value JSON, as PutItem takes it)."""
        return {
            KEY: {"S": self.key},
            "kind": {"S": self.kind.value},
            "iss": {"S": self.issuer},
            "target": {"S": self.target},
            "revoked_at": {"N": str(self.revoked_at)},
            "expires_at": {"N": str(self.expires_at)},
        }

    @staticmethod
    def from_item(item: Mapping[str, Any]) -> Revocation:
        """An entry from a DynamoDB item; ValueError if it is not one (a hand-written row, say)."""
        try:
            kind = _KINDS[item["kind"]["S"]]
            revocation = Revocation(
                kind,
                str(item["iss"]["S"]),
                str(item["target"]["S"]),
                int(item["revoked_at"]["N"]),
                int(item["expires_at"]["N"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a revocation item ({type(exc).__name__})") from None
        if not revocation.issuer or not revocation.target:
            raise ValueError("not a revocation item (empty iss or target)")
        return revocation

    def describe(self) -> str:
        """What the entry covers, in words (the revoke commands print it)."""
        if self.kind is Kind.SUBJECT:
            what = f"every token of subject {self.target!r} issued at or before {self.revoked_at}"
        elif self.kind is Kind.CLIENT:
            what = f"every token issued to client {self.target!r} at or before {self.revoked_at}"
        else:
            what = f"the token with jti {self.target!r}"
        return f"{what}, issuer {self.issuer!r} (entry expires at {self.expires_at})"


class RevocationList(NamedTuple):
    """The live entries, arranged for the check: two dict lookups and a set lookup per decision."""

    subjects: Mapping[tuple[str, str], int]  # (iss, sub) → revoked_at
    clients: Mapping[tuple[str, str], int]  # (iss, client_id) → revoked_at
    tokens: frozenset[tuple[str, str]]  # (iss, jti)
    size: int = 0

    @staticmethod
    def of(entries: Iterable[Revocation], *, now: float) -> RevocationList:
        """The entries still live at `now` (DynamoDB's TTL deletes expired items only eventually)."""
        subjects: dict[tuple[str, str], int] = {}
        clients: dict[tuple[str, str], int] = {}
        tokens: set[tuple[str, str]] = set()
        for entry in entries:
            if entry.expires_at < now:
                continue
            pair = (entry.issuer, entry.target)
            if entry.kind is Kind.TOKEN:
                tokens.add(pair)
            else:
                table = subjects if entry.kind is Kind.SUBJECT else clients
                table[pair] = max(entry.revoked_at, table.get(pair, entry.revoked_at))
        return RevocationList(
            subjects, clients, frozenset(tokens), len(subjects) + len(clients) + len(tokens)
        )

    def covering(
        self, issuer: str, subject: str, client_id: str, token_id: str, issued_at: int | None
    ) -> Kind | None:
        """Which entry covers this token, if any. A token without `iat` counts as issued before any
        subject or client revocation (nothing says otherwise); the authorizer refuses such tokens anyway
        while revocation is on."""
        if token_id and (issuer, token_id) in self.tokens:
            return Kind.TOKEN
        revoked_at = self.subjects.get((issuer, subject))
        if revoked_at is not None and (issued_at is None or issued_at <= revoked_at):
            return Kind.SUBJECT
        if client_id:
            revoked_at = self.clients.get((issuer, client_id))
            if revoked_at is not None and (issued_at is None or issued_at <= revoked_at):
                return Kind.CLIENT
        return None


EMPTY = RevocationList({}, {}, frozenset())


def lifetime_problem(issued_at: int | None, expires_at: int, max_token_lifetime: int) -> str | None:
    """Why a token's lifetime is too long for the list's expiry to cover it, or None.

    Entries expire `max_token_lifetime` (+ leeway) after the revocation: a token without `iat`, or living
    longer, could outlive the entry that revokes it, so it is refused while revocation is on."""
    if issued_at is None:
        return "no iat: a revocation could not be bounded in time"
    if expires_at - issued_at > max_token_lifetime:
        return f"exp - iat is {expires_at - issued_at} s, above MAX_TOKEN_LIFETIME_SECONDS"
    return None
