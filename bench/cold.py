"""Cold start: fresh interpreters importing each function's app.py, next to importing its main library.

Each round starts, one after the other, `python -c "import jwt"`, the authorizer's `import app`,
`python -c "import boto3"`, the API handler's `import app`, and the authorizer's first request (a
fresh process that imports app.py and answers one token, fetching the JWKS from a loopback issuer).
A process is timed from spawn to exit, and reports its own peak RSS (VmHWM) as it ends.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bench.issuer import BenchKey, serve_issuer
from bench.measure import Figure
from bench.warm import SCOPE, environment, token_event

ROOT = Path(__file__).resolve().parents[1]
AUTHORIZER, API_HANDLER = ROOT / "authorizer", ROOT / "api_handler"
PROBE = Path(__file__).with_name("first_request_probe.py")


# Each process reports its own high-water RSS: a child's rusage would also count the parent's pages it
# held between fork and exec.
PEAK_RSS = "print(next(line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM:')))"


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_rss_mb: float
    stdout: str


def run(argv: list[str], *, cwd: Path, env: Mapping[str, str], stdin: str = "") -> Run:
    """Run a Python process that prints its VmHWM (KiB) as its last line; time it from spawn to exit."""
    start = time.perf_counter()
    process = subprocess.run(
        argv, check=False, cwd=cwd, env=dict(env), input=stdin, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} (in {cwd.name}) exited with {process.returncode}: {process.stderr}"
        )
    *output, peak_kib = process.stdout.splitlines()
    return Run(seconds, int(peak_kib) / 1024, "\n".join(output))


def python_code(code: str) -> list[str]:
    return [sys.executable, "-c", f"{code}; {PEAK_RSS}"]


def api_environment() -> dict[str, str]:
    return {
        "TABLE_NAME": "bench-items",
        "POWERTOOLS_SERVICE_NAME": "items-api",
        "POWERTOOLS_METRICS_NAMESPACE": "Bench",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "AWS_DEFAULT_REGION": "us-east-1",
        "DYNAMODB_ENDPOINT_URL": "",
        "PAGE_TOKEN_KEY": "bench-page-token-key-0123456789abcdef",
    }


def cold(*, rounds: int) -> list[Figure]:
    base = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"}
    key = BenchKey.generate()
    jwt_ratios, api_ratios, first_ms, authorizer_rss = [], [], [], []
    with serve_issuer(key) as issuer_url:
        authorizer_env = {**base, **environment(issuer_url)}
        api_env = {**base, **api_environment()}
        for round_number in range(rounds + 1):
            import_jwt = run(python_code("import jwt"), cwd=AUTHORIZER, env=base)
            authorizer = run(python_code("import app"), cwd=AUTHORIZER, env=authorizer_env)
            import_boto3 = run(python_code("import boto3"), cwd=API_HANDLER, env=base)
            api = run(python_code("import app"), cwd=API_HANDLER, env=api_env)
            event = json.dumps(token_event(key.token(issuer_url, SCOPE, 0)))
            probe_env = {**authorizer_env, "PYTHONPATH": str(AUTHORIZER)}
            first = run([sys.executable, str(PROBE)], cwd=AUTHORIZER, env=probe_env, stdin=event)
            if round_number == 0:
                continue  # warm-up: the page cache and the .pyc files, alike for every variant
            jwt_ratios.append(authorizer.seconds / import_jwt.seconds)
            api_ratios.append(api.seconds / import_boto3.seconds)
            first_ms.append(json.loads(first.stdout.splitlines()[-1])["first_request_seconds"] * 1e3)
            authorizer_rss.append(first.peak_rss_mb)
    median = statistics.median
    return [
        Figure(
            "cold_import_ratio",
            median(jwt_ratios),
            "x",
            "fresh process importing authorizer/app.py (settings parsed) / `python -c 'import jwt'`",
            budget=1.6,
        ),
        Figure(
            "api_cold_import_ratio",
            median(api_ratios),
            "x",
            "fresh process importing api_handler/app.py (DynamoDB client made) / `python -c 'import boto3'`",
        ),
        Figure(
            "first_request_ms",
            median(first_ms),
            "ms",
            "first lambda_handler call after a cold start: discovery + JWKS over loopback HTTP, verify",
        ),
        Figure(
            "authorizer_peak_rss_mb",
            max(authorizer_rss),
            "MB",
            "peak RSS of a fresh authorizer process: import, first request, 200 more decisions",
            budget=45.0,
        ),
    ]
