"""`sam local start-api` as docs/local-development.md shows it (on a free port instead of 3000), in
Docker, with events/env.json and DynamoDB Local on the Docker network: each answer checked, including
where SAM CLI's emulator differs from API Gateway (the README lists those differences)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from event_outcomes import IDENTITY
from sam_local import VENV_BIN, Sam, readme_docker_commands, start_api, wait_until_answering

from devstack.client import HttpResponse, api_call, http
from devstack.make_events import EVENTS_DIR, committed_token
from devstack.ports import LOOPBACK, free_port
from devstack.template import ROOT

NOT_AUTHORIZED = {"message": "User is not authorized to access this resource"}


def event_token(case: str) -> str:
    event = json.loads((EVENTS_DIR / f"authorizer-token-{case}.json").read_text(encoding="utf-8"))
    header: str = event["authorizationToken"]
    return header.removeprefix("Bearer ")


def lambda_containers() -> set[str]:
    result = subprocess.run(
        ["docker", "ps", "--quiet", "--filter", "label=sam.cli.container.type=lambda"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(result.stdout.split())


@pytest.fixture(scope="module")
def api_url(sam: Sam, built: Path, dynamodb: str) -> Iterator[str]:
    """`sam local start-api --parameter-overrides Architecture=$ARCH`, until it answers; stopped after."""
    port = free_port()
    command = [*sam.command("sam local start-api --parameter-overrides"), "--port", str(port)]
    with start_api(sam, command, port, "start-api.log", probe="/me") as url:
        yield url


def body(response: HttpResponse) -> Any:
    return response.json()


def test_valid_token_reaches_every_route_and_dynamodb_local(api_url: str) -> None:
    token = committed_token()

    me = api_call(api_url, "GET", "/me", token=token)
    empty = api_call(api_url, "GET", "/items", token=token)
    created = api_call(api_url, "POST", "/items", token=token, body={"name": "from start-api"})
    item = body(created)
    assert isinstance(item, dict)
    fetched = api_call(api_url, "GET", f"/items/{item['id']}", token=token)
    listed = api_call(api_url, "GET", "/items", token=token)
    deleted = api_call(api_url, "DELETE", f"/items/{item['id']}", token=token)
    gone = api_call(api_url, "GET", f"/items/{item['id']}", token=token)

    assert (me.status, body(me)) == (200, IDENTITY)
    assert (empty.status, body(empty)) == (200, {"items": [], "next": None})
    assert created.status == 201
    assert item["name"] == "from start-api"
    assert (fetched.status, body(fetched)) == (200, item)
    assert (listed.status, body(listed)) == (200, {"items": [item], "next": None})
    assert deleted.status == 204
    assert (gone.status, body(gone)) == (404, {"message": "Item not found"})


def test_pages_follow_with_next_tokens_and_no_secrets_manager(api_url: str) -> None:
    # GIVEN two new items of dev-admin's
    token = committed_token()
    ids = {
        body(api_call(api_url, "POST", "/items", token=token, body={"name": f"page {n}"}))["id"]
        for n in (1, 2)
    }

    # WHEN the whole listing is read one item a page
    seen: list[str] = []
    url = "/items?limit=1"
    for _ in range(10):
        page = api_call(api_url, "GET", url, token=token)
        assert page.status == 200, body(page)
        listing = body(page)
        assert isinstance(listing, dict)
        seen += [item["id"] for item in listing["items"]]
        if listing["next"] is None:
            break
        url = f"/items?limit=1&next={listing['next']}"

    # THEN every item came once (the key the warm container drew signs and checks the next tokens)
    assert ids <= set(seen)
    assert len(seen) == len(set(seen))
    for item_id in ids:
        assert api_call(api_url, "DELETE", f"/items/{item_id}", token=token).status == 204


def test_missing_scope_token_gets_only_the_routes_its_scopes_allow(api_url: str) -> None:
    token = event_token("missing-scope")

    listed = api_call(api_url, "GET", "/items", token=token)
    created = api_call(api_url, "POST", "/items", token=token, body={"name": "writer's"})

    assert (listed.status, body(listed)) == (403, NOT_AUTHORIZED)
    assert created.status == 201


def test_expired_token_gets_502_from_the_emulator_where_api_gateway_says_401(api_url: str) -> None:
    response = api_call(api_url, "GET", "/items", token=event_token("expired"))

    assert (response.status, body(response)) == (502, {"message": "Internal server error"})


def test_request_without_a_bearer_token_is_401_before_the_authorizer(api_url: str) -> None:
    missing = http("GET", f"{api_url}/items")
    basic = http("GET", f"{api_url}/items", headers={"Authorization": "Basic ZGV2OmRldg=="})

    assert (missing.status, body(missing)) == (401, {"message": "Unauthorized"})
    assert (basic.status, body(basic)) == (401, {"message": "Unauthorized"})
    # No GatewayResponses locally: none of the template's WWW-Authenticate challenge.
    assert "WWW-Authenticate" not in missing.headers


def test_readme_curl_line_lists_the_callers_items(api_url: str) -> None:
    # GIVEN an item of dev-admin's, and the README's curl command pointed at this run's port
    created = api_call(api_url, "POST", "/items", token=committed_token(), body={"name": "listed by curl"})
    (curl,) = [line for line in readme_docker_commands() if line.startswith("curl ")]
    assert f"http://{LOOPBACK}:3000/" in curl

    result = subprocess.run(
        ["bash", "-c", curl.replace(f"http://{LOOPBACK}:3000", api_url)],
        cwd=ROOT,
        env={**os.environ, "PATH": f"{VENV_BIN}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert created.status == 201
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"items": [body(created)], "next": None}


def test_ctrl_c_stops_start_api_and_removes_its_warm_containers(sam: Sam, built: Path, dynamodb: str) -> None:
    # GIVEN a start-api of its own (the module's one is still up), answering, its warm containers started
    before = lambda_containers()
    port = free_port()
    process = subprocess.Popen(
        [*sam.command("sam local start-api --parameter-overrides"), "--port", str(port)],
        cwd=ROOT,
        env=sam.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_until_answering(process, f"http://{LOOPBACK}:{port}/me")
        started = lambda_containers() - before

        # WHEN Ctrl-C reaches it (SIGINT to its process group, as a terminal sends it)
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    # THEN warm_containers = EAGER had started one container per function, and none is left
    assert len(started) == 2
    deadline = time.monotonic() + 30
    while lambda_containers() - before and time.monotonic() < deadline:
        time.sleep(0.5)
    assert lambda_containers() - before == set()
