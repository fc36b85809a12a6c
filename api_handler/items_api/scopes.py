"""Which scopes each route needs, re-checked by the handler itself (defence in depth).

The authorizer enforces the same table (ROUTE_SCOPES: AuthorizerApp's RouteScopes in template.yaml); tests
pin the two, and openapi.yaml's security requirements, as equal.
Declaring it here, in code, means a misconfigured route or a stale cached authorizer decision cannot
open the data.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from items_api.errors import InsufficientScope
from items_api.identity import Caller

READ_ITEMS: Final = "read:items"
WRITE_ITEMS: Final = "write:items"
DELETE_ITEMS: Final = "delete:items"

ROUTE_SCOPES: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        "GET /me": frozenset(),
        "GET /items": frozenset({READ_ITEMS}),
        "POST /items": frozenset({WRITE_ITEMS}),
        "GET /items/{id}": frozenset({READ_ITEMS}),
        "DELETE /items/{id}": frozenset({DELETE_ITEMS}),
    }
)


def require_scopes(caller: Caller, route_key: str) -> None:
    """Raise InsufficientScope unless the caller holds every scope the route needs.

    An unknown route key needs a scope nobody holds: a route missing from the table is closed, not open.
    """
    required = ROUTE_SCOPES.get(route_key)
    if required is None:
        raise InsufficientScope
    if not required <= caller.scopes:
        raise InsufficientScope(required)
