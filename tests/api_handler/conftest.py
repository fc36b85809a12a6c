"""API handler fixtures: fresh tables on the session's DynamoDB Local (tests/dynamodb_tables.py) and a cold
start per test."""

from __future__ import annotations

from types import ModuleType

import pytest
from api_harness import ALLOWED_ORIGIN, ApiClient, Shape, load_app
from dynamodb_tables import fresh_table

from devstack.dynamodb_local import DynamoDBLocal


@pytest.fixture
def table_name(dynamodb: DynamoDBLocal) -> str:
    """A fresh items table, created from template.yaml's definition."""
    return fresh_table(dynamodb, "items", "ItemsTable")


@pytest.fixture
def idempotency_table_name(dynamodb: DynamoDBLocal) -> str:
    """A fresh Powertools Idempotency table, created from template.yaml's definition (TTL on)."""
    return fresh_table(dynamodb, "idempotency", "IdempotencyTable")


@pytest.fixture
def app(
    monkeypatch: pytest.MonkeyPatch, dynamodb: DynamoDBLocal, table_name: str, idempotency_table_name: str
) -> ModuleType:
    """The handler module after a cold start, pointed at DynamoDB Local."""
    monkeypatch.setenv("TABLE_NAME", table_name)
    monkeypatch.setenv("IDEMPOTENCY_TABLE_NAME", idempotency_table_name)
    monkeypatch.setenv("DYNAMODB_ENDPOINT_URL", dynamodb.endpoint_url)
    monkeypatch.setenv("CORS_ALLOW_ORIGIN", ALLOWED_ORIGIN)
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "items-api")
    monkeypatch.delenv("PAGE_TOKEN_KEY", raising=False)
    return load_app()


@pytest.fixture(params=["rest", "http"])
def api(request: pytest.FixtureRequest, app: ModuleType) -> ApiClient:
    """The handler behind a REST API (v1 events) and behind an HTTP API (payload 2.0 events)."""
    shape: Shape = request.param
    return ApiClient(app, shape)
