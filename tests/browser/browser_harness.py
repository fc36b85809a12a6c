"""The browser tests' helpers: Chromium's launch, the console-error record, the login page."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from playwright.sync_api import Browser, ConsoleMessage, Error, Page, Playwright

PASSWORDS = {"alice": "alice-browser-pw", "bob": "bob-browser-pw", "carol": "carol-browser-pw"}
# No network but 127.0.0.1: nothing Chromium would fetch for itself (updates, sync, QUIC probes).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 60_000  # a loaded, shared machine: generous, never a timing assertion


def launch_chromium(playwright: Playwright, executable: str) -> Browser:
    """Debian's Chromium; Playwright gives each launch a fresh temporary profile (--user-data-dir)."""
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)


@dataclass
class ConsoleLog:
    """Every console error and uncaught page error of one test; `expect` names the ones the test causes."""

    errors: list[str] = field(default_factory=list)
    expected: list[re.Pattern[str]] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", self._page_error)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def _page_error(self, error: Error) -> None:
        self.errors.append(f"uncaught: {error.message}")

    def expect(self, pattern: str) -> None:
        """One console error the test provokes on purpose (e.g. Chromium's line for a 403 answer)."""
        self.expected.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        remaining = list(self.expected)
        left: list[str] = []
        for text in self.errors:
            match = next((p for p in remaining if p.search(text)), None)
            if match is None:
                left.append(text)
            else:
                remaining.remove(match)
        return left + [f"expected but not seen: {p.pattern}" for p in remaining]


def sign_in_to_spa(page: Page, spa_url: str, user: str) -> None:
    """Open the SPA, press Sign in, fill the issuer's login form; back on the SPA, signed in."""
    page.goto(spa_url)
    page.click("#sign-in", timeout=TIMEOUT_MS)
    fill_login_form(page, user)
    page.wait_for_selector(f"#who:text-is('{user}')", timeout=TIMEOUT_MS)
    page.wait_for_selector("#status:has-text('item(s)')", timeout=TIMEOUT_MS)


def fill_login_form(page: Page, user: str) -> None:
    page.wait_for_selector("input[name=password]", timeout=TIMEOUT_MS)
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORDS[user])
    page.click("button[type=submit]")


def item_names(page: Page) -> list[str]:
    return page.locator("#items li .name").all_inner_texts()


def create_item(page: Page, name: str) -> None:
    count = page.locator("#items li").count()
    page.fill("#name", name)
    page.click("#create button[type=submit]")
    page.wait_for_function(
        f"document.querySelectorAll('#items li').length === {count + 1}", timeout=TIMEOUT_MS
    )
