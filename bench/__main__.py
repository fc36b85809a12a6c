"""The authorizer's cost next to its physical floor, cold and warm, and the local stack's throughput.

    python -m bench [--quick] [--output bench/results.json]

Prints a table and writes every figure to JSON. Each timed figure is taken in one process,
interleaving many rounds of the measured code and its baseline, and reports the median; the machine
still moves timed ratios (a slower host of the same kind, a busy neighbour), so they are reported,
next to the machine's description and load, and never fail the run. The warm budgets are enforced on
the same ratios counted in instructions with callgrind (bench/counted.py), which neither load nor the
host's speed moves, and the RIE cold-start budgets on the same starts counted (bench/counted_cold.py).
Exits 1 when a budget is exceeded (not with --quick, a smoke run with too few rounds to hold anyone to
a budget).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench import callgrind
from bench.cold import cold
from bench.counted import counted_figures
from bench.counted_cold import counted_cold_figures
from bench.measure import Figure
from bench.revocation import revocation
from bench.rie import rie_cold
from bench.throughput import local_stack_throughput
from bench.warm import dpop, warm

DEFAULT_OUTPUT = Path(__file__).with_name("results.json")
INSTRUCTIONS = "_instructions"


def throughput(*, seconds: float, connections: int) -> list[Figure]:
    result = local_stack_throughput(duration_seconds=seconds, connections=connections)
    load = f"{result.route}, {connections} connections for {seconds:g} s (autocannon)"
    return [
        Figure("local_requests_per_second", result.requests_per_second, "req/s", f"local stack: {load}"),
        Figure("local_p50_ms", result.p50_ms, "ms", "local stack: median latency"),
        Figure("local_p99_ms", result.p99_ms, "ms", "local stack: 99th percentile latency"),
    ]


def machine(load_before: tuple[float, float, float]) -> dict[str, Any]:
    """What the timed figures were taken on: the CPU, and the load average (1, 5, 15 min) before the
    bench and now (the bench itself adds about 1)."""
    cpu = platform.processor() or platform.machine()
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "system": platform.platform(),
        "python": platform.python_version(),
        "pyjwt": version("PyJWT"),
        "cryptography": version("cryptography"),
        "aws_lambda_powertools": version("aws-lambda-powertools"),
        "load_average_before": [round(load, 2) for load in load_before],
        "load_average_after": [round(load, 2) for load in os.getloadavg()],
    }


def describe(host: dict[str, Any]) -> str:
    before, after = host["load_average_before"], host["load_average_after"]
    return (
        f"machine: {host['cpu']}, {host['cores']} cores, Python {host['python']}; load average "
        f"(1/5/15 min) {before[0]:.2f}/{before[1]:.2f}/{before[2]:.2f} before, "
        f"{after[0]:.2f}/{after[1]:.2f}/{after[2]:.2f} after"
    )


def paired(figures: list[Figure]) -> list[Figure]:
    """Each figure counted in instructions right after its timed twin (`floor_us` → `floor_instructions`,
    `new_token_ratio` → `new_token_ratio_instructions`); one without a twin stays where it is."""

    def base(key: str) -> str:
        return key.removesuffix(INSTRUCTIONS) if key.endswith(INSTRUCTIONS) else key.removesuffix("_us")

    timed = {base(f.key) for f in figures if not f.key.endswith(INSTRUCTIONS)}
    twins = {base(f.key): f for f in figures if f.key.endswith(INSTRUCTIONS) and base(f.key) in timed}
    ordered: list[Figure] = []
    for f in figures:
        if f in twins.values():
            continue  # placed after its twin
        ordered.append(f)
        if not f.key.endswith(INSTRUCTIONS) and base(f.key) in twins:
            ordered.append(twins[base(f.key)])
    return ordered


def value_text(f: Figure, times: str = "x") -> str:
    if f.unit == "x":
        return f"{f.value:.2f}{times}"
    if f.unit == "instr":
        return f"{f.value:,.0f} instr"
    return f"{f.value:,.1f} {f.unit}"


def table(figures: list[Figure]) -> str:
    """The terminal's table: a timed ratio's budget in brackets, verdict "timed" (reported, not enforced)."""
    width = max(len(f.key) for f in figures)
    lines = [f"{'figure':<{width}}  {'value':>14}  {'budget':>8}  verdict   what"]
    for f in figures:
        budget, verdict = "", ""
        if f.budget is not None:
            budget = f"≤ {f.budget:g}{'x' if f.unit == 'x' else ''}"
            verdict = "ok" if f.ok else "OVER"
        elif f.timed_budget is not None:
            budget, verdict = f"(≤ {f.timed_budget:g}x)", "timed"
        if f.stretch is not None and f.value <= f.stretch and f.budget is not None and f.ok:
            verdict += " *"
        lines.append(f"{f.key:<{width}}  {value_text(f):>14}  {budget:>8}  {verdict:<8}  {f.description}")
    return "\n".join(lines)


def markdown(figures: list[Figure]) -> str:
    """docs/performance.md's table: each budget in both forms, the timed one marked as not enforced."""
    times = "\N{MULTIPLICATION SIGN}"
    lines = ["| Figure | Value | Budget |", "|---|---:|---|"]
    for f in figures:
        budget = ""
        if f.budget is not None:
            budget = f"≤ {f.budget:g}{times}" if f.unit == "x" else f"≤ {f.budget:g} {f.unit}"
            if f.key.endswith(INSTRUCTIONS):
                budget += " (enforced)"
        elif f.timed_budget is not None:
            budget = f"≤ {f.timed_budget:g}{times} in time: reported, not enforced"
        if f.stretch is not None:
            budget += f" (stretch {f.stretch:g}{times})"
        lines.append(f"| `{f.key}` | {value_text(f, times)} | {budget} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: few rounds, budgets not enforced")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the JSON")
    parser.add_argument(
        "--markdown", action="store_true", help="also print the table as Markdown (docs/performance.md)"
    )
    args = parser.parse_args(argv)
    if not callgrind.available():
        parser.exit(
            2,
            f"{parser.prog}: valgrind is not installed, and the budgets are enforced on its instruction "
            "counts (Debian: apt-get install valgrind; scripts/bootstrap.sh installs it when run as root)\n",
        )
    started = time.time()
    load_before = os.getloadavg()
    if args.quick:
        figures = (
            warm(rounds=3, calls=20) + dpop(rounds=3, calls=20) + counted_figures(calls=10, revocations=1_000)
        )
        figures += cold(rounds=1) + rie_cold(rounds=1) + counted_cold_figures()
        figures += throughput(seconds=1, connections=2)
        figures += revocation(rounds=3, calls=20, entries=1_000)
    else:
        figures = warm(rounds=21, calls=50) + dpop(rounds=21, calls=50) + counted_figures(calls=200)
        figures += cold(rounds=21)
        figures += rie_cold(rounds=21) + counted_cold_figures()
        figures += throughput(seconds=10, connections=4)
        figures += revocation(rounds=21, calls=50)  # docs/revocation.md, "Revoking access"
    figures = paired(figures)
    host = machine(load_before)
    print(describe(host))
    print(table(figures))
    if args.markdown:
        print(f"\n{markdown(figures)}\n")
    stretch = [f.key for f in figures if f.stretch is not None and f.value <= f.stretch]
    if stretch:
        print(f"* within the stretch goal too: {', '.join(stretch)}")
    results: dict[str, Any] = {f.key: round(f.value, 4) for f in figures}
    results["budgets"] = {f.key: f.budget for f in figures if f.budget is not None}
    results["timed_budgets"] = {f.key: f.timed_budget for f in figures if f.timed_budget is not None}
    results["units"] = {f.key: f.unit for f in figures}
    results["quick"] = args.quick
    results["taken_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started))
    results["machine"] = host
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    over = [f"{f.key} = {f.value:.2f} (budget {f.budget:g})" for f in figures if not f.ok]
    if over:
        print(f"over budget: {'; '.join(over)}", file=sys.stderr)
        return 0 if args.quick else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
