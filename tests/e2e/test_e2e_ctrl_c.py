"""`python -m devstack` answers, and Ctrl-C (SIGINT) or SIGTERM stop it without leaving a process behind."""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from e2e_client import http, token_request

from devstack.template import ROOT

pytestmark = pytest.mark.slow


def descendants(pid: int) -> set[int]:
    """Every live process below `pid`, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def read_until(process: subprocess.Popen[bytes], marker: str, timeout: float) -> str:
    """The process's stdout up to `marker` (unbuffered reads, so select() sees every byte)."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    output = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while marker.encode() not in output:
            if time.monotonic() > deadline or process.poll() is not None:
                raise AssertionError(f"{marker!r} not printed; output so far:\n{output.decode()}")
            if selector.select(timeout=1):
                output += os.read(fd, 65536)
    return output.decode()


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
        if process.poll() is None:
            # The test failed with the stack still up: end everything it started, then the stack itself.
            for pid in descendants(process.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
