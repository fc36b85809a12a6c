"""Object-level authorization (OWASP API1:2023): two owners interleaved never see each other's items."""

from __future__ import annotations

import pytest
from api_harness import ALICE, BOB, ApiClient, Caller

pytestmark = pytest.mark.slow


def test_two_owners_interleaved_only_ever_reach_their_own_items(api: ApiClient) -> None:
    # GIVEN items created by Alice and Bob, interleaved
    alice_1 = api.create(ALICE, "alice 1")
    bob_1 = api.create(BOB, "bob 1")
    alice_2 = api.create(ALICE, "alice 2")
    bob_2 = api.create(BOB, "bob 2")

    # THEN each lists exactly their own
    assert api.request("GET", "/items", caller=ALICE).json == {
        "items": sorted([alice_1, alice_2], key=lambda item: item["id"]),
        "next": None,
    }
    assert api.request("GET", "/items", caller=BOB).json == {
        "items": sorted([bob_1, bob_2], key=lambda item: item["id"]),
        "next": None,
    }

    # AND reading the other's item is 404 (never 403: that would confirm it exists)
    for reader, foreign in [(ALICE, bob_1), (BOB, alice_2)]:
        response = api.request("GET", f"/items/{foreign['id']}", caller=reader)
        assert (response.status, response.json) == (404, {"message": "Item not found"})

    # AND deleting the other's item is 404 and leaves it in place
    response = api.request("DELETE", f"/items/{bob_2['id']}", caller=ALICE)
    assert (response.status, response.json) == (404, {"message": "Item not found"})
    assert api.request("GET", f"/items/{bob_2['id']}", caller=BOB).json == bob_2

    # AND each owner's own delete still works
    assert api.request("DELETE", f"/items/{alice_1['id']}", caller=ALICE).status == 204
    assert api.request("DELETE", f"/items/{bob_1['id']}", caller=BOB).status == 204
    assert api.request("GET", "/items", caller=ALICE).json == {"items": [alice_2], "next": None}
    assert api.request("GET", "/items", caller=BOB).json == {"items": [bob_2], "next": None}


def test_a_body_owner_is_rejected_and_never_honoured(api: ApiClient) -> None:
    # WHEN Alice tries to create an item in Bob's partition
    response = api.request("POST", "/items", caller=ALICE, json_body={"name": "x", "owner": BOB.sub})

    # THEN it is refused, and Bob's partition stays empty
    assert (response.status, response.json) == (400, {"message": "Field 'owner' is assigned by the server"})
    assert api.request("GET", "/items", caller=BOB).json == {"items": [], "next": None}
    assert api.request("GET", "/items", caller=ALICE).json == {"items": [], "next": None}


def test_subjects_differing_only_in_case_are_different_owners(api: ApiClient) -> None:
    item = api.create(Caller("auth0|Erin"), "mine")

    response = api.request("GET", f"/items/{item['id']}", caller=Caller("auth0|erin"))

    assert response.status == 404


def test_the_same_subject_from_two_issuers_never_reaches_the_others_items(api: ApiClient) -> None:
    # GIVEN one `sub` issued by two trusted issuers (a tenant migration, a partner tenant)
    tenant = Caller("shared-subject", iss="https://tenant.auth0.com/")
    partner = Caller("shared-subject", iss="https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Partner")
    mine = api.create(tenant, "tenant's")

    # THEN the partner's caller cannot list, read or delete it
    assert api.request("GET", "/items", caller=partner).json == {"items": [], "next": None}
    response = api.request("GET", f"/items/{mine['id']}", caller=partner)
    assert (response.status, response.json) == (404, {"message": "Item not found"})
    assert api.request("DELETE", f"/items/{mine['id']}", caller=partner).status == 404
    # AND the item is still the tenant caller's
    assert api.request("GET", "/items", caller=tenant).json == {"items": [mine], "next": None}
    # AND a page token issued to one is refused for the other
    api.create(tenant, "second")
    page = api.request("GET", "/items", caller=tenant, query={"limit": "1"}).json
    response = api.request("GET", "/items", caller=partner, query={"limit": "1", "next": page["next"]})
    assert (response.status, response.json) == (400, {"message": "Invalid next token"})
