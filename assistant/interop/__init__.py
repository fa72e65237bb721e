"""Interoperability: a Wyoming server for Home Assistant, an OpenAI-compatible chat API, and wake-word detection.

Each part is its own module and imports its optional third-party package only when used:

- ``assistant.interop.wakeword``       ``WakeWordDetector`` (microWakeWord by default, openWakeWord as the
  alternative) and ``wake_then_command`` (wake word → end of speech → a turn).
- ``assistant.interop.wyoming_server`` ``serve_wyoming``: describe/info, speech-to-text, text-to-speech, wake word
  detection and intent handling over the Wyoming protocol.
- ``assistant.interop.openai_api``     ``create_openai_router`` (FastAPI) and ``serve_openai``: ``/v1/chat/completions``
  and ``/v1/models``.
- ``assistant.interop.access``         who may connect: the loopback rule and the credentials check both servers share.

Every user message becomes a turn of ``Assistant.handle_text`` / ``handle_audio`` with a stable conversation id and
owner, so sensitive actions still wait for a "yes" in the same conversation.
"""

from __future__ import annotations

__all__: list[str] = []
