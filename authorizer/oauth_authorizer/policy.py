"""Decision → API Gateway answer: a cache-safe IAM policy (or an HTTP API simple response).

API Gateway caches one answer per token for every route, so the policy allows *every* route the
token's scopes permit, never only the route that was called. IAM's `*` also matches `/`, so where an
allowed wildcard would reach a route the token may not call, that route gets an explicit Deny.

The policy document is built here rather than with Powertools' `APIGatewayAuthorizerResponse`: the
class lives in the event data classes module, whose import pulls in every AWS event type (about a
quarter of the cold start), and the document is a few lines of JSON. `tests/authorizer` pins the
document's exact shape, the one Powertools produces.
"""

from __future__ import annotations

import re
from fnmatch import translate
from functools import lru_cache
from typing import Any, NamedTuple

from oauth_authorizer.errors import BadEvent
from oauth_authorizer.events import EventKind
from oauth_authorizer.routes import ANY_METHOD, HTTP_METHODS, Route, RouteTable, SegmentKind
from oauth_authorizer.tokens import Claims

# Matched with fullmatch: `$` would also match before a final newline ("123456789012\n").
_ARN_FIELDS = {
    "partition": re.compile(r"aws(-[a-z]+)*"),
    "region": re.compile(r"[a-z]{2}(-[a-z]+)+-\d+"),
    "account": re.compile(r"\d{12}"),
    "api_id": re.compile(r"[a-z0-9]+"),
    "stage": re.compile(r"[A-Za-z0-9_$-]+"),
}
# Distinct (methodArn, scopes) answers kept per warm environment: routes x scope sets seen.
ANSWER_CACHE_SIZE = 4096

ContextValue = str | int | float | bool


# Records are NamedTuples, not dataclasses: cheaper to create at import (docs/performance.md, "Performance").
class MethodArn(NamedTuple):
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
        for name, pattern in _ARN_FIELDS.items():
            if not pattern.fullmatch(getattr(parsed, name)):
                raise BadEvent(f"ARN {name} is not valid")
        if method not in HTTP_METHODS or "*" in path:
            raise BadEvent("ARN method or path is not valid")
        return parsed

    @property
    def stage_arn(self) -> str:
        """The ARN of the API stage: every route's resource ARN starts with it."""
        return f"arn:{self.partition}:execute-api:{self.region}:{self.account}:{self.api_id}/{self.stage}"


class Grant(NamedTuple):
    """The routes one set of scopes may call, and the routes needing an explicit Deny."""

    allowed: tuple[Route, ...]
    denied: tuple[Route, ...]
    # IAM's `*` is fnmatch's: each side's resource patterns compiled into one regex (from the routes).
    allow_pattern: re.Pattern[str] | None = None
    deny_pattern: re.Pattern[str] | None = None

    def allows(self, method: str, path: str) -> bool:
        """IAM's evaluation of this grant's policy for a concrete request: explicit Deny wins."""
        target = f"{method}/{path.lstrip('/')}"
        if self.deny_pattern is not None and self.deny_pattern.match(target):
            return False
        return self.allow_pattern is not None and self.allow_pattern.match(target) is not None


def grant_for(table: RouteTable, scopes: frozenset[str]) -> Grant:
    allowed = tuple(route for route in table.routes if route.permits(scopes))
    forbidden = [route for route in table.routes if not route.permits(scopes)]
    denied = tuple(route for route in forbidden if any(_reaches(a, route) for a in allowed))
    return Grant(allowed, denied, _compile(allowed), _compile(denied))


def _compile(routes: tuple[Route, ...]) -> re.Pattern[str] | None:
    if not routes:
        return None
    return re.compile("|".join(f"(?:{translate(_resource(route))})" for route in routes))


@lru_cache(maxsize=2048)  # a repeated token's claims are the same object: its context is built once
def context_for(claims: Claims) -> dict[str, ContextValue]:
    """The flat authorizer context (shared: read-only); built from typed claims, so a token cannot add
    or nest keys. `iat` and `jti` (when the token has them) let the handler check the revocation list."""
    context: dict[str, ContextValue] = {
        "sub": claims.subject,
        "iss": claims.issuer,
        "scope": " ".join(sorted(claims.scopes)),
        "client_id": claims.client_id,
        "grant_type": claims.grant_type,
        "exp": claims.expires_at,
    }
    if claims.issued_at is not None:
        context["iat"] = claims.issued_at
    if claims.token_id:
        context["jti"] = claims.token_id
    return context


