"""The native app (examples/items_client.py login): loopback redirect + PKCE, completed in Chromium."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import uuid
from pathlib import Path

from browser_harness import TIMEOUT_MS, fill_login_form
from playwright.sync_api import Page

from devstack.stack import LocalStack
from devstack.template import ROOT

CLIENT = str(ROOT / "examples" / "items_client.py")


def items_client(stack: LocalStack, credentials: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, CLIENT, "--api", stack.api_url, "--credentials", str(credentials), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_login_through_the_browser_then_every_command_acts_as_the_user(
    page: Page, stack: LocalStack, tmp_path: Path
) -> None:
    credentials = tmp_path / "config" / "credentials.json"
    login = subprocess.Popen(
        [
            sys.executable,
            CLIENT,
            "--api",
            stack.api_url,
            "--credentials",
            str(credentials),
            "--audience",
            stack.issuer.config.audience,
            "login",
            "--issuer",
            stack.issuer.config.issuer,
            "--no-browser",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert login.stderr is not None
    try:
        assert login.stderr.readline().startswith("Sign in in your browser")
        url = login.stderr.readline().strip()
        # The system browser's part: Chromium opens the printed URL and the user types the password.
        page.goto(url)
        fill_login_form(page, "alice")
        page.wait_for_selector("text=Signed in: you can close this tab.", timeout=TIMEOUT_MS)
        out, err = login.communicate(timeout=120)
    finally:
        login.kill()
        login.wait()

    assert (login.returncode, err) == (0, "")
    assert out == f"Signed in as alice (auth0|alice); credentials in {credentials}\n"
    assert page.url.startswith("http://127.0.0.1:")
    assert page.url.split("?")[0].endswith("/callback")
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert stat.S_IMODE(credentials.parent.stat().st_mode) == 0o700
    first_refresh_token = json.loads(credentials.read_text())["refresh_token"]

    note = f"native note {uuid.uuid4().hex[:8]}"  # the session's other tests sign alice in too
    created = items_client(stack, credentials, "create", note)
    listed = items_client(stack, credentials, "list")
    me = items_client(stack, credentials, "me")

    assert created.returncode == 0, created.stderr
    assert note in [item["name"] for item in json.loads(listed.stdout)]
    assert json.loads(me.stdout)["sub"] == "auth0|alice"
    # Each run renewed the access token with the refresh token and kept the rotated one.
    assert json.loads(credentials.read_text())["refresh_token"] != first_refresh_token
