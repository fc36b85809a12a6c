"""Time budgets: every DynamoDB call fits in what is left of the invocation, minus a margin to answer.

The invocation's deadline comes from `context.get_remaining_time_in_millis()`. Each call gets a botocore
`Config` sized from the time left *at that call*: standard retry mode with as many attempts as fit, and
connect/read timeouts that keep the worst case (every attempt timing out, plus botocore's backoff between
attempts) inside the budget. When not even one short attempt fits, the call is not made: `DeadlineNear`
(503 with Retry-After), answered well before the function's own timeout.

Sizes are rounded down to QUANTUM seconds, so a warm environment reuses a handful of clients (one per
size) instead of building one per call.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from botocore.config import Config

# Kept back from every budget: time to log, answer and leave the function before its timeout.
SAFETY_MARGIN_SECONDS: Final = 1.5
# No attempt is made with less than this: below it even a healthy DynamoDB call would likely time out.
MIN_ATTEMPT_SECONDS: Final = 0.5
MAX_ATTEMPTS: Final = 3
MAX_CONNECT_TIMEOUT: Final = 1.0
MAX_READ_TIMEOUT: Final = 3.0
QUANTUM: Final = 0.25


@dataclass(frozen=True)
class CallBudget:
    """How one DynamoDB call may spend its time: attempts and per-attempt connect/read timeouts."""

    attempts: int
    connect_timeout: float
    read_timeout: float

    @property
    def worst_case_seconds(self) -> float:
        """Every attempt timing out at connect and read, plus botocore's longest backoff between them."""
        return self.attempts * (self.connect_timeout + self.read_timeout) + backoff_ceiling(self.attempts)

    def config(self) -> Config:
        # Imported here: botocore.config imports botocore's endpoint and HTTP modules, which a cold start
        # that makes no DynamoDB call (GET /me) does not need. The client this configures imports them anyway.
        from botocore.config import Config  # noqa: PLC0415

        # total_max_attempts counts the first attempt; botocore's max_attempts counts retries only.
        return Config(
            retries={"mode": "standard", "total_max_attempts": self.attempts},
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
        )


def backoff_ceiling(attempts: int) -> float:
    """The longest total sleep of botocore's standard mode between `attempts` attempts.

    Standard mode sleeps random() * 2 ** (n - 1) seconds after failed attempt n (n = 1, 2, ...).
    """
    return float(sum(2 ** (n - 1) for n in range(1, attempts)))


def _floor(seconds: float) -> float:
    return int(seconds / QUANTUM) * QUANTUM


def call_budget(seconds_left: float) -> CallBudget | None:
    """The largest budget whose worst case fits in `seconds_left` (net of the margin); None if none does."""
    for attempts in range(MAX_ATTEMPTS, 0, -1):
        per_attempt = (seconds_left - backoff_ceiling(attempts)) / attempts
        if per_attempt < MIN_ATTEMPT_SECONDS:
            continue
        connect = _floor(min(MAX_CONNECT_TIMEOUT, per_attempt / 4))
        read = _floor(min(MAX_READ_TIMEOUT, per_attempt - connect))
        if connect >= QUANTUM and read >= QUANTUM:
            return CallBudget(attempts, connect, read)
    return None


class DeadlineNear(Exception):
    """Too little of the invocation is left for another DynamoDB call."""

    def __init__(self, operation: str, seconds_left: float) -> None:
        super().__init__(f"{operation}: {seconds_left:.2f}s left")
        self.operation = operation
        self.seconds_left = seconds_left


@dataclass(frozen=True)
class Deadline:
    """The moment (on `clock`) by which every DynamoDB call must have returned."""

    at: float
    clock: Callable[[], float] = time.monotonic

    @classmethod
    def from_remaining_millis(
        cls,
        remaining_millis: int,
        margin: float = SAFETY_MARGIN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> Deadline:
        return cls(at=clock() + remaining_millis / 1000 - margin, clock=clock)

    def seconds_left(self) -> float:
        return self.at - self.clock()

    def budget(self, operation: str) -> CallBudget:
        """The budget of the next call; DeadlineNear when there is none."""
        left = self.seconds_left()
        budget = call_budget(left)
        if budget is None:
            raise DeadlineNear(operation, left)
        return budget
