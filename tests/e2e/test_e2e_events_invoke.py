"""Every committed file in events/ invoked through the Lambda RIE by the `sam local invoke` twin
(`make invoke`), with the committed events/env.json, outcome checked. (tests/test_committed_events.py
checks that `make events` would write the same set of files; tests/docker runs them in the real
`sam local invoke`.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from event_outcomes import (
    API_OUTCOMES,
    AUTHORIZER_KINDS,
    allowed_resources,
    assert_api_answer,
    authorizer_events,
    event_arn,
    expected_resources,
)

from devstack.gateway import Decision, evaluate_policy
from devstack.invoke import invocation, run_event
from devstack.lambda_rie import RieFunction
from devstack.make_events import EVENTS_DIR
from devstack.template import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def events_dir() -> Path:
    """The committed events and env file: what `make invoke` and a fresh clone use."""
    return EVENTS_DIR


def load(events_dir: Path, name: str) -> Any:
    return json.loads((events_dir / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def authorizer(events_dir: Path) -> Iterator[RieFunction]:
    with invocation("AuthorizerFunction", events_dir / "env.json") as function:
        yield function


@pytest.fixture(scope="module")
def api(events_dir: Path) -> Iterator[RieFunction]:
    with invocation("ApiFunction", events_dir / "env.json") as function:
        yield function


def test_every_event_file_has_an_expected_outcome(events_dir: Path) -> None:
    covered = set(authorizer_events()) | {name for name, _status, _body in API_OUTCOMES} | {"env.json"}

    assert {p.name for p in events_dir.iterdir()} == covered


@pytest.mark.parametrize("kind", AUTHORIZER_KINDS)
def test_valid_token_event_allows_every_route_of_its_scopes(
    kind: str, events_dir: Path, authorizer: RieFunction
) -> None:
    event = load(events_dir, f"authorizer-{kind}-valid.json")

    answer, failed = run_event(authorizer, event)

    assert not failed, answer
    assert answer["principalId"] == "dev-admin@clients"
    assert allowed_resources(answer) == expected_resources(
        kind, {"read:items", "write:items", "delete:items"}
    )
    assert evaluate_policy(answer["policyDocument"], event_arn(event)) is Decision.ALLOW


@pytest.mark.parametrize("kind", AUTHORIZER_KINDS)
def test_expired_token_event_is_unauthorized(kind: str, events_dir: Path, authorizer: RieFunction) -> None:
    answer, failed = run_event(authorizer, load(events_dir, f"authorizer-{kind}-expired.json"))

    assert failed
    assert (answer["errorType"], answer["errorMessage"]) == ("Exception", "Unauthorized")


@pytest.mark.parametrize("kind", AUTHORIZER_KINDS)
def test_missing_scope_event_gets_a_policy_without_its_route(
    kind: str, events_dir: Path, authorizer: RieFunction
) -> None:
    event = load(events_dir, f"authorizer-{kind}-missing-scope.json")

    answer, failed = run_event(authorizer, event)

    assert not failed, answer
    assert allowed_resources(answer) == expected_resources(kind, {"write:items"})
    assert evaluate_policy(answer["policyDocument"], event_arn(event)) is not Decision.ALLOW


def test_api_events_carry_the_context_the_authorizer_gives(events_dir: Path, authorizer: RieFunction) -> None:
    # GIVEN what the authorizer answers for the same valid token
    answer, _failed = run_event(authorizer, load(events_dir, "authorizer-token-valid.json"))
    context = {k: str(v) for k, v in answer["context"].items()} | {"principalId": answer["principalId"]}

    # THEN every API event carries it, as API Gateway (REST) passes it on: strings, plus principalId
    for name, _status, _body in API_OUTCOMES:
        assert load(events_dir, name)["requestContext"]["authorizer"] == context, name


def test_api_events_give_the_expected_answers(events_dir: Path, api: RieFunction) -> None:
    for name, status, body in API_OUTCOMES:
        event = load(events_dir, name)

        answer, failed = run_event(api, event)

        assert not failed, (name, answer)
        assert_api_answer(name, event, answer, status, body)


def _run_twin(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "scripts")}
    command = [sys.executable, "-m", "devstack.invoke", *args]
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_twin_cli_prints_the_result_and_exits_zero(events_dir: Path) -> None:
    result = _run_twin(
        "AuthorizerFunction",
        "-e",
        str(events_dir / "authorizer-token-valid.json"),
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["principalId"] == "dev-admin@clients"


def test_twin_cli_exits_non_zero_when_the_function_fails(events_dir: Path) -> None:
    result = _run_twin(
        "AuthorizerFunction",
        "-e",
        str(events_dir / "authorizer-token-expired.json"),
    )

    assert result.returncode == 1
    assert json.loads(result.stdout)["errorMessage"] == "Unauthorized"
