"""Shared test settings. Each area (authorizer, api_handler, e2e) keeps its own fixtures beside its tests."""

import os

# Nothing under test may reach AWS or send telemetry; every endpoint is on 127.0.0.1.
os.environ.setdefault("SAM_CLI_TELEMETRY", "0")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "OAuthProtectedApiTests")

# DynamoDB Local (one per session) and fresh tables from the template: `dynamodb`, `revocation_table`.
pytest_plugins = ["dynamodb_tables"]
