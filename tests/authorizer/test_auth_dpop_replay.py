"""DPoP replay detection: in memory per execution environment, and across environments through the
replay table on AWS's DynamoDB Local."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from authorizer_harness import (
    Issuer,
    Keys,
    claims,
    ec_key,
    environment,
    load_app,
    mint,
    request_event,
)
from dpop_harness import decision, proof, thumbprint
from dynamodb_tables import fresh_table

from devstack.dynamodb_local import DynamoDBLocal
from devstack.ports import LOOPBACK, free_port
from devstack.template import time_to_live
from oauth_authorizer.errors import Reason, TokenRejected
from oauth_authorizer.replay import DynamoDbReplayTable, ReplayGuard, SeenProofs, replay_key


@pytest.fixture
def replay_table(dynamodb: DynamoDBLocal, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh replay table, created from template.yaml's DPoPReplayTable (keys and TTL as deployed)."""
    for name, value in dynamodb_credentials().items():
        monkeypatch.setenv(name, value)
    name = fresh_table(dynamodb, "dpop-replay", "DPoPReplayTable")
    # One write and delete first, with botocore's patient defaults: DynamoDB Local's first write to a new
    # table can take longer than the replay guard's 1 s timeout on a loaded machine (a cold JVM path, not
    # the behaviour under test), which the guard would rightly answer with replay_unavailable.
    client = dynamodb.client()
    client.put_item(TableName=name, Item={"id": {"S": "warm-up"}, "expires_at": {"N": "0"}})
    client.delete_item(TableName=name, Key={"id": {"S": "warm-up"}})
    assert time_to_live("DPoPReplayTable") == {"AttributeName": "expires_at", "Enabled": True}
    return name


