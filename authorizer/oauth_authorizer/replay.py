"""DPoP proof replay detection (RFC 9449 §11.1): a `jti` is accepted once within the `iat` window.

Two layers. Memory, always: one execution environment never accepts a proof twice. A DynamoDB table,
when DPOP_REPLAY_TABLE names one: a conditional PutItem, so that no two environments accept the same
proof either (API Gateway spreads requests over many). Entries are keyed by a digest of the proof
key's thumbprint and the `jti` (one client's `jti`s cannot collide with another's) and expire with the
window, by the table's TTL. If the table cannot answer, the proof is refused (fail closed: the
alternative would let a replayed proof through whenever DynamoDB is slow), with its own reason.

botocore is imported on the first proof, not at cold start: a function without DPoP traffic never
pays for it. Its standard retry mode and short timeouts keep a slow table well inside API Gateway's
10 s authorizer limit.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

from oauth_authorizer.errors import Reason, TokenRejected

# Valid proofs one environment remembers; past this the oldest go first (each needs a valid token and a
# fresh signature, so filling it is costly; the table, when configured, still refuses the replay).
DEFAULT_MAX_ENTRIES = 100_000
# Seconds: one attempt and one retry of at most this long each, far below the authorizer's 10 s.
TABLE_TIMEOUT_SECONDS = 1.0
TABLE_MAX_ATTEMPTS = 2


def replay_key(jkt: str, jti: str) -> bytes:
    return hashlib.sha256(f"{jkt}\n{jti}".encode()).digest()


class SeenProofs:
    """The proofs this environment accepted, each until its window closes (bounded, oldest first out)."""

    def __init__(self, *, max_entries: int = DEFAULT_MAX_ENTRIES, clock: Callable[[], float] = time.time):
        self._entries: OrderedDict[bytes, float] = OrderedDict()
        self._max_entries = max_entries
        self._clock = clock

    def __len__(self) -> int:
        return len(self._entries)

    def seen(self, key: bytes) -> bool:
        expires_at = self._entries.get(key)
        if expires_at is None:
            return False
        if self._clock() > expires_at:  # at expires_at itself the proof's iat is still in the window
            del self._entries[key]
            return False
        return True

    def remember(self, key: bytes, expires_at: float) -> None:
        now = self._clock()
        while self._entries:  # entries come in roughly expiry order: drop the expired from the front
            oldest_key, oldest_expiry = next(iter(self._entries.items()))
            if oldest_expiry >= now and len(self._entries) < self._max_entries:
                break
            del self._entries[oldest_key]
        self._entries[key] = expires_at

    def clear(self) -> None:
        self._entries.clear()


class ReplayTable(Protocol):
    def claim(self, key: bytes, expires_at: float) -> None:
        """Record `key` unless present: raises TokenRejected (dpop_replay, or dpop_replay_unavailable)."""


class DynamoDbReplayTable:
    """The cross-environment layer: one conditional PutItem per accepted proof."""

    def __init__(self, table: str, *, endpoint_url: str | None = None) -> None:
        self._table = table
        self._endpoint_url = endpoint_url
        self._client: Any = None

    def _dynamodb(self) -> Any:
        if self._client is None:
            # Deferred to the first proof (see the module docstring).
            from botocore.config import Config  # noqa: PLC0415
            from botocore.session import get_session  # noqa: PLC0415

            self._client = get_session().create_client(
                "dynamodb",
                endpoint_url=self._endpoint_url,
                config=Config(
                    connect_timeout=TABLE_TIMEOUT_SECONDS,
                    read_timeout=TABLE_TIMEOUT_SECONDS,
                    retries={"mode": "standard", "max_attempts": TABLE_MAX_ATTEMPTS},
                ),
            )
        return self._client

    def claim(self, key: bytes, expires_at: float) -> None:
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 - loaded by _dynamodb

        try:
            self._dynamodb().put_item(
                TableName=self._table,
                Item={"id": {"S": key.hex()}, "expires_at": {"N": str(int(expires_at) + 1)}},
                ConditionExpression="attribute_not_exists(id)",
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "ConditionalCheckFailedException":
                raise TokenRejected("the proof's jti was already used", Reason.DPOP_REPLAY) from None
            raise TokenRejected(
                f"the replay table refused the write ({code})", Reason.DPOP_REPLAY_UNAVAILABLE
            ) from None
        except BotoCoreError as exc:
            raise TokenRejected(
                f"the replay table cannot be reached ({type(exc).__name__})", Reason.DPOP_REPLAY_UNAVAILABLE
            ) from None


class ReplayGuard:
    """Memory first (a replay to the same environment costs no request), then the table if any."""

    def __init__(self, memory: SeenProofs, table: ReplayTable | None = None) -> None:
        self.memory = memory
        self._table = table

    def first_use(self, jkt: str, jti: str, expires_at: float) -> None:
        key = replay_key(jkt, jti)
        if self.memory.seen(key):
            raise TokenRejected("the proof's jti was already used", Reason.DPOP_REPLAY)
        if self._table is not None:
            try:
                self._table.claim(key, expires_at)
            except TokenRejected as exc:
                if exc.reason is Reason.DPOP_REPLAY:
                    self.memory.remember(key, expires_at)
                raise
        self.memory.remember(key, expires_at)
