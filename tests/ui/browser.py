"""Helpers for the Playwright tests: Debian's Chromium (no `playwright install`) and page actions by element id."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import Browser, BrowserContext, Locator, Page, sync_playwright

__all__ = ["CHROMIUM", "ChatPage", "chromium_browser", "chromium_context", "external_requests"]

CHROMIUM = "/usr/bin/chromium"
_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


@contextmanager
def chromium_context() -> Iterator[BrowserContext]:
    """A headless Chromium context with a fresh user data dir."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile, sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=_FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield ctx
        finally:
            ctx.close()


@contextmanager
def chromium_browser() -> Iterator[Browser]:
    """A headless Chromium for several isolated contexts (``browser.new_context()``: each its own storage)."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def external_requests(urls: list[str]) -> list[str]:
    """The URLs that left the machine (anything but loopback, data: and blob:)."""
    out = []
    for url in urls:
        parsed = urlparse(url)
        if parsed.scheme in ("data", "blob", "about", "chrome-extension"):
            continue
        if parsed.hostname not in _LOCAL_HOSTS:
            out.append(url)
    return out


class ChatPage:
    """The app's page, driven through the element ids set in ``ui.app``."""

    def __init__(self, page: Page, *, timeout_ms: float = 90_000) -> None:
        self.page = page
        self.timeout = timeout_ms

    def open(self, url: str) -> None:
        """Open the page and wait until its load event has run (the owner's chat restored), so a later click is
        never overridden by the restore."""
        self.page.goto(url)
        self.page.locator("#chat-input textarea").wait_for(timeout=self.timeout)
        self.page.locator("#page-ready [data-ready]").wait_for(state="attached", timeout=self.timeout)

    def reload(self) -> None:
        """Reload the page and wait until its load event has run."""
        self.page.reload()
        self.page.locator("#chat-input textarea").wait_for(timeout=self.timeout)
        self.page.locator("#page-ready [data-ready]").wait_for(state="attached", timeout=self.timeout)

    def tab(self, name: str) -> None:
        self.page.get_by_role("tab", name=name).click()

    def bot_messages(self) -> Locator:
        return self.page.locator("#chatbot .message.bot, #chatbot [data-testid='bot']")

    def send(self, text: str) -> str:
        """Type a message, send it, and return the new reply's text once it is final."""
        self.tab("Chat")
        before = self.bot_messages().count()
        box = self.page.locator("#chat-input textarea")
        box.fill(text)
        box.press("Enter")
        return self.wait_reply(before)

    def wait_reply(self, before: int) -> str:
        """Wait for a new bot message whose text is final (not the '…' placeholder) and return it."""
        messages = self.bot_messages()
        self.page.wait_for_function(
            """([sel, n]) => { const m = document.querySelectorAll(sel);
                 return m.length > n && m[m.length - 1].innerText.trim() !== '…'
                   && !document.querySelector('#chatbot .pending, #chat-input .generating'); }""",
            arg=["#chatbot .message.bot, #chatbot [data-testid='bot']", before],
            timeout=self.timeout,
        )
        self.page.wait_for_function("() => !document.querySelector('.progress-text, .eta-bar')", timeout=self.timeout)
        return messages.last.inner_text()

    def upload_audio(self, wav: Path) -> str:
        """Upload a recording through the voice widget and return the reply."""
        self.tab("Chat")
        before = self.bot_messages().count()
        audio = self.page.locator("#chat-audio")
        upload_source = audio.get_by_role("button", name="Upload file")
        if upload_source.count():
            upload_source.first.click()
        audio.locator("input[type=file]").set_input_files(str(wav))
        return self.wait_reply(before)

    def device_row(self, entity_id: str) -> Locator:
        """A device's row on the Home tab (its name, state badge, buttons and sliders)."""
        self.tab("Home")
        return self.page.locator(f'#dashboard [data-entity="{entity_id}"]')

    def press_control(self, entity_id: str, label: str) -> None:
        """Press a button on a device's row ('Turn off', 'Unlock', 'Activate' ...)."""
        exact = re.compile(rf"^\s*{re.escape(label)}\s*$")
        button = self.device_row(entity_id).locator("button[data-service]", has_text=exact)
        button.wait_for(timeout=self.timeout)
        button.click()

    def dashboard_state(self, entity_id: str) -> str:
        return str(self.device_row(entity_id).locator(".state").get_attribute("data-state"))

    def wait_dashboard_state(self, entity_id: str, state: str) -> None:
        self.device_row(entity_id).locator(f'.state[data-state="{state}"]').wait_for(timeout=self.timeout)

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.wait_for_timeout(300)
        self.page.screenshot(path=str(path), full_page=True)
