"""A signed-in user's access token through the real local stack: gateway, authorizer, handler, DynamoDB."""

from __future__ import annotations

from e2e_client import StackClient
from signin_client import Authorization, UserAgent, exchange, sign_in


def user_tokens(client: StackClient, user: str) -> dict[str, str]:
    """Sign `user` in to the SPA's client (dev-spa) and exchange the code, as the SPA does."""
    issuer = client.stack.issuer
    authorization = Authorization(issuer.config.issuer, redirect_uri=client.stack.spa_url)
    code = sign_in(UserAgent(), authorization, user, issuer.config.users[user].password)
    response = exchange(issuer.token_endpoint, authorization, code)
    assert response.status == 200, response.body
    tokens: dict[str, str] = response.json()
    return tokens


def test_me_is_the_signed_in_user_with_their_permissions(client: StackClient) -> None:
    token = user_tokens(client, "carol")["access_token"]

    response = client.call("GET", "/me", token)

    assert (response.status, response.json()) == (
        200,
        {
            "iss": client.stack.issuer.config.issuer,
            "sub": "auth0|carol",
            "scopes": ["openid", "profile", "read:items"],
            "client_id": "dev-spa",
        },
    )


def test_each_user_reads_only_their_own_items(client: StackClient) -> None:
    alice = user_tokens(client, "alice")["access_token"]
    bob = user_tokens(client, "bob")["access_token"]

    created = client.call("POST", "/items", alice, body={"name": "alice's private note"})
    item_id = created.json()["id"]

    assert created.status == 201
    assert client.call("GET", f"/items/{item_id}", alice).json()["name"] == "alice's private note"
    assert client.call("GET", f"/items/{item_id}", bob).status == 404
    assert item_id not in [item["id"] for item in client.call("GET", "/items", bob).json()["items"]]


def test_a_user_without_the_permission_gets_403(client: StackClient) -> None:
    carol = user_tokens(client, "carol")["access_token"]

    assert client.call("GET", "/items", carol).status == 200
    assert client.call("POST", "/items", carol, body={"name": "x"}).status == 403


def test_an_id_token_is_not_an_access_token(client: StackClient) -> None:
    id_token = user_tokens(client, "alice")["id_token"]

    assert client.call("GET", "/items", id_token).status == 401
