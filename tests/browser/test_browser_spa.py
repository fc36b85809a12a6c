"""examples/spa in a real Chromium: sign-in, own items, a 403 explained, renewal, sign-out."""

from __future__ import annotations

import json
import time
import uuid

import jwt
from browser_harness import TIMEOUT_MS, ConsoleLog, create_item, fill_login_form, item_names, sign_in_to_spa
from playwright.sync_api import Browser, Page, Request, Response

from devstack.stack import LocalStack


def test_alice_and_bob_each_see_only_their_own_items(
    browser: Browser, stack: LocalStack, console: ConsoleLog
) -> None:
    # Other tests of the session sign alice and bob in too: each note is told apart by a fresh name.
    notes = {user: f"note of {user} {uuid.uuid4().hex[:8]}" for user in ("alice", "bob")}
    seen: dict[str, list[str]] = {}
    for user in ("alice", "bob"):
        context = browser.new_context()
        page = context.new_page()
        console.watch(page)
        sign_in_to_spa(page, stack.spa_url, user)
        create_item(page, notes[user])
        page.click("#reload")
        page.wait_for_selector(f"#items li .name:text-is('{notes[user]}')", timeout=TIMEOUT_MS)
        seen[user] = item_names(page)
        context.close()

    assert (notes["alice"] in seen["alice"], notes["bob"] in seen["alice"]) == (True, False)
    assert (notes["bob"] in seen["bob"], notes["alice"] in seen["bob"]) == (True, False)
    assert console.unexpected() == []


def test_carol_lists_but_is_told_which_permission_a_create_needs(
    page: Page, stack: LocalStack, console: ConsoleLog
) -> None:
    console.expect(r"status of 403")  # Chromium's own line for the API's 403 answer
    sign_in_to_spa(page, stack.spa_url, "carol")
    page.fill("#name", "not allowed")
    page.click("#create button[type=submit]")
    page.wait_for_selector("#error:has-text('Not allowed')", timeout=TIMEOUT_MS)

    assert page.inner_text("#error") == (
        "Not allowed: POST /items needs the write:items permission; your access token carries read:items."
    )
    assert page.inner_text("#status") == "0 item(s)"


def stored_user(page: Page) -> dict[str, object]:
    """oidc-client-ts's stored user (sessionStorage `oidc.user:<authority>:<client_id>`)."""
    raw = page.evaluate(
        "() => sessionStorage.getItem(Object.keys(sessionStorage).find(k => k.startsWith('oidc.user:')))"
    )
    user: dict[str, object] = json.loads(raw)
    return user


def claims(token: object) -> dict[str, object]:
    """A token's claims, unverified: the tests compare what the app received."""
    assert isinstance(token, str)
    decoded: dict[str, object] = jwt.decode(token, options={"verify_signature": False})
    return decoded


def test_an_expired_access_token_is_renewed_without_a_new_sign_in(page: Page, stack: LocalStack) -> None:
    sign_in_to_spa(page, stack.spa_url, "alice")
    before = stored_user(page)
    # The access token's expiry as the app knows it, moved into the past: the next call must renew it.
    page.evaluate(
        """() => { const key = Object.keys(sessionStorage).find(k => k.startsWith('oidc.user:'));
                   const user = JSON.parse(sessionStorage.getItem(key));
                   user.expires_at = Math.floor(Date.now() / 1000) - 10;
                   sessionStorage.setItem(key, JSON.stringify(user)); }"""
    )
    requests: list[Request] = []
    page.on("request", lambda r: requests.append(r))  # noqa: PLW0108 - Playwright refuses a bound builtin
    with page.expect_response(lambda r: r.url.endswith("/oauth/token")) as token_answer:
        page.click("#reload")
    page.wait_for_selector("#status:has-text('item(s)')", timeout=TIMEOUT_MS)
    after = stored_user(page)

    assert token_answer.value.status == 200
    assert (token_answer.value.request.post_data_json or {}).get("grant_type") == "refresh_token"
    assert after["access_token"] != before["access_token"]
    assert after["refresh_token"] != before["refresh_token"]  # rotated
    assert [r.url for r in requests if "/authorize" in r.url] == []  # no new sign-in
    assert after["id_token"] != before["id_token"]
    assert claims(after["id_token"])["auth_time"] == claims(before["id_token"])["auth_time"]


def test_sign_out_ends_the_session(page: Page, stack: LocalStack) -> None:
    sign_in_to_spa(page, stack.spa_url, "alice")
    page.click("#sign-out")
    page.wait_for_selector("#sign-in:visible", timeout=TIMEOUT_MS)
    page.click("#sign-in")

    page.wait_for_selector("input[name=password]", timeout=TIMEOUT_MS)  # the issuer asks for the password
    assert page.url.startswith(stack.issuer.config.issuer + "authorize?")
    fill_login_form(page, "bob")
    page.wait_for_selector("#who:text-is('bob')", timeout=TIMEOUT_MS)


def test_an_id_token_sent_to_the_api_as_a_bearer_token_is_refused(
    page: Page, stack: LocalStack, console: ConsoleLog
) -> None:
    console.expect(r"status of 401")
    sign_in_to_spa(page, stack.spa_url, "alice")
    id_token = stored_user(page)["id_token"]

    status = page.evaluate(
        "([api, token]) => fetch(api + 'items', {headers: {Authorization: 'Bearer ' + token}})"
        ".then(r => r.status)",
        [stack.api_url.rstrip("/") + "/", id_token],
    )

    assert status == 401


def test_one_sign_in_takes_one_redirect_to_the_first_api_answer(page: Page, stack: LocalStack) -> None:
    """The figures of one sign-in: redirects, requests, and time from "Sign in" to the first API answer."""
    page.goto(stack.spa_url)
    page.wait_for_selector("#sign-in:visible", timeout=TIMEOUT_MS)
    requests: list[Request] = []
    redirects: list[Response] = []
    page.on("request", lambda r: requests.append(r))  # noqa: PLW0108 - Playwright refuses a bound builtin
    page.on("response", lambda r: redirects.append(r) if r.status in {301, 302, 303, 307, 308} else None)
    started = time.perf_counter()
    page.click("#sign-in")
    fill_login_form(page, "alice")
    with page.expect_response(lambda r: r.url.endswith("/items") and r.request.method == "GET") as first:
        pass
    elapsed = time.perf_counter() - started
    page.wait_for_selector("#status:has-text('item(s)')", timeout=TIMEOUT_MS)

    assert first.value.status == 200
    # The login form's POST answers 302 to the SPA with the code; nothing else redirects.
    assert [(r.request.method, r.url.split("?")[0]) for r in redirects] == [
        ("POST", stack.issuer.config.issuer + "authorize")
    ]
    print(
        f"\nsign-in figures: {len(redirects)} redirect, {len(requests)} requests, "
        f"{elapsed:.2f} s to the first API answer"
    )
