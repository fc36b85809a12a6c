"""The RIE cold-start ratios counted in instructions (callgrind): the measure their budgets are enforced on.

Timed in the RIE (bench/rie.py), a cold-start ratio moves with the machine's load, and the wrong way for
a budget: on a quiet machine the empty handler's start shrinks more than the function's, so the ratio is
higher there than under load. The instructions the same start executes do not move.

Each variant of bench/rie.py (the empty handler; the authorizer's first TOKEN decision, discovery and
JWKS from a loopback issuer; the API handler's first `GET /me`; its first `GET /items` on DynamoDB
Local) is started as a fresh process under callgrind doing what `python -m awslambdaric` does at a cold
start: awslambdaric's imports, its logging set up, the handler's module imported from the read-only copy
of the shipped build (PYTHONDONTWRITEBYTECODE, the build's bytecode), one invoke handled by awslambdaric's
own `handle_event_request`. Only the Runtime API's HTTP calls are left out (no RIE runs), the same in
every variant. The issuer and DynamoDB Local run outside callgrind, in this process and in Java. A ratio
= the variant's instructions / the empty handler's.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

from bench import callgrind
from bench.measure import Figure
from bench.rie import Variant, cold_variants

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
if str(SCRIPTS) not in sys.path:  # bootstrap's .pth file puts it there too; this also works without it
    sys.path.insert(0, str(SCRIPTS))

from devstack.lambda_rie import is_error_payload, rie_launch  # noqa: E402

# The child, run as `python -c` from the function's folder (Lambda's cwd and sys.path[0], /var/task),
# so that nothing of bench (cryptography, boto3) is imported before the function. It follows
# awslambdaric's __main__.main and bootstrap.run up to the first invoke; the client it hands to
# handle_event_request keeps the answer instead of posting it to the Runtime API.
#   argv: handler, event file, answer file
RUNTIME = """
import sys

import awslambdaric.__main__  # noqa: F401  everything `python -m awslambdaric` imports
from awslambdaric import bootstrap
from awslambdaric.lambda_runtime_client import LambdaRuntimeClient


class KeepsTheAnswer(LambdaRuntimeClient):
    answer = b""

    def post_invocation_result(
        self, invoke_id, result_data, content_type="application/json", invocation_id=None
    ):
        self.answer = result_data if isinstance(result_data, bytes) else result_data.encode("utf-8")

    def post_invocation_error(self, invoke_id, error_response_data, xray_fault, invocation_id=None):
        self.answer = error_response_data.encode("utf-8")


handler, event_file, answer_file = sys.argv[1:4]
with open(event_file, "rb") as event:
    event_body = event.read()
client = KeepsTheAnswer("127.0.0.1:9001", False)
sys.stdout = bootstrap.Unbuffered(sys.stdout)
sys.stderr = bootstrap.Unbuffered(sys.stderr)
with bootstrap.create_log_sink() as log_sink:
    bootstrap._setup_logging(bootstrap._AWS_LAMBDA_LOG_FORMAT, bootstrap._AWS_LAMBDA_LOG_LEVEL, log_sink)
    request_handler = bootstrap._get_handler(handler)
    bootstrap.handle_event_request(
        client,
        request_handler,
        "bench-counted-cold",
        event_body,
        "application/json",
        None,
        None,
        "arn:aws:lambda:us-east-1:123456789012:function:bench",
        4102444800000,
        None,
        log_sink,
    )
with open(answer_file, "wb") as answer:
    answer.write(client.answer)
"""


# What the RIE adds to the runtime's environment (awslambdaric's LambdaContext reads these).
RIE_ENVIRONMENT = {
    "AWS_LAMBDA_FUNCTION_NAME": "test_function",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "3008",
    "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/Functions",
    "AWS_LAMBDA_LOG_STREAM_NAME": "$LATEST",
}


class Budgeted(NamedTuple):
    """A counted cold-start ratio: its key (the timed RIE figure's + `_instructions`), budget, description."""

    key: str
    budget: float
    description: str


# The budgets are the RIE's timed budgets re-derived on instructions with the margin each timed budget
# had over the timed figure issue 22 measured (11 interleaved rounds, docs/performance.md "Cold start: shipped
# bytecode"): today's counted ratio x timed budget / timed figure, rounded to 0.1 (as bench/counted.py's).
# Counted 2026-12-07: the empty handler 161.0 M instructions, the authorizer 407.5 M, GET /me 402.4 M,
# the first GET /items 1,964.8 M.
#   authorizer, TOKEN       2.531 x 2 / 1.89 = 2.68  -> 2.7
#   API handler, GET /me    2.500 x 3 / 1.98 = 3.79  -> 3.8
#   API, first GET /items  12.203 x 7 / 5.25 = 16.27 -> 16.3
FIGURES: tuple[Budgeted, ...] = (
    Budgeted(
        "rie_cold_start_ratio_instructions",
        2.7,
        "instructions, awslambdaric + import + first TOKEN decision (JWKS fetched) / empty handler",
    ),
    Budgeted(
        "api_rie_cold_start_ratio_instructions",
        3.8,
        "instructions, awslambdaric + import + first GET /me / empty handler",
    ),
    Budgeted(
        "api_rie_first_item_ratio_instructions",
        16.3,
        "instructions, the same with the first GET /items (DynamoDB Local) / empty handler",
    ),
)


class ColdCounts(NamedTuple):
    """Instructions of each cold start, the empty handler's first."""

    empty: int
    measured: list[int]

    def ratios(self) -> list[float]:
        return [n / self.empty for n in self.measured]


def counted_cold_figures() -> list[Figure]:
    counts = count_cold()
    figures = [
        Figure(
            "empty_cold_start_instructions",
            float(counts.empty),
            "instr",
            "instructions of awslambdaric's start + an empty handler's first invoke (the cold starts' floor)",
        )
    ]
    for figure, ratio in zip(FIGURES, counts.ratios(), strict=True):
        figures.append(Figure(figure.key, ratio, "x", figure.description, budget=figure.budget))
    return figures


def count_cold() -> ColdCounts:
    """Count each variant's cold start under callgrind, the servers it calls running outside."""
    with cold_variants() as variants:
        empty = count_start(variants.empty)
        return ColdCounts(empty, [count_start(variant) for variant in variants.measured])


def count_start(variant: Variant) -> int:
    """Instructions of one fresh runtime process: awslambdaric, the import, the first invoke."""
    # The environment the RIE gives the runtime (the ports are the RIE's own, unused here).
    _command, env = rie_launch(
        variant.code_dir,
        variant.handler,
        variant.environment,
        runtime="python3.13",
        python=sys.executable,
        port=0,
        runtime_api_port=0,
    )
    env.update(RIE_ENVIRONMENT)
    with tempfile.TemporaryDirectory(prefix="bench-counted-cold-") as scratch:
        event_file, answer_file = Path(scratch, "event.json"), Path(scratch, "answer.json")
        event_file.write_bytes(variant.event)
        instructions = callgrind.count_instructions(
            [sys.executable, "-c", RUNTIME, variant.handler, str(event_file), str(answer_file)],
            env=env,
            cwd=variant.code_dir,
        )
        answer: Any = json.loads(answer_file.read_bytes() or b"null")
    if is_error_payload(answer) or (isinstance(answer, dict) and answer.get("statusCode", 200) != 200):
        raise RuntimeError(f"{variant.name} failed its first invoke under callgrind: {answer}")
    return instructions
