"""ROUTE_SCOPES: the route table, which scopes each route needs, and API Gateway's route matching."""

from __future__ import annotations

import json
import re
from enum import IntEnum
from typing import NamedTuple

from oauth_authorizer.errors import ConfigurationError

VARIABLE = "ROUTE_SCOPES"
ANY_METHOD = "*"
HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
# Literal segments are kept to characters that need no escaping in an IAM resource ARN.
_LITERAL = re.compile(r"[A-Za-z0-9._-]+")
_PARAM = re.compile(r"\{[A-Za-z0-9_]+\}")
_PROXY = re.compile(r"\{[A-Za-z0-9_]+\+\}")
_SCOPE = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]+")  # RFC 6749 §3.3 scope-token
# Each pattern is used with fullmatch: `$` would also match before a final newline.


class SegmentKind(IntEnum):
    """A path segment's kind; a higher value is more specific when API Gateway picks a route."""

    PROXY = 0
    PARAM = 1
    LITERAL = 2


# Records are NamedTuples, not dataclasses: cheaper to create at import (docs/performance.md, "Performance").
class Route(NamedTuple):
    """One `"METHOD /path"` entry of ROUTE_SCOPES and the scopes it requires (all of them)."""

    method: str
    path: str
    segments: tuple[str, ...]
    kinds: tuple[SegmentKind, ...]
    scopes: frozenset[str]

    @property
    def key(self) -> str:
        return f"{'ANY' if self.method == ANY_METHOD else self.method} {self.path}"

    @property
    def resource_glob(self) -> str:
        """The path as an IAM resource pattern: every `{param}` and `{proxy+}` becomes `*`."""
        parts = (
            "*" if kind is not SegmentKind.LITERAL else seg
            for seg, kind in zip(self.segments, self.kinds, strict=True)
        )
        return "/" + "/".join(parts)

    @property
    def has_proxy(self) -> bool:
        return bool(self.kinds) and self.kinds[-1] is SegmentKind.PROXY

    @property
    def specificity(self) -> tuple[tuple[int, ...], int]:
        """Order in which API Gateway prefers routes matching the same request (higher wins)."""
        return tuple(int(kind) for kind in self.kinds), int(self.method != ANY_METHOD)

    def permits(self, granted: frozenset[str]) -> bool:
        return self.scopes <= granted

    def matches(self, method: str, path_segments: tuple[str, ...]) -> bool:
        if self.method not in (ANY_METHOD, method):
            return False
        if self.has_proxy:
            fixed = len(self.segments) - 1
            if len(path_segments) <= fixed:
                return False
        elif len(path_segments) != len(self.segments):
            return False
        for seg, kind, actual in zip(self.segments, self.kinds, path_segments, strict=False):
            if kind is SegmentKind.LITERAL and seg != actual:
                return False
            if kind is SegmentKind.PROXY:
                return True
        return True


class RouteTable(NamedTuple):
    """Every route of ROUTE_SCOPES, in the order written."""

    routes: tuple[Route, ...]

    def match(self, method: str, path: str) -> Route | None:
        """The route API Gateway would pick for a concrete request, or None."""
        segments = split_path(path)
        candidates = [route for route in self.routes if route.matches(method, segments)]
        return max(candidates, key=lambda route: route.specificity, default=None)

    def find(self, route_key: str) -> Route | None:
        """The route whose key (e.g. `GET /items/{id}`, as an HTTP API routeKey) is given, or None."""
        method, _, path = route_key.partition(" ")
        wanted = ANY_METHOD if method in ("ANY", ANY_METHOD) else method
        return next((r for r in self.routes if r.method == wanted and r.path == path), None)


def split_path(path: str) -> tuple[str, ...]:
    return tuple(part for part in path.split("/") if part)


def parse_route_scopes(raw: str) -> RouteTable:
    """Parse and validate ROUTE_SCOPES; any problem raises ConfigurationError naming the variable."""
    try:
        table = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigurationError(VARIABLE, f"not valid JSON ({exc.msg} at position {exc.pos})") from exc
    if not isinstance(table, dict) or not table:
        raise ConfigurationError(VARIABLE, 'must be a non-empty JSON object {"METHOD /path": [scopes]}')
    routes = tuple(_parse_route(key, scopes) for key, scopes in table.items())
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for route in routes:
        # `/items/{id}` and `/items/{itemId}` are the same API Gateway resource.
        shape = (route.method, tuple(s if k is SegmentKind.LITERAL else k.name for s, k in _pairs(route)))
        if shape in seen:
            raise ConfigurationError(VARIABLE, f"route {route.key!r} is listed twice")
        seen.add(shape)
    return RouteTable(routes)


def _pairs(route: Route) -> tuple[tuple[str, SegmentKind], ...]:
    return tuple(zip(route.segments, route.kinds, strict=True))


def _parse_route(key: str, scopes: object) -> Route:
    method, sep, path = key.strip().partition(" ")
    path = path.strip()
    if not sep or not path.startswith("/"):
        raise ConfigurationError(VARIABLE, f'key {key!r} must look like "METHOD /path"')
    method = method.upper()
    if method in ("ANY", ANY_METHOD):
        method = ANY_METHOD
    elif method not in HTTP_METHODS:
        raise ConfigurationError(VARIABLE, f"key {key!r}: unknown method {method!r}")
    segments = split_path(path)
    if path != "/" + "/".join(segments):
        raise ConfigurationError(VARIABLE, f"key {key!r}: path has an empty segment or a trailing slash")
    kinds = tuple(_segment_kind(key, seg, last=i == len(segments) - 1) for i, seg in enumerate(segments))
    if not isinstance(scopes, list) or not all(isinstance(s, str) and _SCOPE.fullmatch(s) for s in scopes):
        raise ConfigurationError(VARIABLE, f"key {key!r}: value must be a list of scope strings (no spaces)")
    return Route(method=method, path=path, segments=segments, kinds=kinds, scopes=frozenset(scopes))


def _segment_kind(key: str, segment: str, *, last: bool) -> SegmentKind:
    if _LITERAL.fullmatch(segment):
        return SegmentKind.LITERAL
    if _PARAM.fullmatch(segment):
        return SegmentKind.PARAM
    if _PROXY.fullmatch(segment):
        if not last:
            raise ConfigurationError(VARIABLE, f"key {key!r}: a greedy {segment} must be the last segment")
        return SegmentKind.PROXY
    raise ConfigurationError(
        VARIABLE, f"key {key!r}: segment {segment!r} is not literal, {{param}} or {{proxy+}}"
    )
