"""Key-set log lines and the log level, written without Powertools in Powertools Logger's shape."""

from __future__ import annotations

import logging
import sys
from typing import Any

import pytest
from test_auth_telemetry import POWERTOOLS_TIMESTAMP, SERVICE, Capture

from oauth_authorizer.telemetry import log_level, stdout_logger


def lines(capture: Capture) -> list[dict[str, Any]]:
    records = capture.records()
    for record in records:
        assert POWERTOOLS_TIMESTAMP.match(record.pop("timestamp"))
    return records


def test_a_key_set_line_has_powertools_logger_keys_and_the_invocation_ids() -> None:
    capture = Capture()
    invocation = {"function_request_id": "req-1", "correlation_id": "corr-1"}
    capture.telemetry.key_set(
        logging.WARNING,
        "key set fetch_failed",
        issuer="https://i/",
        detail='HTTP 503 "x"',
        invocation=invocation,
    )
    assert capture.text().count("\n") == 1
    assert lines(capture) == [
        {
            "level": "WARNING",
            "location": "key_set",
            "message": "key set fetch_failed",
            "service": SERVICE,
            "issuer": "https://i/",
            "key_set": 'HTTP 503 "x"',
            "function_request_id": "req-1",
            "correlation_id": "corr-1",
        }
    ]


def test_a_key_set_line_outside_an_invocation_has_no_invocation_ids() -> None:
    capture = Capture()
    capture.telemetry.key_set(
        logging.INFO, "key set fetched", issuer="https://i/", detail="2 keys", invocation={}
    )
    assert lines(capture) == [
        {
            "level": "INFO",
            "location": "key_set",
            "message": "key set fetched",
            "service": SERVICE,
            "issuer": "https://i/",
            "key_set": "2 keys",
        }
    ]


def test_a_key_set_line_below_the_level_is_not_written() -> None:
    capture = Capture(logging.WARNING)
    capture.telemetry.key_set(
        logging.INFO, "key set fetched", issuer="https://i/", detail="2 keys", invocation={}
    )
    assert capture.text() == ""


@pytest.mark.parametrize(
    ("environ", "level"),
    [
        ({}, logging.INFO),
        ({"POWERTOOLS_LOG_LEVEL": "warning"}, logging.WARNING),
        ({"POWERTOOLS_LOG_LEVEL": " DEBUG "}, logging.DEBUG),
        ({"LOG_LEVEL": "ERROR"}, logging.ERROR),
        ({"POWERTOOLS_LOG_LEVEL": "WARNING", "LOG_LEVEL": "DEBUG"}, logging.WARNING),
        # Lambda's Advanced Logging Controls win, with their own names
        ({"AWS_LAMBDA_LOG_LEVEL": "WARN", "POWERTOOLS_LOG_LEVEL": "DEBUG"}, logging.WARNING),
        ({"AWS_LAMBDA_LOG_LEVEL": "TRACE"}, logging.DEBUG),
        ({"AWS_LAMBDA_LOG_LEVEL": "FATAL"}, logging.CRITICAL),
        ({"POWERTOOLS_LOG_LEVEL": "chatty"}, logging.INFO),
    ],
)
def test_log_level_is_read_as_powertools_logger_reads_it(environ: dict[str, str], level: int) -> None:
    assert log_level(environ) == level


def test_stdout_logger_has_one_stdout_handler_however_often_a_cold_start_runs() -> None:
    name = "test_auth_key_set_lines.service"
    first = stdout_logger(name, {"POWERTOOLS_LOG_LEVEL": "ERROR"})
    again = stdout_logger(name, {"POWERTOOLS_LOG_LEVEL": "INFO"})
    assert again is first
    # (pytest adds its own capture handlers to every logger while a test runs: subclasses, not counted)
    assert [handler for handler in first.handlers if type(handler) is logging.StreamHandler] == [
        first.handlers[0]
    ]
    assert (first.name, first.level, first.propagate) == (name, logging.INFO, False)
    assert getattr(first.handlers[0], "stream", None) is sys.stdout
