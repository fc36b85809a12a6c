"""docs/attaching.md's `make run ARGS="--template examples/http-api/template.yaml"`, run as written: the
example HTTP API behind the nested authorizer application, through make, with the printed clients' secrets;
each answer the page promises (200, 403, 401, 404); then Ctrl-C to the whole process group."""

from __future__ import annotations

import re
import shlex

import pytest
from docs_pages import ROOT, command_blocks, command_lines
from e2e_processes import ctrl_c, kill_tree, read_until, start_as_a_terminal_would

from devstack.client import api_call, token_request

pytestmark = pytest.mark.slow

PAGE = ROOT / "docs" / "attaching.md"
COMMAND = 'make run ARGS="--template examples/http-api/template.yaml"'
FORBIDDEN = {"message": "Forbidden"}
UNAUTHORIZED = {"message": "Unauthorized"}
NOT_FOUND = {"message": "Not Found"}


def test_every_make_run_block_of_the_page_is_the_example_command() -> None:
    lines = [line for block in command_blocks(PAGE) for line in command_lines(block.text)]
    runs = [line.split("#", 1)[0].strip() for line in lines if line.startswith("make run")]
    assert runs
    assert set(runs) == {COMMAND}


def test_make_run_with_the_example_template_serves_it_as_the_page_says() -> None:
    # GIVEN the page's command, exactly, in its own process group (as a terminal runs it)
    process = start_as_a_terminal_would(shlex.split(COMMAND), ROOT)
    try:
        printed = read_until(process, "Press Ctrl-C to stop.", timeout=300)
        api = re.search(r"^API\s+(http://127\.0\.0\.1:\d+)/$", printed, re.MULTILINE)
        token_url = re.search(r"^Token\s+(http://127\.0\.0\.1:\d+/oauth/token)\s", printed, re.MULTILINE)
        audience = re.search(r"audience (\S+?)\)", printed)
        secrets = dict(re.findall(r"^\s+(dev-reader|dev-noscope)\s+(\S+)\s+scopes:", printed, re.MULTILINE))
        assert api is not None, printed
        assert token_url is not None, printed
        assert audience is not None, printed
        assert set(secrets) == {"dev-reader", "dev-noscope"}, printed

        def token(client: str) -> str:
            answer = token_request(token_url.group(1), client, secrets[client], audience=audience.group(1))
            assert answer.status == 200, answer.body
            access_token: str = answer.json()["access_token"]
            return access_token

        reader = token("dev-reader")
        url = api.group(1)
        # WHEN the example's routes are called; THEN each answer is the page's
        allowed = api_call(url, "GET", "/reports/r-1", token=reader)
        assert allowed.status == 200, allowed.body
        without_scope = api_call(url, "POST", "/reports", token=reader, body={"title": "t"})
        assert (without_scope.status, without_scope.json()) == (403, FORBIDDEN)
        no_token = api_call(url, "GET", "/reports")
        assert (no_token.status, no_token.json()) == (401, UNAUTHORIZED)
        bad_token = api_call(url, "GET", "/reports", token=reader[:-4] + "AAAA")
        assert (bad_token.status, bad_token.json()) == (401, UNAUTHORIZED)
        unknown = api_call(url, "GET", "/nope", token=token("dev-noscope"))
        assert (unknown.status, unknown.json()) == (404, NOT_FOUND)

        # AND Ctrl-C stops everything it started
        rest, still_alive = ctrl_c(process)
        assert "Stopped." in rest, rest
        assert still_alive == set()
    finally:
        kill_tree(process)
