"""DynamoDB Local for the tests: one per session (started on first use), and fresh tables on it.

Every table is created from the template's own definition (keys, TTL), so a test's table is the
deployed one. Loaded by tests/conftest.py; a folder that needs something else (tests/docker: DynamoDB
Local in a container) defines its own `dynamodb`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from devstack.dynamodb_local import DynamoDBLocal, dynamodb_local


@pytest.fixture(scope="session")
def dynamodb() -> Iterator[DynamoDBLocal]:
    """AWS's DynamoDB Local on a free 127.0.0.1 port, for the whole session."""
    with dynamodb_local() as ddb:
        yield ddb


def fresh_table(dynamodb: DynamoDBLocal, prefix: str, logical_id: str) -> str:
    """A new table named `prefix`-random, created from the template's `logical_id` definition."""
    name = f"{prefix}-{uuid.uuid4().hex[:12]}"
    dynamodb.create_table(name, logical_id)
    return name


@pytest.fixture
def revocation_table(dynamodb: DynamoDBLocal) -> str:
    """A fresh revocation table, created from template.yaml's RevocationTable (key id, TTL expires_at)."""
    return fresh_table(dynamodb, "revocations", "RevocationTable")