def policy_document(stage_arn: str, grant: Grant) -> dict[str, Any]:
    """One Allow statement for the permitted routes, one Deny for the reachable forbidden ones."""
    statements: list[dict[str, Any]] = []
    if grant.allowed:
        statements.append(_statement("Allow", [_route_arn(stage_arn, route) for route in grant.allowed]))
    denied = [_route_arn(stage_arn, route) for route in grant.denied]
    if not grant.allowed:
        denied.append(f"{stage_arn}/*/*")  # nothing permitted: deny every route
    if denied:
        statements.append(_statement("Deny", denied))
    return {"Version": "2012-10-17", "Statement": statements}


def iam_response(claims: Claims, policy: dict[str, Any]) -> dict[str, Any]:
    return {"principalId": claims.subject, "policyDocument": policy, "context": context_for(claims)}


def simple_response(claims: Claims, authorized: bool) -> dict[str, Any]:
    return {"isAuthorized": authorized, "context": context_for(claims)}


def _statement(effect: str, resources: list[str]) -> dict[str, Any]:
    return {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resources}


def _resource(route: Route) -> str:
    return f"{route.method}/{route.resource_glob.lstrip('/')}"


def _route_arn(stage_arn: str, route: Route) -> str:
    return f"{stage_arn}/{_resource(route)}"


# methodArns repeat (one per route and stage, plus path parameters): parse and check each once.
parse_arn = lru_cache(maxsize=1024)(MethodArn.parse)


class RouteAnswer(NamedTuple):
    """What a token's scopes get on one called route: its name, the verdict, and the IAM policy."""

    route: str
    allowed: bool
    policy: dict[str, Any] | None  # None for HTTP API simple responses


class RouteAuthority:
    """Answers (called route, scopes) → RouteAnswer, memoised for the life of the environment.

    An answer depends only on the route table (fixed at cold start), the called ARN and the scope
    set, never on who the caller is, so it is computed once and shared. The cached policy dict is
    shared between responses too: treat it as read-only.
    """

    def __init__(self, table: RouteTable, *, simple_responses: bool) -> None:
        self.table = table
        self._simple_responses = simple_responses
        self._answer = lru_cache(maxsize=ANSWER_CACHE_SIZE)(self._compute)
        # Tokens carry few distinct scope sets; one policy per (stage, scope set) serves every route.
        self._grant = lru_cache(maxsize=256)(self._grant_for)
        self._policy = lru_cache(maxsize=256)(self._policy_for)

    def answer(self, kind: EventKind, arn: str, route_key: str | None, scopes: frozenset[str]) -> RouteAnswer:
        """`arn` must already have passed `parse_arn` (BadEvent is raised before the token is read)."""
        simple = kind is EventKind.HTTP_V2 and self._simple_responses
        return self._answer(simple, arn, route_key, scopes)

    def _grant_for(self, scopes: frozenset[str]) -> Grant:
        return grant_for(self.table, scopes)

    def _compute(
        self, simple: bool, arn_text: str, route_key: str | None, scopes: frozenset[str]
    ) -> RouteAnswer:
        arn = parse_arn(arn_text)
        route = (route_key and self.table.find(route_key)) or self.table.match(arn.method, "/" + arn.path)
        name = route.key if route else "(no route)"
        if simple:
            # A simple response answers for the called route only: it must not be cached across routes.
            return RouteAnswer(name, route is not None and route.permits(scopes), None)
        grant = self._grant(scopes)
        return RouteAnswer(name, grant.allows(arn.method, arn.path), self._policy(arn.stage_arn, scopes))

    def _policy_for(self, stage_arn: str, scopes: frozenset[str]) -> dict[str, Any]:
        return policy_document(stage_arn, self._grant(scopes))


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
