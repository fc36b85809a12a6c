"""The regular web app (examples/webapp, confidential client dev-webapp, session cookie) in Chromium."""

from __future__ import annotations

import uuid
from typing import Any

from browser_harness import TIMEOUT_MS, fill_login_form
from flask import Flask
from playwright.sync_api import Page

from devstack.spa import LateApp
from devstack.stack import LocalStack


def test_sign_in_create_see_own_items_and_sign_out(page: Page, stack: LocalStack) -> None:
    page.goto(stack.webapp_url)
    page.click("#sign-in")
    fill_login_form(page, "bob")
    page.wait_for_selector("#who:text-is('bob')", timeout=TIMEOUT_MS)
    note = f"from the web app {uuid.uuid4().hex[:8]}"  # the session's other tests sign bob in too
    page.fill("input[name=name]", note)
    page.click("form[action='/items'] button[type=submit]")
    page.wait_for_selector(f"#items li .name:text-is('{note}')", timeout=TIMEOUT_MS)

    assert note in page.locator("#items li .name").all_inner_texts()
    cookies = {c["name"]: c for c in page.context.cookies(stack.webapp_url)}
    assert cookies["session"]["httpOnly"] is True
    assert (
        len(cookies["session"]["value"]) < 300
    )  # an id and a name: the tokens (~1 KB each) stay server-side

    page.click("#sign-out")
    page.wait_for_selector("#sign-in", timeout=TIMEOUT_MS)
    page.click("#sign-in")
    page.wait_for_selector("input[name=password]", timeout=TIMEOUT_MS)  # signed out at the issuer too


def test_carol_is_told_which_permission_a_create_needs(page: Page, stack: LocalStack) -> None:
    page.goto(stack.webapp_url)
    page.click("#sign-in")
    fill_login_form(page, "carol")
    page.wait_for_selector("#who:text-is('carol')", timeout=TIMEOUT_MS)
    page.fill("input[name=name]", "not allowed")
    page.click("form[action='/items'] button[type=submit]")
    page.wait_for_selector("#error", timeout=TIMEOUT_MS)

    assert page.inner_text("#error") == (
        "Not allowed: POST /items needs the write:items permission; "
        "your access token carries openid, profile, offline_access, read:items."
    )


def web_app_tokens(stack: LocalStack) -> Any:
    """The web app's server-side token store (examples/webapp: UserTokens), behind the stack's LateApp."""
    holder = stack.webapp.server.app
    assert isinstance(holder, LateApp)
    assert isinstance(holder.app, Flask)
    return holder.app.extensions["user_tokens"]


def test_an_expired_access_token_is_renewed_with_the_refresh_token(page: Page, stack: LocalStack) -> None:
    users = web_app_tokens(stack)
    known = set(users.tokens)
    page.goto(stack.webapp_url)
    page.click("#sign-in")
    fill_login_form(page, "alice")
    page.wait_for_selector("#who:text-is('alice')", timeout=TIMEOUT_MS)
    (sid,) = set(users.tokens) - known  # this browser's session
    before = dict(users.tokens[sid])
    with users.lock:
        users.tokens[sid] = {**before, "expires_at": 0}  # as if its hour had passed

    page.reload()
    page.wait_for_selector("#who:text-is('alice')", timeout=TIMEOUT_MS)
    after = users.tokens[sid]

    assert after["access_token"] != before["access_token"]
    assert after["refresh_token"] != before["refresh_token"]  # rotated
    assert after["expires_at"] >= before["expires_at"]
