"""`sam build` and `sam local invoke` as docs/local-development.md shows them, in Docker, with the
committed events and events/env.json: every event's payload checked, not only the exit code."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from event_outcomes import (
    API_OUTCOMES,
    CASE_SCOPES,
    allowed_resources,
    assert_api_answer,
    authorizer_events,
    event_arn,
    expected_resources,
)
from sam_local import Sam, readme_docker_commands

from devstack.gateway import Decision, evaluate_policy
from devstack.make_events import DOCKER_NETWORK, EVENTS_DIR

# ELF e_machine of the native code `sam build` fetched (cryptography's Rust extension).
ELF_MACHINES = {"x86_64": 0x3E, "arm64": 0xB7}


def load(name: str) -> Any:
    return json.loads((EVENTS_DIR / name).read_text(encoding="utf-8"))


def test_sam_build_fetches_native_code_for_the_architecture_passed(sam: Sam, built: Path) -> None:
    # The authorizer is built in its nested application's folder (AuthorizerApp).
    function = built / "AuthorizerApp" / "AuthorizerFunction"
    libraries = sorted(function.glob("cryptography/hazmat/bindings/_rust*.so"))

    assert libraries, "cryptography's native module is missing from the build"
    header = libraries[0].read_bytes()[:20]
    assert header[:4] == b"\x7fELF"
    assert int.from_bytes(header[18:20], "little") == ELF_MACHINES[sam.arch]


@pytest.mark.parametrize("event_name", authorizer_events())
def test_authorizer_invoke_gives_each_event_its_documented_answer(
    event_name: str, sam: Sam, built: Path
) -> None:
    kind, case = event_name.removeprefix("authorizer-").removesuffix(".json").split("-", 1)
    event = load(event_name)

    answer, result = sam.invoke("AuthorizerFunction", event_name)

    # SAM CLI exits 0 whether or not the function raised: only the payload tells.
    assert result.returncode == 0, result.stderr
    if case == "expired":
        assert (answer["errorType"], answer["errorMessage"]) == ("Exception", "Unauthorized")
        assert '"reason":"expired"' in result.stderr
        return
    assert answer["principalId"] == ("dev-admin@clients" if case == "valid" else "dev-writer@clients")
    assert allowed_resources(answer) == expected_resources(kind, CASE_SCOPES[case])
    expected = Decision.ALLOW if case == "valid" else Decision.IMPLICIT_DENY
    assert evaluate_policy(answer["policyDocument"], event_arn(event)) is expected


def test_api_invokes_reach_dynamodb_local_on_the_docker_network(sam: Sam, built: Path, dynamodb: str) -> None:
    for name, status, body in API_OUTCOMES:
        event = load(name)

        answer, result = sam.invoke("ApiFunction", name)

        assert result.returncode == 0, result.stderr
        assert_api_answer(name, event, answer, status, body)


def test_readme_docker_section_shows_exactly_the_commands_these_tests_run(sam: Sam) -> None:
    assert readme_docker_commands() == [
        "make setup && source .venv/bin/activate",
        "ARCH=$(uname -m | sed s/aarch64/arm64/)",
        "sam build --parameter-overrides Architecture=$ARCH",
        "sam local invoke AuthorizerFunction -e events/authorizer-token-valid.json"
        " --parameter-overrides Architecture=$ARCH",
        "python -m devstack.docker_local up",
        f"sam local invoke ApiFunction -e events/api-create-item.json --docker-network {DOCKER_NETWORK}"
        " --parameter-overrides Architecture=$ARCH",
        "sam local start-api --parameter-overrides Architecture=$ARCH",
        "sam build --template examples/http-api/template.yaml --build-dir .aws-sam/http-api"
        " --parameter-overrides Architecture=$ARCH",
        "sam local start-api --template .aws-sam/http-api/template.yaml --port 3001"
        f" --env-vars events/env.json --docker-network {DOCKER_NETWORK}"
        " --parameter-overrides Architecture=$ARCH",
        "source .venv/bin/activate",
        'curl -H "Authorization: Bearer $(python -m devstack.make_events --token)" http://127.0.0.1:3000/items',
        "python -m devstack.docker_local down",
    ]


def test_readme_arch_line_names_this_host_architecture(sam: Sam) -> None:
    line = next(command for command in readme_docker_commands() if command.startswith("ARCH="))

    result = subprocess.run(
        ["bash", "-c", f'{line}; echo "$ARCH"'], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == sam.arch
