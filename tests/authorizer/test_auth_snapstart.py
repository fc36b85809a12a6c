"""SnapStart: the hooks the authorizer registers with snapshot_restore_py, run in-process the way the
Lambda runtime runs them (awslambdaric's lambda_runtime_hooks_runner), against a real issuer."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
import snapshot_restore_py  # type: ignore[import-untyped]
from authorizer_harness import (
    Issuer,
    Keys,
    claims,
    environment,
    load_app,
    mint,
    route_logs_to,
    serve_issuer,
    token_event,
)
from awslambdaric import lambda_runtime_hooks_runner  # type: ignore[import-untyped]

from lambda_loader import LambdaContext
from oauth_authorizer.errors import KeySetUnavailable
from oauth_authorizer.keys import STALE, KeySetCache
from oauth_authorizer.settings import KeySetPolicy
from oauth_authorizer.snapstart import register
from oauth_authorizer.token_cache import VerifiedTokens

DISCOVERY = "/.well-known/openid-configuration"
JWKS = "/keys/jwks.json"
POLICY = KeySetPolicy(max_age_seconds=600, stale_if_error_seconds=3600, retry_after_failure_seconds=5)


@pytest.fixture
def hooks() -> Iterator[None]:
    """Empty registries, as in a fresh runtime (every in-process cold start of the tests registers)."""
    snapshot_restore_py.get_before_snapshot().clear()
    snapshot_restore_py.get_after_restore().clear()
    yield
    snapshot_restore_py.get_before_snapshot().clear()
    snapshot_restore_py.get_after_restore().clear()


@pytest.fixture
def snap_app(hooks: None, app: ModuleType) -> ModuleType:
    return app


def decide(app: ModuleType, event: dict[str, Any]) -> Any:
    route_logs_to(sys.stdout)  # sys.stdout is pytest's capture only while the test runs
    return app.lambda_handler(event, LambdaContext())


def run_before_snapshot() -> None:
    route_logs_to(sys.stdout)  # the hooks log key-set events too
    lambda_runtime_hooks_runner.run_before_snapshot()


def run_after_restore() -> None:
    route_logs_to(sys.stdout)
    lambda_runtime_hooks_runner.run_after_restore()


class Clocks:
    """A monotonic clock and a wall clock that a snapshot and a restore can pull apart."""

    def __init__(self) -> None:
        self.monotonic, self.wall = 50.0, 1_800_000_000.0

    def pass_time(self, seconds: float) -> None:
        self.monotonic += seconds
        self.wall += seconds


def cache_for(issuer: Issuer, clocks: Clocks) -> KeySetCache:
    return KeySetCache(
        issuer=issuer.url,
        jwks_uri=None,
        discovery_uri=f"{issuer.url}.well-known/openid-configuration",
        algorithms=("RS256",),
        policy=POLICY,
        clock=lambda: clocks.monotonic,
        wall_clock=lambda: clocks.wall,
    )


def test_the_app_registers_one_hook_of_each_kind(snap_app: ModuleType) -> None:
    assert snap_app.SNAPSTART_HOOKS is True
    assert len(snapshot_restore_py.get_before_snapshot()) == 1
    assert len(snapshot_restore_py.get_after_restore()) == 1


def test_before_snapshot_fetches_discovery_and_the_key_set_so_the_first_token_needs_no_fetch(
    snap_app: ModuleType, issuer: Issuer, keys: Keys
) -> None:
    # GIVEN a cold start (nothing fetched yet)
    assert sum(issuer.hits.values()) == 0
    # WHEN the runtime runs the before-snapshot hooks
    run_before_snapshot()
    # THEN discovery and the key set were fetched, and the first token is decided without a request
    assert dict(issuer.hits) == {DISCOVERY: 1, JWKS: 1}
    result = decide(snap_app, token_event(f"Bearer {mint(keys.rsa, claims(issuer))}"))
    assert result["principalId"] == "auth0|user-1"
    assert dict(issuer.hits) == {DISCOVERY: 1, JWKS: 1}


def test_before_snapshot_with_the_issuer_down_still_lets_the_snapshot_be_taken(
    snap_app: ModuleType, issuer: Issuer, keys: Keys
) -> None:
    issuer.status = 503
    run_before_snapshot()  # does not raise: the first token tries again
    issuer.status = 200
    snap_app.KEYS[issuer.url]._last_failure = None  # past the retry back-off
    result = decide(snap_app, token_event(f"Bearer {mint(keys.rsa, claims(issuer))}"))
    assert result["principalId"] == "auth0|user-1"


def test_after_restore_marks_the_key_set_due_and_the_first_token_refreshes_it(
    snap_app: ModuleType, issuer: Issuer, keys: Keys
) -> None:
    # GIVEN a snapshot taken with the keys fetched
    run_before_snapshot()
    cache = snap_app.KEYS[issuer.url]
    assert cache.generation != STALE
    # WHEN the environment is restored
    run_after_restore()
    # THEN the key set is due (nothing verified before is trusted) and the first token refetches it
    assert cache.generation == STALE
    result = decide(snap_app, token_event(f"Bearer {mint(keys.rsa, claims(issuer))}"))
    assert result["principalId"] == "auth0|user-1"
    assert dict(issuer.hits) == {DISCOVERY: 1, JWKS: 2}
    assert cache.generation != STALE


def test_after_restore_empties_the_verified_token_cache(
    snap_app: ModuleType, issuer: Issuer, keys: Keys
) -> None:
    # GIVEN a token verified and remembered before the snapshot
    event = token_event(f"Bearer {mint(keys.rsa, claims(issuer))}")
    decide(snap_app, event)
    assert len(snap_app.TOKENS) == 1
    # WHEN the environment is restored
    run_after_restore()
    # THEN nothing is remembered, and the same token is verified in full again (with refreshed keys)
    assert len(snap_app.TOKENS) == 0
    decide(snap_app, event)
    assert dict(issuer.hits) == {DISCOVERY: 1, JWKS: 2}
    assert len(snap_app.TOKENS) == 1


def test_after_restore_a_dead_issuer_leaves_the_snapshot_keys_usable_within_stale_if_error(
    issuer: Issuer,
) -> None:
    # GIVEN keys fetched before a snapshot, restored an hour later (the monotonic clock knows nothing of it)
    clocks = Clocks()
    cache = cache_for(issuer, clocks)
    cache.prefetch()
    clocks.wall += 3600
    clocks.monotonic = 3.0
    cache.restored()
    issuer.status = 503
    # WHEN a token arrives and the refresh fails
    key = cache.key_for("rsa-1", "RS256")
    # THEN the snapshot's keys still serve: 3600 s is within 600 s + 3600 s of the fetch
    assert key.key_id == "rsa-1"
    assert cache.generation == STALE  # and nothing verified with them is remembered


def test_after_restore_the_stale_if_error_bound_is_counted_from_the_fetch_not_the_restore(
    issuer: Issuer,
) -> None:
    # GIVEN keys fetched before a snapshot restored later than max age + stale-if-error after the fetch
    clocks = Clocks()
    cache = cache_for(issuer, clocks)
    cache.prefetch()
    clocks.wall += 600 + 3600 + 1
    clocks.monotonic = 3.0
    cache.restored()
    issuer.status = 503
    # WHEN a token arrives and the refresh fails, THEN the keys are no longer trusted
    with pytest.raises(KeySetUnavailable):
        cache.key_for("rsa-1", "RS256")


def test_after_restore_within_max_age_the_keys_are_still_refreshed_first(issuer: Issuer) -> None:
    clocks = Clocks()
    cache = cache_for(issuer, clocks)
    cache.prefetch()
    clocks.pass_time(10)
    cache.restored()
    cache.key_for("rsa-1", "RS256")
    assert dict(issuer.hits) == {DISCOVERY: 1, JWKS: 2}


def test_inline_key_sets_are_never_fetched_by_the_hooks(
    hooks: None, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve_issuer(keys.jwks()) as issuer:
        for name, value in environment(issuer, JWKS=json.dumps(keys.jwks())).items():
            monkeypatch.setenv(name, value)
        inline_app = load_app()
        run_before_snapshot()
        run_after_restore()
        result = decide(inline_app, token_event(f"Bearer {mint(keys.rsa, claims(issuer))}"))
        assert result["principalId"] == "auth0|user-1"
        assert sum(issuer.hits.values()) == 0


def test_without_snapshot_restore_py_nothing_is_registered(
    hooks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # what an import then fails with
    assert register({}, VerifiedTokens(max_age_seconds=60)) is False
