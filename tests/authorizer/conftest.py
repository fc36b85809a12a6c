"""Authorizer fixtures: real keys (RSA, EC P-256, Ed25519), an issuer on 127.0.0.1, a cold-started app."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import pytest
from authorizer_harness import Issuer, Keys, ec_key, ed25519_key, environment, load_app, rsa_key, serve_issuer

from oauth_authorizer.settings import Settings, load_settings


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys(
        rsa=rsa_key("rsa-1"),
        ec=ec_key("ec-1"),
        ed=ed25519_key("ed-1"),
        spare=rsa_key("rsa-2"),
        attacker=rsa_key("rsa-1"),  # same kid as the issuer's key: a forged signature must still fail
    )


@pytest.fixture
def issuer(keys: Keys) -> Iterator[Issuer]:
    with serve_issuer(keys.jwks()) as running:
        yield running


@pytest.fixture
def settings(issuer: Issuer) -> Settings:
    return load_settings(environment(issuer))


@pytest.fixture
def app(issuer: Issuer, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """authorizer/app.py, cold-started in-process against the test issuer (discovery, no JWKS_URI)."""
    for name, value in environment(issuer).items():
        monkeypatch.setenv(name, value)
    return load_app()
