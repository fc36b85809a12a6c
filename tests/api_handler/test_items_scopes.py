"""The handler's own route-scope table: equal to template.yaml's ROUTE_SCOPES, and enforced fail-closed."""

from __future__ import annotations

import pytest

from devstack.template import route_scopes
from items_api.errors import InsufficientScope
from items_api.identity import Caller
from items_api.scopes import ROUTE_SCOPES, require_scopes


def _caller(*scopes: str) -> Caller:
    return Caller(
        iss="https://tenant.auth0.com/", sub="auth0|alice", scopes=frozenset(scopes), client_id=None
    )


def test_handler_route_scopes_equal_the_templates_in_both_directions() -> None:
    template = {route: sorted(scopes) for route, scopes in route_scopes().items()}
    handler = {route: sorted(scopes) for route, scopes in ROUTE_SCOPES.items()}

    assert handler == template


@pytest.mark.parametrize(("route", "required"), sorted(ROUTE_SCOPES.items()))
def test_a_caller_with_exactly_the_required_scopes_passes(route: str, required: frozenset[str]) -> None:
    require_scopes(_caller(*required), route)


@pytest.mark.parametrize(("route", "required"), [(r, s) for r, s in sorted(ROUTE_SCOPES.items()) if s])
def test_a_caller_with_every_other_scope_is_refused(route: str, required: frozenset[str]) -> None:
    others = {"read:items", "write:items", "delete:items", "admin"} - required

    with pytest.raises(InsufficientScope):
        require_scopes(_caller(*others), route)


def test_scope_names_match_exactly_not_by_prefix_or_case() -> None:
    for near_miss in ["read:item", "read:items:all", "READ:ITEMS", "read", " read:items"]:
        with pytest.raises(InsufficientScope):
            require_scopes(_caller(near_miss), "GET /items")


def test_a_route_missing_from_the_table_is_closed_to_everyone() -> None:
    with pytest.raises(InsufficientScope):
        require_scopes(_caller("read:items", "write:items", "delete:items"), "PUT /items/{id}")


def test_the_refusal_names_the_routes_scopes_in_its_challenge() -> None:
    with pytest.raises(InsufficientScope) as refused:
        require_scopes(_caller("read:items"), "POST /items")

    assert refused.value.headers() == {
        "WWW-Authenticate": 'Bearer error="insufficient_scope", scope="write:items"'
    }


def test_a_route_missing_from_the_table_names_no_scope() -> None:
    with pytest.raises(InsufficientScope) as refused:
        require_scopes(_caller("read:items"), "PUT /items/{id}")

    assert refused.value.headers() == {"WWW-Authenticate": 'Bearer error="insufficient_scope"'}
