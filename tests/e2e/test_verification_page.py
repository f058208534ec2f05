"""The device verification page in a real headless Chromium, JavaScript off: a person types the code the agent
showed, confirms what is being connected, approves at the POS's consent screen and lands on the success page,
and the agent's `poll_pos_connect` (a real MCP session over HTTP) turns `connected`. Also: denied (on our page
and at the POS), expired and wrong codes. Every page of ours is audited in the browser (labels, autofocus, focus
outline, text contrast, no sideways scroll at phone width, target sizes, no CSP violation) and screenshotted to
build/artifacts/e2e/ (or $LOCALSHELF_ARTIFACTS/e2e/).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from mcp import Client

from tests.builders import http_session
from tests.conftest import call
from tests.e2e.conftest import ARTIFACTS, ORGANIZATION, SHOP, Site

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Response, ViewportSize

DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MIN_CONTRAST = 4.5  # WCAG 2.x AA, normal text
MIN_FOCUS_CONTRAST = 3.0  # WCAG 1.4.11, non-text (the focus outline against the page)
MIN_TARGET_PX = 44

# Runs in the page (Playwright evaluates it even with the page's JavaScript off); returns the problems found.
AUDIT = """({contrast, target}) => {
  const problems = [];
  const rgb = (c) => { const p = c.match(/[\\d.]+/g).map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = ({r, g, b}) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
                               return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const ratio = (x, y) => { const [hi, lo] = [lum(x), lum(y)].sort((p, q) => q - p); return (hi + 0.05) / (lo + 0.05); };
  const background = (el) => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor);
                                 if (c.a > 0) return c; } return {r: 255, g: 255, b: 255, a: 1}; };
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent.trim()).join('');
    const field = el.matches('input:not([type=hidden]), button');
    if (!(own || field) || el.getClientRects().length === 0) continue;
    const r = ratio(rgb(getComputedStyle(el).color), background(el));
    if (r < contrast) problems.push(`contrast ${r.toFixed(2)} < ${contrast}: <${el.tagName.toLowerCase()}> "${own.slice(0, 30)}"`);
  }
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    if (el.labels.length === 0 && !el.getAttribute('aria-label')) problems.push(`input without a label: ${el.name}`);
  }
  for (const el of document.querySelectorAll('button, a, input:not([type=hidden])')) {
    if (!(el.textContent.trim() || el.labels?.length || el.value)) problems.push(`control without a name: ${el.outerHTML}`);
    const box = el.getBoundingClientRect();
    if (el.tagName !== 'A' && (box.height < target || box.width < target))
      problems.push(`target ${Math.round(box.width)}x${Math.round(box.height)} < ${target} px: ${el.outerHTML.slice(0, 60)}`);
  }
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) problems.push(`scrolls sideways: ${root.scrollWidth} > ${root.clientWidth}`);
  if (root.lang !== 'en') problems.push('no lang on <html>');
  if (!document.title.trim()) problems.push('no <title>');
  if (document.querySelectorAll('h1').length !== 1) problems.push('not exactly one <h1>');
  if (document.querySelectorAll('script').length) problems.push('has <script>');
  return problems;
}"""

# Whether the focused element is `expected` (named as FOCUS names it).
FOCUSED_IS = """(expected) => {
  const el = document.activeElement;
  return !!el && ((el.id || el.name || el.textContent.trim() || el.tagName.toLowerCase()) === expected || el.value === expected);
}"""

# The focused element's outline, and its contrast against what is behind it.
FOCUS = """() => {
  const el = document.activeElement, s = getComputedStyle(el);
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
                               return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const bg = rgb(getComputedStyle(document.body).backgroundColor), fg = rgb(s.outlineColor);
  const [hi, lo] = [lum(fg), lum(bg)].sort((p, q) => q - p);
  return {element: el.id || el.name || el.textContent.trim() || el.tagName.toLowerCase(), value: el.value || '', style: s.outlineStyle,
          width: parseFloat(s.outlineWidth), contrast: (hi + 0.05) / (lo + 0.05)};
}"""


@dataclass
class Visit:
    """One browser tab on the site, with the screenshots it saved and the console errors (CSP violations) seen."""

    page: Page
    site: Site
    name: str
    shots: list[tuple[str, Path]] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def shoot(self, state: str) -> None:
        path = ARTIFACTS / f"{self.name}-{len(self.shots) + 1:02d}-{state}.png"
        self.page.screenshot(path=path, full_page=True)
        self.shots.append((state, path))

    def open(self, path: str) -> Response:
        response = self.page.goto(self.site.web + path)
        assert response is not None
        return response

    def press(self, key: str) -> Response:
        """Press a key that submits a form; the response the navigation ends on (after any redirects)."""
        with self.page.expect_navigation() as navigation:
            self.page.keyboard.press(key)
        return navigation.value

    def heading(self) -> str:
        return self.page.locator("h1").inner_text()

    def text(self) -> str:
        return self.page.locator("main").inner_text()

    def audit(self, state: str) -> None:
        """Our page, checked the way a person with a keyboard, low vision or a phone meets it; then saved."""
        self.shoot(state)
        problems = self.page.evaluate(AUDIT, {"contrast": MIN_CONTRAST, "target": MIN_TARGET_PX})
        assert problems == [], f"{state}: {problems}"
        assert self.console_errors == [], self.console_errors  # e.g. the stylesheet refused by the CSP

    def assert_saved(self, *states: str) -> None:
        """The screenshots of `states` were written, in this order, as PNGs as wide as the viewport."""
        assert [state for state, _ in self.shots] == list(states)
        width = (self.page.viewport_size or {"width": 0})["width"]
        for _, path in self.shots:
            assert_png(path, width)

    def focus_next(self, expected: str, ours: bool = True) -> None:
        """Tab to the next control, which must be `expected` (id, name, text or value) and, on our pages, show
        a clear outline (the POS's consent page has the browser's own)."""
        self.page.keyboard.press("Tab")
        self.assert_focus(expected, ours)

    def assert_focus(self, expected: str, ours: bool = True) -> None:
        # Focus lands asynchronously (autofocus once the page is loaded, a key press): give it a moment on a busy
        # machine, then judge what has it; a wrong element still fails below, with its description.
        from playwright.sync_api import TimeoutError as PlaywrightTimeout  # the conftest skips without Playwright

        with suppress(PlaywrightTimeout):
            self.page.wait_for_function(FOCUSED_IS, arg=expected, timeout=5_000)
        focus = self.page.evaluate(FOCUS)
        assert expected in (focus["element"], focus["value"]), focus
        if not ours:
            return
        assert focus["style"] != "none" and focus["width"] >= 2, focus
        assert focus["contrast"] >= MIN_FOCUS_CONTRAST, focus


OpenTab = Callable[["ViewportSize", str], Visit]


@pytest.fixture
def visit(browser: Browser, site: Site, request: pytest.FixtureRequest) -> Iterator[OpenTab]:
    """`visit(viewport, name)` opens a tab with JavaScript off; its screenshots are `<name>-<backend>-NN-<state>.png`."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    contexts: list[BrowserContext] = []

    def open_tab(viewport: ViewportSize, name: str) -> Visit:
        context = browser.new_context(viewport=viewport, java_script_enabled=False)
        contexts.append(context)
        page = context.new_page()
        opened = Visit(page, site, f"{name}-{request.node.callspec.params['backend']}")
        page.on("console", lambda message: opened.console_errors.append(message.text) if _problem(message) else None)
        return opened

    yield open_tab
    for context in contexts:
        context.close()


