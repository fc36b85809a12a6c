"""The API handler's cold start in a fresh process: what its init and first request import.

A request that reads no item (GET /me) imports neither boto3 nor botocore's modules nor Powertools'
Idempotency or Parameters: they are imported by the first DynamoDB call, the first POST with an
Idempotency-Key and the first listing that reads the page token secret (docs/performance.md). An
upgrade or an edit that imports one of them at cold start again fails here.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from bench.rie import ME_EVENT
from devstack.dynamodb_local import DynamoDBLocal
from devstack.template import ROOT
from lambda_loader import fresh_interpreter_report

RUNNER = Path(__file__).with_name("cold_start_runner.py")
CODE_DIR = ROOT / "api_handler"
# Of cold_start_runner.HEAVY_PACKAGES: none (Powertools' tracing module was imported by its package init,
# which items_api/lazy_packages.py defers).
AFTER_GET_ME: list[str] = []
# The first DynamoDB call imports boto3, and with it botocore, s3transfer and urllib3.
AFTER_FIRST_LISTING = ["boto3", "botocore.*", "s3transfer", "urllib3"]
# Exactly the Powertools modules a cold start and its first GET /me run (aws-lambda-powertools 3.37.0): the
# REST and HTTP resolvers, Logger, Metrics and the four event classes the resolver module binds. Update
# deliberately: a new module here is cold-start time.
POWERTOOLS_MODULES = [
    "aws_lambda_powertools",
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.event_handler.api_gateway",
    "aws_lambda_powertools.event_handler.content_types",
    "aws_lambda_powertools.event_handler.depends",
    "aws_lambda_powertools.event_handler.exception_handling",
    "aws_lambda_powertools.event_handler.exceptions",
    "aws_lambda_powertools.event_handler.openapi",
    "aws_lambda_powertools.event_handler.openapi.config",
    "aws_lambda_powertools.event_handler.openapi.constants",
    "aws_lambda_powertools.event_handler.openapi.exceptions",
    "aws_lambda_powertools.event_handler.openapi.merge",
    "aws_lambda_powertools.event_handler.openapi.types",
    "aws_lambda_powertools.event_handler.request",
    "aws_lambda_powertools.event_handler.util",
    "aws_lambda_powertools.exceptions",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.logging.buffer",
    "aws_lambda_powertools.logging.buffer.cache",
    "aws_lambda_powertools.logging.buffer.config",
    "aws_lambda_powertools.logging.buffer.functions",
    "aws_lambda_powertools.logging.constants",
    "aws_lambda_powertools.logging.correlation_paths",
    "aws_lambda_powertools.logging.exceptions",
    "aws_lambda_powertools.logging.filters",
    "aws_lambda_powertools.logging.formatter",
    "aws_lambda_powertools.logging.lambda_context",
    "aws_lambda_powertools.logging.logger",
    "aws_lambda_powertools.metrics",
    "aws_lambda_powertools.metrics.base",
    "aws_lambda_powertools.metrics.exceptions",
    "aws_lambda_powertools.metrics.functions",
    "aws_lambda_powertools.metrics.metrics",
    "aws_lambda_powertools.metrics.provider",
    "aws_lambda_powertools.metrics.provider.base",
    "aws_lambda_powertools.metrics.provider.cloudwatch_emf",
    "aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch",
    "aws_lambda_powertools.metrics.provider.cloudwatch_emf.constants",
    "aws_lambda_powertools.metrics.provider.cloudwatch_emf.exceptions",
    "aws_lambda_powertools.metrics.provider.cloudwatch_emf.metric_properties",
    "aws_lambda_powertools.metrics.provider.cold_start",
    "aws_lambda_powertools.package_logger",
    "aws_lambda_powertools.shared",
    "aws_lambda_powertools.shared.constants",
    "aws_lambda_powertools.shared.cookies",
    "aws_lambda_powertools.shared.functions",
    "aws_lambda_powertools.shared.headers_serializer",
    "aws_lambda_powertools.shared.json_encoder",
    "aws_lambda_powertools.shared.user_agent",
    "aws_lambda_powertools.shared.version",
    "aws_lambda_powertools.utilities",
    "aws_lambda_powertools.utilities.data_classes",
    "aws_lambda_powertools.utilities.data_classes.alb_event",
    "aws_lambda_powertools.utilities.data_classes.api_gateway_proxy_event",
    "aws_lambda_powertools.utilities.data_classes.bedrock_agent_event",
    "aws_lambda_powertools.utilities.data_classes.common",
    "aws_lambda_powertools.utilities.data_classes.lambda_function_url_event",
    "aws_lambda_powertools.utilities.data_classes.shared_functions",
    "aws_lambda_powertools.utilities.data_classes.vpc_lattice",
    "aws_lambda_powertools.utilities.jmespath_utils",
    "aws_lambda_powertools.utilities.typing",
    "aws_lambda_powertools.utilities.typing.lambda_context",
    "aws_lambda_powertools.warnings",
]


def function_env(**overrides: str) -> dict[str, str]:
    # Only what a Lambda environment would have: no inherited test settings.
    return {
        "PATH": os.environ.get("PATH", ""),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "TABLE_NAME": "items",
        "POWERTOOLS_SERVICE_NAME": "items-api",
        "POWERTOOLS_METRICS_NAMESPACE": "Test",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "PAGE_TOKEN_KEY": "cold-start-page-token-key-0123456789abcdef",
        **overrides,
    }


def cold_start(env: dict[str, str], event: dict[str, Any], code_dir: Path = CODE_DIR) -> dict[str, Any]:
    argv = [sys.executable, str(RUNNER), str(code_dir)]
    return fresh_interpreter_report(argv, env, stdin=json.dumps({"event": event}))


def listing_event() -> dict[str, Any]:
    event: dict[str, Any] = json.loads(json.dumps(ME_EVENT))
    event["resource"] = event["path"] = event["requestContext"]["resourcePath"] = "/items"
    event["requestContext"]["path"] = "/v1/items"
    return event


def test_cold_start_and_first_get_me_import_no_aws_sdk_idempotency_parameters_or_powertools_inits() -> None:
    # GIVEN a fresh process with the function's environment (no DynamoDB reachable: none is needed)
    # WHEN it imports app.py and answers its first GET /me
    report = cold_start(function_env(DYNAMODB_ENDPOINT_URL="http://127.0.0.1:9"), ME_EVENT)
    # THEN the caller is answered, and neither the init nor the request imported anything heavy
    assert report["after_init"] == AFTER_GET_ME
    assert report["heavy_imports"] == AFTER_GET_ME
    # and Powertools ran exactly the pinned modules, none of its three deferred package inits
    assert report["powertools_modules"] == POWERTOOLS_MODULES
    assert report["inits_run"] == []
    assert report["result"]["statusCode"] == 200
    assert json.loads(report["result"]["body"]) == {
        "iss": "https://issuer.example.com/",
        "sub": "auth0|bench-user",
        "scopes": ["read:items"],
        "client_id": "bench-client",
    }


def test_first_listing_imports_the_aws_sdk_on_its_first_dynamodb_call(
    dynamodb: DynamoDBLocal, table_name: str
) -> None:
    # GIVEN a fresh process pointed at DynamoDB Local, with an empty table
    env = function_env(TABLE_NAME=table_name, DYNAMODB_ENDPOINT_URL=dynamodb.endpoint_url)
    # WHEN its first request lists the caller's items
    report = cold_start(env, listing_event())
    # THEN the init imported nothing heavy, the listing imported boto3 for its call, and the answer is
    # the (empty) first page
    assert report["after_init"] == AFTER_GET_ME
    assert report["heavy_imports"] == AFTER_FIRST_LISTING
    assert report["result"]["statusCode"] == 200
    assert json.loads(report["result"]["body"]) == {"items": [], "next": None}
