"""The committed seed corpus of fuzz/authorizer_target.py, replayed through its target and oracle.

Includes the outside atheris run's finding (a lone surrogate in the Authorization value, now "malformed",
also pinned in test_auth_several_issuers.py) and every input the fuzzer kept for new coverage.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "fuzz" / "corpus" / "authorizer"
# The outside run's input: mode 1 (an Authorization value), then "Bearer " and a lone high surrogate.
LONE_SURROGATE_SEED = b"\x01\x10Bearer \xed\xa0\x80"


def test_the_committed_authorizer_corpus_replays_without_a_crash_or_an_oracle_violation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The target configures the authorizer through the environment; keep that to this test.
    monkeypatch.setattr(os, "environ", dict(os.environ))
    from fuzz import authorizer_target

    seeds = sorted(CORPUS.iterdir())
    assert len(seeds) >= 20
    assert LONE_SURROGATE_SEED in {seed.read_bytes() for seed in seeds}
    for seed in seeds:
        authorizer_target.test_one_input(seed.read_bytes())