def _problem(message: ConsoleMessage) -> bool:
    """A console error other than Chromium's note that a page answered 4xx (the refusal pages do, by design)."""
    return message.type == "error" and not message.text.startswith("Failed to load resource")


def assert_png(path: Path, width: int) -> None:
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 1000, path
    assert struct.unpack(">I", data[16:20])[0] == width, f"{path} is not {width} px wide"  # IHDR width


class Agent:
    """The agent: one MCP session over streamable HTTP with its API key, held open by an event loop in a thread
    of its own (Playwright's sync API keeps a loop running in the test's thread)."""

    def __init__(self, portal: BlockingPortal, client: Client, site: Site) -> None:
        self.portal, self.client, self.site = portal, client, site

    def call(self, tool: str, **arguments: Any) -> dict[str, Any]:
        return self.portal.call(partial(call, self.client, tool, **arguments))

    def start_connect(self, provider: str) -> dict[str, Any]:
        account = {"account": SHOP} if provider == "shopify" else {}
        started = self.call(
            "start_pos_connect", organization_id=self.site.organization_id, provider=provider, **account
        )
        assert started["verification_uri"] == f"{self.site.web}/connect"
        return started

    def poll(self, started: dict[str, Any]) -> dict[str, Any]:
        """poll_pos_connect, `interval` seconds (on the server's clock) after the last poll, as a polite agent."""
        self.site.clock.advance(started["interval"])
        return self.call("poll_pos_connect", device_code=started["device_code"])


@pytest.fixture
def agent(site: Site) -> Iterator[Agent]:
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(http_session(site.mcp_url, site.key)) as client,
    ):
        yield Agent(portal, client, site)


