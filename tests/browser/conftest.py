"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

The browser is the system's (`apt-get install chromium`, done by `.ci/run`), never one that
Playwright downloads. ``TRACKER_CHROMIUM`` names another Chromium binary.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connections
from playwright.sync_api import ConsoleMessage, Page, Request, Response, expect, sync_playwright

CHROMIUM_ENV = "TRACKER_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
# Generous: CI machines run the whole suite on two loaded cores.
TIMEOUT_MS = 30_000
# Chromium would otherwise reach out to Google's services, which this network refuses.
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
    "--no-first-run",
]
# Reports each CSP violation (enforced or report-only) to the console, where it is collected.
_REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` (${event.disposition}) at ${event.sourceFile || document.URL}:${event.lineNumber}`);
});
"""


@pytest.fixture
def chromium_executable() -> str:
    path = os.environ.get(CHROMIUM_ENV) or DEFAULT_CHROMIUM
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(
            f"No Chromium at {path}: the browser tests need Debian's chromium "
            f"(`apt-get install chromium`, as .ci/run does) or {CHROMIUM_ENV} set to a "
            "Chromium binary. Playwright's own browser download is not used.",
            pytrace=False,
        )
    return path


class BrowserProblems(list[str]):
    """What went wrong in the page without failing an action: console errors, uncaught
    exceptions, CSP violations, failed or refused requests."""

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not _is_favicon(message.location.get("url", "")):
            self.append(f"console error: {message.text} ({message.location.get('url', '')})")

    def page_error(self, error: Exception) -> None:
        self.append(f"uncaught exception: {error}")

    def response(self, response: Response) -> None:
        if response.status >= 400 and not _is_favicon(response.url):
            self.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    def request_failed(self, request: Request) -> None:
        # Aborted by the page itself: select2 drops its pending search when the term changes.
        if request.failure != "net::ERR_ABORTED":
            self.append(f"request failed: {request.method} {request.url}: {request.failure}")


def _is_favicon(url: str) -> bool:
    """Chromium asks every site for /favicon.ico; the admin declares none, so it is a 404."""
    return urlsplit(url).path == "/favicon.ico"


@pytest.fixture
def browser_problems() -> BrowserProblems:
    return BrowserProblems()


@pytest.fixture
def page(
    chromium_executable: str,
    live_server,
    browser_problems: BrowserProblems,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Page]:
    """A fresh headless page whose relative URLs go to the live server."""
    # Playwright's sync API marks an asyncio loop as running in this thread, and Django refuses
    # ORM calls where a loop runs. The test's own queries are plain sync code: allow them, for
    # this test. They run on a connection of their own (Django keeps connections per context
    # while a loop runs), closed below before the loop stops, or it would outlive the test.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(base_url=live_server.url)
            context.set_default_timeout(TIMEOUT_MS)
            context.set_default_navigation_timeout(TIMEOUT_MS)
            context.add_init_script(_REPORT_CSP_VIOLATIONS)
            page = context.new_page()
            page.on("console", browser_problems.console)
            page.on("pageerror", browser_problems.page_error)
            page.on("response", browser_problems.response)
            page.on("requestfailed", browser_problems.request_failed)
            yield page
        finally:
            browser.close()
            connections.close_all()


@contextmanager
def screenshot_on_failure(page: Page, directory: Path, problems: list[str]) -> Iterator[None]:
    """On any failure inside, save a full-page screenshot and name it in the error, with what
    the browser reported so far."""
    try:
        yield
    except Exception as error:
        if problems:
            error.add_note("The browser reported:\n" + "\n".join(problems))
        path = directory / "failure.png"
        try:
            page.screenshot(path=path, full_page=True)
            error.add_note(f"Screenshot of {page.url}: {path}")
        except Exception as screenshot_error:  # noqa: BLE001 - the first failure matters
            error.add_note(f"No screenshot ({screenshot_error})")
        raise
