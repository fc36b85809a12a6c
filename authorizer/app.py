"""Lambda entry point of the authorizer: event in, decision out. The logic lives in oauth_authorizer."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.metrics import Metrics, MetricUnit, single_metric
from aws_lambda_powertools.utilities.typing import LambdaContext

from oauth_authorizer.authorize import authorize
from oauth_authorizer.errors import Reason, Rejected
from oauth_authorizer.events import read_event
from oauth_authorizer.keys import KeySetCache, KeySetEvent
from oauth_authorizer.settings import load_settings
from oauth_authorizer.tokens import TokenVerifier

# Cold start: a bad setting raises ConfigurationError naming the variable, so the function never runs.
SETTINGS = load_settings(os.environ)
logger = Logger()
metrics = Metrics()


def _on_key_set_event(event: KeySetEvent, detail: str) -> None:
    if event is KeySetEvent.FETCHED:
        logger.info("key set fetched", extra={"key_set": detail})
        return
    logger.warning(f"key set {event.value}", extra={"key_set": detail})
    with single_metric(name=f"KeySet_{event.value}", unit=MetricUnit.Count, value=1) as metric:
        metric.add_dimension(name="service", value=str(metrics.service))


KEYS = KeySetCache.for_settings(SETTINGS, listener=_on_key_set_event)
VERIFIER = TokenVerifier(SETTINGS, KEYS)


def _count(reason: Reason) -> None:
    metrics.add_dimension(name="reason", value=reason.value)
    metrics.add_metric(name="Decision", unit=MetricUnit.Count, value=1)


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        request = read_event(event)
        logger.set_correlation_id(request.request_id or context.aws_request_id)
        decision = authorize(request, VERIFIER, SETTINGS.routes, simple_responses=SETTINGS.simple_responses)
    except Rejected as exc:
        # The reason and a token-free detail only: never the token, the header or the event.
        logger.warning("unauthorized", extra={"reason": exc.reason.value, "detail": str(exc)})
        _count(exc.reason)
        raise Exception("Unauthorized") from None  # API Gateway's one way to answer 401
    claims = decision.claims
    logger.info(
        "authorized",
        extra={
            "reason": decision.reason.value,
            "sub": claims.subject,
            "client_id": claims.client_id,
            "route": decision.route,
        },
    )
    _count(decision.reason)
    return decision.response


if os.environ.get("POWERTOOLS_TRACE_DISABLED", "true").strip().lower() == "false":
    # Only here: instantiating the Tracer costs ~150 ms of cold start.
    from aws_lambda_powertools.tracing import Tracer

    lambda_handler = Tracer().capture_lambda_handler(lambda_handler)
