"""Decision → API Gateway answer: a cache-safe IAM policy (or an HTTP API simple response).

API Gateway caches one answer per token for every route, so the policy allows *every* route the
token's scopes permit, never only the route that was called. IAM's `*` also matches `/`, so where an
allowed wildcard would reach a route the token may not call, that route gets an explicit Deny.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerResponse,
    APIGatewayAuthorizerResponseV2,
)

from oauth_authorizer.errors import BadEvent
from oauth_authorizer.routes import ANY_METHOD, HTTP_METHODS, Route, RouteTable, SegmentKind
from oauth_authorizer.tokens import Claims

_ARN_FIELDS = {
    "partition": re.compile(r"^aws(-[a-z]+)*$"),
    "region": re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$"),
    "account": re.compile(r"^\d{12}$"),
    "api_id": re.compile(r"^[a-z0-9]+$"),
    "stage": re.compile(r"^[A-Za-z0-9_$-]+$"),
}

ContextValue = str | int | float | bool


@dataclass(frozen=True, slots=True)
class MethodArn:
    """The called method's ARN (a REST methodArn or an HTTP API routeArn), taken apart."""

    partition: str
    region: str
    account: str
    api_id: str
    stage: str
    method: str
    path: str  # without the leading slash, as in the ARN

    @staticmethod
    def parse(arn: str) -> MethodArn:
        """Split and check every part: they are copied into the policy, so none may hold a wildcard."""
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or parts[2] != "execute-api":
            raise BadEvent("not an execute-api ARN")
        api_id, _, rest = parts[5].partition("/")
        stage, _, rest = rest.partition("/")
        method, _, path = rest.partition("/")
        parsed = MethodArn(parts[1], parts[3], parts[4], api_id, stage, method, path)
        for field, pattern in _ARN_FIELDS.items():
            if not pattern.match(getattr(parsed, field)):
                raise BadEvent(f"ARN {field} is not valid")
        if method not in HTTP_METHODS or "*" in path:
            raise BadEvent("ARN method or path is not valid")
        return parsed


@dataclass(frozen=True, slots=True)
class Grant:
    """The routes one set of scopes may call, and the routes needing an explicit Deny."""

    allowed: tuple[Route, ...]
    denied: tuple[Route, ...]

    def allows(self, method: str, path: str) -> bool:
        """IAM's evaluation of this grant's policy for a concrete request: explicit Deny wins."""
        target = f"{method}/{path.lstrip('/')}"
        if any(fnmatchcase(target, _resource(route)) for route in self.denied):
            return False
        return any(fnmatchcase(target, _resource(route)) for route in self.allowed)


@lru_cache(maxsize=256)  # tokens carry few distinct scope sets; the table never changes
def grant_for(table: RouteTable, scopes: frozenset[str]) -> Grant:
    allowed = tuple(route for route in table.routes if route.permits(scopes))
    forbidden = [route for route in table.routes if not route.permits(scopes)]
    denied = tuple(route for route in forbidden if any(_reaches(a, route) for a in allowed))
    return Grant(allowed, denied)


def context_for(claims: Claims) -> dict[str, ContextValue]:
    """The flat authorizer context; built from typed claims, so a token cannot add or nest keys."""
    return {
        "sub": claims.subject,
        "scope": " ".join(sorted(claims.scopes)),
        "client_id": claims.client_id,
        "grant_type": claims.grant_type,
        "exp": claims.expires_at,
    }


def iam_response(claims: Claims, arn: MethodArn, grant: Grant) -> dict[str, Any]:
    response = APIGatewayAuthorizerResponse(
        principal_id=claims.subject,
        region=arn.region,
        aws_account_id=arn.account,
        api_id=arn.api_id,
        stage=arn.stage,
        context=context_for(claims),
        partition=arn.partition,
    )
    for route in grant.allowed:
        response.allow_route(http_method=route.method, resource=route.resource_glob)
    for route in grant.denied:
        response.deny_route(http_method=route.method, resource=route.resource_glob)
    if not grant.allowed:
        response.deny_all_routes()
    return response.asdict()