def enter_code(tab: Visit, typed: str) -> Response:
    """Open the page, type the code into the field that has focus on load, Tab to Continue, press Enter."""
    assert tab.open("/connect").status == 200
    tab.assert_focus("user_code")  # autofocus, with the focus ring
    tab.page.keyboard.type(typed)
    tab.audit("enter-code")
    tab.focus_next("Continue")
    return tab.press("Enter")


@pytest.mark.parametrize(
    ("viewport", "provider", "typed"),
    [
        pytest.param(DESKTOP, "shopify", str.upper, id="desktop-shopify"),
        pytest.param(PHONE, "square", lambda code: code.lower().replace("-", " "), id="phone-square"),
    ],
)
def test_a_person_types_the_code_approves_at_the_pos_and_the_agent_sees_connected(
    site: Site, agent: Agent, visit: OpenTab, viewport: ViewportSize, provider: str, typed: Callable[[str], str]
) -> None:
    started = agent.start_connect(provider)
    assert agent.poll(started)["status"] == "authorization_pending"
    tab = visit(viewport, f"connected-{provider}-{viewport['width']}px")

    confirm = enter_code(tab, typed(started["user_code"]))
    assert confirm.status == 200 and tab.heading() == "Confirm the connection"
    shown = tab.text()
    assert ORGANIZATION in shown and provider.capitalize() in shown
    assert (SHOP in shown) if provider == "shopify" else ("account you sign in to next" in shown)
    assert "pending-" not in shown
    tab.audit("confirm")
    tab.focus_next("approve")

    consent = tab.press("Enter")  # 303 to the POS's own consent screen
    assert consent.url.startswith(site.shopify_url if provider == "shopify" else site.square_url), consent.url
    tab.shoot("pos-consent")
    tab.focus_next("allow", ours=False)

    landed = tab.press("Enter")  # the POS redirects to our callback, which connects
    assert landed.status == 200 and tab.heading() == "Connected", tab.text()
    assert "is connected" in tab.text()
    tab.audit("connected")

    polled = agent.poll(started)
    assert polled["status"] == "connected"
    assert polled["integration"]["provider"] == provider and polled["integration"]["status"] == "connected"
    tab.assert_saved("enter-code", "confirm", "pos-consent", "connected")


def test_denying_on_the_page_or_at_the_pos_shows_denied_and_the_agent_hears_access_denied(
    site: Site, agent: Agent, visit: OpenTab
) -> None:
    on_page = agent.start_connect("shopify")
    tab = visit(PHONE, "denied")
    assert enter_code(tab, on_page["user_code"]).status == 200
    tab.focus_next("approve")
    tab.focus_next("deny")
    denied = tab.press("Enter")
    assert denied.status == 200 and tab.heading() == "Connection denied"
    tab.audit("denied-on-page")
    assert agent.poll(on_page)["status"] == "access_denied"

    at_pos = agent.start_connect("square")
    assert enter_code(tab, at_pos["user_code"]).status == 200
    tab.focus_next("approve")
    tab.press("Enter")
    tab.shoot("pos-consent")
    tab.focus_next("allow", ours=False)
    tab.focus_next("deny", ours=False)
    refused = tab.press("Enter")  # the POS answers our callback with error=access_denied
    assert refused.status == 200 and tab.heading() == "Connection denied"
    tab.audit("denied-at-pos")
    assert agent.poll(at_pos)["status"] == "access_denied"
    tab.assert_saved("enter-code", "denied-on-page", "enter-code", "pos-consent", "denied-at-pos")


def test_an_expired_code_says_it_expired_and_the_agent_hears_expired_token(
    site: Site, agent: Agent, visit: OpenTab
) -> None:
    started = agent.start_connect("shopify")
    site.clock.advance(started["expires_in"] + 1)
    tab = visit(DESKTOP, "expired")
    expired = enter_code(tab, started["user_code"])
    assert expired.status == 400 and tab.heading() == "Code expired", tab.text()
    assert "Ask your assistant for a new one" in tab.text()
    tab.audit("expired")
    assert agent.poll(started)["status"] == "expired_token"
    tab.assert_saved("enter-code", "expired")


def test_a_wrong_code_says_so_and_leads_back_to_the_form(site: Site, agent: Agent, visit: OpenTab) -> None:
    agent.start_connect("shopify")
    tab = visit(PHONE, "wrong-code")
    wrong = enter_code(tab, "BBBB-BBBB")
    assert wrong.status == 400 and tab.heading() == "Code not recognised"
    tab.audit("wrong-code")
    tab.focus_next("Try again")
    back = tab.press("Enter")
    assert back.status == 200 and back.url == f"{site.web}/connect"
    tab.assert_focus("user_code")
    tab.assert_saved("enter-code", "wrong-code")
