"""The budgets' measure: instruction counts that load does not move; a report keeping the two forms apart.

These start valgrind. Setup (scripts/bootstrap.sh) installs it; where it cannot (no root), the counting
tests are skipped outside CI and fail in CI, where a missing valgrind would leave every budget unenforced.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

import pytest

from bench import callgrind
from bench.__main__ import markdown, paired, table
from bench.counted import FIGURES, VARIANTS, Counts, count
from bench.measure import Figure
from bench.stability import BUDGETED, cores, one_run, other_core_busy, pinned

# How far a counted ratio may move between an idle and a busy machine. Counted twice, the same code
# gives ratios within 0.05% of each other (20 calls a variant); timed ratios move by 30% and more.
BUSY_IDLE_TOLERANCE = 0.01

needs_valgrind = pytest.mark.skipif(
    not callgrind.available() and not os.environ.get("CI"),
    reason="valgrind is not installed (apt-get install valgrind; scripts/bootstrap.sh does it as root)",
)

PHASES = """
from bench.callgrind import phase_boundary
total = 0
phase_boundary()
for number in range(1000):
    total += number
phase_boundary()
for number in range(2000):
    total += number
phase_boundary()
"""


@needs_valgrind
def test_count_phases_counts_each_phase_on_its_own() -> None:
    # WHEN a program with three boundaries runs under callgrind, twice
    first = callgrind.count_phases([sys.executable, "-c", PHASES])
    second = callgrind.count_phases([sys.executable, "-c", PHASES])
    # THEN it has four phases (start-up, 1000 additions, 2000 additions, exit), counted alike each time
    assert len(first) == 4
    assert first[1:3] == second[1:3]
    # AND the phase with twice the work counts twice the instructions (within the loop's own set-up)
    assert first[2] / first[1] == pytest.approx(2.0, rel=0.05)


@contextlib.contextmanager
def busy_elsewhere() -> Iterator[None]:
    """This process on one core, a Python busy loop pinned to the other (the same one on a 1-core host)."""
    mine, other = cores()
    with pinned(mine), other_core_busy(other):
        yield


@needs_valgrind
def test_counted_ratios_agree_between_an_idle_and_a_busy_machine() -> None:
    # GIVEN the counted ratios taken on an idle machine
    idle = count(calls=20, revocations=1_000)
    # WHEN they are taken again with the other core kept busy
    with busy_elsewhere():
        busy = count(calls=20, revocations=1_000)
    # THEN every ratio agrees within the tolerance, and every figure is a real count
    for variant in VARIANTS:
        assert busy.ratio(variant) == pytest.approx(idle.ratio(variant), rel=BUSY_IDLE_TOLERANCE), variant
    assert idle.per_call["floor"] > 100_000  # an RSA-2048 verify: a few hundred thousand instructions
    assert idle.per_call["dpop_floor"] > idle.per_call["floor"]


def test_a_ratio_divides_by_the_floor_its_variant_names() -> None:
    counts = Counts(
        {"floor": 300_000.0, "new_token": 600_000.0, "dpop_floor": 1_000_000.0, "dpop_request": 1_500_000.0},
        200,
    )
    assert counts.ratio("new_token") == 2.0
    assert counts.ratio("dpop_request") == 1.5
    assert counts.ratio("floor") == 1.0


def test_every_warm_budget_is_enforced_on_instructions_only() -> None:
    # The budgeted counted figures are the four issue 19 names and revocation's two, keyed after their
    # timed twins (bench/revocation.py times those).
    assert {f.key: f.budget for f in FIGURES if f.budget is not None} == {
        "new_token_ratio_instructions": 2.8,
        "new_token_ratio_six_issuers_instructions": 2.7,
        "repeated_token_ratio_instructions": 0.34,
        "dpop_request_ratio_instructions": 2.9,
        "revocation_new_token_ratio_instructions": 2.9,
        "revocation_repeated_token_ratio_instructions": 0.38,
    }


TIMED = Figure("new_token_ratio", 5.3, "x", "timed", stretch=3.0, timed_budget=4.0)
COUNTED = Figure("new_token_ratio_instructions", 2.02, "x", "counted", budget=2.8)
FLOOR = Figure("floor_us", 37.1, "µs", "floor")
FLOOR_COUNTED = Figure("floor_instructions", 337_636.0, "instr", "floor counted")


def test_a_timed_ratio_over_its_old_budget_is_reported_not_failed() -> None:
    assert TIMED.ok  # 5.3x against a timed budget of 4x: reported only
    assert not Figure("new_token_ratio_instructions", 2.81, "x", "counted", budget=2.8).ok


def test_each_counted_figure_is_listed_right_after_its_timed_twin() -> None:
    lonely = Figure("cold_start_ratio_instructions", 1.5, "x", "no timed twin")
    ordered = paired([FLOOR, TIMED, lonely, FLOOR_COUNTED, COUNTED])
    assert [f.key for f in ordered] == [
        "floor_us",
        "floor_instructions",
        "new_token_ratio",
        "new_token_ratio_instructions",
        "cold_start_ratio_instructions",
    ]


def test_the_tables_name_each_budget_in_both_forms() -> None:
    figures = [FLOOR, FLOOR_COUNTED, TIMED, COUNTED]
    x = "\N{MULTIPLICATION SIGN}"
    assert markdown(figures).splitlines() == [
        "| Figure | Value | Budget |",
        "|---|---:|---|",
        "| `floor_us` | 37.1 µs |  |",
        "| `floor_instructions` | 337,636 instr |  |",
        f"| `new_token_ratio` | 5.30{x} | ≤ 4{x} in time: reported, not enforced (stretch 3{x}) |",
        f"| `new_token_ratio_instructions` | 2.02{x} | ≤ 2.8{x} (enforced) |",
    ]
    rows = table(figures).splitlines()
    assert rows[3].split()[:5] == ["new_token_ratio", "5.30x", "(≤", "4x)", "timed"]
    assert rows[4].split()[:5] == ["new_token_ratio_instructions", "2.02x", "≤", "2.8x", "ok"]


@needs_valgrind
def test_one_stability_run_gives_every_budgeted_ratio_in_both_forms() -> None:
    # GIVEN the smallest run bench.stability can make (a few calls, 100 live revocations)
    figures = one_run(calls=2, rounds=1, timed_calls=2, revocations=100)
    # THEN each budgeted ratio is there, timed and counted: python -m bench.stability tabulates them all
    assert set(figures) == set(BUDGETED) | set(BUDGETED.values())
    assert all(value > 0 for value in figures.values())
