"""People sign in to the local issuer over HTTP: code + PKCE, ID tokens, refresh rotation, logout."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from signin_client import (
    API_SCOPES,
    PASSWORDS,
    SPA_URL,
    WEBAPP_SECRET,
    WEBAPP_URL,
    Authorization,
    UserAgent,
    exchange,
    login_form_action,
    query_of,
    refresh,
    sign_in,
)

from devstack.issuer import (
    DEFAULT_AUDIENCE,
    RunningIssuer,
    SignInSettings,
    build_config,
    create_app,
    load_signing_key,
    start_issuer,
)
from devstack.servers import serving
from devstack.signin import CODE_LIFETIME_SECONDS, SignInState


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningIssuer]:
    running = start_issuer(
        client_secrets={"dev-webapp": WEBAPP_SECRET},
        key_path=tmp_path_factory.mktemp("key") / "key.json",
        signin=SignInSettings(PASSWORDS, SPA_URL, WEBAPP_URL),
    )
    yield running
    running.stop()


def verified(issuer: RunningIssuer, token: str, audience: str) -> dict[str, object]:
    key = jwt.PyJWKClient(issuer.jwks_uri).get_signing_key_from_jwt(token).key
    claims: dict[str, object] = jwt.decode(
        token, key, algorithms=["RS256"], audience=audience, issuer=issuer.config.issuer
    )
    return claims


def tokens_for(
    issuer: RunningIssuer, user: str, scope: str = f"openid profile {API_SCOPES}"
) -> dict[str, str]:
    authorization = Authorization(issuer.config.issuer, scope=scope)
    code = sign_in(UserAgent(), authorization, user)
    response = exchange(issuer.token_endpoint, authorization, code)
    assert response.status == 200, response.body
    body: dict[str, str] = response.json()
    return body


def test_discovery_lists_every_endpoint_and_s256_only(issuer: RunningIssuer) -> None:
    document = UserAgent().request("GET", issuer.config.base_url + "/.well-known/openid-configuration").json()
    base = issuer.config.base_url
    assert {k: document[k] for k in ("authorization_endpoint", "token_endpoint", "end_session_endpoint")} == {
        "authorization_endpoint": base + "/authorize",
        "token_endpoint": base + "/oauth/token",
        "end_session_endpoint": base + "/oidc/logout",
    }
    assert document["jwks_uri"] == base + "/.well-known/jwks.json"
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["response_types_supported"] == ["code"]
    assert document["grant_types_supported"] == ["client_credentials", "authorization_code", "refresh_token"]


def test_sign_in_returns_state_unchanged_and_tokens_without_refresh_token(issuer: RunningIssuer) -> None:
    authorization = Authorization(issuer.config.issuer)
    code = sign_in(UserAgent(), authorization, "alice")
    response = exchange(issuer.token_endpoint, authorization, code)

    body = response.json()
    assert response.status == 200
    assert {k: v for k, v in body.items() if k not in {"access_token", "id_token"}} == {
        "token_type": "Bearer",
        "expires_in": 3600,
        "scope": f"openid profile {API_SCOPES}",
    }


def test_id_token_is_for_the_client_with_nonce_at_hash_auth_time_and_sub(issuer: RunningIssuer) -> None:
    authorization = Authorization(issuer.config.issuer)
    before = int(time.time())
    code = sign_in(UserAgent(), authorization, "alice")
    body = exchange(issuer.token_endpoint, authorization, code).json()

    claims = verified(issuer, body["id_token"], "dev-spa")
    digest = hashlib.sha256(body["access_token"].encode()).digest()
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
    assert claims["nonce"] == authorization.nonce
    assert before <= claims["auth_time"] <= int(time.time())  # type: ignore[operator]
    assert (claims["sub"], claims["aud"], claims["name"]) == ("auth0|alice", "dev-spa", "alice")


def test_access_token_is_auth0_shaped_with_the_users_permissions(issuer: RunningIssuer) -> None:
    claims = verified(issuer, tokens_for(issuer, "bob")["access_token"], DEFAULT_AUDIENCE)

    assert {k: v for k, v in claims.items() if k not in {"iat", "exp", "jti"}} == {
        "iss": issuer.config.issuer,
        "sub": "auth0|bob",
        "aud": DEFAULT_AUDIENCE,
        "azp": "dev-spa",
        "client_id": "dev-spa",
        "scope": f"openid profile {API_SCOPES}",
        "permissions": ["read:items", "write:items", "delete:items"],
    }


def test_asking_for_more_than_the_user_holds_grants_what_the_user_holds(issuer: RunningIssuer) -> None:
    body = tokens_for(issuer, "carol")
    claims = verified(issuer, body["access_token"], DEFAULT_AUDIENCE)

    assert body["scope"] == "openid profile read:items"
    assert (claims["scope"], claims["permissions"]) == ("openid profile read:items", ["read:items"])


@pytest.mark.parametrize(
    ("pkce", "description"),
    [
        ({"code_challenge": "", "code_challenge_method": ""}, "PKCE is required: code_challenge is missing."),
        ({"code_challenge_method": ""}, "PKCE: code_challenge_method must be S256."),
        ({"code_challenge_method": "plain"}, "PKCE: code_challenge_method must be S256."),
    ],
)
def test_authorization_without_s256_pkce_is_refused_and_no_code_issued(
    issuer: RunningIssuer, pkce: dict[str, str], description: str
) -> None:
    authorization = Authorization(issuer.config.issuer, extra=pkce)
    answer = UserAgent().request("GET", authorization.url())

    assert answer.status == 302
    assert query_of(answer.headers["Location"]) == {
        "error": "invalid_request",
        "error_description": description,
        "state": authorization.state,
    }


def test_an_unregistered_redirect_uri_is_a_400_page_never_a_redirect(issuer: RunningIssuer) -> None:
    authorization = Authorization(issuer.config.issuer, redirect_uri="http://127.0.0.1:9/spa/other")
    answer = UserAgent().request("GET", authorization.url())

    assert (answer.status, answer.headers["Content-Type"]) == (400, "text/html; charset=utf-8")
    assert "Location" not in answer.headers
    assert b"is not supported by client" in answer.body


@pytest.mark.parametrize("port", [1024, 50123, 65535])
def test_the_native_client_may_use_any_loopback_port(issuer: RunningIssuer, port: int) -> None:
    authorization = Authorization(
        issuer.config.issuer, client_id="dev-native", redirect_uri=f"http://127.0.0.1:{port}/callback"
    )
    code = sign_in(UserAgent(), authorization, "alice")

    assert exchange(issuer.token_endpoint, authorization, code).status == 200


@pytest.mark.parametrize(
    "redirect_uri",
    ["http://localhost:50123/callback", "http://127.0.0.1:50123/other", "https://127.0.0.1:50123/callback"],
)
def test_the_native_client_is_held_to_the_loopback_callback(issuer: RunningIssuer, redirect_uri: str) -> None:
    authorization = Authorization(issuer.config.issuer, client_id="dev-native", redirect_uri=redirect_uri)

    assert UserAgent().request("GET", authorization.url()).status == 400


def test_a_code_is_single_use_and_its_reuse_revokes_the_refresh_token_it_gave(issuer: RunningIssuer) -> None:
    authorization = Authorization(issuer.config.issuer, scope="openid offline_access read:items")
    code = sign_in(UserAgent(), authorization, "alice")
    first = exchange(issuer.token_endpoint, authorization, code)
    second = exchange(issuer.token_endpoint, authorization, code)
    after = refresh(issuer.token_endpoint, "dev-spa", first.json()["refresh_token"])

    assert first.status == 200
    assert (second.status, second.json()) == (
        400,
        {"error": "invalid_grant", "error_description": "Invalid 'code' in request."},
    )
    assert (after.status, after.json()["error"]) == (400, "invalid_grant")


def test_a_code_with_the_wrong_verifier_is_refused(issuer: RunningIssuer) -> None:
    authorization = Authorization(issuer.config.issuer)
    code = sign_in(UserAgent(), authorization, "alice")
    authorization.verifier = "x" * 43

    response = exchange(issuer.token_endpoint, authorization, code)

    assert (response.status, response.json()) == (
        400,
        {"error": "invalid_grant", "error_description": "Code challenge failed."},
    )


def test_offline_access_gives_a_refresh_token_that_rotates_and_keeps_auth_time(issuer: RunningIssuer) -> None:
    first = tokens_for(issuer, "alice", scope="openid offline_access read:items")
    renewed = refresh(issuer.token_endpoint, "dev-spa", first["refresh_token"])
    body = renewed.json()

    assert renewed.status == 200
    assert body["refresh_token"] != first["refresh_token"]
    assert body["access_token"] != first["access_token"]
    original = verified(issuer, first["id_token"], "dev-spa")
    refreshed = verified(issuer, body["id_token"], "dev-spa")
    assert (refreshed["auth_time"], refreshed["sub"]) == (original["auth_time"], "auth0|alice")
    assert "nonce" not in refreshed


def test_reusing_a_spent_refresh_token_revokes_the_whole_family(issuer: RunningIssuer) -> None:
    first = tokens_for(issuer, "alice", scope="openid offline_access read:items")
    second = refresh(issuer.token_endpoint, "dev-spa", first["refresh_token"]).json()["refresh_token"]
    reuse = refresh(issuer.token_endpoint, "dev-spa", first["refresh_token"])
    latest = refresh(issuer.token_endpoint, "dev-spa", second)

    assert (reuse.status, reuse.json()["error"]) == (400, "invalid_grant")
    assert (latest.status, latest.json()["error"]) == (400, "invalid_grant")


def test_a_signed_in_user_gets_a_code_without_the_login_page(issuer: RunningIssuer) -> None:
    agent = UserAgent()
    sign_in(agent, Authorization(issuer.config.issuer), "alice")
    again = Authorization(issuer.config.issuer)

    answer = agent.request("GET", again.url())

    assert answer.status == 302
    assert set(query_of(answer.headers["Location"])) == {"code", "state"}


def test_a_wrong_password_shows_the_form_again_with_401(issuer: RunningIssuer) -> None:
    agent = UserAgent()
    url = Authorization(issuer.config.issuer).url()
    page = agent.request("GET", url)
    answer = agent.request(
        "POST", login_form_action(page.body, url), {"username": "alice", "password": "nope"}
    )

    assert answer.status == 401
    assert b"Wrong username or password." in answer.body
    assert list(agent.cookies) == []


def test_prompt_none_without_a_session_answers_login_required(issuer: RunningIssuer) -> None:
    authorization = Authorization(issuer.config.issuer, extra={"prompt": "none"})
    answer = UserAgent().request("GET", authorization.url())

    assert answer.status == 302
    params = query_of(answer.headers["Location"])
    assert (params["error"], params["state"]) == ("login_required", authorization.state)
    assert "code" not in params


def test_rp_initiated_logout_ends_the_session(issuer: RunningIssuer) -> None:
    agent = UserAgent()
    authorization = Authorization(issuer.config.issuer)
    id_token = exchange(issuer.token_endpoint, authorization, sign_in(agent, authorization, "alice")).json()[
        "id_token"
    ]
    logout = agent.request(
        "GET",
        issuer.config.base_url
        + "/oidc/logout?"
        + f"id_token_hint={id_token}&post_logout_redirect_uri={SPA_URL}&state=bye",
    )
    after = agent.request("GET", Authorization(issuer.config.issuer).url())
    silent = agent.request("GET", Authorization(issuer.config.issuer, extra={"prompt": "none"}).url())

    assert (logout.status, logout.headers["Location"]) == (302, SPA_URL + "?state=bye")
    assert (after.status, b'name="password"' in after.body) == (200, True)
    assert query_of(silent.headers["Location"])["error"] == "login_required"


def test_logout_to_an_unregistered_uri_is_a_400_page(issuer: RunningIssuer) -> None:
    answer = UserAgent().request(
        "GET",
        issuer.config.base_url
        + "/oidc/logout?client_id=dev-spa&post_logout_redirect_uri=http://127.0.0.1:9/x",
    )

    assert (answer.status, "Location" in answer.headers) == (400, False)


def test_an_unknown_audience_is_access_denied(issuer: RunningIssuer) -> None:
    authorization = Authorization(issuer.config.issuer, audience="https://other.example.com")
    agent = UserAgent()
    sign_in_page = agent.request("GET", authorization.url())

    answer = (
        agent.request(
            "POST",
            login_form_action(sign_in_page.body, authorization.url()),
            {"username": "alice", "password": "x"},
        )
        if sign_in_page.status == 200
        else sign_in_page
    )

    assert answer.status == 302
    assert query_of(answer.headers["Location"])["error"] == "access_denied"


def test_the_web_app_is_confidential(issuer: RunningIssuer) -> None:
    authorization = Authorization(
        issuer.config.issuer, client_id="dev-webapp", redirect_uri=WEBAPP_URL + "/callback"
    )
    code = sign_in(UserAgent(), authorization, "bob")
    without_secret = exchange(issuer.token_endpoint, authorization, code)
    with_secret = exchange(issuer.token_endpoint, authorization, code, secret=WEBAPP_SECRET)

    assert (without_secret.status, without_secret.json()["error"]) == (401, "invalid_client")
    assert with_secret.status == 200
    assert verified(issuer, with_secret.json()["id_token"], "dev-webapp")["sub"] == "auth0|bob"


def test_the_token_endpoint_allows_the_spa_origin_only(issuer: RunningIssuer) -> None:
    authorization = Authorization(issuer.config.issuer)
    code = sign_in(UserAgent(), authorization, "alice")
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": SPA_URL,
        "client_id": "dev-spa",
        "code_verifier": authorization.verifier,
    }
    allowed = UserAgent().request("POST", issuer.token_endpoint, form, {"Origin": "http://127.0.0.1:9"})
    other = UserAgent().request(
        "POST", issuer.token_endpoint, {"grant_type": "x"}, {"Origin": "http://127.0.0.1:8"}
    )

    assert (allowed.status, allowed.headers["Access-Control-Allow-Origin"]) == (200, "http://127.0.0.1:9")
    assert "Access-Control-Allow-Origin" not in other.headers


def test_a_code_expires_after_its_short_lifetime(tmp_path: Path) -> None:
    now = [1_000_000.0]
    state = SignInState(clock=lambda: now[0])
    config = build_config(
        "http://127.0.0.1:9/",
        DEFAULT_AUDIENCE,
        {},
        load_signing_key(tmp_path / "key.json"),
        SignInSettings(PASSWORDS, SPA_URL, WEBAPP_URL),
    )
    with serving(create_app(config, state)) as server:
        issuer = f"{server.url}/"
        authorization = Authorization(issuer)
        code = sign_in(UserAgent(), authorization, "alice")
        now[0] += CODE_LIFETIME_SECONDS  # the code's last moment has passed
        response = exchange(f"{server.url}/oauth/token", authorization, code)

    assert (response.status, response.json()) == (
        400,
        {"error": "invalid_grant", "error_description": "Invalid 'code' in request."},
    )
    assert CODE_LIFETIME_SECONDS == 60


def test_the_request_log_holds_no_code_or_token(
    issuer: RunningIssuer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="werkzeug")
    agent = UserAgent()
    authorization = Authorization(issuer.config.issuer)
    code = sign_in(agent, authorization, "alice")
    id_token = exchange(issuer.token_endpoint, authorization, code).json()["id_token"]
    agent.request("GET", f"{issuer.config.base_url}/oidc/logout?id_token_hint={id_token}")

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "GET /oidc/logout?<redacted> HTTP/1.1" in logged
    assert code not in logged
    assert id_token not in logged
    assert authorization.state not in logged


def test_a_users_token_is_bound_to_the_key_of_a_dpop_proof(issuer: RunningIssuer) -> None:
    from dpop import DPoPKey
    from joserfc import jwk

    key = DPoPKey()
    authorization = Authorization(issuer.config.issuer)
    code = sign_in(UserAgent(), authorization, "alice")
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": authorization.redirect_uri,
        "code_verifier": authorization.verifier,
        "client_id": "dev-spa",
    }
    response = UserAgent().request(
        "POST", issuer.token_endpoint, form, {"DPoP": key.proof("POST", issuer.token_endpoint)}
    )

    body = response.json()
    assert (response.status, body["token_type"]) == (200, "DPoP")
    claims = verified(issuer, body["access_token"], DEFAULT_AUDIENCE)
    thumbprint = jwk.import_key(key.public_jwk).thumbprint()  # RFC 7638, joserfc's own
    assert (claims["sub"], claims["cnf"]) == ("auth0|alice", {"jkt": thumbprint})