def dynamodb_credentials() -> dict[str, str]:
    """DynamoDB Local takes any credentials; botocore needs some, and a region."""
    return {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": "us-east-1"}


def environments(
    issuer: Issuer, monkeypatch: pytest.MonkeyPatch, count: int, **overrides: str
) -> list[ModuleType]:
    """`count` execution environments of the authorizer: separate cold starts, separate memories."""
    for name, value in environment(issuer, DPOP="allowed", **overrides).items():
        monkeypatch.setenv(name, value)
    return [load_app() for _ in range(count)]


def reason_of(app: ModuleType, event: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> str:
    return decision(app, event, capsys)[0]


def dpop_request(token: str, value: str) -> dict[str, Any]:
    return request_event({"Authorization": f"DPoP {token}", "DPoP": value})


def test_a_proof_used_in_one_environment_is_refused_in_another_through_the_table(
    issuer: Issuer,
    keys: Keys,
    dynamodb: DynamoDBLocal,
    replay_table: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN two execution environments sharing the replay table on DynamoDB Local
    first, second = environments(
        issuer, monkeypatch, 2, DPOP_REPLAY_TABLE=replay_table, DYNAMODB_ENDPOINT_URL=dynamodb.endpoint_url
    )
    client = ec_key("client")
    token = mint(keys.rsa, claims(issuer, cnf={"jkt": thumbprint(client)}))
    value = proof(client, token)
    # WHEN the proof is accepted by the first, then replayed to the second (whose memory has never seen it)
    outcomes = [
        reason_of(first, dpop_request(token, value), capsys),
        reason_of(second, dpop_request(token, value), capsys),
    ]
    # THEN the second refuses it, and the table holds one entry, which expires with the window
    assert outcomes == ["allowed", "dpop_replay"]
    items = dynamodb.client().scan(TableName=replay_table)["Items"]
    assert len(items) == 1
    assert set(items[0]) == {"id", "expires_at"}


def test_without_the_table_each_environment_only_knows_its_own_proofs(
    issuer: Issuer, keys: Keys, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # This is why the table exists: memory alone cannot stop a replay sent to another environment.
    first, second = environments(issuer, monkeypatch, 2)
    client = ec_key("client")
    token = mint(keys.rsa, claims(issuer, cnf={"jkt": thumbprint(client)}))
    value = proof(client, token)
    outcomes = [reason_of(app, dpop_request(token, value), capsys) for app in (first, second, first)]
    assert outcomes == ["allowed", "allowed", "dpop_replay"]


def test_an_unreachable_replay_table_fails_closed_with_its_own_reason(
    issuer: Issuer, keys: Keys, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a replay table on a port where nothing listens
    for name, value in dynamodb_credentials().items():
        monkeypatch.setenv(name, value)
    (app,) = environments(
        issuer,
        monkeypatch,
        1,
        DPOP_REPLAY_TABLE="dpop-replay",
        DYNAMODB_ENDPOINT_URL=f"http://{LOOPBACK}:{free_port()}",
    )
    client = ec_key("client")
    token = mint(keys.rsa, claims(issuer, cnf={"jkt": thumbprint(client)}))
    # THEN a valid proof is refused, saying why, and not remembered as seen
    assert reason_of(app, dpop_request(token, proof(client, token)), capsys) == "dpop_replay_unavailable"
    assert len(app.SENDERS.replays.memory) == 0


def test_a_missing_replay_table_fails_closed(
    dynamodb: DynamoDBLocal, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in dynamodb_credentials().items():
        monkeypatch.setenv(name, value)
    table = DynamoDbReplayTable("no-such-table", endpoint_url=dynamodb.endpoint_url)
    with pytest.raises(TokenRejected) as caught:
        table.claim(b"k" * 32, 2_000_000_000)
    assert (caught.value.reason, str(caught.value)) == (
        Reason.DPOP_REPLAY_UNAVAILABLE,
        "the replay table refused the write (ResourceNotFoundException)",
    )


def test_memory_forgets_a_proof_when_its_window_closes() -> None:
    now = [1000.0]
    memory = SeenProofs(clock=lambda: now[0])
    memory.remember(b"a", 1060.0)
    seen = [memory.seen(b"a")]
    now[0] = 1060.0  # the last second a proof with iat 1000 is accepted (window 60): still a replay
    seen.append(memory.seen(b"a"))
    now[0] = 1060.5
    assert (seen, memory.seen(b"a"), len(memory)) == ([True, True], False, 0)


def test_memory_is_bounded_and_drops_the_oldest_first() -> None:
    memory = SeenProofs(max_entries=3, clock=lambda: 0.0)
    for key in (b"a", b"b", b"c", b"d"):
        memory.remember(key, 100.0)
    assert [memory.seen(key) for key in (b"a", b"b", b"c", b"d")] == [False, True, True, True]


class _Table:
    """A replay table stand-in (unit level): answers each claim with the next of `answers`."""

    def __init__(self, *answers: Reason | None) -> None:
        self.answers = list(answers)
        self.claims: list[bytes] = []

    def claim(self, key: bytes, expires_at: float) -> None:
        self.claims.append(key)
        answer = self.answers.pop(0)
        if answer is not None:
            raise TokenRejected("from the table", answer)


def test_the_guard_asks_the_table_only_for_what_memory_has_not_seen() -> None:
    table = _Table(None)
    guard = ReplayGuard(SeenProofs(), table)
    guard.first_use("jkt", "jti-1", 2e9)
    with pytest.raises(TokenRejected) as caught:
        guard.first_use("jkt", "jti-1", 2e9)
    assert (caught.value.reason, table.claims) == (Reason.DPOP_REPLAY, [replay_key("jkt", "jti-1")])


def test_a_replay_the_table_reports_is_remembered_and_an_outage_is_not() -> None:
    table = _Table(Reason.DPOP_REPLAY, Reason.DPOP_REPLAY_UNAVAILABLE)
    guard = ReplayGuard(SeenProofs(), table)
    reasons = []
    for jti in ("seen-elsewhere", "during-an-outage"):
        with pytest.raises(TokenRejected) as caught:
            guard.first_use("jkt", jti, 2e9)
        reasons.append(caught.value.reason)
    assert reasons == [Reason.DPOP_REPLAY, Reason.DPOP_REPLAY_UNAVAILABLE]
    assert [guard.memory.seen(replay_key("jkt", jti)) for jti in ("seen-elsewhere", "during-an-outage")] == [
        True,
        False,
    ]


def test_keys_of_two_clients_with_the_same_jti_differ() -> None:
    assert replay_key("jkt-a", "1") != replay_key("jkt-b", "1")
