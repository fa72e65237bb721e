"""The web UI in a real browser (Debian's Chromium via Playwright) against `assistant serve`.

One server and one page for the module; the tests run in file order and save the README screenshots.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.ui.served import PROJECT_ROOT, Served, serve_subprocess

pytestmark = [pytest.mark.slow, pytest.mark.browser]

playwright = pytest.importorskip("playwright.sync_api")
if not Path("/usr/bin/chromium").exists():  # pragma: no cover - depends on the machine
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)

from tests.ui.browser import ChatPage, chromium_context, external_requests  # noqa: E402

# README screenshots are refreshed with ASSISTANT_UPDATE_SCREENSHOTS=1; otherwise they go to a temp folder.
SCREENSHOTS = (
    PROJECT_ROOT / "docs" / "screenshots"
    if os.environ.get("ASSISTANT_UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.mkdtemp(prefix="assistant-screenshots-"))
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One real server for the module."""
    with serve_subprocess(tmp_path_factory.mktemp("browser") / "data") as server:
        yield server


@pytest.fixture(scope="module")
def requests_seen() -> list[str]:
    """Every URL the page requested."""
    return []


@pytest.fixture(scope="module")
def ui(served: Served, requests_seen: list[str]) -> Iterator[ChatPage]:
    """The app open in a headless Chromium."""
    with chromium_context() as ctx:
        page = ctx.new_page()
        page.on("request", lambda r: requests_seen.append(r.url))
        chat = ChatPage(page)
        chat.open(served.url)
        yield chat


@pytest.fixture(scope="module")
def command_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """'turn off the kitchen light' spoken by espeak-ng, as 16 kHz mono 16-bit WAV."""
    if not (shutil.which("espeak-ng") and shutil.which("sox")):
        pytest.skip("espeak-ng and sox are needed to synthesise the test command")
    folder = tmp_path_factory.mktemp("wav")
    raw, wav = folder / "raw.wav", folder / "turn_off_kitchen_light.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(raw), "turn off the kitchen light"], check=True)
    subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(wav)], check=True)
    return wav


def test_text_command_updates_reply_and_dashboard(ui: ChatPage) -> None:
    ui.send("turn off the kitchen light")
    ui.wait_dashboard_state("light.kitchen", "off")
    reply = ui.send("turn on the kitchen light")
    assert reply.strip() and "error" not in reply.lower()
    ui.wait_dashboard_state("light.kitchen", "on")
    ui.tab("Chat")
    ui.screenshot(SCREENSHOTS / "chat.png")
    ui.tab("Home")
    ui.screenshot(SCREENSHOTS / "home.png")


def test_a_timer_announces_itself_in_the_chat(ui: ChatPage) -> None:
    assert ui.send("set a timer for 1 second") == "Timer set for 1 second."
    ui.page.get_by_text("⏰ The 1-second timer is done.").wait_for(timeout=ui.timeout)


def test_dashboard_control_changes_the_device(ui: ChatPage) -> None:
    ui.wait_dashboard_state("light.kitchen", "on")
    ui.press_control("light.kitchen", "Turn off")  # the control sits on the device's own row
    ui.wait_dashboard_state("light.kitchen", "off")
    assert "light.turn_off" in ui.page.locator("#control-result").inner_text()


def test_voice_command_shows_transcript_and_action(ui: ChatPage, command_wav: Path) -> None:
    ui.send("turn on the kitchen light")
    ui.wait_dashboard_state("light.kitchen", "on")
    reply = ui.upload_audio(command_wav)
    assert re.search(r"kitchen light", reply, re.IGNORECASE), reply
    assert "Heard:" in reply
    ui.wait_dashboard_state("light.kitchen", "off")
    ui.tab("Trace")
    trace = ui.page.locator("#trace")
    assert "Transcript" in trace.inner_text() and "light.turn_off" in trace.inner_text()


