"""Instruction counts from valgrind's callgrind: a measure that neither load nor the host's speed moves.

A timed ratio moves with whatever else the machine runs and with how the host's CPU splits the
interpreter's work from OpenSSL's; the number of instructions a program executes for the same binary
and input does not. Budgets are enforced on these counts (see bench/README or the README's
"Performance"); the timed figures are reported beside them.

    count_instructions([sys.executable, "-c", "..."])  -> instructions executed by that process

Counting a difference (N calls minus 0 calls of the same script) removes the interpreter's start-up
and imports from a per-call figure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

VALGRIND = "valgrind"


class CallgrindUnavailable(RuntimeError):
    """valgrind is not installed, or it did not write a count."""


def available() -> bool:
    return shutil.which(VALGRIND) is not None


def count_instructions(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float = 600.0,
) -> int:
    """Instructions (callgrind's `Ir`) that `argv` executes from exec to exit.

    PYTHONHASHSEED is fixed (unless `env` sets it) so that set and dict layouts, and with them the
    instruction count, are the same from run to run. The child's stdout and stderr are returned in
    the error when it fails.
    """
    if not available():
        raise CallgrindUnavailable("valgrind is not installed (apt-get install valgrind)")
    child_env = dict(os.environ if env is None else env)
    child_env.setdefault("PYTHONHASHSEED", "0")
    with tempfile.TemporaryDirectory(prefix="callgrind-") as scratch:
        out_file = Path(scratch) / "callgrind.out"
        command = [
            VALGRIND,
            "--tool=callgrind",
            f"--callgrind-out-file={out_file}",
            "--trace-children=no",
            *argv,
        ]
        completed = subprocess.run(
            command, env=child_env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
        )
        if completed.returncode != 0:
            raise CallgrindUnavailable(
                f"{' '.join(argv[:3])} ... exited {completed.returncode} under callgrind:\n"
                f"{completed.stdout[-2000:]}\n{completed.stderr[-4000:]}"
            )
        return read_total(out_file)


# Phases: callgrind dumps (and zeroes) its counts each time the program enters this libc function,
# which CPython calls only through os.getppid() and nothing here calls otherwise. Python cannot make
# valgrind's client requests (CALLGRIND_DUMP_STATS is a C macro), so a cheap, otherwise unused system
# call marks the boundaries instead; count_phases checks the number of phases it gets.
PHASE_MARKER = "getppid"


def phase_boundary() -> None:
    """Ends one phase of a program run by count_phases (outside callgrind: one cheap system call)."""
    os.getppid()


def count_phases(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float = 900.0,
) -> list[int]:
    """Instructions that `argv` executes in each phase: before its first phase_boundary(), between
    each two, and after the last, in that order (k boundaries give k + 1 counts).

    One process counts many things at once: its start-up and imports fall in the first phase, and a
    batch of calls between two boundaries is counted alone, to the instruction.
    """
    with tempfile.TemporaryDirectory(prefix="callgrind-") as scratch:
        out_file = Path(scratch) / "callgrind.out"
        options = [f"--dump-before={PHASE_MARKER}", f"--callgrind-out-file={out_file}"]
        _run(options, argv, env=env, cwd=cwd, timeout=timeout)
        # The dumps are callgrind.out.1, .2, ... in order; the rest (after the last) is callgrind.out.
        dumps = sorted(Path(scratch).glob("callgrind.out.*"), key=lambda path: int(path.suffix[1:]))
        return [read_total(path) for path in [*dumps, out_file]]


def _run(
    options: Sequence[str],
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None,
    cwd: str | os.PathLike[str] | None,
    timeout: float,
) -> None:
    if not available():
        raise CallgrindUnavailable("valgrind is not installed (apt-get install valgrind)")
    child_env = dict(os.environ if env is None else env)
    child_env.setdefault("PYTHONHASHSEED", "0")
    command = [VALGRIND, "--tool=callgrind", "--trace-children=no", *options, *argv]
    completed = subprocess.run(
        command, env=child_env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    if completed.returncode != 0:
        raise CallgrindUnavailable(
            f"{' '.join(argv[:3])} ... exited {completed.returncode} under callgrind:\n"
            f"{completed.stdout[-2000:]}\n{completed.stderr[-4000:]}"
        )


def read_total(out_file: Path) -> int:
    """The `summary:` (or, from older valgrinds, `totals:`) line of a callgrind output file."""
    total: int | None = None
    with out_file.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            if line.startswith(("summary:", "totals:")):
                total = int(line.split(":", 1)[1].split()[0])
    if total is None:
        raise CallgrindUnavailable(f"{out_file} has no summary line")
    return total
