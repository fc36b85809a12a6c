"""One JSON line per decision: the structured log record and its CloudWatch EMF metric in one.

Hand-written on purpose. The authorizer sits on every request, and one Powertools Logger line costs
about as much as the RSA signature check itself (the logging module's record, caller lookup and
formatter), with a Powertools Metrics flush on top. A decision line here is one `json.dumps` of a flat
dict behind a constant prefix. The field names are Powertools Logger's, so one Logs Insights query
reads these lines and the Powertools ones alike. The rarer lines (key-set events) still go through
Powertools Logger.

The line is also an Embedded Metric Format document (the `_aws` member), so CloudWatch counts the
`Decision` metric by `service` and `reason` from it. Metrics never depend on the log level: when the
level hides a decision, its line still goes out with the metric members only.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Mapping
from json.encoder import encode_basestring_ascii
from typing import Protocol

from oauth_authorizer.errors import Reason

DECISION_METRIC = "Decision"
MAX_DETAIL = 200
_REASON_MEMBERS = {reason: f',"reason":"{reason.value}","{DECISION_METRIC}":1' for reason in Reason}
# A decision line's level and message: every valid token's is INFO "authorized", every 401's WARNING.
_LOG_HEADS = {
    logging.INFO: ',"level":"INFO","location":"decision","message":"authorized"',
    logging.WARNING: ',"level":"WARNING","location":"decision","message":"unauthorized"',
}
_DUMPS = json.JSONEncoder(separators=(",", ":")).encode
# A str as a JSON string literal, with json.dumps's own C encoder. ASCII-only output: a lone surrogate
# from a token's JSON cannot make the write fail.
_text = encode_basestring_ascii


# Powertools Logger's level names, and the Lambda Advanced Logging Controls' ones it maps (ALC wins).
_LEVELS = {"TRACE": logging.DEBUG, "DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARN": logging.WARNING}
_LEVELS |= {"WARNING": logging.WARNING, "ERROR": logging.ERROR, "CRITICAL": logging.CRITICAL}
_LEVELS |= {"FATAL": logging.CRITICAL}
_LEVEL_NAMES = {logging.DEBUG: "DEBUG", logging.INFO: "INFO", logging.WARNING: "WARNING"}
_LEVEL_NAMES |= {logging.ERROR: "ERROR", logging.CRITICAL: "CRITICAL"}


def log_level(environ: Mapping[str, str]) -> int:
    """The level as Powertools Logger picks it: AWS_LAMBDA_LOG_LEVEL (Advanced Logging Controls), then
    POWERTOOLS_LOG_LEVEL, then LOG_LEVEL, else INFO; an unknown name is INFO."""
    for variable in ("AWS_LAMBDA_LOG_LEVEL", "POWERTOOLS_LOG_LEVEL", "LOG_LEVEL"):
        name = environ.get(variable, "").strip().upper()
        if name:
            return _LEVELS.get(name, logging.INFO)
    return logging.INFO


def stdout_logger(service: str, environ: Mapping[str, str]) -> logging.Logger:
    """The stdlib logger named after the service, writing to stdout at `log_level`, as Powertools
    Logger sets it up (one stream handler, not propagated to the root logger). Telemetry writes its
    lines to that handler's stream; Lambda sends stdout to CloudWatch Logs."""
    logger = logging.getLogger(service)
    if not any(type(handler) is logging.StreamHandler for handler in logger.handlers):
        logger.addHandler(logging.StreamHandler(sys.stdout))
    logger.setLevel(log_level(environ))
    logger.propagate = False
    return logger


def _directive(namespace: str, dimensions: list[str], metric: str) -> str:
    """An EMF `CloudWatchMetrics` value: one Count metric under one dimension set."""
    return _DUMPS(
        [{"Namespace": namespace, "Dimensions": [dimensions], "Metrics": [{"Name": metric, "Unit": "Count"}]}]
    )


class LambdaContextLike(Protocol):
    @property
    def function_name(self) -> str: ...
    @property
    def memory_limit_in_mb(self) -> int: ...
    @property
    def invoked_function_arn(self) -> str: ...
    @property
    def aws_request_id(self) -> str: ...


