"""The decision: verify the token, work out what its scopes grant, and answer API Gateway."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from oauth_authorizer.errors import Reason
from oauth_authorizer.events import AuthorizationRequest
from oauth_authorizer.policy import RouteAuthority, iam_response, parse_arn, simple_response
from oauth_authorizer.senders import SenderConstraints
from oauth_authorizer.tokens import Claims, TokenVerifier, credentials

if TYPE_CHECKING:  # imported by app.py only when revocation is on
    from oauth_authorizer.revocation import RevocationCheck


class Decision(NamedTuple):
    """A valid token's answer; `reason` says whether the called route itself is allowed."""

    reason: Reason
    claims: Claims
    route: str
    response: dict[str, Any]


def authorize(
    request: AuthorizationRequest,
    verifier: TokenVerifier,
    senders: SenderConstraints,
    authority: RouteAuthority,
    revocations: RevocationCheck | None = None,
) -> Decision:
    """Raises Rejected (→ 401) for any token failure; otherwise answers with what the scopes allow."""
    parse_arn(request.arn)  # a bad event is refused before the token is looked at
    presented = credentials(request.authorization)
    claims = verifier.verify(presented.token)  # may be a cache hit: the token only, never the proof
    senders.check(request, presented, claims)  # the proof and the binding: on every request
    if revocations is not None:  # on every request too: a cache hit may have been revoked since
        revocations.check(claims)
    answer = authority.answer(request.kind, request.arn, request.route_key, claims.scopes)
    if answer.policy is None:
        response = simple_response(claims, answer.allowed)
    else:
        response = iam_response(claims, answer.policy)
    reason = Reason.ALLOWED if answer.allowed else Reason.INSUFFICIENT_SCOPE
    return Decision(reason, claims, answer.route, response)
