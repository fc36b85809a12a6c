"""Fault-test fixtures: one local stack for the suite, on 127.0.0.1, with DynamoDB Local on a data directory.

The authorizer cache is off (cache_ttl=0), so every request reaches the authorizer and a fault in it shows.
DynamoDB Local persists to a temporary directory, so that a killed one comes back with the items it had.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_load import CLIENT_SECRETS, FaultClient

from devstack.stack import LocalStack, StackOptions, local_stack


@pytest.fixture(scope="session")
def stack_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("faults") / "stack.log"


@pytest.fixture(scope="session")
def stack(stack_log: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    options = StackOptions(
        client_secrets=CLIENT_SECRETS, cache_ttl=0, persist=tmp_path_factory.mktemp("ddb-data")
    )
    with stack_log.open("w", encoding="utf-8") as log, local_stack(options, log_sink=log) as running:
        yield running


@pytest.fixture(scope="session")
def client(stack: LocalStack) -> FaultClient:
    return FaultClient(stack)
