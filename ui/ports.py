"""What each tab calls on the engine: small typed protocols, so a tab sees only the part of the ``Assistant`` facade
(``assistant.app.Assistant``) and of its store that it uses. ``ui.app.create_app`` hands each tab the assistant (or
one of its parts) under the narrowest of these."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from contracts.messages import TurnResult

__all__ = [
    "ChatEngine",
    "ChunkReader",
    "ConfirmationReader",
    "ControlEngine",
    "ConversationStore",
    "HomeReader",
    "KnowledgeBase",
    "SettingsSource",
]


class ConversationStore(Protocol):
    """The conversation repository (``assistant.db.conversations``)."""

    def owner_of(self, conversation_id: str) -> str | None: ...
    def list_conversations(self, *, limit: int = ..., owner: str | None = ...) -> Sequence[Any]: ...
    def turns(self, conversation_id: str) -> Sequence[Any]: ...
    def get_turn(self, turn_id: str) -> Any | None: ...
    def search_turns(self, query: str, *, limit: int = ..., owner: str | None = ...) -> Iterable[Any]: ...
    def sentiment_series(self, conversation_id: str) -> Iterable[Any]: ...
    def export_conversation(self, conversation_id: str) -> Any: ...
    def delete_conversation(self, conversation_id: str) -> Any: ...
    def delete_all(self, *, owner: str | None = ...) -> int: ...


class HomeReader(Protocol):
    """The live home (``assistant.home``): what the dashboard, the room list and the welcome examples read."""

    def entities(self) -> Sequence[Any]: ...
    def entity(self, entity_id: str) -> Any | None: ...
    def areas(self) -> Sequence[Any]: ...
    def floors(self) -> Sequence[Any]: ...


class KnowledgeBase(Protocol):
    """The knowledge base (``assistant.kb``); ``ingest_uploads`` (a batch) is used when the engine has it."""

    def documents(self) -> Sequence[Any]: ...
    def delete(self, document: str) -> Any: ...
    def search(self, query: str, *, k: int = ...) -> Sequence[Any]: ...
    def ingest_file(self, source: Path, name: str | None = ..., progress: Any = ...) -> Any: ...


class ChunkReader(Protocol):
    """The knowledge store's chunks (``assistant.db.knowledge``): a document's section headings for the welcome."""

    def iter_chunks(self, document_id: str) -> Iterable[Any]: ...


class ConfirmationReader(Protocol):
    """The engine's pending confirmation of a conversation."""

    def pending(self, conversation_id: str, *, owner: str | None = ...) -> Any | None: ...


class ChatEngine(ConfirmationReader, Protocol):
    """The turns of the Chat tab: typed, spoken, streamed, and the answer to a confirmation."""

    def handle_text(
        self,
        text: str,
        conversation_id: str | None = ...,
        area: str | None = ...,
        *,
        speak: bool = ...,
        owner: str | None = ...,
    ) -> TurnResult: ...
    def handle_audio(
        self,
        audio: bytes,
        conversation_id: str | None = ...,
        area: str | None = ...,
        *,
        speak: bool = ...,
        owner: str | None = ...,
    ) -> TurnResult: ...
    def stream_text(
        self,
        text: str,
        conversation_id: str | None = ...,
        area: str | None = ...,
        *,
        speak: bool = ...,
        owner: str | None = ...,
    ) -> Iterator[str | TurnResult]: ...
    def answer_confirmation(
        self,
        conversation_id: str,
        *,
        yes: bool,
        pending_id: str,
        pin: str | None = ...,
        owner: str | None = ...,
        area: str | None = ...,
        speak: bool = ...,
    ) -> TurnResult: ...
    def open_question(self, conversation_id: str, *, owner: str | None = ...) -> tuple[str, ...] | None: ...


class ControlEngine(Protocol):
    """The Home tab's controls: a request (maybe held for confirmation), its confirmation, its cancel."""

    def request_control(self, entity_id: str, service: str, data: Any = ..., *, owner: str | None) -> Any: ...
    def confirm_control(self, pending_id: str, *, pin: str | None = ..., owner: str | None) -> Any: ...
    def cancel_control(self, pending_id: str, *, owner: str | None) -> None: ...


class SettingsSource(Protocol):
    """The Settings tab: the engine's description of itself."""

    def describe(self) -> dict[str, Any]: ...


ModelsStatus = Callable[[], dict[str, Any]]
"""The engine's start-up state (``{"state": "loading"|"ready"|..., "message": ...}``)."""


if TYPE_CHECKING:  # the engine's facade fits every port (checked by mypy, never run)
    from assistant.app import Assistant

    def _facade_fits(
        a: Assistant,
    ) -> tuple[ChatEngine, ControlEngine, SettingsSource, ConversationStore, HomeReader, KnowledgeBase, ChunkReader]:
        return a, a, a, a.db.conversations, a.home, a.kb, a.db.knowledge
