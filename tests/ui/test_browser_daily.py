"""Daily use of the web UI in a real browser (Debian's Chromium via Playwright) against `assistant serve`.

What a new user meets: a welcome with examples built from the home (pressing one runs it), clarifications with their
choices as buttons (pressing one acts on the chosen device), the chat kept over a reload, a Home tab that reads
states the way Home Assistant does with the controls on each device's row, a phone-sized first screen with the
message box and the microphone, and a batch upload that reports every file.

One server for the module; the tests run in file order. With ASSISTANT_UPDATE_SCREENSHOTS=1 they refresh the README
screenshots they take (welcome, clarify, phone).
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.served import PROJECT_ROOT, Served, serve_subprocess

pytestmark = [pytest.mark.slow, pytest.mark.browser]

playwright = pytest.importorskip("playwright.sync_api")
if not Path("/usr/bin/chromium").exists():  # pragma: no cover - depends on the machine
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)

from playwright.sync_api import Browser  # noqa: E402

from tests.ui.browser import ChatPage, chromium_browser, external_requests  # noqa: E402

SCREENSHOTS = (
    PROJECT_ROOT / "docs" / "screenshots"
    if os.environ.get("ASSISTANT_UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.mkdtemp(prefix="assistant-screenshots-"))
)
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve_subprocess(tmp_path_factory.mktemp("browser-daily") / "data") as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium_browser() as b:
        yield b


@pytest.fixture(scope="module")
def requests_seen() -> list[str]:
    return []


@pytest.fixture(scope="module")
def ui(browser: Browser, served: Served, requests_seen: list[str]) -> Iterator[ChatPage]:
    """One desktop browser (its own storage, so its own owner) for the module."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.on("request", lambda r: requests_seen.append(r.url))
    chat = ChatPage(page)
    chat.open(served.url)
    yield chat
    ctx.close()


def _examples(ui: ChatPage) -> list[str]:
    ui.tab("Chat")
    buttons = ui.page.locator("#chatbot button.example")
    buttons.first.wait_for(timeout=ui.timeout)
    return [t.strip() for t in buttons.all_inner_texts()]


def _new_chat(ui: ChatPage) -> None:
    ui.tab("Chat")
    ui.page.locator("#new-conversation").click()
    ui.page.wait_for_function("() => !document.querySelector('#chatbot .message')")


def _row_names(ui: ChatPage) -> dict[str, str]:
    """Device name → entity id, as the Home tab shows them."""
    ui.tab("Home")
    rows = ui.page.evaluate(
        """() => [...document.querySelectorAll('#dashboard [data-entity]')].map(r =>
             [r.querySelector('.name').firstChild.textContent.trim(), r.dataset.entity])"""
    )
    return {str(name): str(eid) for name, eid in rows}


# ---------------------------------------------------------------------------------------------- first screen


def test_welcome_examples_come_from_the_home_and_run(ui: ChatPage) -> None:
    examples = _examples(ui)
    chat_text = ui.page.locator("#chatbot").inner_text()
    assert "Room:" in chat_text and "the light in this room" in chat_text, chat_text
    assert 4 <= len(examples) <= 6, examples
    assert "Turn on the Kitchen Light" in examples, examples  # the home's first light (off at start)
    assert "Is the Front Door locked?" in examples, examples  # its first lock
    assert "Set a timer for 5 minutes" in examples, examples  # a timer skill is installed
    assert ui.dashboard_state("light.kitchen") == "off"
    ui.tab("Chat")
    ui.page.wait_for_function("() => !document.querySelector('.progress-text, .eta-bar')", timeout=ui.timeout)
    ui.screenshot(SCREENSHOTS / "welcome.png")

    before = ui.bot_messages().count()
    ui.page.locator("#chatbot button.example", has_text="Turn on the Kitchen Light").click()
    reply = ui.wait_reply(before)
    assert "kitchen light" in reply.lower() and "error" not in reply.lower(), reply
    ui.wait_dashboard_state("light.kitchen", "on")


def test_not_understood_is_polite_text_without_an_error_tag(ui: ChatPage) -> None:
    _new_chat(ui)
    reply = ui.send("blorf the wibble quantum marmalade")
    assert reply.strip(), reply
    assert "nlu-no-match" not in reply and "(error:" not in reply and "⚠" not in reply, reply


# ---------------------------------------------------------------------------------------------- clarifications


AMBIGUOUS = ("switch on the fan", "turn on the lamp", "turn on the light")
"""Requests the default home cannot settle alone (three fans, several lamps and lights): the engine asks which."""


def _ask_until_choices(ui: ChatPage) -> tuple[str, list[str]]:
    """Send ambiguous requests (in a new chat each) until one comes back as a clarification with choice buttons."""
    for phrase in AMBIGUOUS:
        _new_chat(ui)
        reply = ui.send(phrase)
        ui.page.wait_for_timeout(500)
        options = ui.page.locator("#chatbot button.option")
        if options.count():
            assert "nlu-ambiguous" not in reply and "⚠" not in reply, reply  # a question, not an error
            return phrase, [t.strip() for t in options.all_inner_texts()]
    raise AssertionError(f"none of {AMBIGUOUS} was answered with a clarification")