def simple_response(claims: Claims, authorized: bool) -> dict[str, Any]:
    return APIGatewayAuthorizerResponseV2(authorize=authorized, context=context_for(claims)).asdict()


def _resource(route: Route) -> str:
    return f"{route.method}/{route.resource_glob.lstrip('/')}"


# --- Does an allowed route's IAM pattern match a request that API Gateway routes to `denied`? ---
#
# Both sides are small automata over the characters of "METHOD/path": the allowed side is the IAM
# pattern (`*` = any characters, `/` included), the denied side the requests its template accepts
# (`{param}` = one or more characters other than `/`, `{proxy+}` = one or more characters). A
# breadth-first walk over pairs of positions finds whether some request is accepted by both.

_ANY, _NOT_SLASH = "any", "not-slash"
Atom = tuple[str, str, bool]  # (kind: "lit" | _ANY | _NOT_SLASH, literal char, repeats)


def _reaches(allowed: Route, denied: Route) -> bool:
    if allowed.specificity > denied.specificity:
        # API Gateway sends requests matching both to `allowed`; only what its pattern matches beyond
        # its own requests (a `*` spanning a `/`) can reach `denied`.
        if allowed.has_proxy or "*" not in _resource(allowed):
            return False
        return _overlaps(
            _pattern_atoms(allowed), _request_atoms(denied), slashes=_resource(allowed).count("/")
        )
    return _overlaps(_pattern_atoms(allowed), _request_atoms(denied), slashes=None)


def _pattern_atoms(route: Route) -> tuple[Atom, ...]:
    return tuple((_ANY, "", True) if ch == "*" else ("lit", ch, False) for ch in _resource(route))


def _request_atoms(route: Route) -> tuple[Atom, ...]:
    atoms: list[Atom] = []
    if route.method == ANY_METHOD:
        atoms += [(_NOT_SLASH, "", False), (_NOT_SLASH, "", True)]
    else:
        atoms += [("lit", ch, False) for ch in route.method]
    for segment, kind in zip(route.segments, route.kinds, strict=True):
        atoms.append(("lit", "/", False))
        if kind is SegmentKind.LITERAL:
            atoms += [("lit", ch, False) for ch in segment]
        else:
            cls = _ANY if kind is SegmentKind.PROXY else _NOT_SLASH
            atoms += [(cls, "", False), (cls, "", True)]
    if not route.segments:
        atoms.append(("lit", "/", False))
    return tuple(atoms)


def _shared(a: Atom, b: Atom) -> frozenset[bool]:
    """For a character both atoms accept: the possible answers to "is it `/`?" (empty: none fits)."""
    if a[0] == "lit" and b[0] == "lit":
        return frozenset({a[1] == "/"}) if a[1] == b[1] else frozenset()
    if a[0] == "lit" or b[0] == "lit":
        char, other = (a[1], b) if a[0] == "lit" else (b[1], a)
        if char == "/":
            return frozenset({True}) if other[0] == _ANY else frozenset()
        return frozenset({False})
    if a[0] == _ANY and b[0] == _ANY:
        return frozenset({True, False})
    return frozenset({False})


@lru_cache(maxsize=4096)
def _overlaps(left: tuple[Atom, ...], right: tuple[Atom, ...], slashes: int | None) -> bool:
    """Whether some string is accepted by both; with `slashes`, one whose count of `/` differs from it."""
    cap = (slashes or 0) + 1
    start = (0, 0, 0)
    seen = {start}
    queue = [start]
    while queue:
        i, j, count = queue.pop()
        if i == len(left) and j == len(right) and (slashes is None or count != slashes):
            return True
        moves: list[tuple[int, int, int]] = []
        if i < len(left) and left[i][2]:
            moves.append((i + 1, j, count))
        if j < len(right) and right[j][2]:
            moves.append((i, j + 1, count))
        if i < len(left) and j < len(right):
            ni = i if left[i][2] else i + 1
            nj = j if right[j][2] else j + 1
            for is_slash in _shared(left[i], right[j]):
                moves.append((ni, nj, min(count + 1, cap) if is_slash and slashes is not None else count))
        for move in moves:
            if move not in seen:
                seen.add(move)
                queue.append(move)
    return False
