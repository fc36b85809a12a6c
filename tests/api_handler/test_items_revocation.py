"""The handler's revocation check before any route: the list the authorizer reads, on every request."""

from __future__ import annotations

import time
from types import ModuleType

import pytest
from api_harness import ALICE, ALLOWED_ORIGIN, BOB, ISSUER, ApiClient, load_app
from revocations import revoke

from devstack.dynamodb_local import DynamoDBLocal
from token_revocation.entries import Kind

NOW = int(time.time())


@pytest.fixture
def app(
    monkeypatch: pytest.MonkeyPatch,
    dynamodb: DynamoDBLocal,
    table_name: str,
    idempotency_table_name: str,
    revocation_table: str,
) -> ModuleType:
    for name, value in {
        "TABLE_NAME": table_name,
        "IDEMPOTENCY_TABLE_NAME": idempotency_table_name,
        "DYNAMODB_ENDPOINT_URL": dynamodb.endpoint_url,
        "CORS_ALLOW_ORIGIN": ALLOWED_ORIGIN,
        "POWERTOOLS_SERVICE_NAME": "items-api",
        "REVOCATION_TABLE": revocation_table,
        "REVOCATION_REFRESH_SECONDS": "1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PAGE_TOKEN_KEY", raising=False)
    return load_app()


def context(sub: str, *, iat: int, jti: str) -> dict[str, object]:
    return {**ALICE.context(), "sub": sub, "iat": iat, "jti": jti}


def test_a_revoked_subjects_cached_allow_answers_401_and_its_post_stores_nothing(
    api: ApiClient, dynamodb: DynamoDBLocal, revocation_table: str
) -> None:
    # GIVEN Alice's token, working (the list read on the first request)
    alice = context(ALICE.sub, iat=NOW - 60, jti="alice-1")
    assert api.request("GET", "/me", authorizer_context=alice).status == 200
    # WHEN her subject is revoked and the refresh interval passes (API Gateway still holds the Allow)
    revoke(dynamodb.client(), revocation_table, Kind.SUBJECT, ISSUER, ALICE.sub, max_token_lifetime=3600)
    time.sleep(1.1)
    # THEN every route answers the gateway's own 401, a POST included, and nothing is stored
    created = api.request("POST", "/items", authorizer_context=alice, json_body={"name": "after"})
    assert (created.status, created.headers["www-authenticate"], created.json) == (
        401,
        'Bearer error="invalid_token"',
        {"message": "Unauthorized"},
    )
    fresh = context(ALICE.sub, iat=int(time.time()) + 1, jti="alice-2")  # a sign-in after the revocation
    listed = api.request("GET", "/items", authorizer_context=fresh)
    assert (listed.status, listed.json["items"]) == (200, [])
    # AND Bob, not covered, keeps working
    assert (
        api.request("GET", "/me", authorizer_context=context(BOB.sub, iat=NOW - 60, jti="bob-1")).status
        == 200
    )


def test_a_revoked_token_id_is_refused_and_the_same_subjects_other_token_is_not(
    api: ApiClient, dynamodb: DynamoDBLocal, revocation_table: str
) -> None:
    revoke(dynamodb.client(), revocation_table, Kind.TOKEN, ISSUER, "stolen", max_token_lifetime=3600)
    assert (
        api.request("GET", "/me", authorizer_context=context(ALICE.sub, iat=NOW, jti="stolen")).status == 401
    )
    assert (
        api.request("GET", "/me", authorizer_context=context(ALICE.sub, iat=NOW, jti="other")).status == 200
    )


def test_without_a_readable_list_nothing_is_served_and_the_caller_is_told_to_retry(
    monkeypatch: pytest.MonkeyPatch, app: ModuleType
) -> None:
    # GIVEN a cold start whose first read of the list fails (its table does not exist)
    monkeypatch.setenv("REVOCATION_TABLE", "no-such-revocation-table")
    api = ApiClient(load_app(), "rest")
    # WHEN a request comes
    answer = api.request("GET", "/me", authorizer_context=context(ALICE.sub, iat=NOW, jti="a"))
    # THEN it is a 503 with Retry-After: nothing is served on an unchecked token
    assert (answer.status, answer.headers["retry-after"], answer.json) == (
        503,
        "1",
        {"message": "Service temporarily unavailable, retry later"},
    )
