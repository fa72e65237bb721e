"""The skill plugin API: small, typed, fits on one screen.

A skill is a class with an id, declared intents and one handler per intent, tagged by ``@intent``. Handlers get the
match and a ``SkillContext`` (services granted by the skill's permissions) and return a ``SkillResult``.
Skills are found through the entry-point group ``assistant.skills`` (entry name = skill id) and a local folder.
Skills never import the pipeline.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Protocol, TypeVar

from contracts.engines import LanguageModel, Retriever
from contracts.home import HomeApi, RiskTier
from contracts.messages import IntentMatch, SkillResult

__all__ = [
    "Handler",
    "IntentSpec",
    "Permission",
    "Skill",
    "SkillContext",
    "SkillHost",
    "SkillStore",
    "SlotReader",
    "intent",
]


class Permission(StrEnum):
    """What a skill may use. The context only carries the services a skill was granted."""

    CONTROL_DEVICES = "control-devices"
    READ_DEVICES = "read-devices"
    READ_KNOWLEDGE = "read-knowledge"
    USE_LLM = "use-llm"


SlotReader = Callable[[str, Mapping[str, Any], Sequence[str]], dict[str, Any]]
"""An intent's slot reader: (the request's text, the slots the recognising tier found, the home's area names) →
the intent's slots in their canonical form (see ``IntentSpec.read_slots``)."""


@dataclass(frozen=True, slots=True)
class IntentSpec:
    """A declared intent."""

    name: str
    """Intent name, unique across installed skills."""
    examples: tuple[str, ...] = ()
    """Example sentences (feed the semantic tier and `assistant skill test`)."""
    templates: tuple[str, ...] = ()
    """hassil template sentences, e.g. 'set [a] timer for {minutes} minutes'."""
    slots: Mapping[str, str] = field(default_factory=dict)
    """Slot name -> type: 'text', 'number', 'entity', 'area', or a list name."""
    risk: RiskTier = RiskTier.NORMAL
    """Sensitive intents need an explicit confirmation turn before the handler runs."""
    languages: tuple[str, ...] = ("en",)
    """Languages the intent is declared for."""
    requires: tuple[str, ...] = ()
    """Evidence the request must show for this intent to win (any one suffices): regular expressions matched as
    whole words in the lower-cased request (e.g. ``r"timers?"``), or ``"@followup"``: the conversation's previous
    turn went to this skill (a reference to what it is doing, such as a running timer). An intent without any may
    still win a request, but never one that names a device of the home with a device verb ('turn on the kitchen
    light'), whatever its templates or examples say."""
    read_slots: SlotReader | None = None
    """Optional: reads the intent's slots from the request, whichever tier recognised it. The engine calls it as
    ``read_slots(text, slots, areas)`` with the request's text (normalised: lower case, number words as digits), the
    slots the tier found (none from the example sentences of the semantic tier; a template's free-text wildcard may
    hold more or other words than the slot's) and the home's area names, and uses what it returns as the match's
    slots, so the trace shows what the handler will get. Return the slots in the intent's canonical form, keeping
    the tier's slots that are right (e.g. a timer's ``{'start_seconds': 12, 'minutes': 34}`` for 'decrease my 12
    seconds timer by 34 minutes', where a wildcard gave ``{'name': '12 seconds', 'minutes': 34}``). It must be quick
    and pure (no I/O, no state); not called for answers to the assistant's own questions. An exception is logged and
    the tier's slots are kept. Handlers should still accept what the tiers give without a reader."""


@dataclass(slots=True)
class SkillContext:
    """What a handler receives besides the match. Services are None unless the skill's permissions grant them."""

    conversation_id: str
    """The conversation."""
    text: str
    """The user's text for this turn."""
    settings: Mapping[str, Any]
    """The skill's own settings namespace (defaults merged with config)."""
    state: MutableMapping[str, Any]
    """Per-conversation, per-skill scratch state (kept across turns of one conversation)."""
    area: str | None = None
    """The speaker's area, if known."""
    home: HomeApi | None = None
    """The home (READ_DEVICES or CONTROL_DEVICES)."""
    llm: LanguageModel | None = None
    """The configured language model (USE_LLM)."""
    retriever: Retriever | None = None
    """The knowledge base (READ_KNOWLEDGE)."""
    confirmed: bool = False
    """True when the user explicitly confirmed this (sensitive) request."""
    emit_token: Callable[[str], None] = lambda _token: None
    """Stream a piece of reply text to the UI as it is produced."""
    skills: Mapping[str, str] = field(default_factory=dict)
    """Installed skills (id → one-line description), filled in by the registry for 'what can you do?'."""
    announce: Callable[[str], None] | None = None
    """Say something in this conversation later (a timer rang); None where the host cannot deliver it."""
    submit: Callable[[str], None] | None = None
    """Run a request later as if the user said it in this conversation, through the whole pipeline and its safety
    checks (a delayed command); None where the host cannot."""


