"""scripts/revocations.py: revoke, list and remove on a real table (DynamoDB Local), the stack's facts."""

from __future__ import annotations

from typing import Any

import pytest
from revocations import list_revocations, remove, revoke, stack_facts

from devstack.dynamodb_local import DynamoDBLocal
from token_revocation.entries import Kind, Revocation

ISS = "https://tenant.auth0.com/"


def test_list_gives_the_live_revocations_oldest_first_and_remove_takes_one_back(
    dynamodb: DynamoDBLocal, revocation_table: str
) -> None:
    client = dynamodb.client()
    old = revoke(client, revocation_table, Kind.SUBJECT, ISS, "auth0|old", max_token_lifetime=60, now=1_000)
    later = revoke(client, revocation_table, Kind.CLIENT, ISS, "leaked", max_token_lifetime=60, now=2_000)
    first = revoke(client, revocation_table, Kind.TOKEN, ISS, "jti-1", max_token_lifetime=60, now=1_500)
    assert list_revocations(client, revocation_table, now=1_400) == [first, later]  # `old` has expired
    assert list_revocations(client, revocation_table, now=0) == [old, first, later]
    assert remove(client, revocation_table, Kind.TOKEN, ISS, "jti-1") is True
    assert remove(client, revocation_table, Kind.TOKEN, ISS, "jti-1") is False
    assert list_revocations(client, revocation_table, now=0) == [old, later]


class _CloudFormation:
    """DescribeStacks' answer for one stack (a unit-level stand-in: no AWS account here)."""

    def __init__(self, outputs: dict[str, str]) -> None:
        self.outputs = outputs

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        return {
            "Stacks": [
                {
                    "StackName": StackName,
                    "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in self.outputs.items()],
                    "Parameters": [{"ParameterKey": "Issuer", "ParameterValue": ISS}],
                }
            ]
        }


def test_the_table_the_lifetime_and_the_issuer_come_from_the_stack() -> None:
    cloudformation = _CloudFormation(
        {"RevocationTableName": "stack-RevocationTable-1", "MaxTokenLifetime": "3600"}
    )
    assert stack_facts(cloudformation, "api") == ("stack-RevocationTable-1", 3600, ISS)


def test_a_stack_without_the_revocation_outputs_is_refused_by_name() -> None:
    with pytest.raises(SystemExit, match="stack api has no output RevocationTableName"):
        stack_facts(_CloudFormation({}), "api")


def test_the_entry_written_is_the_one_described() -> None:
    entry = Revocation.new(Kind.SUBJECT, ISS, "auth0|x", now=10, max_token_lifetime=60)
    assert entry.describe() == (
        "every token of subject 'auth0|x' issued at or before 10, issuer 'https://tenant.auth0.com/' "
        "(entry expires at 370)"
    )
