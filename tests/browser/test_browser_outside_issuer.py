"""`make run ARGS="--issuer URL --audience AUD"`: the stack and the SPA against an outside issuer
(oidc-provider), a user signing in through that issuer's own login page."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_harness import TIMEOUT_MS
from playwright.sync_api import Page, Route

from devstack.stack import OutsideIssuerStack, StackOptions, outside_issuer_stack

HERE = Path(__file__).resolve().parent
API = "https://items.example.com"
SPA_CLIENT = "outside-spa"


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """oidc-provider in a Node child process; its issuer URL."""
    node = shutil.which("node")
    assert node is not None, "the outside-issuer test needs Node.js (as scripts/bootstrap.sh does)"
    process = subprocess.Popen(
        [node, str(HERE / "oidc_provider_signin.mjs")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "SIGNIN_API": API, "SIGNIN_CLIENT_ID": SPA_CLIENT},
    )
    assert process.stdout is not None
    assert process.stdin is not None
    try:
        line = process.stdout.readline()
        assert line, "oidc-provider ended before it listened"
        yield str(json.loads(line)["issuer"])
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


@pytest.fixture(scope="module")
def outside_stack(provider: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OutsideIssuerStack]:
    options = StackOptions(audience=API, issuer_url=provider, spa_client_id=SPA_CLIENT)
    log_path = tmp_path_factory.mktemp("outside") / "stack.log"
    with log_path.open("w", encoding="utf-8") as log, outside_issuer_stack(options, log_sink=log) as running:
        yield running


def test_a_user_signs_in_at_the_outside_issuer_and_reads_their_items(
    page: Page, outside_stack: OutsideIssuerStack, provider: str
) -> None:
    # oidc-provider's development pages @import a Google font; the network here is closed, so that one
    # stylesheet is answered empty (anything else leaving 127.0.0.1 would fail the test as a console error).
    fonts: list[str] = []

    def empty_stylesheet(route: Route) -> None:
        fonts.append(route.request.url)
        route.fulfill(status=200, content_type="text/css", body="")

    page.route("https://fonts.googleapis.com/**", empty_stylesheet)
    page.goto(outside_stack.spa_url)
    page.click("#sign-in", timeout=TIMEOUT_MS)
    # oidc-provider's own pages: a login form, then consent.
    page.wait_for_selector("input[name=login]", timeout=TIMEOUT_MS)
    assert page.url.startswith(provider)
    page.fill("input[name=login]", "dana")
    page.fill("input[name=password]", "any")
    page.click("button[type=submit]")
    page.wait_for_selector("button[type=submit]:has-text('Continue')", timeout=TIMEOUT_MS)
    page.click("button[type=submit]:has-text('Continue')")
    page.wait_for_selector("#who:text-is('dana')", timeout=TIMEOUT_MS)
    page.fill("#name", "from outside")
    page.click("#create button[type=submit]")
    page.wait_for_selector("#items li", timeout=TIMEOUT_MS)

    assert page.locator("#items li .name").all_inner_texts() == ["from outside"]
    assert page.inner_text("#sub") == "dana"
    assert {url.split("?")[0] for url in fonts} <= {"https://fonts.googleapis.com/css"}
