"""Run in a fresh interpreter: cold-start authorizer/app.py as Lambda would, invoke it once, report as JSON.

stdin: {"event": {...}}; the environment is the function's. The last stdout line is the report.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "authorizer" / "app.py"


class Context:
    function_name = "authorizer"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:authorizer"
    aws_request_id = "cold-request-1"


def main() -> None:
    event = json.load(sys.stdin)["event"]
    sys.path.insert(0, str(APP.parent))  # the function's code root, as on Lambda
    spec = importlib.util.spec_from_file_location("app", APP)
    assert spec is not None
    assert spec.loader is not None
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)  # a ConfigurationError here ends the process, as a failed Lambda init does
    report: dict[str, object] = {"xray_loaded": "aws_xray_sdk" in sys.modules}
    try:
        report["result"] = app.lambda_handler(event, Context())
    except Exception as exc:  # the handler's failure is the outcome under test
        report["error"] = [type(exc).__name__, *exc.args]
    print(json.dumps(report))


if __name__ == "__main__":
    main()
