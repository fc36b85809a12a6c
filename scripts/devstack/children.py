"""The processes the local stack starts and supervises (DynamoDB Local, the issuer, each function's RIE):
started alike, stopped alike.

Each child gets a process group of its own. A terminal's Ctrl-C sends SIGINT to its whole foreground group;
if the children shared the stack's group, DynamoDB Local would die of that SIGINT before the stack had
begun to stop, and its supervisor would restart it on the way down ("exited (code 130); restarting it").
In their own groups only the stack gets the SIGINT, and it stops each child in order. Stopping a child also
ends whatever the child started itself (the RIE's runtime), since they share its group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Sequence
from typing import Any


def start_child(command: Sequence[str], **popen: Any) -> subprocess.Popen[bytes]:
    """`subprocess.Popen(command, **popen)` in a new session and process group of its own."""
    return subprocess.Popen(command, start_new_session=True, **popen)


def stop_child(process: subprocess.Popen[Any], *, timeout: float) -> None:
    """SIGCONT (a paused child would not act on SIGTERM) and SIGTERM to the child's group, up to `timeout`
    seconds to exit, then SIGKILL to whatever is left of the group."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGCONT)
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout)
    with contextlib.suppress(ProcessLookupError):  # the child's own children, or the child itself
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