class Telemetry:
    """Writes decision lines (log + EMF) and key-set metric lines to the logger's own stream.

    `logger` is the stdlib logger behind the Powertools Logger: its level decides which decision
    lines carry the log fields, and its stream handler is where every line goes. `trace_ids` adds
    X-Ray's trace id to each line (read from the environment per call, so only when tracing is on).
    """

    def __init__(
        self, *, service: str, namespace: str, logger: logging.Logger, trace_ids: bool = False
    ) -> None:
        self._logger = logger
        self._handler = next(h for h in logger.handlers if type(h) is logging.StreamHandler)
        self._trace_ids = trace_ids
        self._namespace = namespace
        self._service_member = f'"service":{_text(service)}'
        # Everything that is the same on every decision line, serialised once.
        directive = _directive(namespace, ["service", "reason"], DECISION_METRIC)
        self._decision_directive = f',"CloudWatchMetrics":{directive}}},{self._service_member}'
        self._function_arn = ""
        self._function_members = ""
        self._cold_start = True
        self._second = -1
        self._second_text = ""
        self._zone = ""

    def decided(
        self,
        reason: Reason,
        context: LambdaContextLike,
        correlation_id: str,
        *,
        subject: str,
        issuer: str,
        client_id: str,
        route: str,
    ) -> None:
        """A valid token's decision (allowed, or insufficient_scope for the called route)."""
        members = (
            f',"sub":{_text(subject)},"iss":{_text(issuer)}'
            f',"client_id":{_text(client_id)},"route":{_text(route)}'
        )
        self._decision(logging.INFO, reason, context, correlation_id, members)

    def rejected(self, reason: Reason, context: LambdaContextLike, correlation_id: str, detail: str) -> None:
        """A 401: the reason and a token-free detail, never the token, the header or the event.

        The detail may quote a value from the token's header (an unknown `kid`), so it is cut to
        MAX_DETAIL characters: a hostile token cannot turn each rejection into kilobytes of log.
        """
        if len(detail) > MAX_DETAIL:
            detail = detail[: MAX_DETAIL - 1] + "…"
        self._decision(logging.WARNING, reason, context, correlation_id, f',"detail":{_text(detail)}')

    def _decision(
        self, level: int, reason: Reason, context: LambdaContextLike, correlation_id: str, members: str
    ) -> None:
        now_ms = int(time.time() * 1000)  # one instant for the metric and the log timestamp
        cold_start, self._cold_start = self._cold_start, False
        metric = f'{{"_aws":{{"Timestamp":{now_ms}{self._decision_directive}{_REASON_MEMBERS[reason]}'
        if not self._logger.isEnabledFor(level):
            self._handler.stream.write(metric + "}\n")
            return
        request_id = _text(context.aws_request_id)
        correlation = request_id if correlation_id is context.aws_request_id else _text(correlation_id)
        trace = ""
        if self._trace_ids:
            trace_id = os.environ.get("_X_AMZN_TRACE_ID")
            trace = f',"xray_trace_id":{_text(trace_id)}' if trace_id else ""
        # Powertools Logger's keys, in its order; every string from outside is JSON-escaped.
        self._handler.stream.write(
            f"{metric}{_LOG_HEADS[level]}"
            f',"timestamp":"{self._timestamp(now_ms)}","cold_start":{"true" if cold_start else "false"}'
            f'{self._function(context)},"function_request_id":{request_id}'
            f',"correlation_id":{correlation}'
            f"{trace}{members}}}\n"
        )

    def key_set(
        self, level: int, message: str, *, issuer: str, detail: str, invocation: Mapping[str, str]
    ) -> None:
        """A key-set event's log line (Powertools Logger's keys), if the level lets it through.

        `invocation` holds the correlation_id and function_request_id of the invocation it happened in
        (none before the first one, e.g. in a SnapStart hook)."""
        if not self._logger.isEnabledFor(level):
            return
        now_ms = int(time.time() * 1000)
        members = "".join(f",{_text(name)}:{_text(value)}" for name, value in invocation.items())
        self._handler.stream.write(
            f'{{"level":"{_LEVEL_NAMES.get(level, "INFO")}","location":"key_set","message":{_text(message)}'
            f',"timestamp":"{self._timestamp(now_ms)}",{self._service_member}'
            f',"issuer":{_text(issuer)},"key_set":{_text(detail)}{members}}}\n'
        )

    def revocation_list(
        self, level: int, message: str, *, detail: str, invocation: Mapping[str, str]
    ) -> None:
        """A revocation-list event's log line (Powertools Logger's keys), if the level lets it through."""
        if not self._logger.isEnabledFor(level):
            return
        now_ms = int(time.time() * 1000)
        members = "".join(f",{_text(name)}:{_text(value)}" for name, value in invocation.items())
        self._handler.stream.write(
            f'{{"level":"{_LEVEL_NAMES.get(level, "INFO")}","location":"revocation_list"'
            f',"message":{_text(message)},"timestamp":"{self._timestamp(now_ms)}",{self._service_member}'
            f',"revocation_list":{_text(detail)}{members}}}\n'
        )

    def count_event(self, metric: str) -> None:
        """A one-off count of a function-wide event (dimension `service`)."""
        directive = _directive(self._namespace, ["service"], metric)
        self._handler.stream.write(
            f'{{"_aws":{{"Timestamp":{int(time.time() * 1000)},"CloudWatchMetrics":{directive}}},'
            f"{self._service_member},{_text(metric)}:1}}\n"
        )

    def count(self, metric: str, *, issuer: str) -> None:
        """A one-off count of an issuer's key-set event (dimensions `service` and `issuer`)."""
        directive = _directive(self._namespace, ["service", "issuer"], metric)
        self._handler.stream.write(
            f'{{"_aws":{{"Timestamp":{int(time.time() * 1000)},"CloudWatchMetrics":{directive}}},'
            f'{self._service_member},"issuer":{_text(issuer)},{_text(metric)}:1}}\n'
        )

    def _function(self, context: LambdaContextLike) -> str:
        """The function's own members (the same on every invocation of an environment), serialised once."""
        if context.invoked_function_arn != self._function_arn:
            self._function_arn = context.invoked_function_arn
            self._function_members = (
                f',"function_name":{_text(context.function_name)}'
                f',"function_memory_size":{int(context.memory_limit_in_mb)}'
                f',"function_arn":{_text(context.invoked_function_arn)}'
            )
        return self._function_members

    def _timestamp(self, now_ms: int) -> str:
        """Powertools Logger's default format, '2026-11-29 09:15:02,042+0000', in local time."""
        second, milliseconds = divmod(now_ms, 1000)
        if second != self._second:
            local = time.localtime(second)
            self._second = second
            self._second_text = time.strftime("%Y-%m-%d %H:%M:%S,", local)
            self._zone = time.strftime("%z", local)
        return f"{self._second_text}{milliseconds:03d}{self._zone}"
