"""Lambda entry point of the authorizer: event in, decision out. The logic lives in oauth_authorizer."""

from __future__ import annotations

import logging
import os
from typing import Any

from oauth_authorizer.authorize import authorize
from oauth_authorizer.errors import Rejected
from oauth_authorizer.events import read_event
from oauth_authorizer.keys import KeySetEvent, Listener, key_resolvers
from oauth_authorizer.policy import RouteAuthority
from oauth_authorizer.senders import SenderConstraints
from oauth_authorizer.settings import load_settings
from oauth_authorizer.snapstart import register as register_snapstart_hooks
from oauth_authorizer.telemetry import LambdaContextLike, Telemetry, stdout_logger
from oauth_authorizer.token_cache import VerifiedTokens
from oauth_authorizer.tokens import Claims, TokenVerifier

# Cold start: a bad setting raises ConfigurationError naming the variable, so the function never runs.
SETTINGS = load_settings(os.environ)
# Powertools' variables and field names, without importing Powertools (telemetry.py says why).
SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "").strip() or "service_undefined"
TRACING = os.environ.get("POWERTOOLS_TRACE_DISABLED", "true").strip().lower() == "false"
TELEMETRY = Telemetry(
    service=SERVICE,
    namespace=SETTINGS.metrics_namespace,
    logger=stdout_logger(SERVICE, os.environ),
    trace_ids=TRACING,
)
# The invocation that key-set lines belong to (Powertools' inject_lambda_context costs more than a
# cached decision; these two keys are all that the rare key-set lines need).
_invocation: dict[str, str] = {}


def _key_set_listener(issuer: str) -> Listener:
    """Logs and counts one issuer's key-set events, labelled with that issuer."""

    def on_event(event: KeySetEvent, detail: str) -> None:
        level = logging.INFO if event is KeySetEvent.FETCHED else logging.WARNING
        TELEMETRY.key_set(
            level, f"key set {event.value}", issuer=issuer, detail=detail, invocation=_invocation
        )
        if event is not KeySetEvent.FETCHED:
            TELEMETRY.count(f"KeySet_{event.value}", issuer=issuer)

    return on_event


def _on_revocation_list(event: str, detail: str) -> None:
    """Logs and counts the revocation list's events (token_revocation.cache.ListEvent: a failed read, a
    stale list in force)."""
    level = logging.INFO if event == "read" else logging.WARNING
    TELEMETRY.revocation_list(level, f"revocation list {event}", detail=detail, invocation=_invocation)
    if event != "read":
        TELEMETRY.count_event(f"RevocationList_{event}")


# One key set per issuer, nothing fetched yet: each is loaded on the first token that names its issuer
# (an inline key set is parsed here, and a key that suits no allowed algorithm fails the cold start).
KEYS = key_resolvers(SETTINGS, _key_set_listener)
TOKENS: VerifiedTokens[Claims] | None = (
    VerifiedTokens(max_age_seconds=SETTINGS.token_cache_seconds) if SETTINGS.token_cache_seconds else None
)
VERIFIER = TokenVerifier(SETTINGS, KEYS, TOKENS)
# DPoP proofs and certificate bindings, per request (DPoP's modules load only if an issuer uses DPoP).
SENDERS = SenderConstraints(SETTINGS)
AUTHORITY = RouteAuthority(SETTINGS.routes, simple_responses=SETTINGS.simple_responses)
# The revocation list (REVOCATION_TABLE): read on the first decision, then at most every few seconds. Its
# modules (the revocation layer's) are imported only when it is on.
REVOCATIONS = None
if SETTINGS.revocation is not None:
    from oauth_authorizer.revocation import RevocationCheck

    REVOCATIONS = RevocationCheck.from_settings(SETTINGS.revocation, _on_revocation_list)
# Only run with SnapStart: fetch the keys before the snapshot, distrust what it carries after a restore.
SNAPSTART_HOOKS = register_snapstart_hooks(KEYS, TOKENS, None if REVOCATIONS is None else REVOCATIONS.cache)


def lambda_handler(event: dict[str, Any], context: LambdaContextLike) -> dict[str, Any]:
    correlation_id = context.aws_request_id
    _invocation["function_request_id"] = _invocation["correlation_id"] = correlation_id
    try:
        request = read_event(event)
        if request.request_id:
            correlation_id = _invocation["correlation_id"] = request.request_id
        decision = authorize(request, VERIFIER, SENDERS, AUTHORITY, REVOCATIONS)
    except Rejected as exc:
        TELEMETRY.rejected(exc.reason, context, correlation_id, str(exc))
        raise Exception("Unauthorized") from None  # API Gateway's one way to answer 401
    claims = decision.claims
    TELEMETRY.decided(
        decision.reason,
        context,
        correlation_id,
        subject=claims.subject,
        issuer=claims.issuer,
        client_id=claims.client_id,
        route=decision.route,
    )
    return decision.response


if TRACING:
    # Only here: instantiating the Tracer costs ~150 ms of cold start.
    from aws_lambda_powertools.tracing import Tracer

    lambda_handler = Tracer().capture_lambda_handler(lambda_handler)
