"""Run a function's app.py in-process as Lambda would: a fresh cold start with its environment, and the
context object each invocation gets. Every test folder loads both functions through here.

Both functions deploy an `app.py` at the root of their code, so a plain `import app` would hand every
test the same module; each load gets a unique module name instead.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
AUTHORIZER_APP = ROOT / "authorizer" / "app.py"
API_APP = ROOT / "api_handler" / "app.py"

_load_ids = itertools.count()


@dataclass(frozen=True)
class LambdaContext:
    """The attributes of Lambda's context object that the functions read (Powertools' Logger, the
    decision line's function members, the handler's deadlines)."""

    function_name: str = "authorizer"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:authorizer"
    aws_request_id: str = "lambda-request-1"
    # What is left of the invocation: the API function's 10 s timeout, unless a test says otherwise.
    remaining_millis: int = 10_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis


def authorizer_environment(
    *, issuer: str, audience: str, route_scopes: Mapping[str, list[str]], algorithms: str, **overrides: str
) -> dict[str, str]:
    """The authorizer's variables for one issuer found by discovery (no JWKS_URI), no leeway, policies
    (not simple responses), and Powertools' variables as the template sets them; `overrides` last."""
    env = {
        "ISSUER": issuer,
        "AUDIENCE": audience,
        "JWKS_URI": "",
        "ALLOWED_ALGORITHMS": algorithms,
        "LEEWAY_SECONDS": "0",
        "ROUTE_SCOPES": json.dumps(route_scopes),
        "SIMPLE_RESPONSES": "false",
        "POWERTOOLS_SERVICE_NAME": "authorizer",
        "POWERTOOLS_METRICS_NAMESPACE": "OAuthProtectedApiTests",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    env.update(overrides)
    return env


def load_lambda_app(app_path: Path, prefix: str) -> ModuleType:
    """Execute `app_path` afresh (module-level code = the cold start) under a new module name."""
    name = f"{prefix}_{next(_load_ids)}"
    spec = importlib.util.spec_from_file_location(name, app_path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {app_path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # as an import would: dataclasses resolve annotations through it
    spec.loader.exec_module(module)
    return module


def fresh_interpreter_report(
    argv: list[str],
    env: Mapping[str, str],
    *,
    stdin: str = "",
    cwd: Path | None = None,
    timeout: float = 120,
) -> dict[str, Any]:
    """Run `argv` (a fresh interpreter: a probe script or `-c` code) and return the JSON object it printed
    last; a non-zero exit fails the test with its stderr."""
    process = subprocess.run(
        argv,
        input=stdin,
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert process.returncode == 0, process.stderr
    report: dict[str, Any] = json.loads(process.stdout.strip().splitlines()[-1])
    return report
