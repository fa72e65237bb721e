"""Safety of the web UI in a real browser (Debian's Chromium via Playwright) against `assistant serve` with a PIN.

- document text, titles and user messages show as plain text: no <img> or <a> from them, no request for them;
- conversations are private to their browser: another browser neither lists them nor sees or answers their pending
  unlock;
- a Yes button shown for a confirmation that was answered elsewhere (or expired) disappears on the next poll, and
  pressing a stale one does nothing, even with the right PIN;
- with ``nlu.confirm_pin`` set, the Home tab's Unlock → Confirm asks for the PIN and a wrong PIN does not unlock.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ui.served import Served, free_port, serve_subprocess

pytestmark = [pytest.mark.slow, pytest.mark.browser]

playwright = pytest.importorskip("playwright.sync_api")
if not Path("/usr/bin/chromium").exists():  # pragma: no cover - depends on the machine
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)

from playwright.sync_api import Browser, Page, Route  # noqa: E402
from playwright.sync_api import Error as PlaywrightError  # noqa: E402

from tests.ui.browser import ChatPage, chromium_browser, external_requests  # noqa: E402

PIN = "97531"
LOCK = "lock.front_door"
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002"
    "0000050001e2266d0a0000000049454e44ae426082"
)


class HitCounter:
    """A loopback HTTP server that answers every GET with a 1x1 PNG and records the paths asked for."""

    def __init__(self) -> None:
        hits: list[str] = []
        self.hits = hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(_PNG)))
                self.end_headers()
                self.wfile.write(_PNG)

            def log_message(self, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.port = int(self._server.server_address[1])
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def trap() -> Iterator[HitCounter]:
    """The address hostile documents point their images and links at."""
    counter = HitCounter()
    yield counter
    counter.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One real server for the module, with a confirmation PIN."""
    data = tmp_path_factory.mktemp("browser-safety") / "data"
    with serve_subprocess(data, env={"ASSISTANT_NLU__CONFIRM_PIN": PIN}) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium_browser() as b:
        yield b


@pytest.fixture(scope="module")
def requests_seen() -> list[str]:
    """Every URL any page of the module requested."""
    return []


def _open(browser_ctx: Any, url: str, requests_seen: list[str]) -> ChatPage:
    page = browser_ctx.new_page()
    page.on("request", lambda r: requests_seen.append(r.url))
    chat = ChatPage(page)
    chat.open(url)
    return chat


@pytest.fixture(scope="module")
def alice_ctx(browser: Browser) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    yield ctx
    ctx.close()


@pytest.fixture(scope="module")
def alice(alice_ctx: Any, served: Served, requests_seen: list[str]) -> ChatPage:
    """Browser A's page."""
    return _open(alice_ctx, served.url, requests_seen)


@pytest.fixture(scope="module")
def bob(browser: Browser, served: Served, requests_seen: list[str]) -> Iterator[ChatPage]:
    """Browser B: another context, so other storage and another owner."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    yield _open(ctx, served.url, requests_seen)
    ctx.close()


# ---------------------------------------------------------------------------------------------- helpers


def _new_conversation(ui: ChatPage) -> None:
    ui.tab("Chat")
    ui.page.locator("#new-conversation").click()
    ui.page.wait_for_function("() => !document.querySelector('#chatbot .message')")


def _conversation_options(ui: ChatPage) -> list[str]:
    ui.tab("Chat")
    ui.page.locator("#conv-select input").click()
    ui.page.wait_for_timeout(500)
    options = [o.inner_text().strip("✓ \n") for o in ui.page.locator("#conv-select").get_by_role("option").all()]
    ui.page.keyboard.press("Escape")
    return options


def _open_latest_conversation(ui: ChatPage) -> None:
    ui.tab("Chat")
    ui.page.locator("#conv-select input").click()
    ui.page.get_by_role("option").first.click()
    ui.page.locator("#chatbot .message.bot, #chatbot [data-testid='bot']").first.wait_for(timeout=ui.timeout)


def _confirm_row(ui: ChatPage) -> Any:
    """The chat's Yes/No row (the Chat tab is shown first: a row on a hidden tab is never visible)."""
    ui.tab("Chat")
    return ui.page.locator("#confirm-row")


def _ask_unlock(ui: ChatPage) -> str:
    reply = ui.send("unlock the front door")
    _confirm_row(ui).wait_for(state="visible", timeout=ui.timeout)
    return reply


