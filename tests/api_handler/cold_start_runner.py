"""Run in a fresh interpreter: cold-start the API handler as Lambda would, answer one event, report as JSON.

    python cold_start_runner.py CODE_DIR   (stdin: {"event": {...}}; the environment is the function's)

CODE_DIR is the function's code root (api_handler/, or a built copy). The last stdout line is the report:
the answer, and which of HEAVY_PACKAGES the init and the first request imported.
"""

from __future__ import annotations

import importlib
import json
import sys

# Packages whose import is a large share of a cold start: a module or any of its submodules in sys.modules
# reports the package's name. botocore's own package (its __init__, a few ms) is imported by Powertools'
# package init, for its user agent; every other module of botocore counts as "botocore.*".
HEAVY_PACKAGES = (
    "boto3",
    "botocore.*",
    "s3transfer",
    "urllib3",
    "aws_xray_sdk",
    "aws_lambda_powertools.tracing",
    "aws_lambda_powertools.utilities.idempotency",
    "aws_lambda_powertools.utilities.parameters",
)
# The Powertools packages whose __init__.py a cold start must not run (items_api/lazy_packages.py).
DEFERRED_INITS = (
    "aws_lambda_powertools",
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.utilities.data_classes",
)


class Context:
    function_name = "items-api"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:items-api"
    aws_request_id = "cold-request-1"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def heavy_imports() -> list[str]:
    """The HEAVY_PACKAGES imported so far in this process, sorted."""
    found = []
    for package in HEAVY_PACKAGES:
        if package.endswith(".*"):
            prefix = package[:-1]
            hit = any(name.startswith(prefix) for name in sys.modules)
        else:
            hit = any(name == package or name.startswith(f"{package}.") for name in sys.modules)
        if hit:
            found.append(package)
    return sorted(found)


def main() -> None:
    code_dir = sys.argv[1]
    event = json.load(sys.stdin)["event"]
    sys.path.insert(0, code_dir)  # the function's code root, as on Lambda
    app = importlib.import_module("app")
    report: dict[str, object] = {"app_file": app.__file__, "after_init": heavy_imports()}
    report["result"] = app.lambda_handler(event, Context())
    report["heavy_imports"] = heavy_imports()
    report["inits_run"] = [name for name in DEFERRED_INITS if type(sys.modules[name]).__name__ == "module"]
    report["powertools_modules"] = sorted(
        name for name in sys.modules if name.startswith("aws_lambda_powertools")
    )
    print(json.dumps(report))


if __name__ == "__main__":
    main()