def test_risky_action_needs_the_yes_button(ui: ChatPage) -> None:
    assert ui.dashboard_state("lock.front_door") == "locked"
    ui.send("unlock the front door")
    confirm = ui.page.locator("#confirm-row")
    confirm.wait_for(state="visible")
    assert ui.dashboard_state("lock.front_door") == "locked"
    ui.tab("Chat")
    ui.screenshot(SCREENSHOTS / "confirm.png")
    before = ui.bot_messages().count()
    ui.page.locator("#confirm-yes").click()
    ui.wait_reply(before)
    confirm.wait_for(state="hidden")
    ui.wait_dashboard_state("lock.front_door", "unlocked")


def test_uploaded_document_gives_a_cited_answer(ui: ChatPage, tmp_path: Path) -> None:
    doc = tmp_path / "aquarium-care.md"
    doc.write_text(
        "# Aquarium care\n\nThe living-room aquarium filter sponge must be rinsed every 12 days in tank water, "
        "never under the tap. The aquarium heater is set to 25 degrees Celsius.\n",
        encoding="utf-8",
    )
    ui.tab("Knowledge base")
    page = ui.page
    page.locator("#kb-upload input[type=file]").set_input_files(str(doc))
    page.locator("#kb-ingest").click()
    # the progress text names the file too: wait for the final status mark, not the name
    deadline = time.monotonic() + ui.timeout / 1000
    while time.monotonic() < deadline and not any(m in page.locator("#kb-result").inner_text() for m in "✔✘"):
        time.sleep(0.2)
    assert "✔" in page.locator("#kb-result").inner_text()
    assert "aquarium-care.md" in page.locator("#kb-documents").inner_text()
    page.locator("#kb-query textarea").fill("how often should the aquarium filter sponge be rinsed")
    page.locator("#kb-query textarea").press("Enter")
    page.locator("#kb-passages").get_by_text("score").first.wait_for(timeout=ui.timeout)
    ui.screenshot(SCREENSHOTS / "knowledge.png")
    ui.tab("Chat")
    page.locator("#new-conversation").click()
    page.wait_for_function("() => !document.querySelector('#chatbot .message')")  # cleared before counting replies
    reply = ui.send("what does the house manual say about the aquarium filter sponge")
    assert "Cited passages:" in reply and "aquarium-care.md" in reply, reply
    assert "12 days" in reply, reply


def test_trace_tab_shows_the_selected_turn(ui: ChatPage) -> None:
    ui.send("turn on the kitchen light")
    ui.tab("Trace")
    trace = ui.page.locator("#trace")
    text = trace.inner_text()
    for needle in ("Intent", "tier", "Latency per stage", "light.turn_on"):
        assert needle in text, needle
    assert trace.locator("svg g.bar").count() >= 2
    ui.screenshot(SCREENSHOTS / "trace.png")


def test_history_skills_settings_views(ui: ChatPage) -> None:
    page = ui.page
    ui.tab("History")
    page.locator("#history-query textarea").fill("kitchen")
    page.locator("#history-query textarea").press("Enter")
    page.locator("#history-results").get_by_text("turn on the kitchen light").first.wait_for(timeout=ui.timeout)
    page.locator("#history-conversation input").click()
    page.get_by_role("option").first.click()
    page.locator("#sentiment-plot canvas, #sentiment-plot svg").first.wait_for(timeout=ui.timeout)
    page.get_by_role("button", name="Export JSON").click()
    link = page.locator('#history-export a[download^="conversation-"]')
    link.wait_for(timeout=ui.timeout)
    exported = httpx.get(str(link.get_attribute("href")), timeout=10).json()
    assert exported["turns"] and exported["turns"][0]["user_text"]
    ui.screenshot(SCREENSHOTS / "history.png")
    ui.tab("Skills")
    assert "HassTurnOn" in page.locator("#skills").inner_text()
    ui.screenshot(SCREENSHOTS / "skills.png")
    ui.tab("Settings")
    assert "Data directory" in page.locator("#settings").inner_text()
    ui.screenshot(SCREENSHOTS / "settings.png")


def test_no_request_left_the_machine(ui: ChatPage, requests_seen: list[str]) -> None:
    assert requests_seen, "the page made no requests at all?"
    assert external_requests(requests_seen) == []