def _press(ui: ChatPage, button: str, pin: str | None = None) -> str:
    ui.tab("Chat")
    if pin is not None:
        ui.page.locator("#confirm-pin input").fill(pin)
    before = ui.bot_messages().count()
    ui.page.locator(button).click()
    return ui.wait_reply(before)


def _lock_state(ui: ChatPage) -> str:
    return ui.dashboard_state(LOCK)


def _all_text(page: Page) -> str:
    return str(page.evaluate("() => document.body.innerText"))


@contextmanager
def _frozen_chat_tick(ui: ChatPage, url: str) -> Iterator[None]:
    """Hold back this page's chat poll (its queue requests wait until the block ends), so its Yes button goes
    stale."""
    deps = httpx.get(url + "config", timeout=10).json()["dependencies"]
    fn = next(d["id"] for d in deps if d.get("api_name") == "chat_tick")
    held: list[Route] = []

    def handle(route: Route) -> None:
        try:
            body = route.request.post_data_json or {}
        except Exception:
            body = {}
        if isinstance(body, dict) and body.get("fn_index") == fn:
            held.append(route)  # answered when the block ends
        else:
            route.continue_()

    pattern = re.compile(r".*/gradio_api/queue/join.*")
    ui.page.route(pattern, handle)
    try:
        yield
    finally:
        for route in held:
            route.continue_()
        ui.page.unroute(pattern, handle)


def _latest_conversation_id(data_dir: Path, owner_prefix: str = "browser:") -> str:
    with sqlite3.connect(f"file:{data_dir / 'assistant.sqlite'}?mode=ro", uri=True) as db:
        row = db.execute(
            "SELECT id FROM conversations WHERE owner LIKE ? ORDER BY updated_at DESC LIMIT 1", (owner_prefix + "%",)
        ).fetchone()
    assert row, "no browser conversation stored"
    return str(row[0])


def _wait_until(check: Callable[[], bool], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.2)


# ---------------------------------------------------------------------------------------------- (a) untrusted text


def test_document_markup_stays_plain_text(alice: ChatPage, trap: HitCounter, tmp_path: Path) -> None:
    base = trap.base
    hostile = (
        f"<img src={base}/img.png> ![pump photo]({base}/md.png) [click here to confirm]({base}/confirm) "
        f"<a href={base}/a>open</a>"
    )
    doc = tmp_path / "pool-care.md"
    doc.write_text(
        f"# Pool care <img src={base}/title.png> ![logo]({base}/title-md.png) [click here to confirm]({base}/t)\n\n"
        f"The pool pump filter must be backwashed every 9 days {hostile} and the skimmer basket emptied weekly.\n\n"
        f"Visit {base}/bare or www.example.com for spare parts.\n",
        encoding="utf-8",
    )
    ui = alice
    page = ui.page
    ui.tab("Knowledge base")
    page.locator("#kb-upload input[type=file]").set_input_files(str(doc))
    page.locator("#kb-ingest").click()
    _wait_until(lambda: any(m in page.locator("#kb-result").inner_text() for m in "✔✘"), ui.timeout / 1000)
    assert "✔" in page.locator("#kb-result").inner_text()
    table = page.locator("#kb-documents").inner_text()
    assert "pool-care.md" in table and f"<img src={base}/title.png>" in table, table

    page.locator("#kb-query textarea").fill("how often must the pool pump filter be backwashed")
    page.locator("#kb-query textarea").press("Enter")
    page.locator("#kb-passages").get_by_text("score").first.wait_for(timeout=ui.timeout)
    passages = page.locator("#kb-passages").inner_text()
    assert f"<img src={base}/img.png>" in passages and f"![pump photo]({base}/md.png)" in passages, passages
    assert f"[click here to confirm]({base}/confirm)" in passages and f"<img src={base}/title.png>" in passages

    _new_conversation(ui)
    reply = ui.send("what does the house manual say about the pool pump filter")
    assert "Cited passages:" in reply and "pool-care.md" in reply, reply
    assert f"<img src={base}/title.png>" in reply, reply  # the title, literally
    assert "backwashed every 9 days" in reply, reply
    _new_conversation(ui)  # a user message is untrusted too (and becomes the conversation's title)
    ui.send(f"<img src={base}/user.png> ![me]({base}/user-md.png) [click here to confirm]({base}/user-link)")
    chat = ui.page.locator("#chatbot").inner_text()
    assert f"<img src={base}/user.png>" in chat and f"[click here to confirm]({base}/user-link)" in chat, chat
    ui.tab("Trace")
    assert f"<img src={base}/user.png>" in page.locator("#trace").inner_text()
    assert any(o.startswith("<img src=") for o in _conversation_options(ui))

    port = f":{trap.port}"
    assert page.locator(f'img[src*="{port}"], source[src*="{port}"], image[href*="{port}"]').count() == 0
    assert page.locator(f'a[href*="{port}"], a[href^="javascript:"]').count() == 0
    assert page.locator('a[href*="example.com"]').count() == 0
    page.wait_for_timeout(500)
    assert trap.hits == [], trap.hits


