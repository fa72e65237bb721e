"""Hands-free mode in a real browser: Debian's Chromium with a fake microphone that plays an espeak-ng recording.

A tiny Gradio app mounts only ``ui.handsfree`` (not ``ui.app``) on a real ``Assistant``, in this process. Chromium's
fake capture device (``--use-fake-device-for-media-stream --use-file-for-fake-audio-capture=…%noloop``) plays
"okay nabu, turn on the kitchen light" once, from the moment the page opens the microphone.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.audio import SAMPLE_RATE, decode_audio, wav_bytes
from tests.ui.served import free_port

pytestmark = [pytest.mark.slow, pytest.mark.browser]

playwright = pytest.importorskip("playwright.sync_api")
if not Path("/usr/bin/chromium").exists():  # pragma: no cover - depends on the machine
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)
if shutil.which("espeak-ng") is None:  # pragma: no cover - depends on the machine
    pytest.skip("espeak-ng is not installed", allow_module_level=True)

import gradio as gr  # noqa: E402
from playwright.sync_api import Page, sync_playwright  # noqa: E402

from tests.ui.browser import CHROMIUM  # noqa: E402
from ui.handsfree import build_handsfree  # noqa: E402

TIMEOUT_MS = 120_000
_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]
# Records every phase the status line shows, and every sound the page starts (Gradio plays through WaveSurfer's
# detached <audio>, so play() itself is watched): its duration, or why the browser refused it.
_WATCH = """
window.__hf = {phases: [], plays: []};
const play = HTMLMediaElement.prototype.play;
HTMLMediaElement.prototype.play = function () {
  const started = play.call(this);
  started.then(() => window.__hf.plays.push(this.duration), (e) => window.__hf.plays.push('refused: ' + e.name));
  return started;
};
new MutationObserver(() => {
  const el = document.querySelector('#handsfree-status .handsfree-status');
  const phase = el && el.dataset.phase;
  if (phase && window.__hf.phases[window.__hf.phases.length - 1] !== phase) window.__hf.phases.push(phase);
}).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
"""


@pytest.fixture(scope="module")
def spoken_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1.5 s of silence, "okay nabu, turn on the kitchen light", 3 s of silence (16 kHz mono WAV)."""
    folder = tmp_path_factory.mktemp("handsfree-browser-audio")
    raw = folder / "raw.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(raw), "okay nabu, turn on the kitchen light"], check=True)
    speech = decode_audio(raw).samples
    pad = np.zeros(int(1.5 * SAMPLE_RATE), np.float32)
    out = folder / "okay-nabu-kitchen.wav"
    out.write_bytes(wav_bytes(np.concatenate([pad, speech, pad, pad]), SAMPLE_RATE))
    return out


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from assistant import Assistant

    a = Assistant.create(data_dir=str(tmp_path_factory.mktemp("handsfree-browser-data")))
    try:
        yield a
    finally:
        a.close()


@pytest.fixture(scope="module")
def app_url(assistant: Any) -> Iterator[str]:
    """A page with a room dropdown, the hands-free widgets and a result line, served on a loopback port."""

    def shown(result: Any, who: str) -> str:
        return f"{who}|{result.conversation_id}|{result.reply}"

    with gr.Blocks(analytics_enabled=False) as app:
        owner = gr.State("browser-owner")
        conversation = gr.State("")
        area = gr.Dropdown(label="Room", choices=["", "kitchen"], value="", elem_id="room-select")
        hands_free = build_handsfree(assistant, owner_state=owner, conversation_state=conversation, area_component=area)
        result = gr.Textbox(label="Last hands-free turn", elem_id="handsfree-result")  # wired after, as ui.app would
        hands_free.on_result(shown, [owner], [result])
    port = free_port()
    app.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.close()


@pytest.fixture()
def page(spoken_wav: Path) -> Iterator[Page]:
    with sync_playwright() as pw:
        flags = [*_FLAGS, f"--use-file-for-fake-audio-capture={spoken_wav}%noloop"]
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=flags)
        try:
            ctx = browser.new_context(viewport={"width": 1000, "height": 800})
            ctx.add_init_script(_WATCH)
            yield ctx.new_page()
        finally:
            browser.close()


def _light(assistant: Any) -> str:
    return str(assistant.home.states()["light.kitchen"]["state"])


def test_hands_free_hears_okay_nabu_and_turns_on_the_light(page: Page, app_url: str, assistant: Any) -> None:
    assert all(x.success for x in assistant.home.call_service("light.turn_off", ["light.kitchen"]))
    chunks: list[str] = []
    page.on("request", lambda r: chunks.append(r.url) if "/stream/" in r.url and r.method == "POST" else None)
    page.goto(app_url)
    status = page.locator("#handsfree-status .handsfree-status")
    assert status.get_attribute("data-phase", timeout=TIMEOUT_MS) == "off"
    assert page.locator("#handsfree-mic").is_hidden()

    page.locator("#handsfree-toggle input").check()
    page.locator('#handsfree-status .handsfree-status[data-phase="listening"]').wait_for(timeout=TIMEOUT_MS)
    assert "Listening for 'okay nabu'" in status.inner_text()
    page.locator("#handsfree-mic button.stop-button").wait_for(timeout=TIMEOUT_MS)  # the microphone is recording

    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while _light(assistant) != "on" and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    assert _light(assistant) == "on", (page.evaluate("window.__hf"), status.inner_text())  # status: what was heard
    page.wait_for_function(
        "() => document.querySelector('#handsfree-result textarea')?.value.startsWith('browser-owner|')",
        timeout=TIMEOUT_MS,
    )
    who, conversation_id, reply = page.locator("#handsfree-result textarea").input_value().split("|", 2)
    assert who == "browser-owner" and conversation_id and reply
    assert assistant.db.conversations.owner_of(conversation_id) == "browser-owner"
    page.locator('#handsfree-status .handsfree-status[data-phase="listening"] .note').wait_for(timeout=TIMEOUT_MS)
    assert "kitchen" in status.inner_text().lower()  # "You: “turn on the kitchen light” → …"

    seen = page.evaluate("window.__hf")
    phases = seen["phases"]
    assert phases[:2] == ["off", "listening"] and phases[-1] == "listening"
    assert "heard" in phases and "thinking" in phases
    assert phases.index("heard") < phases.index("thinking")
    assert [round(d, 2) for d in seen["plays"]] == [0.18], seen  # the beep, once, on the wake word
    assert len(chunks) >= 10  # the page streamed the microphone

    page.locator("#handsfree-toggle input").uncheck()
    page.locator('#handsfree-status .handsfree-status[data-phase="off"]').wait_for(timeout=TIMEOUT_MS)
    page.locator("#handsfree-mic button.stop-button").wait_for(state="detached", timeout=TIMEOUT_MS)