class SkillStore(Protocol):
    """A skill's durable JSON records (its own namespace), shared by every worker on the same store."""

    def put(self, key: str, record: Mapping[str, Any]) -> None:
        """Write a record (replacing one with the same key)."""
        ...

    def get(self, key: str) -> dict[str, Any] | None:
        """A record, or None."""
        ...

    def items(self) -> list[tuple[str, dict[str, Any]]]:
        """Every record of the skill."""
        ...

    def take(self, key: str) -> bool:
        """Delete a record; True only for the one caller that deleted it (who then acts on it, exactly once)."""
        ...


class SkillHost(Protocol):
    """What the host offers a skill outside a turn (see ``Skill.attach``)."""

    @property
    def store(self) -> SkillStore:
        """The skill's durable records."""
        ...

    def announce(self, conversation_id: str, text: str) -> None:
        """Say something in a conversation (shown in its chat)."""
        ...

    def submit(self, conversation_id: str, text: str) -> None:
        """Run a request as a turn of a conversation, through the whole pipeline and its safety checks."""
        ...


Handler = Callable[[Any, IntentMatch, SkillContext], SkillResult | Awaitable[SkillResult]]
_F = TypeVar("_F", bound=Callable[..., Any])
_INTENT_ATTR = "__assistant_intent__"


def intent(
    name: str,
    *,
    examples: tuple[str, ...] = (),
    templates: tuple[str, ...] = (),
    slots: Mapping[str, str] | None = None,
    risk: RiskTier = RiskTier.NORMAL,
    languages: tuple[str, ...] = ("en",),
    requires: tuple[str, ...] = (),
    read_slots: SlotReader | None = None,
) -> Callable[[_F], _F]:
    """Tag a method as the handler of one intent. It only tags; the registry collects the tags."""

    if read_slots is not None and not callable(read_slots):
        raise TypeError(f"intent {name}: read_slots must be callable")

    spec = IntentSpec(
        name=name,
        examples=tuple(examples),
        templates=tuple(templates),
        slots=dict(slots or {}),
        risk=risk,
        languages=tuple(languages),
        requires=tuple(requires),
        read_slots=read_slots,
    )

    def tag(func: _F) -> _F:
        setattr(func, _INTENT_ATTR, spec)
        return func

    return tag


class Skill:
    """Base class of skills. Keep it small: services come through the context."""

    id: ClassVar[str] = ""
    """Unique skill id (also the entry-point name)."""
    description: ClassVar[str] = ""
    """One line for 'what can you do?'."""
    permissions: ClassVar[frozenset[Permission]] = frozenset()
    """What the skill may use."""
    default_settings: ClassVar[Mapping[str, Any]] = {}
    """Defaults of the skill's settings namespace (config `skills.settings.<id>` overrides)."""
    timeout_s: ClassVar[float] = 10.0
    """Per-call handler timeout."""
    templates_file: ClassVar[str | None] = None
    """Optional hassil YAML file (relative to the skill's module) with more templates."""

    def attach(self, host: SkillHost) -> None:
        """Called once after the skill is loaded with what the host offers outside a turn: durable records and a
        way to speak or act in a conversation later (timers restored after a restart). The default ignores it."""

    def close(self) -> None:
        """Release what the skill holds (threads, files) when the assistant stops or the skill is unloaded."""

    @classmethod
    def intent_handlers(cls) -> list[tuple[IntentSpec, str]]:
        """(spec, method name) for every @intent-tagged method, in definition order."""
        found: list[tuple[IntentSpec, str]] = []
        for klass in reversed(cls.__mro__):
            for attr, value in vars(klass).items():
                spec = getattr(value, _INTENT_ATTR, None)
                if isinstance(spec, IntentSpec):
                    found = [(s, a) for s, a in found if a != attr]
                    found.append((spec, attr))
        return found