def test_clarification_choices_are_buttons_that_act(ui: ChatPage) -> None:
    _, labels = _ask_until_choices(ui)
    assert 2 <= len(labels) <= 4, labels
    options = ui.page.locator("#chatbot button.option")
    ui.screenshot(SCREENSHOTS / "clarify.png")

    names = _row_names(ui)
    chosen = labels[1]
    entity_id = next(eid for name, eid in sorted(names.items(), key=lambda p: -len(p[0])) if name in chosen)
    assert ui.dashboard_state(entity_id) == "off", (chosen, entity_id)
    others = [eid for name, eid in names.items() if any(name in label for label in labels) and eid != entity_id]

    ui.tab("Chat")
    before = ui.bot_messages().count()
    options.nth(1).click()  # answers "the second one"
    reply = ui.wait_reply(before)
    assert "error" not in reply.lower(), reply
    ui.wait_dashboard_state(entity_id, "on")
    assert all(ui.dashboard_state(eid) == "off" for eid in others), others  # only the chosen one
    ui.tab("Chat")
    assert "the second one" in ui.page.locator("#chatbot").inner_text()
    assert ui.page.locator("#chatbot button.option").count() == 0  # answered: the buttons are gone


def test_reload_restores_the_chat(ui: ChatPage) -> None:
    ui.tab("Chat")
    before = ui.page.locator("#chatbot").inner_text()
    asked = next(p for p in AMBIGUOUS if p in before)
    assert "the second one" in before
    ui.reload()
    ui.page.locator("#chatbot .message").first.wait_for(timeout=ui.timeout)
    after = ui.page.locator("#chatbot").inner_text()
    assert asked in after and "the second one" in after, after
    assert ui.page.locator("#chatbot button.example").count() == 0  # a restored chat is not the welcome
    # the conversation goes on where it was: the next turn joins it
    ui.send("turn off the kitchen light")
    text = ui.page.locator("#chatbot").inner_text()
    assert asked in text and "turn off the kitchen light" in text, text
    ui.wait_dashboard_state("light.kitchen", "off")


def test_reload_keeps_an_open_question_answerable(ui: ChatPage) -> None:
    _ask_until_choices(ui)
    ui.reload()
    options = ui.page.locator("#chatbot button.option")
    options.first.wait_for(timeout=ui.timeout)  # the restored question still has its buttons
    label = options.first.inner_text().strip()
    entity_id = next(eid for name, eid in _row_names(ui).items() if name in label)
    ui.tab("Chat")
    before = ui.bot_messages().count()
    options.first.click()
    ui.wait_reply(before)
    ui.wait_dashboard_state(entity_id, "on")
    ui.press_control(entity_id, "Turn off")
    ui.wait_dashboard_state(entity_id, "off")


# ---------------------------------------------------------------------------------------------- Home tab


def test_home_tab_reads_states_like_home_assistant(ui: ChatPage) -> None:
    door = ui.device_row("binary_sensor.front_door_contact").locator(".state")
    assert door.get_attribute("data-state") == "off" and door.inner_text() == "Closed"
    assert ui.device_row("binary_sensor.bathroom_window").locator(".state").inner_text() == "Open"
    assert ui.device_row("binary_sensor.living_room_motion").locator(".state").inner_text() in ("Clear", "Detected")
    assert ui.device_row("lock.front_door").locator(".state").inner_text() == "Locked"
    assert ui.device_row("sensor.kitchen_temperature").locator(".state").inner_text() == "21.4 °C"

    weather = ui.device_row("weather.home").inner_text()
    assert "Partly cloudy" in weather and "13 °C" in weather and "target" not in weather.lower(), weather

    scene = ui.device_row("scene.movie_night")
    assert scene.get_by_role("button", name=re.compile("Activate")).count() == 1
    assert "unknown" not in scene.inner_text().lower() and scene.locator(".state.alert").count() == 0
    script = ui.device_row("script.good_night")
    assert script.get_by_role("button", name=re.compile("Run")).count() == 1

    # no state badge overlaps its device id
    overlaps = ui.page.evaluate(
        """() => [...document.querySelectorAll('#dashboard [data-entity]')].filter(r => {
             const a = r.querySelector('.state, .lead'), b = r.querySelector('.eid');
             if (!a || !b) return false;
             const x = a.getBoundingClientRect(), y = b.getBoundingClientRect();
             return !(x.right <= y.left || y.right <= x.left || x.bottom <= y.top || y.bottom <= x.top);
           }).map(r => r.dataset.entity)"""
    )
    assert overlaps == [], overlaps

    ui.press_control("scene.movie_night", "Activate")
    ui.page.locator("#control-result").get_by_text("scene.turn_on").wait_for(timeout=ui.timeout)
    assert "Movie Night" in ui.page.locator("#control-result").inner_text()
    ui.wait_dashboard_state("light.floor_lamp", "off")  # the scene's states (lamps dimmed, TV on)
    ui.wait_dashboard_state("media_player.living_room_tv", "on")