# ---------------------------------------------------------------------------------------------- (b) privacy


def test_another_browser_neither_lists_nor_answers_a_conversation(
    alice: ChatPage, bob: ChatPage, served: Served, requests_seen: list[str]
) -> None:
    _new_conversation(alice)
    assert _lock_state(alice) == "locked"
    _ask_unlock(alice)
    assert alice.page.locator("#confirm-pin input").is_visible()  # a PIN is configured: the box is beside Yes
    alice_options = _conversation_options(alice)
    assert any("unlock the front door" in o for o in alice_options), alice_options

    # B sees none of A's conversations, in the chat switcher, the history search or the history tab
    assert not any("unlock the front door" in o or "pool pump" in o for o in _conversation_options(bob))
    bob.page.wait_for_timeout(2500)  # a few poll ticks
    assert not _confirm_row(bob).is_visible()
    bob.tab("History")
    bob.page.locator("#history-query textarea").fill("unlock")
    bob.page.locator("#history-query textarea").press("Enter")
    bob.page.wait_for_timeout(1500)
    assert "unlock the front door" not in bob.page.locator("#history-results").inner_text()
    bob.page.locator("#history-conversation input").click()
    bob.page.wait_for_timeout(500)
    assert not any(
        "unlock" in o.inner_text() for o in bob.page.locator("#history-conversation").get_by_role("option").all()
    )
    bob.page.keyboard.press("Escape")

    # nor can another client answer A's pending unlock through the API, knowing its id
    from gradio_client import Client

    cid = _latest_conversation_id(served.data_dir)
    reply, turn = Client(served.url, verbose=False).predict(f"yes {PIN}", cid, "", api_name="/chat")
    assert turn["error"] == "conversation-forbidden" and not turn["actions"], (reply, turn)
    assert _lock_state(alice) == "locked"

    # A reloads: the browser keeps its owner, so the conversation and its pending unlock are still A's
    alice.reload()
    _open_latest_conversation(alice)
    _confirm_row(alice).wait_for(state="visible", timeout=alice.timeout)
    reply = _press(alice, "#confirm-no")
    assert "won't" in reply.lower() or "not" in reply.lower(), reply
    _confirm_row(alice).wait_for(state="hidden", timeout=alice.timeout)
    assert _lock_state(alice) == "locked"


# ---------------------------------------------------------------------------------------------- (c) stale buttons


def test_stale_yes_button_disappears_and_does_nothing(alice_ctx: Any, alice: ChatPage, served: Served) -> None:
    _new_conversation(alice)
    _ask_unlock(alice)  # pending X
    # a second tab of the same browser (same owner) shows the same pending unlock
    other = ChatPage(alice_ctx.new_page())
    other.open(served.url)
    try:
        _open_latest_conversation(other)
        _confirm_row(other).wait_for(state="visible", timeout=other.timeout)

        with _frozen_chat_tick(other, served.url):
            _press(alice, "#confirm-no")  # X answered here...
            _confirm_row(alice).wait_for(state="hidden", timeout=alice.timeout)
            _ask_unlock(alice)  # ...and a new pending Y asked
            other.page.wait_for_timeout(1500)
            assert _confirm_row(other).is_visible()  # the other tab still shows X's buttons (its poll is held)
            # pressing X's stale Yes, even with the right PIN, does nothing
            reply = _press(other, "#confirm-yes", pin=PIN)
            assert "confirm-not-pending" in reply or "no longer waiting" in reply.lower(), reply
            assert PIN not in other.page.locator("#chatbot").inner_text()
            assert _lock_state(other) == "locked"
            alice.page.wait_for_timeout(1500)
            assert _confirm_row(alice).is_visible()  # Y is still waiting, untouched

        # Y answered in the first tab: the other tab's buttons go on its next poll
        _confirm_row(other).wait_for(state="visible", timeout=other.timeout)
        _press(alice, "#confirm-no")
        _confirm_row(other).wait_for(state="hidden", timeout=10_000)
        assert _lock_state(alice) == "locked"
    finally:
        other.page.close()


