"""`python -m devstack` answers, and Ctrl-C (SIGINT) or SIGTERM stop it without leaving a process behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import pytest
from e2e_client import http, token_request
from e2e_processes import alive, descendants, kill_tree, read_until

from devstack.template import ROOT

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_stack_stops_cleanly_without_orphans(stop_signal: signal.Signals) -> None:
    # GIVEN `python -m devstack` up and answering
    env = {**os.environ, "PYTHONPATH": str(ROOT / "scripts")}
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack", "--client-secret", "dev-admin=ctrl-c-secret"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        printed = read_until(process, "Press Ctrl-C to stop.", timeout=120)
        api = re.search(r"^API\s+(http://127\.0\.0\.1:\d+/)$", printed, re.MULTILINE)
        assert api is not None, printed
        token_endpoint = re.search(r"^Token\s+(\S+)", printed, re.MULTILINE)
        assert token_endpoint is not None, printed
        token = token_request(token_endpoint.group(1), "dev-admin", "ctrl-c-secret").json()["access_token"]
        # A call through both functions, so that each RIE has started its runtime too
        me = http("GET", api.group(1) + "me", headers={"Authorization": f"Bearer {token}"})
        assert me.status == 200
        children = descendants(process.pid)
        # DynamoDB Local, and each function's RIE with its runtime
        assert len(children) >= 5, children

        # WHEN it gets the signal
        process.send_signal(stop_signal)
        assert process.wait(timeout=60) == 0

        # THEN nothing it started is left
        assert {pid for pid in children if alive(pid)} == set()
    finally:
        kill_tree(process)
