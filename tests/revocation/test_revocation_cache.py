"""The list in memory: one read per refresh interval, stale-if-error within its bound, none: refused."""

from __future__ import annotations

import pytest

from token_revocation.cache import ListEvent, ListUnavailable, RevocationCache
from token_revocation.dynamodb import TableUnavailable
from token_revocation.entries import Kind, Revocation

ISS = "https://tenant.auth0.com/"
NOW = 1_800_000_000.0


class Table:
    """A stand-in read: the entries it holds, or TableUnavailable while `down`; counts reads."""

    def __init__(self) -> None:
        self.entries: list[Revocation] = []
        self.down = False
        self.reads = 0
        self.timeouts: list[float] = []

    def read(self, timeout: float) -> list[Revocation]:
        self.reads += 1
        self.timeouts.append(timeout)
        if self.down:
            raise TableUnavailable("DynamoDB answered 500 InternalServerError")
        return list(self.entries)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def table() -> Table:
    return Table()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def events() -> list[tuple[ListEvent, str]]:
    return []


@pytest.fixture
def cache(table: Table, clock: Clock, events: list[tuple[ListEvent, str]]) -> RevocationCache:
    return RevocationCache(
        table.read,
        refresh_seconds=5,
        stale_if_error_seconds=60,
        clock=clock,
        wall_clock=lambda: NOW,
        listener=lambda event, detail: events.append((event, detail)),
    )


def subject_revoked(name: str) -> Revocation:
    return Revocation.new(Kind.SUBJECT, ISS, name, now=NOW, max_token_lifetime=3600)


def test_the_list_is_read_once_per_refresh_interval(
    cache: RevocationCache, table: Table, clock: Clock
) -> None:
    # GIVEN an empty table, read by the first decision
    assert cache.current().size == 0
    # WHEN a revocation is written, and decisions keep coming for 4.9 s, then at 5 s
    table.entries.append(subject_revoked("auth0|alice"))
    clock.now += 4.9
    assert cache.current().size == 0
    clock.now += 0.1
    # THEN the second read happens at the interval, and it sees the revocation
    assert cache.current().subjects == {(ISS, "auth0|alice"): int(NOW)}
    # (the first read, with no list to fall back on, may take longer)
    assert (table.reads, table.timeouts) == (2, [2.0, 1.0])


def test_a_failed_refresh_keeps_the_last_list_logged_and_retried_an_interval_later(
    cache: RevocationCache, table: Table, clock: Clock, events: list[tuple[ListEvent, str]]
) -> None:
    # GIVEN a list read with one revocation
    table.entries.append(subject_revoked("auth0|alice"))
    first = cache.current()
    # WHEN the table fails at the next refresh
    table.down = True
    clock.now += 5
    # THEN the last list stays in force, the failure and the stale list are reported
    assert cache.current() is first
    assert events == [
        (ListEvent.READ, "1 live entries"),
        (ListEvent.READ_FAILED, "DynamoDB answered 500 InternalServerError"),
        (ListEvent.SERVING_STALE, "read 5 s ago"),
    ]
    # AND the decisions of the next interval do not wait for the table again
    clock.now += 4.9
    assert (cache.current() is first, table.reads) == (True, 2)


def test_a_list_stale_past_its_bound_is_no_list(cache: RevocationCache, table: Table, clock: Clock) -> None:
    cache.current()
    table.down = True
    clock.now += 61
    with pytest.raises(ListUnavailable, match="stale past its bound"):
        cache.current()
    # and it stays so, without a read, until the next interval
    with pytest.raises(ListUnavailable, match="has not been read yet"):
        cache.current()
    assert table.reads == 2


def test_an_environment_that_never_read_the_list_refuses_until_a_read_succeeds(
    cache: RevocationCache, table: Table, clock: Clock, events: list[tuple[ListEvent, str]]
) -> None:
    # GIVEN a cold start while the table cannot be read
    table.down = True
    with pytest.raises(ListUnavailable, match="cannot be read: DynamoDB answered 500"):
        cache.current()
    assert not cache.loaded
    # WHEN the table is back, an interval later
    table.down = False
    clock.now += 5
    # THEN the list is read and decisions go on
    assert cache.current().size == 0
    assert [event for event, _ in events] == [ListEvent.READ_FAILED, ListEvent.READ]


def test_after_a_snapstart_restore_the_snapshots_list_is_dropped(
    cache: RevocationCache, table: Table, clock: Clock
) -> None:
    cache.current()
    cache.restored()
    table.down = True
    with pytest.raises(ListUnavailable):
        cache.current()
    assert table.reads == 2
