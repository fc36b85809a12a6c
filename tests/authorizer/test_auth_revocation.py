"""The authorizer's revocation check (docs/revocation.md, "Revoking access"), against DynamoDB Local."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from authorizer_harness import (
    Issuer,
    Keys,
    claims,
    emf_records,
    environment,
    load_app,
    mint,
    route_logs_to,
    token_event,
)
from revocations import revoke
from test_auth_cold_start import cold_start, report

from devstack.dynamodb_local import DynamoDBLocal
from lambda_loader import LambdaContext
from token_revocation.entries import Kind

LAYER = Path(__file__).resolve().parents[2] / "layers" / "revocation"


def revocation_environment(issuer: Issuer, dynamodb: DynamoDBLocal, table: str) -> dict[str, str]:
    return environment(
        issuer,
        REVOCATION_TABLE=table,
        REVOCATION_REFRESH_SECONDS="1",
        MAX_TOKEN_LIFETIME_SECONDS="3600",
        DYNAMODB_ENDPOINT_URL=dynamodb.endpoint_url,
        AWS_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
    )


@pytest.fixture
def app(
    issuer: Issuer, dynamodb: DynamoDBLocal, revocation_table: str, monkeypatch: pytest.MonkeyPatch
) -> ModuleType:
    for name, value in revocation_environment(issuer, dynamodb, revocation_table).items():
        monkeypatch.setenv(name, value)
    return load_app()


def decide(
    app: ModuleType, token: str, capsys: pytest.CaptureFixture[str]
) -> tuple[Any, list[dict[str, Any]]]:
    """(the answer or the raised exception, the decision line: its EMF and log members in one record)."""
    route_logs_to(sys.stdout)
    capsys.readouterr()
    try:
        result: Any = app.lambda_handler(token_event(f"Bearer {token}", "GET", "me"), LambdaContext())
    except Exception as exc:  # the handler's failure is the outcome under test
        result = exc
    output = capsys.readouterr().out
    return result, [record for record in emf_records(output) if "reason" in record]


def reasons(records: list[dict[str, Any]]) -> list[str]:
    return [record["reason"] for record in records]


def wait_for_next_second() -> None:
    time.sleep(1 - time.time() % 1 + 0.05)


def test_a_revoked_subject_is_refused_with_its_own_reason_even_from_the_token_cache(
    app: ModuleType,
    issuer: Issuer,
    keys: Keys,
    dynamodb: DynamoDBLocal,
    revocation_table: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN a token already verified and allowed (so the next decision is a verified-token cache hit)
    token = mint(keys.rsa, claims(issuer, jti="alice-1"))
    first, first_records = decide(app, token, capsys)
    assert first["principalId"] == "auth0|user-1", first_records
    # WHEN its subject is revoked, and the list's refresh interval passes
    revoke(
        dynamodb.client(), revocation_table, Kind.SUBJECT, issuer.url, "auth0|user-1", max_token_lifetime=3600
    )
    time.sleep(1.1)
    result, records = decide(app, token, capsys)
    # THEN it is a 401 counted under `revoked`, logged without the token
    assert (repr(result), reasons(records)) == ("Exception('Unauthorized')", ["revoked"])
    (line,) = [record for record in records if "detail" in record]
    assert line["detail"] == "a subject revocation covers the token"
    assert token not in str(records)
    # AND a token of the same subject issued after the revocation is allowed
    wait_for_next_second()
    fresh = mint(keys.rsa, claims(issuer, jti="alice-2", iat=int(time.time())))
    assert decide(app, fresh, capsys)[0]["principalId"] == "auth0|user-1"


@pytest.mark.parametrize(("kind", "value"), [(Kind.CLIENT, "spa-client"), (Kind.TOKEN, "one-token")])
def test_a_revoked_client_or_token_is_refused_and_others_are_not(
    app: ModuleType,
    issuer: Issuer,
    keys: Keys,
    dynamodb: DynamoDBLocal,
    revocation_table: str,
    capsys: pytest.CaptureFixture[str],
    kind: Kind,
    value: str,
) -> None:
    # GIVEN a revocation written before the first decision
    revoke(dynamodb.client(), revocation_table, kind, issuer.url, value, max_token_lifetime=3600)
    covered = mint(keys.rsa, claims(issuer, jti="one-token", iat=int(time.time()) - 5))
    other = mint(keys.rsa, claims(issuer, jti="another-token", azp="other-client", iat=int(time.time()) - 5))
    # WHEN both tokens are presented
    # THEN only the covered one is refused
    assert reasons(decide(app, covered, capsys)[1]) == ["revoked"]
    assert reasons(decide(app, other, capsys)[1]) == ["allowed"]


@pytest.mark.parametrize(
    ("overrides", "detail"),
    [
        ({"iat": None}, "no iat: a revocation could not be bounded in time"),
        ({"exp": 2_000_000_000}, "above MAX_TOKEN_LIFETIME_SECONDS"),
    ],
    ids=["no_iat", "longer_than_the_maximum"],
)
def test_with_revocation_on_a_token_must_carry_iat_and_live_at_most_the_maximum_lifetime(
    app: ModuleType,
    issuer: Issuer,
    keys: Keys,
    capsys: pytest.CaptureFixture[str],
    overrides: dict[str, Any],
    detail: str,
) -> None:
    _, records = decide(app, mint(keys.rsa, claims(issuer, **overrides)), capsys)
    assert reasons(records) == ["lifetime_exceeded"]
    assert detail in next(record["detail"] for record in records if "detail" in record)


def test_a_cold_start_with_revocation_on_imports_no_botocore_and_reads_the_list_first(
    issuer: Issuer, keys: Keys, dynamodb: DynamoDBLocal, revocation_table: str
) -> None:
    # GIVEN a fresh process with the layer on its path (Lambda: /opt/python) and a revoked jti
    revoke(
        dynamodb.client(), revocation_table, Kind.TOKEN, issuer.url, "revoked-jti", max_token_lifetime=3600
    )
    env = {**revocation_environment(issuer, dynamodb, revocation_table), "PYTHONPATH": str(LAYER)}
    # WHEN its first decision is on the revoked token
    outcome = report(
        cold_start(env, token_event(f"Bearer {mint(keys.rsa, claims(issuer, jti='revoked-jti'))}"))
    )
    # THEN the first decision already saw the list, and nothing of boto3/botocore was imported for it
    assert outcome["error"] == ["Exception", "Unauthorized"]
    assert outcome["heavy_imports"] == []
