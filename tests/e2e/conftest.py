"""End-to-end fixtures: the whole local stack, started once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_client import CLIENT_SECRETS, StackClient

from devstack.stack import LocalStack, StackOptions, local_stack


@pytest.fixture(scope="session")
def stack_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("stack") / "functions.log"


@pytest.fixture(scope="session")
def stack(stack_log: Path) -> Iterator[LocalStack]:
    """The whole local stack (issuer, DynamoDB Local, both functions in the RIE, gateway), once."""
    with (
        stack_log.open("w", encoding="utf-8") as log,
        local_stack(StackOptions(client_secrets=CLIENT_SECRETS), log_sink=log) as running,
    ):
        yield running


@pytest.fixture(scope="session")
def client(stack: LocalStack) -> StackClient:
    return StackClient(stack)
