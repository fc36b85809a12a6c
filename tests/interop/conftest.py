"""Interop fixtures: oidc-provider and the dpop package in Node child processes, the authorizer in-process."""

from __future__ import annotations

import secrets
import sys
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest
from interop_harness import (
    Client,
    DpopSigner,
    OidcProvider,
    Outcome,
    authorizer_environment,
    decision_lines,
    load_app,
    route_logs_to,
    run_dpop_signer,
    run_oidc_provider,
)

from lambda_loader import LambdaContext


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[OidcProvider]:
    """One oidc-provider for the session; a client per access-token algorithm, secrets drawn afresh."""
    clients = {
        alg: Client(f"items-interop-{alg.lower()}", secrets.token_urlsafe(32))
        for alg in ("RS256", "ES256", "EdDSA", "Ed25519")
    }
    with run_oidc_provider(clients) as provider:
        yield provider


@pytest.fixture(scope="session")
def dpop_signer() -> Iterator[DpopSigner]:
    with run_dpop_signer() as signer:
        yield signer


@pytest.fixture
def start_authorizer(
    oidc_provider: OidcProvider, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., ModuleType]:
    """Cold-start authorizer/app.py with ISSUER = oidc-provider's URL and any other variables set."""

    def cold_start(**overrides: str) -> ModuleType:
        for name, value in authorizer_environment(oidc_provider.issuer, **overrides).items():
            monkeypatch.setenv(name, value)
        return load_app()

    return cold_start


@pytest.fixture
def decide(capsys: pytest.CaptureFixture[str]) -> Callable[[ModuleType, dict[str, Any]], Outcome]:
    """Call the handler once; its answer (or the exception) and its only decision line."""

    def call(app: ModuleType, event: dict[str, Any]) -> Outcome:
        route_logs_to(sys.stdout)  # sys.stdout is capsys's only while the test runs
        capsys.readouterr()
        try:
            result: Any = app.lambda_handler(event, LambdaContext())
        except Exception as exc:  # a 401 is an outcome under test
            result = exc
        lines = decision_lines(capsys.readouterr().out)
        assert len(lines) == 1
        return result, lines[0]

    return call