def test_row_slider_updates_its_header_live_and_then_the_device(ui: ChatPage) -> None:
    lamp = "light.living_room_lamps"
    ui.wait_dashboard_state(lamp, "on")
    row = ui.device_row(lamp)
    slider = row.locator('input[type=range][data-kind="brightness"]')
    # while it moves (input events only), the header already shows the new value
    slider.evaluate("(e) => { e.value = 25; e.dispatchEvent(new Event('input', {bubbles: true})); }")
    assert "25%" in row.locator(".state").inner_text()
    # released: the device follows
    slider.evaluate("(e) => { e.dispatchEvent(new Event('change', {bubbles: true})); }")
    ui.page.locator("#control-result").get_by_text("light.turn_on").wait_for(timeout=ui.timeout)
    deadline = time.monotonic() + 20
    while "25%" not in ui.device_row(lamp).locator(".state").inner_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert ui.device_row(lamp).locator(".state").inner_text() == "On · 25%"


def test_a_forged_row_event_runs_nothing(ui: ChatPage) -> None:
    """The page's script sends {entity, service}; one the row does not offer (another domain) is refused."""
    ui.wait_dashboard_state("lock.front_door", "locked")
    ui.device_row("lock.front_door").locator("button[data-service]").evaluate(
        "(b) => { b.dataset.service = 'light.turn_on'; b.click(); }"
    )
    ui.page.wait_for_timeout(1500)
    assert ui.dashboard_state("lock.front_door") == "locked"
    assert not ui.page.locator("#control-confirm").is_visible()


# ---------------------------------------------------------------------------------------------- phone


def test_phone_first_screen_has_the_message_box_and_the_mic(browser: Browser, served: Served) -> None:
    ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = ctx.new_page()
        phone = ChatPage(page)
        phone.open(served.url)
        page.locator("#chatbot button.example").first.wait_for(timeout=phone.timeout)
        box = page.locator("#chat-input textarea").bounding_box()
        record = page.locator("#chat-audio").get_by_role("button", name=re.compile("Record", re.I)).first
        mic = record.bounding_box()
        assert box is not None and mic is not None
        assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], box
        assert mic["y"] >= 0 and mic["y"] + mic["height"] <= PHONE["height"], mic
        assert page.evaluate("() => window.scrollY") == 0
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scroll
        page.wait_for_timeout(300)
        page.screenshot(path=str(SCREENSHOTS / "phone.png"))
        # a phone can use it too: an example runs
        before = phone.bot_messages().count()
        page.locator("#chatbot button.example").first.click()
        assert phone.wait_reply(before).strip()
    finally:
        ctx.close()


# ---------------------------------------------------------------------------------------------- knowledge base


def test_batch_upload_reports_every_file(ui: ChatPage, tmp_path: Path) -> None:
    first, bad, third = tmp_path / "first.md", tmp_path / "bad.pdf", tmp_path / "third.md"
    first.write_text("# Pond pump\n\nThe pond pump intake must be cleared every 6 days.\n", encoding="utf-8")
    bad.write_bytes(b"%PDF-1.4\nthis is not really a pdf\n%%EOF\n")
    third.write_text("# Sauna\n\nThe sauna stove stones are replaced every 11 months.\n", encoding="utf-8")
    ui.tab("Knowledge base")
    page = ui.page
    page.locator("#kb-upload input[type=file]").set_input_files([str(first), str(bad), str(third)])
    page.locator("#kb-ingest").click()
    result = page.locator("#kb-result")
    deadline = time.monotonic() + ui.timeout / 1000
    while time.monotonic() < deadline and "could not be added" not in result.inner_text():
        time.sleep(0.2)
    text = result.inner_text()
    lines = {
        name: next((ln for ln in text.splitlines() if name in ln), "") for name in ("first.md", "bad.pdf", "third.md")
    }
    assert "2 of 3 files added" in text, text
    assert "✔" in lines["first.md"] and "✔" in lines["third.md"], text
    assert "✘" in lines["bad.pdf"] and re.search(r"kb-[a-z-]+", lines["bad.pdf"]), text
    sentence = lines["bad.pdf"].split(":", 1)[1]
    assert re.search(r"[A-Za-z]{3,} [a-z]{2,}", sentence), text  # a plain sentence beside the code
    table = page.locator("#kb-documents").inner_text()
    assert "first.md" in table and "third.md" in table and "bad.pdf" not in table, table
    page.locator("#kb-query textarea").fill("how often are the sauna stove stones replaced")
    page.locator("#kb-query textarea").press("Enter")
    page.locator("#kb-passages").get_by_text("11 months").first.wait_for(timeout=ui.timeout)


def test_no_request_left_the_machine(requests_seen: list[str]) -> None:
    assert requests_seen and external_requests(requests_seen) == []
