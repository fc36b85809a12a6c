"""What both targets share: paths, a quiet stdout, and choices drawn from the fuzzer's bytes."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import atheris  # type: ignore[import-untyped]  # atheris ships no type hints

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")


class OracleViolation(AssertionError):
    """The code under test did something an outside check says it must never do."""


def code_roots() -> None:
    """The functions' flat code roots and the scripts on sys.path, as Lambda and the tests have them."""
    for folder in ("scripts",):
        path = str(ROOT / folder)
        if path not in sys.path:
            sys.path.insert(0, path)


def quiet_stdout() -> None:
    """Powertools writes every log line and metric to stdout: millions of them would slow fuzzing down."""
    sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the process's life


def pick(fdp: atheris.FuzzedDataProvider, options: Sequence[T]) -> T:
    index: int = fdp.ConsumeIntInRange(0, len(options) - 1)
    return options[index]
