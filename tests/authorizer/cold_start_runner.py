"""Run in a fresh interpreter: cold-start authorizer/app.py as Lambda would, invoke it once, report as JSON.

stdin: {"event": {...}}; the environment is the function's. The last stdout line is the report.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "authorizer" / "app.py"
# Packages whose import is a large share of a cold start, and which the authorizer avoids: a module or
# any of its submodules in sys.modules reports the package's name.
HEAVY_PACKAGES = (
    "boto3",
    "botocore",
    "aws_xray_sdk",
    "aws_lambda_powertools.utilities.data_classes",
    "aws_lambda_powertools.metrics",
)


# The libraries whose modules the cold start test pins one by one (PyJWT and what it loads of cryptography).
PINNED_PACKAGES = ("jwt", "cryptography")
# What oauth_authorizer/deferred_imports.py keeps from running until used (and a cold start never uses).
NOT_RUN = (
    "cryptography.hazmat.primitives.serialization.ssh",
    "cryptography.x509",
    "jwt.jwks_client",
    "shutil",
)


# Modules no decision needs: what the deferred modules would import, and dataclasses (with inspect, ast,
# dis and tokenize), whose import and per-class code generation cost about a fifth of the cold start:
# oauth_authorizer's records are NamedTuples.
ABSENT = (
    "ast",
    "bz2",
    "cryptography.hazmat.primitives.ciphers",
    "cryptography.x509.base",
    "cryptography.x509.name",
    "dataclasses",
    "dis",
    "inspect",
    "lzma",
    "tempfile",
    "urllib.request",
)


class Context:
    function_name = "authorizer"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:authorizer"
    aws_request_id = "cold-request-1"


def heavy_imports() -> list[str]:
    """The HEAVY_PACKAGES imported so far in this process, sorted."""
    return sorted(
        package
        for package in HEAVY_PACKAGES
        if any(name == package or name.startswith(f"{package}.") for name in sys.modules)
    )


def pinned_modules() -> list[str]:
    """Every module of PINNED_PACKAGES that has run (a deferred one that has not is not counted), sorted."""
    return sorted(
        name
        for name, module in list(sys.modules.items())
        if name.split(".")[0] in PINNED_PACKAGES and type(module).__name__ != "_RunsOnFirstUse"
    )


def not_run() -> list[str]:
    """Which of NOT_RUN are in sys.modules without having run (sorted)."""
    return sorted(name for name in NOT_RUN if type(sys.modules.get(name)).__name__ == "_RunsOnFirstUse")


def main() -> None:
    event = json.load(sys.stdin)["event"]
    sys.path.insert(0, str(APP.parent))  # the function's code root, as on Lambda
    spec = importlib.util.spec_from_file_location("app", APP)
    assert spec is not None
    assert spec.loader is not None
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)  # a ConfigurationError here ends the process, as a failed Lambda init does
    report: dict[str, object] = {}
    try:
        report["result"] = app.lambda_handler(event, Context())
    except Exception as exc:  # the handler's failure is the outcome under test
        report["error"] = [type(exc).__name__, *exc.args]
    # After the init and the first invocation: a lazy import on the first request counts too.
    report["heavy_imports"] = heavy_imports()
    report["modules"] = pinned_modules()
    report["not_run"] = not_run()
    report["absent"] = sorted(name for name in ABSENT if name in sys.modules)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
