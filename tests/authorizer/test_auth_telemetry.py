"""Decision lines: one JSON line per decision, both a Powertools-style log record and an EMF document."""

from __future__ import annotations

import io
import itertools
import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from lambda_loader import LambdaContext
from oauth_authorizer.errors import Reason
from oauth_authorizer.telemetry import MAX_DETAIL, Telemetry

SERVICE = "authorizer"
NAMESPACE = "OAuthProtectedApiTests"
CONTEXT = LambdaContext(
    function_name="authorizer-fn",
    memory_limit_in_mb=256,
    invoked_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:authorizer-fn",
    aws_request_id="lambda-request-7",
)
FUNCTION_MEMBERS = {
    "function_name": "authorizer-fn",
    "function_memory_size": 256,
    "function_arn": "arn:aws:lambda:eu-west-1:123456789012:function:authorizer-fn",
    "function_request_id": "lambda-request-7",
}
DECISION_DIRECTIVE = [
    {
        "Namespace": NAMESPACE,
        "Dimensions": [["service", "reason"]],
        "Metrics": [{"Name": "Decision", "Unit": "Count"}],
    }
]
# The metric members, then Powertools Logger's keys in its order, then the decision's own.
METRIC_KEYS = ["_aws", "service", "reason", "Decision"]
LOG_KEYS = [*METRIC_KEYS, "level", "location", "message", "timestamp", "cold_start", *FUNCTION_MEMBERS]
DECIDED_KEYS = [*LOG_KEYS, "correlation_id", "sub", "iss", "client_id", "route"]
REJECTED_KEYS = [*LOG_KEYS, "correlation_id", "detail"]
POWERTOOLS_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}[+-]\d{4}$")
_logger_ids = itertools.count()


class Capture:
    """A Telemetry over a fresh stdlib logger whose only handler writes to a StringIO."""

    def __init__(self, level: int = logging.INFO, *, trace_ids: bool = False) -> None:
        self.stream = io.StringIO()
        self.logger = logging.getLogger(f"test_auth_telemetry.{next(_logger_ids)}")
        self.logger.propagate = False
        self.logger.setLevel(level)
        self.logger.addHandler(logging.StreamHandler(self.stream))
        self.telemetry = Telemetry(
            service=SERVICE, namespace=NAMESPACE, logger=self.logger, trace_ids=trace_ids
        )

    def text(self) -> str:
        return self.stream.getvalue()

    def records(self) -> list[dict[str, Any]]:
        """Every line parsed (so each is exactly one JSON object), in order."""
        text = self.text()
        assert text.endswith("\n")
        return [json.loads(line) for line in text.split("\n")[:-1]]


def now_ms() -> int:
    return int(time.time() * 1000)


