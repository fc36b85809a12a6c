"""The decision: verify the token, work out what its scopes grant, and answer API Gateway."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from oauth_authorizer.errors import Reason
from oauth_authorizer.events import AuthorizationRequest, EventKind
from oauth_authorizer.policy import MethodArn, grant_for, iam_response, simple_response
from oauth_authorizer.routes import RouteTable
from oauth_authorizer.tokens import Claims, TokenVerifier, bearer_token


@dataclass(frozen=True, slots=True)
class Decision:
    """A valid token's answer; `reason` says whether the called route itself is allowed."""

    reason: Reason
    claims: Claims
    route: str
    response: dict[str, Any]


def authorize(
    request: AuthorizationRequest, verifier: TokenVerifier, routes: RouteTable, *, simple_responses: bool
) -> Decision:
    """Raises Rejected (→ 401) for any token failure; otherwise answers with what the scopes allow."""
    arn = MethodArn.parse(request.arn)
    claims = verifier.verify(bearer_token(request.authorization))
    route = (request.route_key and routes.find(request.route_key)) or routes.match(arn.method, "/" + arn.path)
    route_name = route.key if route else "(no route)"
    if request.kind is EventKind.HTTP_V2 and simple_responses:
        # A simple response answers for the called route only: it must not be cached across routes.
        allowed = route is not None and route.permits(claims.scopes)
        response = simple_response(claims, allowed)
    else:
        grant = grant_for(routes, claims.scopes)
        allowed = grant.allows(arn.method, arn.path)
        response = iam_response(claims, arn, grant)
    reason = Reason.ALLOWED if allowed else Reason.INSUFFICIENT_SCOPE
    return Decision(reason=reason, claims=claims, route=route_name, response=response)
