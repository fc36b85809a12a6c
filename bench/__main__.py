"""The authorizer's cost next to its physical floor, cold and warm, and the local stack's throughput.

    python -m bench [--quick] [--output bench/results.json]

Prints a table and writes every figure to JSON. Each figure is taken in one process, interleaving
many rounds of the measured code and its baseline, and reports the median: ratios hold on any
machine, absolute times only on this one. Exits 1 when a budget is exceeded (not with --quick, a
smoke run with too few rounds to hold anyone to a budget).
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

from bench.cold import cold
from bench.measure import Figure
from bench.revocation import revocation
from bench.rie import rie_cold
from bench.throughput import local_stack_throughput
from bench.warm import dpop, warm

DEFAULT_OUTPUT = Path(__file__).with_name("results.json")


def throughput(*, seconds: float, connections: int) -> list[Figure]:
    result = local_stack_throughput(duration_seconds=seconds, connections=connections)
    load = f"{result.route}, {connections} connections for {seconds:g} s (autocannon)"
    return [
        Figure("local_requests_per_second", result.requests_per_second, "req/s", f"local stack: {load}"),
        Figure("local_p50_ms", result.p50_ms, "ms", "local stack: median latency"),
        Figure("local_p99_ms", result.p99_ms, "ms", "local stack: 99th percentile latency"),
    ]


def machine() -> dict[str, Any]:
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
    }


def table(figures: list[Figure]) -> str:
    width = max(len(f.key) for f in figures)
    lines = [f"{'figure':<{width}}  {'value':>10}  {'budget':>8}  verdict   what"]
    for f in figures:
        value = f"{f.value:.2f}{f.unit}" if f.unit == "x" else f"{f.value:,.1f} {f.unit}"
        budget = "" if f.budget is None else f"≤ {f.budget:g}{'x' if f.unit == 'x' else ''}"
        verdict = "" if f.budget is None else ("ok" if f.ok else "OVER")
        if f.stretch is not None and f.ok:
            verdict += " *" if f.value <= f.stretch else ""
        lines.append(f"{f.key:<{width}}  {value:>10}  {budget:>8}  {verdict:<8}  {f.description}")
    return "\n".join(lines)


def markdown(figures: list[Figure]) -> str:
    """The README's table."""
    times = "\N{MULTIPLICATION SIGN}"
    lines = ["| Figure | Value | Budget |", "|---|---:|---|"]
    for f in figures:
        value = f"{f.value:.2f}{times}" if f.unit == "x" else f"{f.value:,.1f} {f.unit}"
        budget = ""
        if f.budget is not None:
            budget = f"≤ {f.budget:g}{times}" if f.unit == "x" else f"≤ {f.budget:g} {f.unit}"
        if f.stretch is not None:
            budget += f" (stretch {f.stretch:g}{times})"
        lines.append(f"| `{f.key}` | {value} | {budget} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: few rounds, budgets not enforced")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the JSON")
    parser.add_argument("--markdown", action="store_true", help="also print the table as Markdown (README)")
    args = parser.parse_args(argv)
    started = time.time()
    if args.quick:
        figures = warm(rounds=3, calls=20) + dpop(rounds=3, calls=20) + cold(rounds=1) + rie_cold(rounds=1)
        figures += throughput(seconds=1, connections=2)
        figures += revocation(rounds=3, calls=20, entries=1_000)
    else:
        figures = warm(rounds=21, calls=50) + dpop(rounds=21, calls=50) + cold(rounds=21)
        figures += rie_cold(rounds=21)
        figures += throughput(seconds=10, connections=4)
        figures += revocation(rounds=21, calls=50)  # README, "Revoking access"
    print(table(figures))
    if args.markdown:
        print(f"\n{markdown(figures)}\n")
    stretch = [f.key for f in figures if f.stretch is not None and f.value <= f.stretch]
    if stretch:
        print(f"* within the stretch goal too: {', '.join(stretch)}")
    results: dict[str, Any] = {f.key: round(f.value, 4) for f in figures}
    results["budgets"] = {f.key: f.budget for f in figures if f.budget is not None}
    results["units"] = {f.key: f.unit for f in figures}
    results["quick"] = args.quick
    results["taken_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started))
    results["machine"] = machine()
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    over = [f"{f.key} = {f.value:.2f} (budget {f.budget:g})" for f in figures if not f.ok]
    if over:
        print(f"over budget: {'; '.join(over)}", file=sys.stderr)
        return 0 if args.quick else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
