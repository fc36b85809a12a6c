"""Cold start in a fresh process: a working start keeps the Tracer off, a bad setting fails loudly by name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from authorizer_harness import (
    ARN_PREFIX,
    Issuer,
    Keys,
    claims,
    environment,
    http_v2_event,
    mint,
    request_event,
    token_event,
)

RUNNER = Path(__file__).with_name("cold_start_runner.py")
# Of cold_start_runner.HEAVY_PACKAGES: none. The authorizer imports nothing of Powertools unless tracing
# is on (any import from aws_lambda_powertools runs its package __init__, which imports Metrics and
# botocore); its log lines are written by oauth_authorizer/telemetry.py.
POWERTOOLS_PACKAGE_IMPORTS: list[str] = []
# Exactly the modules of PyJWT and cryptography that a cold start and its first decision run (PyJWT
# 2.15.1, cryptography 50.0.2). Update deliberately: a new module here is cold-start time, and one of
# NOT_RUN appearing means oauth_authorizer/deferred_imports.py no longer defers it.
PINNED_MODULES = [
    "cryptography",
    "cryptography.__about__",
    "cryptography.exceptions",
    "cryptography.hazmat",
    "cryptography.hazmat._oid",
    "cryptography.hazmat.backends",
    "cryptography.hazmat.bindings",
    "cryptography.hazmat.bindings._rust",
    "cryptography.hazmat.primitives",
    "cryptography.hazmat.primitives._asymmetric",
    "cryptography.hazmat.primitives._serialization",
    "cryptography.hazmat.primitives.asymmetric",
    "cryptography.hazmat.primitives.asymmetric.dh",
    "cryptography.hazmat.primitives.asymmetric.ec",
    "cryptography.hazmat.primitives.asymmetric.ed25519",
    "cryptography.hazmat.primitives.asymmetric.ed448",
    "cryptography.hazmat.primitives.asymmetric.padding",
    "cryptography.hazmat.primitives.asymmetric.rsa",
    "cryptography.hazmat.primitives.asymmetric.utils",
    "cryptography.hazmat.primitives.hashes",
    "cryptography.hazmat.primitives.serialization",
    "cryptography.hazmat.primitives.serialization.base",
    "cryptography.utils",
    "jwt",
    "jwt.algorithms",
    "jwt.api_jwk",
    "jwt.api_jws",
    "jwt.api_jwt",
    "jwt.exceptions",
    "jwt.types",
    "jwt.utils",
    "jwt.warnings",
]
# oauth_authorizer/deferred_imports.py's modules: in sys.modules, never run by a cold start.
NOT_RUN = [
    "cryptography.hazmat.primitives.serialization.ssh",
    "cryptography.x509",
    "jwt.jwks_client",
    "shutil",
]


def cold_start(env: dict[str, str], event: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    # Only what a Lambda environment would have: no inherited test settings.
    base = {key: os.environ[key] for key in ("PATH", "AWS_DEFAULT_REGION") if key in os.environ}
    return subprocess.run(
        [sys.executable, str(RUNNER)],
        input=json.dumps({"event": event}),
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def report(process: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert process.returncode == 0, process.stderr
    last: dict[str, Any] = json.loads(process.stdout.strip().splitlines()[-1])
    return last


def test_cold_start_discovers_keys_and_allows_without_loading_the_tracer(issuer: Issuer, keys: Keys) -> None:
    # GIVEN a fresh process with the template's defaults (tracing disabled) and discovery
    token = mint(keys.rsa, claims(issuer, exp=2_000_000_000, iat=1_700_000_000))
    # WHEN it starts and handles one TOKEN event
    outcome = report(cold_start(environment(issuer), token_event(f"Bearer {token}", "GET", "me")))
    # THEN the decision is the full policy; nothing of Powertools, botocore or the X-Ray SDK was imported,
    # PyJWT and cryptography ran exactly the pinned modules, and the deferred ones never ran
    assert outcome == {
        "heavy_imports": POWERTOOLS_PACKAGE_IMPORTS,
        "modules": PINNED_MODULES,
        "not_run": NOT_RUN,
        "absent": [],
        "result": {
            "principalId": "auth0|user-1",
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Action": "execute-api:Invoke",
                        "Effect": "Allow",
                        "Resource": [
                            f"{ARN_PREFIX}/GET/me",
                            f"{ARN_PREFIX}/GET/items",
                            f"{ARN_PREFIX}/GET/items/*",
                        ],
                    }
                ],
            },
            "context": {
                "sub": "auth0|user-1",
                "iss": issuer.url,
                "scope": "openid read:items",
                "client_id": "spa-client",
                "grant_type": "",
                "exp": 2_000_000_000,
                "iat": 1_700_000_000,
            },
        },
    }
    assert dict(issuer.hits) == {"/.well-known/openid-configuration": 1, "/keys/jwks.json": 1}


@pytest.mark.parametrize(
    "make_event",
    [
        lambda authorization: token_event(authorization, "GET", "me"),
        lambda authorization: request_event({"Authorization": authorization}, "GET", "/me"),
        lambda authorization: http_v2_event({"authorization": authorization}, "GET", "/me"),
    ],
    ids=["rest_token", "rest_request", "http_v2"],
)
def test_cold_start_without_tracing_imports_no_aws_sdk_xray_event_classes_or_metrics(
    issuer: Issuer, keys: Keys, make_event: Callable[[str], dict[str, Any]]
) -> None:
    # GIVEN tracing disabled (the template's default)
    env = environment(issuer, POWERTOOLS_TRACE_DISABLED="true")
    # WHEN a fresh process starts and decides one event of each shape
    outcome = report(cold_start(env, make_event(f"Bearer {mint(keys.rsa, claims(issuer))}")))
    # THEN it allowed, having imported no boto3, no botocore, no X-Ray SDK and nothing of Powertools,
    # and ran exactly the pinned PyJWT and cryptography modules
    assert outcome["result"]["principalId"] == "auth0|user-1"
    assert outcome["heavy_imports"] == POWERTOOLS_PACKAGE_IMPORTS
    assert outcome["modules"] == PINNED_MODULES
    assert outcome["not_run"] == NOT_RUN


def test_tracing_enabled_instantiates_the_tracer(issuer: Issuer, keys: Keys) -> None:
    token = mint(keys.rsa, claims(issuer))
    env = environment(issuer, POWERTOOLS_TRACE_DISABLED="false")
    outcome = report(cold_start(env, token_event(f"Bearer {token}", "GET", "me")))
    # The X-Ray SDK is imported (and only it on top of the Powertools package's own imports)
    assert outcome["heavy_imports"] == ["aws_lambda_powertools.metrics", "aws_xray_sdk", "botocore"]
    assert outcome["result"]["principalId"] == "auth0|user-1"


def test_cold_start_with_a_dead_issuer_answers_unauthorized(issuer: Issuer, keys: Keys) -> None:
    issuer.status = 503
    outcome = report(cold_start(environment(issuer), token_event(f"Bearer {mint(keys.rsa, claims(issuer))}")))
    assert outcome["error"] == ["Exception", "Unauthorized"]
    assert outcome["heavy_imports"] == POWERTOOLS_PACKAGE_IMPORTS


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("ISSUER", "", "ISSUER: is required"),
        ("AUDIENCE", "", "AUDIENCE: is required"),
        ("ROUTE_SCOPES", "", "ROUTE_SCOPES: is required"),
        ("ROUTE_SCOPES", '{"GET /items": "read:items"}', "ROUTE_SCOPES: key 'GET /items'"),
        ("ALLOWED_ALGORITHMS", "HS256", "ALLOWED_ALGORITHMS: 'HS256' is refused"),
        ("ALLOWED_ALGORITHMS", "none", "ALLOWED_ALGORITHMS: 'none' is refused"),
        (
            "JWKS_URI",
            "http://keys.example.com/jwks.json",
            "JWKS_URI: 'http://keys.example.com/jwks.json' must use https",
        ),
        ("LEEWAY_SECONDS", "soon", "LEEWAY_SECONDS: 'soon' is not a whole number"),
        ("SIMPLE_RESPONSES", "perhaps", "SIMPLE_RESPONSES: 'perhaps' is not true or false"),
    ],
)
def test_configuration_error_fails_the_cold_start_naming_the_variable(
    issuer: Issuer, keys: Keys, variable: str, value: str, message: str
) -> None:
    # GIVEN one bad setting
    env = environment(issuer, **{variable: value})
    # WHEN the function cold-starts with a valid token waiting
    process = cold_start(env, token_event(f"Bearer {mint(keys.rsa, claims(issuer))}"))
    # THEN the init fails with the variable's name, and nothing is decided (let alone allowed)
    assert process.returncode == 1
    assert f"oauth_authorizer.errors.ConfigurationError: {message}" in process.stderr
    assert process.stdout == ""
    assert sum(issuer.hits.values()) == 0
