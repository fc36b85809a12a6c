"""SnapStart: the API handler's after-restore hook, run in-process the way the Lambda runtime runs it
(awslambdaric's lambda_runtime_hooks_runner over the snapshot_restore_py registry)."""

from __future__ import annotations

import os
import random
import sys
from collections.abc import Iterator
from types import ModuleType

import pytest
import snapshot_restore_py  # type: ignore[import-untyped]
from api_harness import load_app
from awslambdaric import lambda_runtime_hooks_runner  # type: ignore[import-untyped]

from items_api.page_token_key import EphemeralPageTokenKey, page_token_key
from items_api.settings import load_settings
from items_api.snapstart import register


@pytest.fixture
def hooks() -> Iterator[None]:
    """Empty registries, as in a fresh runtime (every in-process cold start of the tests registers)."""
    snapshot_restore_py.get_after_restore().clear()
    yield
    snapshot_restore_py.get_after_restore().clear()


@pytest.fixture
def ephemeral_app(hooks: None, app: ModuleType, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """A cold start with neither PAGE_TOKEN_KEY nor a secret: the pagination key is drawn at init."""
    monkeypatch.delenv("PAGE_TOKEN_KEY", raising=False)
    monkeypatch.delenv("PAGE_TOKEN_SECRET_ARN", raising=False)
    snapshot_restore_py.get_after_restore().clear()  # the `app` fixture's own cold start registered too
    return load_app()


def test_after_restore_the_fallback_pagination_key_is_drawn_anew(ephemeral_app: ModuleType) -> None:
    # GIVEN an environment whose pagination key was drawn at init (what a snapshot would carry)
    source = ephemeral_app.page_token_key_source
    assert isinstance(source, EphemeralPageTokenKey)
    assert ephemeral_app.SNAPSTART_HOOK is True
    before = source()
    # WHEN the runtime runs the after-restore hooks
    lambda_runtime_hooks_runner.run_after_restore()
    # THEN the key is another random key of the same length, and stays so until the next restore
    after = source()
    assert (len(after), after != before) == (32, True)
    assert source() == after


def test_after_restore_the_random_module_is_reseeded(ephemeral_app: ModuleType) -> None:
    # GIVEN the random state a snapshot would carry
    snapshot_state = random.getstate()
    # WHEN the environment is restored
    lambda_runtime_hooks_runner.run_after_restore()
    # THEN it draws other numbers than an environment left with the snapshot's state would
    restored = [random.random() for _ in range(4)]
    random.setstate(snapshot_state)
    assert restored != [random.random() for _ in range(4)]


def test_a_configured_pagination_key_is_kept_across_a_restore(
    hooks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a deployment-wide PAGE_TOKEN_KEY (next tokens valid in every environment)
    monkeypatch.setenv("TABLE_NAME", "items")
    monkeypatch.setenv("PAGE_TOKEN_KEY", "k" * 40)
    source = page_token_key(load_settings(os.environ))
    register(source)
    # WHEN restored, THEN it is the same key
    lambda_runtime_hooks_runner.run_after_restore()
    assert source() == b"k" * 40


def test_without_snapshot_restore_py_nothing_is_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)
    assert register(EphemeralPageTokenKey(b"x" * 32)) is False
