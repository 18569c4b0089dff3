"""A real browser: Debian's Chromium driven by Playwright, every request to a host other than
the test server blocked. GraphiQL loads from the service's own assets and runs an example
operation, its explorer edits a list of enum values, the forest plot opens, and the frontend
example (examples/) searches, shows an agent's trials and embeds the plot from another
origin (CORS). Screenshots go to test-artifacts/browser/ (git-ignored).

Skipped, with the reason, where no browser is installed (scripts/browser-test-deps installs
one); BROWSER_TEST_REQUIRED=1 (set by .ci/run) turns that skip into a failure.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from config.settings import PROJECT_ROOT, Settings
from db.roles import reader_url
from tests.conftest import serve

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "browser"
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
TIMEOUT_MS = 30_000


def _unavailable(reason: str) -> None:
    if os.environ.get("BROWSER_TEST_REQUIRED") == "1":
        pytest.fail(f"BROWSER_TEST_REQUIRED=1 but {reason}")
    pytest.skip(f"no browser test: {reason} (scripts/browser-test-deps installs Debian's chromium)")


try:
    from playwright.async_api import Browser, BrowserContext, Page, Route, async_playwright
except ImportError:  # pragma: no cover - the dev extras install it
    async_playwright = None  # type: ignore[assignment]


@pytest.fixture(scope="module")
async def site(seeded_url: str, settings: Settings) -> AsyncIterator[str]:
    """The service as deployed by default (CORS open to any origin), on a loopback port."""
    defaults = Settings.from_env({})
    app = create_app(dc_replace(settings, cors_origins=defaults.cors_origins), reader_url(seeded_url))
    async with serve(app) as url:
        yield url


def _prepare() -> None:
    """Skip (or fail) without a browser; make the screenshot folder."""
    if async_playwright is None:
        _unavailable("the `playwright` Python package is not installed")
    if not CHROMIUM.exists():
        _unavailable(f"no Chromium at {CHROMIUM}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    _prepare()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@dataclass
class Watched:
    """What a page did that a test must not let pass: requests to other hosts, failed
    requests, error answers and script errors."""

    page: Page
    context: BrowserContext
    blocked: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.blocked == [], f"requests to other hosts: {self.blocked}"
        assert self.failures == [], f"failures: {self.failures}"


@pytest.fixture
async def watched(browser: Browser, site: str) -> AsyncIterator[Watched]:
    port = urllib.parse.urlsplit(site).port
    allowed = {f"127.0.0.1:{port}", f"localhost:{port}"}
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = await context.new_page()
    state = Watched(page, context)

    async def only_the_test_server(route: Route) -> None:
        url = urllib.parse.urlsplit(route.request.url)
        if url.netloc in allowed:
            await route.continue_()
        else:
            state.blocked.append(route.request.url)
            await route.abort()

    await context.route("**/*", only_the_test_server)
    page.on("pageerror", lambda error: state.failures.append(f"script error: {error}"))
    page.on("requestfailed", lambda request: state.failures.append(f"request failed: {request.url}"))

    def on_response(response: Any) -> None:
        if response.status >= 400:
            state.failures.append(f"HTTP {response.status}: {response.url}")

    page.on("response", on_response)
    try:
        yield state
    finally:
        await context.close()


async def _editor_text(page: Page, editor: str) -> str:
    text: str = await page.evaluate(f"document.querySelector('{editor} .CodeMirror').CodeMirror.getValue()")
    return text


async def test_graphiql_runs_an_example_offline(watched: Watched, site: str) -> None:
    page = watched.page
    await page.goto(f"{site}/graphql")
    await page.wait_for_selector(".graphiql-query-editor .CodeMirror")
    assert "query EfficacyHer2Low" in await _editor_text(page, ".graphiql-query-editor")
    await page.click(".graphiql-execute-button")
    await page.click("[role=menuitem] >> text=EfficacyHer2Low")
    await page.wait_for_selector(".graphiql-response .CodeMirror-code:has-text('hazardRatio')")
    result = await _editor_text(page, ".graphiql-response")
    assert '"acronym": "DESTINY-Breast04"' in result
    assert '"errors"' not in result
    await page.click("button[aria-label='Show Documentation Explorer']")
    await page.wait_for_selector(".graphiql-doc-explorer >> text=Root Types")
    await page.screenshot(path=ARTIFACTS / "graphiql-example-result.png")
    watched.assert_clean()


async def test_graphiql_explorer_edits_lists_of_enum_values(watched: Watched, site: str) -> None:
    page = watched.page
    query = "query Phase3 {\n  trials(filter: {phases: [PHASE_3]}) {\n    totalCount\n  }\n}"
    await page.goto(f"{site}/graphql#query={urllib.parse.quote(query)}")
    await page.wait_for_selector(".graphiql-query-editor .CodeMirror")
    await page.click("button[aria-label='Show GraphiQL Explorer']")
    phase_3 = page.locator(".enum-list input[data-enum-value='PHASE_3']")
    phase_2 = page.locator(".enum-list input[data-enum-value='PHASE_2']")
    await phase_3.wait_for()
    assert await phase_3.is_checked()
    assert not await phase_2.is_checked()
    await phase_2.click()
    await page.wait_for_function(
        "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()"
        ".includes('phases: [PHASE_2, PHASE_3]')"
    )
    await page.click(".graphiql-execute-button")
    await page.wait_for_selector(".graphiql-response .CodeMirror-code:has-text('totalCount')")
    assert '"errors"' not in await _editor_text(page, ".graphiql-response")
    await page.screenshot(path=ARTIFACTS / "graphiql-explorer-enum-list.png")
    watched.assert_clean()


async def test_forest_plot_opens(watched: Watched, site: str) -> None:
    page = watched.page
    await page.goto(
        f"{site}/plots/efficacy.svg?indication=her2-low-metastatic-breast-cancer&withHazardRatio=true"
    )
    rows = page.locator("svg g[id^='row-']")
    await rows.first.wait_for()
    assert await rows.count() >= 5
    assert await page.locator("svg text", has_text="DESTINY-Breast04").count() >= 1
    await page.screenshot(path=ARTIFACTS / "forest-plot.png")
    watched.assert_clean()


async def test_frontend_example_from_another_origin(watched: Watched, site: str) -> None:
    """The example page served from `localhost`, the API at `127.0.0.1`: another origin."""
    page = watched.page
    port = urllib.parse.urlsplit(site).port
    api = f"http://127.0.0.1:{port}"
    await page.goto(f"http://localhost:{port}/examples/?api={urllib.parse.quote(api)}")
    await page.fill("#search", "Enhe")
    suggestion = page.locator("#suggestions li", has_text="trastuzumab deruxtecan")
    await suggestion.first.wait_for()
    await suggestion.first.click()
    await page.wait_for_selector("#agent:not([hidden])")
    assert await page.text_content("#agent-name") == "fam-trastuzumab deruxtecan-nxki"
    trials = page.locator("#trials tbody tr")
    await trials.first.wait_for()
    assert await trials.count() >= 5
    assert await page.locator("#trials tbody td", has_text="DESTINY-Breast04").count() == 1
    await page.wait_for_function(
        "document.getElementById('forest').complete && document.getElementById('forest').naturalWidth > 0"
    )
    assert (await page.get_attribute("#forest", "src") or "").startswith(f"{api}/plots/efficacy.svg?")
    await page.screenshot(path=ARTIFACTS / "frontend-example.png", full_page=True)
    watched.assert_clean()
