"""Browser tests: Debian's Chromium, driven by Playwright, against the whole local stack (started once)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_harness import PASSWORDS, ConsoleLog, launch_chromium
from playwright.sync_api import Browser, Page, sync_playwright

from devstack.stack import LocalStack, StackOptions, local_stack

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    log_path = tmp_path_factory.mktemp("stack") / "stack.log"
    with (
        log_path.open("w", encoding="utf-8") as log,
        local_stack(StackOptions(user_passwords=PASSWORDS), log_sink=log) as running,
    ):
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        message = (
            "chromium is not installed (make setup installs it as root; else: sudo apt-get install chromium)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright, CHROMIUM)
        yield chromium
        chromium.close()


@pytest.fixture
def console() -> ConsoleLog:
    return ConsoleLog()


@pytest.fixture
def page(browser: Browser, console: ConsoleLog) -> Iterator[Page]:
    """A fresh browser context (no cookies, no storage) whose console errors fail the test unless expected."""
    context = browser.new_context()
    new_page = context.new_page()
    console.watch(new_page)
    yield new_page
    context.close()
    assert console.unexpected() == [], "console errors"
