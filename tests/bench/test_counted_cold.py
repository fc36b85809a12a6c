"""The RIE cold-start budgets' measure: a cold start counted in instructions (bench/counted_cold.py).

Counting all four starts twice takes about 150 s of callgrind on the 2-core machine (the first GET /items
alone is about 2 G instructions), and `make test` already counts them once in the quick bench
(tests/bench/test_bench_smoke.py). So the repeat here is the empty handler's start: the same child, the
same awslambdaric start-up and environment, the part of every ratio's count that both sides share; the
full figures counted twice are in docs/performance.md.
"""

from __future__ import annotations

import os

import pytest

from bench import callgrind
from bench.counted_cold import FIGURES, ColdCounts, count_start
from bench.rie import NO_BYTECODE_WRITES, Variant, empty_function

# Counted twice, the whole starts agreed within 0.02% (2026-12-07); the budgets' margins are 6% and more.
TWICE_TOLERANCE = 0.005

needs_valgrind = pytest.mark.skipif(
    not callgrind.available() and not os.environ.get("CI"),
    reason="valgrind is not installed (apt-get install valgrind; scripts/bootstrap.sh does it as root)",
)


@needs_valgrind
def test_the_empty_handlers_cold_start_counts_the_same_twice() -> None:
    # GIVEN the empty handler, started as bench/counted_cold.py starts every function
    with empty_function() as folder:
        empty = Variant(
            "empty", folder, "empty.handler", {"AWS_DEFAULT_REGION": "us-east-1", **NO_BYTECODE_WRITES}, b"{}"
        )
        # WHEN its cold start is counted twice
        first, second = count_start(empty), count_start(empty)
    # THEN the counts agree within the tolerance, and each is awslambdaric's start-up (over 100 M)
    assert second == pytest.approx(first, rel=TWICE_TOLERANCE)
    assert first > 100_000_000


def test_a_cold_start_ratio_divides_by_the_empty_handlers_count() -> None:
    counts = ColdCounts(160_000_000, [400_000_000, 2_000_000_000])
    assert counts.ratios() == [2.5, 12.5]


def test_every_rie_cold_start_budget_is_enforced_on_instructions_only() -> None:
    # The counted twins of the three timed RIE ratios, each with its budget (the timed ones are reported).
    assert {f.key: f.budget for f in FIGURES} == {
        "rie_cold_start_ratio_instructions": 2.7,
        "api_rie_cold_start_ratio_instructions": 3.8,
        "api_rie_first_item_ratio_instructions": 16.3,
    }
