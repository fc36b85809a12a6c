"""The example HTTP API's one function: answers with the route and the caller as the authorizer saw it.

Payload format 2.0: the route is `routeKey`, and the authorizer's context is
`requestContext.authorizer.lambda` (simple responses and IAM policies alike). The authorizer has checked the
token and the route's scopes.
"""

from __future__ import annotations

import json
from typing import Any

# The context keys the authorizer sets (oauth_authorizer.policy.context_for); nothing else is echoed.
CALLER_KEYS = ("sub", "iss", "scope", "client_id", "exp")


def lambda_handler(event: dict[str, Any], _context: object) -> dict[str, Any]:
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    claims = authorizer.get("lambda") or {}
    body = {
        "route": event.get("routeKey"),
        "caller": {key: claims.get(key) for key in CALLER_KEYS},
        "pathParameters": event.get("pathParameters") or {},
    }
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body, sort_keys=True),
    }
