"""Process helpers for the e2e tests: descendants from /proc, liveness, reading output up to a marker."""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import time
from pathlib import Path


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


def kill_tree(process: subprocess.Popen[bytes]) -> None:
    """End a process the test started and everything below it (only used when a test fails midway)."""
    if process.poll() is None:
        for pid in descendants(process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


def start_as_a_terminal_would(argv: list[str], cwd: Path) -> subprocess.Popen[bytes]:
    """`argv` (a `make run ...` of the docs) in its own process group, stdout and stderr piped together;
    without the MAKEFLAGS of a `make test` around the test run, as in a user's shell."""
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MAKELEVEL", "MFLAGS"}}
    return subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )


def ctrl_c(process: subprocess.Popen[bytes]) -> tuple[str, set[int]]:
    """Ctrl-C as a terminal sends it (SIGINT to the whole process group); what the process printed after,
    and which of its descendants before the signal are still alive."""
    children = descendants(process.pid)
    os.killpg(process.pid, signal.SIGINT)
    process.wait(timeout=60)  # make itself then reports the interrupt (exit 2), as in a terminal
    assert process.stdout is not None
    rest = process.stdout.read().decode()
    return rest, {pid for pid in children if alive(pid)}
