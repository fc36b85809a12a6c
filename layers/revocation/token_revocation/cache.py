"""The revocation list in an execution environment's memory: read at most once per refresh interval.

- No request reads the table for itself: the list is read again only once `refresh_seconds` have passed
  since the last read, so one decision every few seconds pays for a read (bounded by READ_TIMEOUT_SECONDS;
  an environment's first read, which has no list to fall back on, by FIRST_READ_TIMEOUT_SECONDS) and
  every other one is a set lookup.
- Stale-if-error, as with key sets: when a refresh fails, the last list read stays in force (the listener
  logs and counts it) for up to STALE_IF_ERROR_SECONDS after that read, and the next attempt waits
  another refresh interval, so a dead table costs one decision per interval the deadline, not every one.
- Never read: an environment that could not read the list yet has nothing to check against, and is
  refused (ListUnavailable) rather than letting a revoked token through (docs/revocation.md).
Lambda runs one invocation at a time per environment, so this needs no lock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum

from token_revocation.dynamodb import TableUnavailable
from token_revocation.entries import Revocation, RevocationList

# One whole refresh (every page) must finish within this; 1 s is a hundred times DynamoDB's usual answer.
READ_TIMEOUT_SECONDS = 1.0
# The first read of an environment has no list to fall back on, so it may take longer; with the key-set
# fetch's 3 s it stays inside the authorizer's 6 s function timeout.
FIRST_READ_TIMEOUT_SECONDS = 2.0
# How long a list read keeps serving while every refresh fails (as the key sets' stale-if-error).
STALE_IF_ERROR_SECONDS = 3600.0


class ListEvent(StrEnum):
    """What operators should see about the list (the functions log and count these)."""

    READ = "read"
    READ_FAILED = "read_failed"
    SERVING_STALE = "serving_stale"


class ListUnavailable(Exception):
    """No list to check against: never read in this environment, or stale past STALE_IF_ERROR_SECONDS."""


Listener = Callable[[ListEvent, str], None]


def _ignore(event: ListEvent, detail: str) -> None:
    """The default listener."""


class RevocationCache:
    """The current list; `current()` refreshes it when due."""

    def __init__(
        self,
        read: Callable[[float], list[Revocation]],
        *,
        refresh_seconds: float,
        read_timeout_seconds: float = READ_TIMEOUT_SECONDS,
        first_read_timeout_seconds: float = FIRST_READ_TIMEOUT_SECONDS,
        stale_if_error_seconds: float = STALE_IF_ERROR_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        listener: Listener = _ignore,
    ) -> None:
        self._read = read
        self._refresh = refresh_seconds
        self._timeout = read_timeout_seconds
        self._first_timeout = first_read_timeout_seconds
        self._stale_limit = stale_if_error_seconds
        self._clock = clock
        self._wall_clock = wall_clock
        self._listener = listener
        self._list: RevocationList | None = None
        self._read_at = 0.0
        self._next_read = 0.0  # clock time from which the next call reads the table

    @property
    def loaded(self) -> bool:
        return self._list is not None

    def current(self) -> RevocationList:
        """The list in force; ListUnavailable when there is none (see the module docstring)."""
        current = self._list
        now = self._clock()
        if now < self._next_read:
            if current is None:
                raise ListUnavailable("the revocation list has not been read yet (last read failed)")
            return current
        try:
            entries = self._read(self._first_timeout if current is None else self._timeout)
        except TableUnavailable as exc:
            now = self._clock()
            self._next_read = now + self._refresh
            self._listener(ListEvent.READ_FAILED, str(exc))
            if current is None:
                raise ListUnavailable(f"the revocation list cannot be read: {exc}") from None
            if now - self._read_at > self._stale_limit:
                self._list = None
                raise ListUnavailable(f"the revocation list is stale past its bound: {exc}") from None
            self._listener(ListEvent.SERVING_STALE, f"read {now - self._read_at:.0f} s ago")
            return current
        fresh = RevocationList.of(entries, now=self._wall_clock())
        now = self._clock()
        first = current is None
        self._list, self._read_at, self._next_read = fresh, now, now + self._refresh
        if first:
            self._listener(ListEvent.READ, f"{fresh.size} live entries")
        return fresh

    def restored(self) -> None:
        """After a SnapStart restore: the snapshot's list is of unknown age; it is dropped, read anew."""
        self._list = None
        self._next_read = 0.0
