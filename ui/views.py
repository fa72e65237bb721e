"""View models: turn engine data (turn results, stored turns, entities, documents) into what the widgets show.

Pure formatting, no engine calls and no Gradio import, so every function here is unit-tested with plain values.
All HTML is built from escaped text and inline SVG (no scripts, no external resources). Every untrusted value
(document text and titles, user and assistant messages, device, skill and conversation names, error messages) goes
into Markdown through ``md_escape`` and into HTML through ``html.escape``, so it always shows as plain text: no tag,
image, link or autolink from it ever becomes live.

Engine records (turns, passages, actions, entities, documents...) arrive as dataclasses or mappings; each public
function converts them once, at its entry, into the typed view records of ``ui.records`` (a record passes through
unchanged), and everything below reads those records only.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ui.dashboard import state_text
from ui.records import (
    ActionView,
    AreaView,
    CandidateView,
    ClarificationView,
    ControlOutcomeView,
    ConversationView,
    DocumentView,
    EntityView,
    FloorView,
    IngestView,
    LoadErrorView,
    PassageView,
    PendingView,
    SentimentPointView,
    StoredTurnView,
    TurnResultView,
    value_of,
)

__all__ = [
    "ORDINALS",
    "ROOM_HINT",
    "STAGE_ORDER",
    "ActionRow",
    "TraceView",
    "area_choices",
    "assistant_message",
    "chat_history_from_turns",
    "citations_markdown",
    "clarification_options",
    "confirm_prompt",
    "control_outcome_markdown",
    "conversation_choices",
    "documents_rows",
    "format_error",
    "format_reply",
    "history_rows",
    "ingest_markdown",
    "latency_svg",
    "md_escape",
    "message_text",
    "models_status_markdown",
    "passages_markdown",
    "sentiment_rows",
    "settings_markdown",
    "skills_markdown",
    "trace_html",
    "turn_choices",
    "user_message",
    "welcome_examples",
    "welcome_markdown",
]

STAGE_ORDER: tuple[str, ...] = ("asr", "sentiment", "nlu", "dialogue", "skill", "reply", "tts")
"""Pipeline stages in run order (``contracts.messages.Stage`` values)."""

_ERROR_HINTS: dict[str, str] = {
    "asr-no-speech": "No speech was heard in the recording.",
    "asr-low-confidence": "The recording was unclear; please repeat.",
    "asr-unreadable-audio": "The audio file could not be read.",
    "asr-too-long": "The recording is too long.",
    "nlu-no-match": "The request was not understood.",
    "device-unavailable": "The device did not respond.",
    "device-not-confirmed": "The action needs a confirmation.",
    "llm-unavailable": "No language model is available.",
    "input-too-long": "The message is too long.",
    "input-empty": "The message is empty.",
    "confirm-not-pending": "That confirmation is no longer waiting; nothing was done.",
    "confirm-expired": "The confirmation expired; nothing was done.",
    "confirm-wrong-pin": "Wrong PIN; nothing was done.",
    "confirm-locked": "Too many wrong PINs: confirmations are locked for a while.",
    "conversation-forbidden": "That conversation is not yours.",
}


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


_MD_ALWAYS = str.maketrans({c: f"\\{c}" for c in "\\`*_{}[]<>#|~!&$@^"})
"""Characters escaped wherever they are: emphasis, code, links and images, raw HTML and entities, headings, tables,
strike-through, LaTeX delimiters and e-mail autolinks."""
_MD_LINE_MARK = re.compile(r"^([ \t]*)([-+=])", re.MULTILINE)
_MD_LIST_NUMBER = re.compile(r"^([ \t]*\d+)([.)])", re.MULTILINE)
_MD_URL_SCHEME = re.compile(r"://")
_MD_WWW = re.compile(r"(www)\.", re.IGNORECASE)


def md_escape(value: Any) -> str:
    """Untrusted text for a Markdown widget (chat, Markdown): shown literally, never as markup.

    Backslash-escapes the characters that start markup anywhere (``<`` tags, ``[`` links, ``![`` images, ``*`` and
    ``_`` emphasis, backticks, ``&`` entities, ``#``, ``|``, ``~``, ``$``, ``@``), the list and heading markers that
    only count at a line start (``-``, ``+``, ``=``, ``1.``), and breaks GFM's bare-URL autolinks (``http://``,
    ``www.``), so a link, image or "click here" from a document is plain text and nothing is fetched for it.
    """
    text = "" if value is None else str(value)
    text = text.translate(_MD_ALWAYS)
    text = _MD_LIST_NUMBER.sub(r"\1\\\2", text)
    text = _MD_LINE_MARK.sub(r"\1\\\2", text)
    text = _MD_URL_SCHEME.sub(r"\\://", text)
    return _MD_WWW.sub(r"\1\\.", text)


def _md_code(value: Any) -> str:
    """A value as inline code (literal inside backticks; backticks, pipes and line breaks replaced)."""
    text = " ".join(("" if value is None else str(value)).split())
    return "`" + text.replace("`", "'").replace("|", "/") + "`"


# ---------------------------------------------------------------------------------------------- chat


def format_error(code: str | None, message: str = "") -> str:
    """A one-line error notice with its stable code."""
    if not code:
        return ""
    text = md_escape(" ".join((message or _ERROR_HINTS.get(code, "")).split()))
    return f"⚠ {text} (error: {_md_code(code)})" if text else f"⚠ error: {_md_code(code)}"


def citations_markdown(citations: Sequence[Mapping[str, Any] | PassageView | Any]) -> str:
    """'Cited passages:' lines for knowledge-base citations (title or document, chunk and score)."""
    if not citations:
        return ""
    lines = ["**Cited passages:**"]
    seen: set[tuple[str, Any]] = set()
    for p in map(PassageView.from_any, citations):
        doc, chunk, score = p.document, p.chunk, p.score
        title = p.title or doc
        key = (str(doc), chunk)
        if key in seen:
            continue
        seen.add(key)
        score_txt = f" — score {float(score):.2f}" if isinstance(score, int | float) else ""
        chunk_txt = f", passage {chunk}" if chunk is not None and chunk != "" else ""
        name = f"{title} ({doc})" if doc and title != doc else str(title)
        lines.append(f"- \\[{len(seen)}\\] {md_escape(name)}{md_escape(chunk_txt)}{score_txt}")
    return "\n".join(lines)


_QUIET_ERRORS = frozenset({"nlu-ambiguous", "nlu-no-match"})
"""Codes whose reply says it all (a question back, a polite 'I didn't understand'): no error tag under it."""

ORDINALS: tuple[str, ...] = ("first", "second", "third", "fourth")
"""How a clarification choice is answered ('the second one'); the engine resolves the ordinal against its question."""


def clarification_options(
    result: Mapping[str, Any] | TurnResultView | StoredTurnView | ClarificationView | Any,
) -> list[dict[str, str]]:
    """Choice buttons for a clarification ('Which light do you mean?'): up to four, each labelled with its
    candidate ('Turn on the Kitchen Light') and answering with its ordinal ('the first one').

    Empty unless the turn is a clarification (``nlu-ambiguous``) with at least two described candidates. Works on a
    live ``TurnResult`` and on a stored turn alike.
    """
    if isinstance(result, TurnResultView | StoredTurnView):
        return _options(result.clarification)
    return _options(ClarificationView.from_any(result))


def _options(clarification: ClarificationView) -> list[dict[str, str]]:
    if clarification.code != "nlu-ambiguous":
        return []
    labels = [" ".join(str(c.description or "").split()).rstrip(".") for c in clarification.choices]
    labels = [label for label in labels if label][: len(ORDINALS)]
    if len(labels) < 2:
        return []
    return [{"label": label, "value": f"the {ORDINALS[i]} one"} for i, label in enumerate(labels)]


def _reply_body(reply: Any, citations: Sequence[PassageView], error: Any, *, choices: bool) -> str:
    parts = [md_escape(reply or "")]
    cites = citations_markdown(citations)
    if cites:
        parts.append(cites)
    code = str(value_of(error)) if error else ""
    if choices:
        parts.append("*Choose one below, or say which.*")
    elif code and code not in _QUIET_ERRORS:
        parts.append(format_error(code))
    return "\n\n".join(p for p in parts if p)


def assistant_message(result: Mapping[str, Any] | TurnResultView | Any) -> dict[str, Any]:
    """The assistant's chat message for a turn, with clarification choices as buttons (``options``)."""
    turn = TurnResultView.from_any(result)
    options = _options(turn.clarification)
    message: dict[str, Any] = {"role": "assistant", "content": format_reply(turn)}
    if options:
        message["options"] = options
    return message


def format_reply(result: Mapping[str, Any] | TurnResultView | Any) -> str:
    """The assistant's chat message text for a turn: the heard transcript, reply, sources and an error notice.

    A clarification reads as a question and a 'didn't understand' as the polite reply alone: neither gets an error
    tag (the trace keeps the code).
    """
    turn = TurnResultView.from_any(result)
    parts: list[str] = []
    transcript = turn.transcript
    if transcript is not None and transcript.text:
        conf = transcript.confidence
        conf_txt = f" (ASR confidence {float(conf):.2f})" if isinstance(conf, int | float) else ""
        parts.append(f"*Heard:* “{md_escape(transcript.text)}”{conf_txt}")
    choices = bool(_options(turn.clarification))
    parts.append(_reply_body(turn.reply, turn.citations, turn.error, choices=choices))
    return "\n\n".join(p for p in parts if p)


def user_message(text: Any, *, voice: bool = False) -> dict[str, Any]:
    """The chat bubble of what the user said (typed or heard), shown literally."""
    shown = md_escape(text)
    return {"role": "user", "content": f"(voice) {shown}" if voice else shown}


def confirm_prompt(pending: Mapping[str, Any] | PendingView | Any, *, button: str = "Yes") -> str:
    """The line beside the confirm buttons: the pending question (escaped) and whether a PIN is needed."""
    view = PendingView.of(pending)
    question = md_escape((view.question if view is not None else None) or "Confirm the sensitive action?")
    pin = f" Enter the PIN, then press {button}." if view is not None and view.needs_pin else ""
    return f"**Waiting for your confirmation:** {question}{pin}"


def chat_history_from_turns(turns: Iterable[Mapping[str, Any] | StoredTurnView | Any]) -> list[dict[str, Any]]:
    """Chatbot messages (Gradio 'messages' format) for stored turns; the last one keeps its clarification choices."""
    stored = [StoredTurnView.from_any(t) for t in turns]
    messages: list[dict[str, Any]] = []
    for i, t in enumerate(stored):
        user = t.user_text or t.transcript or ""
        messages.append(user_message(user, voice=t.input_kind == "audio"))
        options = _options(t.clarification) if i == len(stored) - 1 else []
        body = _reply_body(t.reply, t.citations, t.error_code, choices=bool(options))
        message: dict[str, Any] = {"role": "assistant", "content": body}
        if options:
            message["options"] = options
        messages.append(message)
    return messages


def message_text(message: Any) -> str:
    """The text of a chat message as the Chatbot hands it back (a string, or a list of typed parts)."""
    content = message.get("content", "") if isinstance(message, Mapping) else getattr(message, "content", "")
    if isinstance(content, list | tuple):
        return "".join(str(p.get("text", "") or "") if isinstance(p, Mapping) else str(p) for p in content)
    return "" if content is None else str(content)


ROOM_HINT = "**Room:** tells me where you are, so “turn on the light” means the light in this room."
"""The one line that explains the Room selector."""


def welcome_markdown() -> str:
    """The empty chat's welcome: what the assistant does, how to start, and what the Room selector is for."""
    return (
        "### Hi! I run your home.\n\n"
        "Ask me to switch, open or lock things, answer from your documents, or set a timer: type below, press the "
        "microphone, or try one of these.\n\n" + ROOM_HINT
    )


def _article(name: str) -> str:
    """'the Kitchen Light'; a name that already starts with 'the' keeps its own."""
    return name if name.casefold().startswith("the ") else f"the {name}"


def _lower_title(title: str) -> str:
    """'House manual' → 'house manual' (an acronym such as 'HVAC guide' keeps its case)."""
    first = title.split(" ", 1)[0]
    return title if len(first) > 1 and first[:2].isupper() else title[:1].lower() + title[1:]


def welcome_examples(
    entities: Iterable[Mapping[str, Any] | EntityView | Any],
    areas: Iterable[Mapping[str, Any] | AreaView | Any] = (),
    *,
    documents: Sequence[Mapping[str, Any] | DocumentView | Any] = (),
    topic: str | None = None,
    timers: bool = True,
    limit: int = 6,
) -> list[str]:
    """Example requests built from the live home: its first light, lock, temperature sensor, cover and climate,
    a timer (when a timer skill is installed) and a question about a shipped document (with one of its sections as
    ``topic``). At most ``limit``, each naming things this home really has."""
    ents = [EntityView.from_any(e) for e in entities]
    area_names = {a.id: str(a.name) for a in map(AreaView.from_any, areas)}
    light = _first_entity(ents, "light") or _first_entity(ents, "switch")
    lock = _first_entity(ents, "lock")
    sensor = _first_entity(ents, "sensor", "temperature")
    area = area_names.get(sensor.area_id) if sensor is not None else None
    out = [
        _toggle_example(light, ("on",), "Turn off", "Turn on"),
        f"Is {_article(_entity_name(lock))} locked?" if lock is not None else "",
        "Set a timer for 5 minutes" if timers else "",
        _document_example(DocumentView.from_any(documents[0]) if documents else None, topic),
        f"What's the temperature in {_article(area)}?" if area else "",
        _toggle_example(_first_entity(ents, "cover"), ("open", "opening"), "Close", "Open"),
    ]
    return [e for e in out if e.strip()][:limit]


def _first_entity(ents: Sequence[EntityView], domain: str, device_class: str | None = None) -> EntityView | None:
    """The first usable entity of a domain (and device class), for a welcome example."""
    for e in ents:
        if e.domain != domain:
            continue
        if e.state in ("unavailable", "unknown") and domain != "lock":
            continue
        if device_class is None or e.device_class_raw.rsplit(".", 1)[-1].lower() == device_class:
            return e
    return None


def _entity_name(e: EntityView) -> str:
    return " ".join(str(e.name or "").split())


def _toggle_example(entity: EntityView | None, on_states: tuple[str, ...], off_verb: str, on_verb: str) -> str:
    """'Turn off the kitchen light' / 'Open the blinds': the verb that changes the entity's state ("" for None)."""
    if entity is None:
        return ""
    verb = off_verb if entity.state in on_states else on_verb
    return f"{verb} {_article(_entity_name(entity))}"


def _document_example(doc: DocumentView | None, topic: str | None) -> str:
    """A question about a document, about one of its sections when there is a ``topic`` ("" without a title)."""
    if doc is None:
        return ""
    title = " ".join(str(doc.title or doc.name or "").split())
    about = " ".join((topic or "").split())
    if title and about:
        return f"What does {_article(_lower_title(title))} say about {about}?"
    return f"What is in {_article(_lower_title(title))}?" if title else ""


def conversation_choices(summaries: Iterable[Mapping[str, Any] | ConversationView | Any]) -> list[tuple[str, str]]:
    """(label, id) pairs for the conversation switcher, newest first as given."""
    out: list[tuple[str, str]] = []
    for s in map(ConversationView.from_any, summaries):
        title = s.title or s.last_text or "(empty)"
        when = s.updated_at
        when_txt = when.strftime("%Y-%m-%d %H:%M") if hasattr(when, "strftime") else ""
        count = s.turn_count
        count_txt = f" · {count} turn{'s' if count != 1 else ''}" if isinstance(count, int) else ""
        label = f"{_short(str(title), 40)} ({when_txt}{count_txt})" if when_txt else f"{_short(str(title), 40)}"
        out.append((label, str(s.id)))
    return out


def turn_choices(turns: Iterable[Mapping[str, Any] | StoredTurnView | Any]) -> list[tuple[str, str]]:
    """(label, turn id) pairs for the trace's turn selector."""
    stored = map(StoredTurnView.from_any, turns)
    return [
        (f"#{t.seq if t.has_seq else i + 1} {_short(t.user_text or '', 50)}", str(t.id)) for i, t in enumerate(stored)
    ]


def area_choices(
    areas: Iterable[Mapping[str, Any] | AreaView | Any], floors: Iterable[Mapping[str, Any] | FloorView | Any] = ()
) -> list[tuple[str, str]]:
    """(label, area id) pairs for the room selector: 'Kitchen (Ground floor)'; first entry = no room."""
    floor_names = {f.id: f.name for f in map(FloorView.from_any, floors)}
    out: list[tuple[str, str]] = [("(no room)", "")]
    for a in sorted(map(AreaView.from_any, areas), key=lambda a: str(a.name).casefold()):
        floor = floor_names.get(a.floor_id)
        label = f"{a.name} ({floor})" if floor else str(a.name)
        out.append((label, str(a.id)))
    return out


def _short(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


# ---------------------------------------------------------------------------------------------- home tab


def control_outcome_markdown(
    outcome: Mapping[str, Any] | ControlOutcomeView | Any, entity: Callable[[str], Any] | None = None
) -> str:
    """What a Home-tab control did (``ControlOutcome``): the confirmed actions, the question it waits for, or why
    it was refused. With ``entity`` (id → the entity now), a done action reads 'Kitchen Light: On · 40%'."""
    view = ControlOutcomeView.of(outcome)
    lookup = None if entity is None else lambda eid: _entity_now(entity, eid)
    lines = [_control_action_line(a, lookup) for a in view.actions]
    code, message = view.error_code, view.message
    if code:
        lines.append(format_error(str(value_of(code)), message))
    elif message and view.status != "done":
        lines.append(md_escape(message))
    if view.pending is not None:
        lines.append(f"⚠ {confirm_prompt(view.pending, button='Confirm')}")
    return "\n\n".join(lines) or "Nothing was done."


def _entity_now(entity: Callable[[str], Any], eid: str) -> EntityView | None:
    """The entity as it is now (None when the home does not know it)."""
    now = entity(eid)
    return None if now is None else EntityView.from_any(now)


def _control_action_line(a: ActionView, entity: Callable[[str], EntityView | None] | None) -> str:
    """One action of a control: the device's state now when it is known, else the service and what it reported."""
    eid, service = str(a.entity_id or ""), str(a.service or "")
    now = entity(eid) if entity is not None and eid else None
    if a.success and now is not None:
        return f"✔ {md_escape(now.name or eid)}: {md_escape(state_text(now))} ({_md_code(service)})"
    target = f"{md_escape(service)} → {md_escape(eid)}"
    if a.success:
        new = a.new_state_value
        return f"✔ {target}" + (f": {md_escape(new)}" if new is not None else "")
    return f"✘ {target}: {format_error(a.error_code or 'failed')}"


# ---------------------------------------------------------------------------------------------- trace


@dataclass(frozen=True, slots=True)
class ActionRow:
    """One action line of the trace."""

    entity_id: str
    """Target entity."""
    service: str
    """Service called."""
    data: Mapping[str, Any] = field(default_factory=dict)
    """Service data."""
    success: bool = False
    """Adapter confirmed."""
    error_code: str | None = None
    """Error code on failure."""
    confirmed_by_user: bool = False
    """Ran after a confirmation."""
    new_state: Any = None
    """State after the action."""
    new_state_value: Any = field(default=None, repr=False, compare=False)
    """The ``state`` of ``new_state`` (what the trace shows)."""

    @classmethod
    def of(cls, action: ActionView) -> ActionRow:
        return cls(
            entity_id=str(action.entity_id),
            service=str(action.service),
            data=dict(action.data or {}),
            success=bool(action.success),
            error_code=action.error_code,
            confirmed_by_user=bool(action.confirmed_by_user),
            new_state=action.new_state,
            new_state_value=action.new_state_value,
        )


@dataclass(frozen=True, slots=True)
class TraceView:
    """Everything the trace tab shows for one turn, from a live TurnResult or a stored turn."""

    turn_id: str
    """Turn id."""
    text: str
    """User text (typed or transcribed)."""
    reply: str
    """Assistant reply."""
    input_kind: str = "text"
    """'text' or 'audio'."""
    transcript: str | None = None
    """ASR text."""
    asr_confidence: float | None = None
    """ASR confidence 0..1."""
    sentiment_label: str | None = None
    """negative / neutral / positive."""
    sentiment_score: float | None = None
    """Polarity."""
    sentiment_signals: tuple[str, ...] = ()
    """Reasons."""
    intent: str | None = None
    """Intent name."""
    tier: str | None = None
    """Understanding tier."""
    confidence: float | None = None
    """Intent confidence."""
    slots: Mapping[str, Any] = field(default_factory=dict)
    """Slots."""
    targets: tuple[str, ...] = ()
    """Target entities."""
    candidates: tuple[tuple[str, float], ...] = ()
    """(description, score) alternatives."""
    actions: tuple[ActionRow, ...] = ()
    """Device actions."""
    timings_ms: Mapping[str, float] = field(default_factory=dict)
    """Per-stage milliseconds."""
    error: str | None = None
    """Error code."""
    skill_id: str | None = None
    """Skill."""
    needs_confirmation: bool = False
    """The reply asked yes/no."""

    @classmethod
    def from_result(cls, result: Mapping[str, Any] | TurnResultView | Any) -> TraceView:
        """From a live ``TurnResult``."""
        r = TurnResultView.from_any(result)
        intent, sentiment, transcript = r.intent, r.sentiment, r.transcript
        return cls(
            turn_id=str(r.turn_id),
            text=str(r.text),
            reply=str(r.reply),
            input_kind="audio" if transcript is not None else "text",
            transcript=transcript.text if transcript is not None else None,
            asr_confidence=transcript.confidence if transcript is not None else None,
            sentiment_label=str(value_of(sentiment.label)) if sentiment is not None else None,
            sentiment_score=sentiment.score if sentiment is not None else None,
            sentiment_signals=sentiment.signals if sentiment is not None else (),
            intent=intent.intent if intent is not None else None,
            tier=str(value_of(intent.tier)) if intent is not None else None,
            confidence=intent.confidence if intent is not None else None,
            slots=dict(intent.slots or {}) if intent is not None else {},
            targets=intent.targets if intent is not None else (),
            candidates=_candidates(intent.alternatives) if intent is not None else (),
            actions=tuple(ActionRow.of(a) for a in r.actions),
            timings_ms={str(k): float(v) for k, v in (r.timings_ms or {}).items()},
            error=r.error,
            skill_id=r.skill_id,
            needs_confirmation=bool(r.needs_confirmation),
        )

    @classmethod
    def from_stored(cls, turn: Mapping[str, Any] | StoredTurnView | Any) -> TraceView:
        """From a stored turn (``assistant.store.records.StoredTurn``)."""
        t = StoredTurnView.from_any(turn)
        label = t.sentiment_label
        return cls(
            turn_id=t.trace_id,
            text=str(t.user_text),
            reply=str(t.reply),
            input_kind=str(t.input_kind or "text"),
            transcript=t.transcript,
            asr_confidence=t.asr_confidence,
            sentiment_label=str(label) if label else None,
            sentiment_score=t.sentiment_score,
            sentiment_signals=t.sentiment_signals,
            intent=t.intent,
            tier=t.tier,
            confidence=t.confidence,
            slots=dict(t.slots or {}),
            targets=t.targets,
            candidates=_candidates(t.alternatives),
            actions=tuple(ActionRow.of(a) for a in t.actions),
            timings_ms={str(k): float(v) for k, v in (t.timings or {}).items() if _is_num(v)},
            error=t.error_code,
            skill_id=t.skill_id,
            needs_confirmation=bool(t.needs_confirmation),
        )


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _candidates(alts: Iterable[CandidateView]) -> tuple[tuple[str, float], ...]:
    out: list[tuple[str, float]] = []
    for c in alts:
        desc = c.name
        if c.targets and not c.description:
            desc = f"{desc} → {', '.join(c.targets)}"
        score = c.score
        out.append((str(desc), float(score) if _is_num(score) else 0.0))
    return tuple(out)


def latency_svg(timings_ms: Mapping[str, float], *, width: int = 520, bar_height: int = 18) -> str:
    """A horizontal bar per pipeline stage (stage order, then others; 'total' as a caption), inline SVG."""
    stages = [s for s in STAGE_ORDER if s in timings_ms]
    stages += sorted(k for k in timings_ms if k not in STAGE_ORDER and k != "total")
    if not stages:
        return '<p class="latency-empty">No timings recorded.</p>'
    peak = max(max(float(timings_ms[s]) for s in stages), 1e-9)
    label_w, value_w = 80, 80
    bar_w = width - label_w - value_w
    gap = 6
    height = len(stages) * (bar_height + gap) + gap
    rows = []
    for i, stage in enumerate(stages):
        ms = float(timings_ms[stage])
        y = gap + i * (bar_height + gap)
        w = max(1.0, bar_w * ms / peak)
        rows.append(
            f'<g class="bar" data-stage="{_esc(stage)}"><text x="{label_w - 6}" y="{y + bar_height - 5}" '
            f'text-anchor="end" font-size="12">{_esc(stage)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_height}" rx="3" fill="#3b82f6"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + bar_height - 5}" font-size="12">{ms:.1f} ms</text></g>'
        )
    total = timings_ms.get("total")
    caption = f"<figcaption>Total: {float(total):.1f} ms</figcaption>" if isinstance(total, int | float) else ""
    return (
        f'<figure class="latency"><svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Per-stage latency" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">{"".join(rows)}</svg>{caption}</figure>'
    )


def _fmt_num(v: Any, digits: int = 2) -> str:
    return f"{float(v):.{digits}f}" if _is_num(v) else "—"


def trace_html(view: TraceView | None) -> str:
    """The trace tab's body for one turn."""
    if view is None:
        return "<p>No turn selected yet. Send a message in the Chat tab.</p>"
    table = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in _trace_rows(view))
    parts = [f'<div class="trace" data-turn="{_esc(view.turn_id)}"><table class="kv">{table}</table>']
    if view.candidates:
        items = "".join(f"<li>{_esc(d)} — {s:.2f}</li>" for d, s in view.candidates)
        parts.append(f"<h4>Candidates</h4><ol class='candidates'>{items}</ol>")
    if view.actions:
        parts.append(_actions_table(view.actions))
    parts.append("<h4>Latency per stage</h4>")
    parts.append(latency_svg(view.timings_ms))
    parts.append("</div>")
    return "".join(parts)


def _trace_rows(view: TraceView) -> list[tuple[str, str]]:
    """The trace's key/value rows (values escaped HTML): request, reply, transcript, sentiment, intent, details."""
    rows: list[tuple[str, str]] = [("Request", _esc(view.text)), ("Reply", _esc(view.reply))]
    if view.input_kind == "audio" or view.transcript is not None:
        rows.append(("Transcript", f"{_esc(view.transcript or '')} (ASR confidence {_fmt_num(view.asr_confidence)})"))
    if view.sentiment_label:
        sig = f" — {_esc(', '.join(view.sentiment_signals))}" if view.sentiment_signals else ""
        rows.append(("Sentiment", f"{_esc(view.sentiment_label)} ({_fmt_num(view.sentiment_score)}){sig}"))
    tier = f"tier <b>{_esc(view.tier or '—')}</b>"
    rows.append(("Intent", f"{_esc(view.intent or '—')} · {tier} · confidence {_fmt_num(view.confidence)}"))
    return rows + _trace_detail_rows(view)


def _trace_detail_rows(view: TraceView) -> list[tuple[str, str]]:
    """Slots, targets, skill, a waiting confirmation and the error, each when the turn has it."""
    rows: list[tuple[str, str]] = []
    if view.slots:
        rows.append(("Slots", _esc(json.dumps(dict(view.slots), ensure_ascii=False, default=str))))
    if view.targets:
        rows.append(("Targets", _esc(", ".join(view.targets))))
    if view.skill_id:
        rows.append(("Skill", _esc(view.skill_id)))
    if view.needs_confirmation:
        rows.append(("Waiting", "for a yes/no confirmation"))
    if view.error:
        rows.append(("Error", f'<span class="err">{_esc(view.error)}</span>'))
    return rows


def _actions_table(actions: Sequence[ActionRow]) -> str:
    """The actions the turn ran, with what each adapter reported."""
    arows = []
    for a in actions:
        status = "✔ ok" if a.success else f"✘ {_esc(a.error_code or 'failed')}"
        conf = " (confirmed)" if a.confirmed_by_user else ""
        new = a.new_state_value if a.new_state is not None else None
        arows.append(
            f"<tr><td>{_esc(a.service)}</td><td>{_esc(a.entity_id)}</td>"
            f"<td>{_esc(json.dumps(dict(a.data), default=str)) if a.data else ''}</td>"
            f"<td>{status}{conf}</td><td>{_esc(new) if new is not None else ''}</td></tr>"
        )
    return (
        "<h4>Actions</h4><table class='actions'><tr><th>Service</th><th>Entity</th><th>Data</th>"
        f"<th>Adapter result</th><th>New state</th></tr>{''.join(arows)}</table>"
    )


# ---------------------------------------------------------------------------------------------- knowledge base


def documents_rows(documents: Iterable[Mapping[str, Any] | DocumentView | Any]) -> list[list[Any]]:
    """Table rows: name, title, chunks, size, updated, id."""
    rows = []
    for d in map(DocumentView.from_any, documents):
        when = d.updated_at
        rows.append(
            [
                d.name,
                d.title or "",
                int(d.chunk_count or 0),
                _human_size(d.size_bytes),
                when.strftime("%Y-%m-%d %H:%M") if hasattr(when, "strftime") else str(when or ""),
                str(d.id),
            ]
        )
    return rows


def _human_size(n: Any) -> str:
    if not _is_num(n):
        return ""
    size = float(n)
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def ingest_markdown(reports: Sequence[Mapping[str, Any] | IngestView | Any]) -> str:
    """What a (batch) upload did, one line per file in the order given: ingested or unchanged with its chunks, or
    failed with a plain sentence and its error code; a summary line first when there were several files."""
    if not reports:
        return "Nothing was uploaded."
    files = [IngestView.from_any(r) for r in reports]
    lines: list[str] = []
    ok = 0
    for r in files:
        name = md_escape(r.name or "")
        status = str(r.status or "")
        code = r.error_code
        if status == "failed" or code:
            message = str(r.message or "") or "This file could not be added."
            lines.append(f"- ✘ **{name}**: {format_error(str(code or 'kb-failed'), message).removeprefix('⚠ ')}")
            continue
        ok += 1
        chunks = int(r.chunks or 0)
        stored = r.document_name or ""
        as_name = f" as {md_escape(stored)}" if stored and stored != r.name else ""
        if status == "unchanged":
            lines.append(f"- ✔ **{name}**: already in the knowledge base, unchanged{as_name}")
        else:
            lines.append(f"- ✔ **{name}**: added{as_name}, {chunks} passage{'s' if chunks != 1 else ''}")
    failed = len(reports) - ok
    seconds = max((float(r.seconds or 0.0) for r in files), default=0.0)
    took = f" in {seconds:.1f} s" if seconds else ""
    if failed:
        summary = f"**{ok} of {len(reports)} files added{took}; {failed} could not be added.**"
    else:
        summary = f"**{ok} file{'s' if ok != 1 else ''} added{took}.**"
    return "\n".join([summary, "", *lines])


def passages_markdown(passages: Sequence[Mapping[str, Any] | PassageView | Any]) -> str:
    """Retrieved passages with their scores, best first."""
    if not passages:
        return "_No passage matched._"
    out = []
    for i, p in enumerate(map(PassageView.from_any, passages), 1):
        title = p.title or p.document_id
        text = md_escape(_short(str(p.text), 600))
        score = float(p.ranked_score)
        chunk = md_escape(p.ranked_chunk)
        out.append(f"**{i}. {md_escape(title)}** — passage {chunk}, score **{score:.3f}**\n\n> {text}")
    return "\n\n".join(out)


# ---------------------------------------------------------------------------------------------- history


def history_rows(turns: Iterable[Mapping[str, Any] | StoredTurnView | Any]) -> list[list[Any]]:
    """Search results: time, conversation, user text, reply, intent, sentiment, error."""
    rows = []
    for t in map(StoredTurnView.from_any, turns):
        when = t.created_at
        score = t.sentiment_score
        rows.append(
            [
                when.strftime("%Y-%m-%d %H:%M:%S") if hasattr(when, "strftime") else str(when or ""),
                str(t.conversation_id)[:8],
                t.user_text or "",
                _short(str(t.reply or ""), 120),
                t.intent or "",
                f"{t.sentiment_label or ''} {float(score):+.2f}".strip() if _is_num(score) else "",
                t.error_code or "",
            ]
        )
    return rows


def sentiment_rows(points: Iterable[Mapping[str, Any] | SentimentPointView | Any]) -> list[dict[str, Any]]:
    """Records for the sentiment-over-time plot: turn number, score, label."""
    return [
        {"turn": int(p.seq), "score": float(p.score), "label": str(p.label)}
        for p in map(SentimentPointView.from_any, points)
    ]


# ---------------------------------------------------------------------------------------------- skills, settings


def skills_markdown(skills: Mapping[str, Any], errors: Sequence[Mapping[str, Any] | LoadErrorView | Any] = ()) -> str:
    """Installed skills with their intents and example sentences, then load errors."""
    parts: list[str] = []
    for sid in sorted(skills):
        skill = skills[sid]
        desc = getattr(skill, "description", "") or ""
        perms = sorted(str(value_of(p)) for p in getattr(skill, "permissions", ()) or ())
        perm_txt = f" · permissions: {', '.join(perms)}" if perms else ""
        parts.append(f"### {md_escape(sid)}\n{md_escape(desc)}{md_escape(perm_txt)}")
        handlers = getattr(skill, "intent_handlers", None)
        specs = [spec for spec, _name in handlers()] if callable(handlers) else []
        for spec in specs:
            risk = str(value_of(getattr(spec, "risk", "normal")))
            risk_txt = " ⚠ sensitive" if risk == "sensitive" else ""
            examples = list(getattr(spec, "examples", ()) or ())[:4]
            ex = "; ".join(f"“{md_escape(e)}”" for e in examples) if examples else "_(templates only)_"
            parts.append(f"- **{md_escape(spec.name)}**{risk_txt}: {ex}")
    if not parts:
        parts.append("_No skills installed._")
    if errors:
        parts.append("### Load errors")
        for err in map(LoadErrorView.from_any, errors):
            sid, code, msg = err.skill, err.code, err.message
            code_txt = f" ({_md_code(value_of(code))})" if code else ""
            sid_txt, msg_txt = md_escape(sid), md_escape(msg)
            parts.append(f"- ✘ **{sid_txt}**{code_txt}: {msg_txt}" if sid else f"- ✘ {msg_txt}{code_txt}")
    return "\n\n".join(parts)


def settings_markdown(description: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> str:
    """The read-only settings table."""
    labels = {
        "data_dir": "Data directory",
        "home_file": "Home file",
        "adapter": "Home adapter",
        "asr_model": "Speech recognition model",
        "asr_device": "Speech recognition device",
        "llm": "Language model",
        "embeddings": "Embeddings model",
        "sentiment": "Sentiment engine",
        "tts": "Speech synthesis",
        "skills": "Skills",
        "entities": "Entities",
    }
    rows = ["| Setting | Value |", "|---|---|"]
    merged = {**dict(description), **dict(extra or {})}
    for key, value in merged.items():
        text = ", ".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)
        rows.append(f"| {md_escape(labels.get(key, key))} | {_md_code(text)} |")
    return "\n".join(rows)


def models_status_markdown(status: Mapping[str, Any] | None) -> str:
    """The start-up banner: empty when the models are ready, else what is loading (or why it failed)."""
    state = str((status or {}).get("state", "ready"))
    message = str((status or {}).get("message", "") or "")
    if state == "ready":
        return ""
    if state == "failed":
        return f"**⚠ {md_escape(message or 'Loading models failed.')}**"
    return f"⏳ {md_escape(message or 'Loading models; requests will run as soon as they are ready.')}"