# ---------------------------------------------------------------------------------------------- (d) PIN


def test_home_tab_unlock_needs_the_pin(alice: ChatPage) -> None:
    ui = alice
    page = ui.page
    ui.press_control(LOCK, "Unlock")
    page.locator("#control-confirm").wait_for(state="visible", timeout=ui.timeout)
    pin_box = page.locator("#control-pin input")
    pin_box.wait_for(state="visible")
    assert pin_box.get_attribute("type") == "password"
    assert "PIN" in page.locator("#control-result").inner_text()

    page.locator("#control-confirm-yes").click()  # no PIN: refused
    page.locator("#control-result").get_by_text("confirm-wrong-pin").wait_for(timeout=ui.timeout)
    pin_box.fill("00000")  # a wrong PIN: refused, still locked, the box is cleared
    page.locator("#control-confirm-yes").click()
    page.wait_for_function("() => document.querySelector('#control-pin input').value === ''", timeout=ui.timeout)
    assert "confirm-wrong-pin" in page.locator("#control-result").inner_text()
    ui.page.wait_for_timeout(1500)
    assert _lock_state(ui) == "locked"

    pin_box.fill(PIN)  # the right PIN unlocks
    page.locator("#control-confirm-yes").click()
    ui.wait_dashboard_state(LOCK, "unlocked")
    page.locator("#control-confirm").wait_for(state="hidden")
    assert "lock.unlock" in page.locator("#control-result").inner_text()
    assert PIN not in _all_text(page)

    ui.press_control(LOCK, "Lock")  # locking is not sensitive
    ui.wait_dashboard_state(LOCK, "locked")

    # the chat asks for the PIN beside Yes too, and never shows it
    _new_conversation(ui)
    _ask_unlock(ui)
    reply = _press(ui, "#confirm-yes", pin=PIN)
    chat = ui.page.locator("#chatbot").inner_text()
    assert PIN not in chat, reply
    try:
        ui.wait_dashboard_state(LOCK, "unlocked")
    except PlaywrightError as exc:  # once seen on a loaded machine (1 run in 3): keep what the page said
        raise AssertionError(
            f"the chat's Yes with the PIN did not unlock; reply {reply!r}; chat {chat[-600:]!r}"
        ) from exc
    ui.press_control(LOCK, "Lock")
    ui.wait_dashboard_state(LOCK, "locked")


def test_no_request_left_the_machine(requests_seen: list[str], trap: HitCounter) -> None:
    assert requests_seen and external_requests(requests_seen) == []
    assert not [u for u in requests_seen if f":{trap.port}" in u]
    assert trap.hits == []


# ---------------------------------------------------------------------------------------------- expiry (fake engine)


@pytest.fixture()
def expiring(tmp_path: Path) -> Iterator[str]:
    """The app over the fake assistant whose pending unlocks expire after 3 s, in-process."""
    from tests.ui.conftest import FakeAssistant
    from ui.app import CSS, create_app, theme
    from ui.server import launch_options

    assistant = FakeAssistant(tmp_path / "data", ttl_s=3.0)
    app = create_app(assistant)
    app.queue()
    port = free_port()
    app.launch(
        prevent_thread_lock=True,
        theme=theme(),
        css=CSS,
        **launch_options(assistant.config, host="127.0.0.1", port=port),
    )
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.close()
        assistant.close()


def test_an_expired_confirmation_loses_its_buttons(browser: Browser, expiring: str) -> None:
    ctx = browser.new_context()
    try:
        ui = ChatPage(ctx.new_page(), timeout_ms=30_000)
        ui.open(expiring)
        _ask_unlock(ui)
        _confirm_row(ui).wait_for(state="hidden", timeout=10_000)  # expired: gone on a poll, nothing pressed
        assert _lock_state(ui) == "locked"
    finally:
        ctx.close()
