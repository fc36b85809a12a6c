"""`make run` (python -m devstack) and signing in: the printout (users, apps) and the flags' errors."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_client import http
from e2e_processes import kill_tree, read_until

from devstack.template import ROOT

ENV = {**os.environ, "PYTHONPATH": str(ROOT / "scripts")}


def devstack(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devstack", *args],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_make_run_prints_the_users_and_serves_the_apps_it_names() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack", "--user", "alice=fixed-alice-pw"],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        printed = read_until(process, "Press Ctrl-C to stop.", timeout=120)
        users = dict(re.findall(r"^  (alice|bob|carol)\s+password (\S+)", printed, re.MULTILINE))
        spa = re.search(r"^  Single-page app  (http://127\.0\.0\.1:\d+/)", printed, re.MULTILINE)
        webapp = re.search(r"^  Web app          (http://127\.0\.0\.1:\d+/)", printed, re.MULTILINE)
        issuer = re.search(r"^Issuer\s+(\S+)", printed, re.MULTILINE)
        assert spa is not None, printed
        assert webapp is not None, printed
        assert issuer is not None, printed
        config = http("GET", spa.group(1) + "config.json").json()
        page = http("GET", spa.group(1))
        web = http("GET", webapp.group(1))

        assert users["alice"] == "fixed-alice-pw"
        assert len(users["bob"]) == len(users["carol"]) == 16  # random per run
        assert users["bob"] != users["carol"]
        assert (config["authority"], config["client_id"]) == (issuer.group(1), "dev-spa")
        assert (page.status, b"vendor/oidc-client-ts.js" in page.body) == (200, True)
        assert (web.status, b'href="/login"' in web.body) == (200, True)
        assert f"redirect URI {webapp.group(1)}callback" in printed
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    finally:
        kill_tree(process)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--user", "dave=pw"], "unknown development user(s): dave (known: alice, bob, carol)"),
        (["--user", "alice"], "--user expects NAME=PASSWORD, got 'alice'=..."),
        (
            ["--issuer", "http://issuer.example.com/"],
            "--issuer must be an https:// URL (or http:// on 127.0.0.1)",
        ),
        (
            ["--issuer", "https://tenant.auth0.com/", "--user", "alice=pw"],
            "--user, --client-secret and --issuer-port are the local issuer's; not with --issuer",
        ),
    ],
)
def test_bad_sign_in_flags_are_one_clear_error(args: list[str], error: str) -> None:
    result = devstack(*args)

    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == f"python -m devstack: error: {error}"
    assert result.stdout == ""


def test_the_webapp_secret_can_be_fixed_and_reaches_the_issuer(tmp_path: Path) -> None:
    from devstack.__main__ import parse_args
    from devstack.issuer_process import IssuerProcess

    options = parse_args(["--client-secret", "dev-webapp=fixed-webapp-secret"])
    issuer = IssuerProcess(client_secrets=options.client_secrets, key_path=tmp_path / "key.json")

    assert dict(options.client_secrets) == {"dev-webapp": "fixed-webapp-secret"}
    assert issuer.config.apps["dev-webapp"].client_secret == "fixed-webapp-secret"
    assert issuer.secrets["dev-webapp"] == "fixed-webapp-secret"
    issuer.close()
