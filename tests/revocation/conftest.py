"""Revocation fixtures: one DynamoDB Local per session, a fresh revocation table per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from devstack.dynamodb_local import DynamoDBLocal, dynamodb_local


@pytest.fixture(scope="session")
def dynamodb() -> Iterator[DynamoDBLocal]:
    with dynamodb_local() as ddb:
        yield ddb


@pytest.fixture
def revocation_table(dynamodb: DynamoDBLocal) -> str:
    """A fresh revocation table, created from template.yaml's RevocationTable (key id, TTL expires_at)."""
    name = f"revocations-{uuid.uuid4().hex[:12]}"
    dynamodb.create_table(name, "RevocationTable")
    return name
