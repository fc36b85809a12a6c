"""Busy against idle: every budgeted warm ratio in both forms, timed and counted in instructions.

    python -m bench.stability [--runs 2] [--output bench/stability.json]

Runs the timed warm, DPoP and revocation figures and the counted ones (bench/counted.py) `--runs` times on an
otherwise idle core and as many times with the other core kept busy by a Python loop pinned to it
(this process pinned to the first core), alternating idle and busy, and reports each form's spread:
(max - min) / median over the runs of a condition, and over all runs. "Idle" is relative on a shared
machine: each run's load average is reported beside it. tests/bench/test_counted.py asserts the same
agreement for the counted form on every `make test`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.counted import FIGURES, counted_figures
from bench.revocation import LIVE_ENTRIES, revocation
from bench.warm import dpop, warm

DEFAULT_OUTPUT = Path(__file__).with_name("stability.json")
# The budgeted ratios: timed key -> counted key.
BUDGETED = {figure.key.removesuffix("_instructions"): figure.key for figure in FIGURES if figure.budget}
BUSY_LOOP = "import os, sys\nos.sched_setaffinity(0, {int(sys.argv[1])})\nwhile True:\n    pass\n"


@contextlib.contextmanager
def other_core_busy(core: int) -> Iterator[None]:
    """A Python busy loop pinned to `core` for as long as the block runs."""
    loop = subprocess.Popen([sys.executable, "-c", BUSY_LOOP, str(core)])
    try:
        yield
    finally:
        loop.kill()
        loop.wait()


@contextlib.contextmanager
def pinned(core: int) -> Iterator[None]:
    """This process (and what it starts: callgrind's child) on `core` only."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {core})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def cores() -> tuple[int, int]:
    """(the bench's core, the busy loop's core): the first two this process may use; one core twice."""
    allowed = sorted(os.sched_getaffinity(0))
    return allowed[0], allowed[1] if len(allowed) > 1 else allowed[0]


def one_run(
    *, calls: int, rounds: int, timed_calls: int, revocations: int = LIVE_ENTRIES
) -> dict[str, float]:
    """Every budgeted ratio, timed and counted, once; `revocations`: the live entries of revocation's list."""
    figures = warm(rounds=rounds, calls=timed_calls) + dpop(rounds=rounds, calls=timed_calls)
    figures += revocation(rounds=rounds, calls=timed_calls, entries=revocations)
    figures += counted_figures(calls=calls, revocations=revocations)
    wanted = set(BUDGETED) | set(BUDGETED.values())
    return {f.key: f.value for f in figures if f.key in wanted}


def spread(values: list[float]) -> float:
    """(max - min) / median."""
    return (max(values) - min(values)) / statistics.median(values)


def summary(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for timed, counted in BUDGETED.items():
        for form, key in (("time", timed), ("instructions", counted)):
            idle = [run["figures"][key] for run in runs if run["condition"] == "idle"]
            busy = [run["figures"][key] for run in runs if run["condition"] == "busy"]
            rows.append(
                {
                    "figure": key,
                    "form": form,
                    "idle": idle,
                    "busy": busy,
                    "idle_spread": spread(idle),
                    "busy_spread": spread(busy),
                    "spread": spread(idle + busy),
                    "busy_over_idle": statistics.median(busy) / statistics.median(idle),
                }
            )
    return rows


def markdown(rows: list[dict[str, Any]], runs: list[dict[str, Any]]) -> str:
    times = "\N{MULTIPLICATION SIGN}"
    loads = ", ".join(f"{run['condition']} {run['load_before']:.1f}→{run['load_after']:.1f}" for run in runs)
    lines = [
        f"Load average (1 min) before→after each run: {loads}.",
        "",
        "| Figure | Form | Idle runs | Busy runs | Spread, all runs | Busy ÷ idle (medians) |",
        "|---|---|---|---|---:|---:|",
    ]
    for row in rows:
        idle = ", ".join(f"{value:.3f}{times}" for value in row["idle"])
        busy = ", ".join(f"{value:.3f}{times}" for value in row["busy"])
        lines.append(
            f"| `{row['figure']}` | {row['form']} | {idle} | {busy} | {row['spread']:.1%} "
            f"| {row['busy_over_idle']:.3f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stability", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="runs of each condition (default 2)")
    parser.add_argument("--calls", type=int, default=200, help="counted calls per variant (as make bench)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the JSON")
    args = parser.parse_args(argv)
    bench_core, busy_core = cores()
    runs: list[dict[str, Any]] = []
    with pinned(bench_core):
        for condition in ["idle", "busy"] * args.runs:
            load_before = os.getloadavg()[0]
            started = time.monotonic()
            with other_core_busy(busy_core) if condition == "busy" else contextlib.nullcontext():
                figures = one_run(calls=args.calls, rounds=21, timed_calls=50)
            runs.append(
                {
                    "condition": condition,
                    "figures": figures,
                    "load_before": load_before,
                    "load_after": os.getloadavg()[0],
                    "seconds": round(time.monotonic() - started, 1),
                }
            )
            print(
                f"{condition}: {json.dumps(figures)} (load {load_before:.2f} → {runs[-1]['load_after']:.2f})"
            )
    rows = summary(runs)
    print(markdown(rows, runs))
    result = {"bench_core": bench_core, "busy_core": busy_core, "runs": runs, "summary": rows}
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