def settled(record: dict[str, Any], before_ms: int, after_ms: int) -> dict[str, Any]:
    """`record` with its volatile timestamps checked, then replaced by placeholders."""
    stamp = record["_aws"]["Timestamp"]
    assert type(stamp) is int
    assert before_ms <= stamp <= after_ms
    fixed = {**record, "_aws": {**record["_aws"], "Timestamp": "<ms>"}}
    if "timestamp" in record:
        assert POWERTOOLS_TIMESTAMP.fullmatch(record["timestamp"]), record["timestamp"]
        # The EMF Timestamp's instant in local time; the two roundings of one float may differ by 1 ms.
        assert record["timestamp"] in {
            time.strftime(f"%Y-%m-%d %H:%M:%S,{ms % 1000:03d}%z", time.localtime(ms // 1000))
            for ms in (stamp, stamp - 1)
        }
        fixed["timestamp"] = "<timestamp>"
    return fixed


def decided(
    capture: Capture,
    subject: str = "auth0|user-1",
    correlation_id: str = CONTEXT.aws_request_id,
    context: LambdaContext = CONTEXT,
) -> None:
    capture.telemetry.decided(
        Reason.ALLOWED,
        context,
        correlation_id,
        subject=subject,
        issuer="https://tenant.auth0.com/",
        client_id="spa-client",
        route="GET /items/{id}",
    )


def test_allowed_decision_is_one_info_log_record_and_emf_document_cold_start_only_first() -> None:
    # GIVEN a logger at INFO
    capture = Capture(logging.INFO)
    before = now_ms()
    # WHEN two valid tokens are decided, the second with API Gateway's request id as correlation id
    decided(capture)
    decided(capture, correlation_id="rest-request-1")
    after = now_ms()
    # THEN each is exactly one line: Powertools Logger's keys plus the Decision metric by service+reason
    first, second = (settled(record, before, after) for record in capture.records())
    expected = {
        "_aws": {"Timestamp": "<ms>", "CloudWatchMetrics": DECISION_DIRECTIVE},
        "service": SERVICE,
        "reason": "allowed",
        "Decision": 1,
        "level": "INFO",
        "location": "decision",
        "message": "authorized",
        "timestamp": "<timestamp>",
        "cold_start": True,
        **FUNCTION_MEMBERS,
        "correlation_id": "lambda-request-7",
        "sub": "auth0|user-1",
        "iss": "https://tenant.auth0.com/",
        "client_id": "spa-client",
        "route": "GET /items/{id}",
    }
    assert first == expected
    assert list(first) == DECIDED_KEYS
    assert second == {**expected, "cold_start": False, "correlation_id": "rest-request-1"}


def test_rejection_is_a_warning_line_with_its_detail() -> None:
    capture = Capture(logging.INFO)
    before = now_ms()
    capture.telemetry.rejected(Reason.EXPIRED, CONTEXT, "http-request-1", "Signature has expired")
    after = now_ms()
    records = capture.records()
    assert [settled(record, before, after) for record in records] == [
        {
            "_aws": {"Timestamp": "<ms>", "CloudWatchMetrics": DECISION_DIRECTIVE},
            "service": SERVICE,
            "reason": "expired",
            "Decision": 1,
            "level": "WARNING",
            "location": "decision",
            "message": "unauthorized",
            "timestamp": "<timestamp>",
            "cold_start": True,
            **FUNCTION_MEMBERS,
            "correlation_id": "http-request-1",
            "detail": "Signature has expired",
        }
    ]
    assert [list(record) for record in records] == [REJECTED_KEYS]


@pytest.fixture
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """time.time() at 2026-11-18 11:06:40.125 UTC; the returned function sets the local time zone."""

    def zone(tz: str) -> None:
        monkeypatch.setenv("TZ", tz)
        time.tzset()

    monkeypatch.setattr(time, "time", lambda: 1_795_000_000.125)
    yield zone
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    ("tz", "timestamp"),
    [
        ("UTC0", "2026-11-18 11:06:40,125+0000"),
        ("IST-5:30", "2026-11-18 16:36:40,125+0530"),
        ("<-03>3", "2026-11-18 08:06:40,125-0300"),
    ],
)
def test_timestamp_is_powertools_default_format_in_local_time(
    fixed_clock: Callable[[str], None], tz: str, timestamp: str
) -> None:
    # GIVEN a fixed clock in the local time zone `tz`
    fixed_clock(tz)
    capture = Capture(logging.INFO)
    # WHEN a decision is made
    decided(capture)
    # THEN the log timestamp is Powertools Logger's default format, the EMF Timestamp epoch milliseconds
    assert [(r["timestamp"], r["_aws"]["Timestamp"]) for r in capture.records()] == [
        (timestamp, 1_795_000_000_125)
    ]


DecisionCall = Callable[[Capture], None]


@pytest.mark.parametrize(
    ("level", "emit", "reason"),
    [
        (logging.WARNING, decided, "allowed"),
        (
            logging.ERROR,
            lambda capture: capture.telemetry.rejected(Reason.MISSING_TOKEN, CONTEXT, "r", "no header"),
            "missing_token",
        ),
        (
            logging.CRITICAL + 1,
            lambda capture: capture.telemetry.rejected(Reason.BAD_EVENT, CONTEXT, "r", "not an event"),
            "bad_event",
        ),
    ],
    ids=["info_hidden", "warning_hidden", "everything_hidden"],
)
def test_decision_hidden_by_the_log_level_still_writes_its_metric(
    level: int, emit: DecisionCall, reason: str
) -> None:
    # GIVEN a logger whose level hides the decision's log level
    capture = Capture(level)
    before = now_ms()
    # WHEN the decision is made
    emit(capture)
    after = now_ms()
    # THEN its line still goes out, with the metric members only: metrics never depend on the log level
    assert [settled(record, before, after) for record in capture.records()] == [
        {
            "_aws": {"Timestamp": "<ms>", "CloudWatchMetrics": DECISION_DIRECTIVE},
            "service": SERVICE,
            "reason": reason,
            "Decision": 1,
        }
    ]


def test_every_reason_is_counted_under_its_own_value() -> None:
    capture = Capture(logging.INFO)
    for reason in Reason:
        capture.telemetry.rejected(reason, CONTEXT, "r", "detail")
    assert [(record["reason"], record["Decision"]) for record in capture.records()] == [
        (reason.value, 1) for reason in Reason
    ]


@pytest.mark.parametrize(
    "subject",
    [
        'quote " inside',
        "back\\slash",
        "new\nline\r\n",
        "nön-ASCII ✓ 用户 😀",
        "lone \ud800 surrogate",
        "\udfff",
        "</script>\x00\x1f\u2028\u2029",
    ],
    ids=["quote", "backslash", "newline", "non_ascii", "lone_surrogate", "lone_low_surrogate", "controls"],
)
def test_strings_from_tokens_are_escaped_into_one_ascii_line(subject: str) -> None:
    # GIVEN a verified token whose subject carries JSON-breaking or non-ASCII text
    capture = Capture(logging.INFO)
    # WHEN it is decided
    decided(capture, subject=subject)
    # THEN exactly one line is written, pure ASCII, and the subject reads back unchanged
    text = capture.text()
    assert text.count("\n") == 1
    assert text.isascii()
    assert [record["sub"] for record in capture.records()] == [subject]


def test_strings_in_a_rejection_detail_and_correlation_id_are_escaped() -> None:
    capture = Capture(logging.INFO)
    capture.telemetry.rejected(Reason.MALFORMED, CONTEXT, 'id"\n\ud800', 'unreadable header: "\\\n\udc00')
    text = capture.text()
    assert text.count("\n") == 1
    assert text.isascii()
    assert [(r["correlation_id"], r["detail"]) for r in capture.records()] == [
        ('id"\n\ud800', 'unreadable header: "\\\n\udc00')
    ]


def test_function_members_follow_the_invoked_arn() -> None:
    # GIVEN one environment invoked unqualified, then through an alias (Lambda's ARN then names it)
    capture = Capture(logging.INFO)
    alias_arn = f"{CONTEXT.invoked_function_arn}:live"
    decided(capture)
    decided(capture, context=LambdaContext("authorizer-fn", 256, alias_arn, "lambda-request-8"))
    decided(capture)
    # THEN each line names the ARN and request it was invoked with
    assert [(r["function_arn"], r["function_request_id"]) for r in capture.records()] == [
        (CONTEXT.invoked_function_arn, "lambda-request-7"),
        (alias_arn, "lambda-request-8"),
        (CONTEXT.invoked_function_arn, "lambda-request-7"),
    ]


def test_count_writes_an_emf_document_by_service_and_issuer() -> None:
    capture = Capture(logging.INFO)
    before = now_ms()
    capture.telemetry.count("KeySet_fetch_failed", issuer="https://tenant.auth0.com/")
    after = now_ms()
    assert [settled(record, before, after) for record in capture.records()] == [
        {
            "_aws": {
                "Timestamp": "<ms>",
                "CloudWatchMetrics": [
                    {
                        "Namespace": NAMESPACE,
                        "Dimensions": [["service", "issuer"]],
                        "Metrics": [{"Name": "KeySet_fetch_failed", "Unit": "Count"}],
                    }
                ],
            },
            "service": SERVICE,
            "issuer": "https://tenant.auth0.com/",
            "KeySet_fetch_failed": 1,
        }
    ]


def test_count_ignores_the_log_level_and_leaves_the_cold_start_to_the_first_decision() -> None:
    # GIVEN a logger hiding everything below CRITICAL, and key-set events before the first decision
    capture = Capture(logging.CRITICAL)
    capture.telemetry.count("KeySet_serving_stale", issuer="https://tenant.auth0.com/")
    capture.telemetry.count("KeySet_serving_stale", issuer="https://tenant.auth0.com/")
    # WHEN the logger is opened up and the first decision is made
    capture.logger.setLevel(logging.INFO)
    decided(capture)
    # THEN both counts went out, and the decision is still the cold start
    assert [(list(record), record.get("cold_start")) for record in capture.records()] == [
        (["_aws", "service", "issuer", "KeySet_serving_stale"], None),
        (["_aws", "service", "issuer", "KeySet_serving_stale"], None),
        (DECIDED_KEYS, True),
    ]


def test_a_hidden_decision_still_uses_up_the_cold_start() -> None:
    # GIVEN the first decision of the environment hidden by the log level
    capture = Capture(logging.WARNING)
    decided(capture)
    # WHEN a later, visible decision is made
    capture.telemetry.rejected(Reason.EXPIRED, CONTEXT, "r", "Signature has expired")
    # THEN it is not the cold start (the invocation that was is the hidden one)
    assert [record.get("cold_start") for record in capture.records()] == [None, False]


def test_trace_id_is_added_from_the_environment_when_trace_ids_are_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN tracing on and Lambda's trace header in the environment
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    monkeypatch.setenv("_X_AMZN_TRACE_ID", trace)
    capture = Capture(logging.INFO, trace_ids=True)
    before = now_ms()
    # WHEN a decision is made
    capture.telemetry.rejected(Reason.BAD_SIGNATURE, CONTEXT, CONTEXT.aws_request_id, "bad signature")
    after = now_ms()
    # THEN the line carries the trace id, after the correlation id as Powertools Logger puts it
    records = capture.records()
    assert [settled(record, before, after) for record in records] == [
        {
            "_aws": {"Timestamp": "<ms>", "CloudWatchMetrics": DECISION_DIRECTIVE},
            "service": SERVICE,
            "reason": "bad_signature",
            "Decision": 1,
            "level": "WARNING",
            "location": "decision",
            "message": "unauthorized",
            "timestamp": "<timestamp>",
            "cold_start": True,
            **FUNCTION_MEMBERS,
            "correlation_id": "lambda-request-7",
            "xray_trace_id": trace,
            "detail": "bad signature",
        }
    ]
    assert [list(record) for record in records] == [[*LOG_KEYS, "correlation_id", "xray_trace_id", "detail"]]


def test_trace_id_is_read_per_decision(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN tracing on: each invocation has its own trace header, and a local run may have none
    capture = Capture(logging.INFO, trace_ids=True)
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-00000000-000000000000000000000001")
    decided(capture)
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-00000000-000000000000000000000002")
    decided(capture)
    monkeypatch.delenv("_X_AMZN_TRACE_ID")
    decided(capture)
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "")
    decided(capture)
    assert [record.get("xray_trace_id") for record in capture.records()] == [
        "Root=1-00000000-000000000000000000000001",
        "Root=1-00000000-000000000000000000000002",
        None,
        None,
    ]


def test_no_trace_id_when_trace_ids_are_off(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN tracing off, even with a trace header in the environment
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")
    capture = Capture(logging.INFO, trace_ids=False)
    # WHEN decisions are made
    decided(capture)
    capture.telemetry.rejected(Reason.EXPIRED, CONTEXT, "r", "Signature has expired")
    # THEN no line carries a trace id
    assert [list(record) for record in capture.records()] == [DECIDED_KEYS, REJECTED_KEYS]


def test_rejection_detail_is_cut_to_a_bounded_length() -> None:
    capture = Capture()
    capture.telemetry.rejected(Reason.UNKNOWN_KEY, CONTEXT, "request-1", "unknown kid '" + "k" * 10_000 + "'")
    (record,) = capture.records()
    detail = record["detail"]
    assert (len(detail), detail[:13], detail[-2:]) == (MAX_DETAIL, "unknown kid '", "k…")
