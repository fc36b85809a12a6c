"""How every figure is taken: rounds interleaved in one process, a ratio per round, the median kept."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Batch = Callable[[int], None]  # runs the measured thing n times


@dataclass(frozen=True)
class Figure:
    """One reported number: a ratio (or a size, or a rate), its budget if it has one, and what it is.

    `budget` is enforced (the run fails above it). `timed_budget` is a timed ratio's budget, shown
    beside it and never enforced: the machine moves timed ratios, so each such budget is enforced on
    the same ratio counted in instructions (a figure of its own, keyed `<key>_instructions`).
    """

    key: str
    value: float
    unit: str  # "x" for a ratio, "instr" for instructions
    description: str
    budget: float | None = None
    stretch: float | None = None
    timed_budget: float | None = None

    @property
    def ok(self) -> bool:
        return self.budget is None or self.value <= self.budget


def per_call_seconds(batch: Batch, calls: int) -> float:
    start = time.perf_counter()
    batch(calls)
    return (time.perf_counter() - start) / calls


def interleaved_ratios(
    baseline: Batch, measured: Sequence[Batch], *, rounds: int, calls: int
) -> tuple[list[float], list[float]]:
    """Per-round ratios of each measured batch to the baseline, run one after the other each round
    so that whatever else the machine does hits all alike; one warm-up round first.

    The measured batches take turns in each position from round to round: the batch right after the
    baseline starts with the CPU caches full of the baseline's work, and measured ~5% slower for it.

    Returns (median ratio of each measured batch, median seconds per call of [baseline, *measured]).
    """
    ratios: list[list[float]] = [[] for _ in measured]
    seconds: list[list[float]] = [[] for _ in range(len(measured) + 1)]
    for round_number in range(rounds + 1):
        base = per_call_seconds(baseline, calls)
        times = [0.0] * len(measured)
        for turn in range(len(measured)):
            index = (turn + round_number) % len(measured)
            times[index] = per_call_seconds(measured[index], calls)
        if round_number == 0:
            continue  # warm-up: caches, branch predictors, lazily built structures
        seconds[0].append(base)
        for index, value in enumerate(times):
            ratios[index].append(value / base)
            seconds[index + 1].append(value)
    return [statistics.median(r) for r in ratios], [statistics.median(s) for s in seconds]
