"""Every file in events/ invoked through the Lambda RIE by the `sam local invoke` twin, outcome checked.

The events are regenerated into a temporary directory first (tokens expire); the committed events/ must
hold exactly the same files, so nothing generated is missing from the repository and nothing is stale
in shape.
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

from devstack.gateway import Decision, evaluate_policy
from devstack.invoke import invocation, run_event
from devstack.lambda_rie import RieFunction
from devstack.make_events import API_ID, EVENTS_DIR, ITEM_ID, write_events
from devstack.template import ROOT, route_scopes

pytestmark = pytest.mark.slow

AUTHORIZER_KINDS = ("token", "request", "httpv2")
# The API events in the order they run against one fresh table (the list comes before the create).
API_OUTCOMES: list[tuple[str, int, Any]] = [
    (
        "api-get-me.json",
        200,
        {
            "iss": "https://issuer.devstack.invalid/",
            "sub": "dev-admin@clients",
            "scopes": ["delete:items", "read:items", "write:items"],
            "client_id": "dev-admin",
        },
    ),
    ("api-list-items.json", 200, {"items": [], "next": None}),
    ("api-create-item.json", 201, None),  # body checked field by field: the id is new each time
    ("api-get-item.json", 404, {"message": "Item not found"}),
    ("api-delete-item.json", 404, {"message": "Item not found"}),
    ("api-create-item-bad-body.json", 400, {"message": "Request body is not valid JSON"}),
]


@pytest.fixture(scope="module")
def events_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("events")
    write_events(out)
    return out


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


def arn_prefix(kind: str) -> str:
    stage = "$default" if kind == "httpv2" else "v1"
    return f"arn:aws:execute-api:us-east-1:123456789012:{API_ID}/{stage}"


def expected_resources(kind: str, scopes: set[str]) -> set[str]:
    """The ARNs of every route of template.yaml the scopes permit, {id} as a wildcard."""
    resources = set()
    for route, needed in route_scopes().items():
        method, path = route.split(" ", 1)
        if set(needed) <= scopes:
            resources.add(f"{arn_prefix(kind)}/{method}{path.replace('{id}', '*')}")
    return resources


def allowed_resources(answer: dict[str, Any]) -> set[str]:
    resources: set[str] = set()
    for statement in answer["policyDocument"]["Statement"]:
        if statement["Effect"] == "Allow":
            listed = statement["Resource"]
            resources.update(listed if isinstance(listed, list) else [listed])
    return resources


def event_arn(event: dict[str, Any]) -> str:
    arn: str = event.get("methodArn") or event["routeArn"]
    return arn


def test_committed_events_are_the_generated_set(events_dir: Path) -> None:
    generated = sorted(p.name for p in events_dir.iterdir())
    committed = sorted(p.name for p in EVENTS_DIR.iterdir())

    assert committed == generated
    assert load(EVENTS_DIR, "env.json") == load(events_dir, "env.json")


def test_every_event_file_has_an_expected_outcome(events_dir: Path) -> None:
    covered = {
        f"authorizer-{k}-{c}.json" for k in AUTHORIZER_KINDS for c in ("valid", "expired", "missing-scope")
    }
    covered |= {name for name, _status, _body in API_OUTCOMES} | {"env.json"}

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
        assert answer["statusCode"] == status, name
        if body is not None:
            assert json.loads(answer["body"]) == body, name
        else:
            created = json.loads(answer["body"])
            sent = json.loads(event["body"])
            assert {k: created[k] for k in sent} == sent
            assert created["id"] != ITEM_ID


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
        "--env-vars",
        str(events_dir / "env.json"),
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["principalId"] == "dev-admin@clients"


def test_twin_cli_exits_non_zero_when_the_function_fails(events_dir: Path) -> None:
    result = _run_twin(
        "AuthorizerFunction",
        "-e",
        str(events_dir / "authorizer-token-expired.json"),
        "--env-vars",
        str(events_dir / "env.json"),
    )

    assert result.returncode == 1
    assert json.loads(result.stdout)["errorMessage"] == "Unauthorized"
