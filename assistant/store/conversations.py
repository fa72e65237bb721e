"""ConversationRepository: conversations, turns, actions, history queries and sentiment aggregates."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Float, Integer, String, Table, bindparam, delete, func, select
from sqlalchemy import true as sa_true
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload

from assistant.store.jsonsafe import jsonable
from assistant.store.models import (
    ActionModel,
    ChunkModel,
    ConversationModel,
    ConversationStateModel,
    DocumentModel,
    TurnModel,
    UtcDateTime,
    utcnow,
)
from assistant.store.records import (
    ConversationInfo,
    ConversationSummary,
    FrustrationItem,
    SentimentPoint,
    StoredAction,
    StoredTurn,
    StoreStats,
    TurnBrief,
)
from assistant.store.session import SessionFactory
from contracts.messages import Action, AssistantError, ErrorCode, EventType, SentimentLabel, TurnResult

__all__ = ["DEFAULT_FRUSTRATION_THRESHOLD", "EXPORT_FORMAT", "ConversationRepository"]

EXPORT_FORMAT = "assistant.conversation/1"
DEFAULT_FRUSTRATION_THRESHOLD = -0.35
_TITLE_CHARS = 80
_SKIPPED_EVENTS = frozenset({EventType.REPLY_TOKEN, EventType.ASR_PARTIAL})
_SPACES = re.compile(r"\s+")


def _new_id() -> str:
    return uuid.uuid4().hex


def _title_from(text: str) -> str | None:
    text = _SPACES.sub(" ", text).strip()
    if not text:
        return None
    return text if len(text) <= _TITLE_CHARS else text[: _TITLE_CHARS - 1].rstrip() + "…"


def _normalise_request(text: str) -> str:
    return _SPACES.sub(" ", text).strip().casefold()


def _jmap(value: Any) -> dict[str, Any]:
    out = jsonable(value) if value is not None else {}
    return out if isinstance(out, dict) else {"value": out}


def _jlist(value: Any) -> list[Any]:
    out = jsonable(value) if value is not None else []
    return out if isinstance(out, list) else [out]


def _finite(value: float | None) -> float | None:
    out = jsonable(value)
    return float(out) if isinstance(out, int | float) else None


def _started_at(result: TurnResult) -> datetime:
    starts = [e.timestamp for e in result.events if e.type == EventType.RUN_START]
    stamps = starts or [e.timestamp for e in result.events]
    return datetime.fromtimestamp(min(stamps), UTC) if stamps else utcnow()


def _policy_rule(result: TurnResult) -> str | None:
    for event in reversed(result.events):
        rule = event.data.get("policy_rule") if isinstance(event.data, Mapping) else None
        if isinstance(rule, str) and rule:
            return rule
    return None


_CONVERSATIONS: Table = ConversationModel.__table__  # type: ignore[assignment]
_TURNS: Table = TurnModel.__table__  # type: ignore[assignment]
_ACTIONS: Table = ActionModel.__table__  # type: ignore[assignment]


def _conversation_language(conversation_id: Any) -> Any:
    """A scalar subquery: the conversation's pinned language."""
    return select(_CONVERSATIONS.c.language).where(_CONVERSATIONS.c.id == conversation_id).scalar_subquery()


def _build_upsert(dialect: str) -> Any:
    stmt = postgresql_insert(_CONVERSATIONS) if dialect == "postgresql" else sqlite_insert(_CONVERSATIONS)
    later = func.greatest if dialect == "postgresql" else func.max  # SQLite's two-argument max() is a scalar
    return stmt.on_conflict_do_update(
        index_elements=[_CONVERSATIONS.c.id],
        set_={
            "title": func.coalesce(_CONVERSATIONS.c.title, stmt.excluded.title),
            "updated_at": later(_CONVERSATIONS.c.updated_at, stmt.excluded.updated_at),
            "owner": func.coalesce(_CONVERSATIONS.c.owner, stmt.excluded.owner),
        },
    )


_UPSERTS = {"sqlite": _build_upsert("sqlite"), "postgresql": _build_upsert("postgresql")}
"""Create the conversation with its first turn, or bump ``updated_at`` (and set a missing title)."""
_TURN_OWNER = select(_TURNS.c.conversation_id).where(_TURNS.c.id == bindparam("turn_id"))
_NEXT_SEQ = (
    select(func.coalesce(func.max(_TURNS.c.seq), 0) + 1)
    .where(_TURNS.c.conversation_id == bindparam("cid"))
    .scalar_subquery()
)
_INSERT_TURN = _TURNS.insert().values(seq=_NEXT_SEQ)
_INSERT_TYPED_TURN = _TURNS.insert().values(seq=_NEXT_SEQ, language=_conversation_language(bindparam("cid")))

_RECENT_BRIEFS = (
    select(
        _TURNS.c.user_text,
        _TURNS.c.intent,
        _TURNS.c.success,
        _TURNS.c.error_code,
        _TURNS.c.sentiment_score,
        _TURNS.c.targets,
    )
    .where(_TURNS.c.conversation_id == bindparam("cid"))
    .order_by(_TURNS.c.seq.desc())
    .limit(bindparam("n"))
)


def _turn_values(result: TurnResult, policy_rule: str | None) -> dict[str, Any]:
    """The turns-table columns of a result (JSON-safe), except id, conversation_id and seq."""
    intent = result.intent
    transcript = result.transcript
    sentiment = result.sentiment
    return {
        "created_at": _started_at(result),
        "user_text": result.text,
        "input_kind": "audio" if transcript is not None else "text",
        "transcript": transcript.text if transcript else None,
        "asr_avg_logprob": _finite(transcript.avg_logprob) if transcript else None,
        "asr_no_speech_prob": _finite(transcript.no_speech_prob) if transcript else None,
        "asr_confidence": _finite(transcript.confidence) if transcript else None,
        "audio_duration_s": _finite(transcript.duration_s) if transcript else None,
        "language": transcript.language if transcript else None,
        "intent": intent.intent if intent else None,
        "tier": str(intent.tier.value) if intent else None,
        "confidence": _finite(intent.confidence) if intent else None,
        "slots": _jmap(intent.slots) if intent else {},
        "targets": _jlist(intent.targets) if intent else [],
        "alternatives": _jlist(intent.alternatives) if intent else [],
        "clarification": intent.clarification if intent else None,
        "skill_id": result.skill_id or (intent.skill_id if intent else None),
        "reply": result.reply,
        "success": result.error is None and all(a.success for a in result.actions),
        "sentiment_label": str(sentiment.label.value) if sentiment else None,
        "sentiment_score": _finite(sentiment.score) if sentiment else None,
        "sentiment_confidence": _finite(sentiment.confidence) if sentiment else None,
        "sentiment_signals": _jlist(sentiment.signals) if sentiment else [],
        "policy_rule": policy_rule or _policy_rule(result),
        "error_code": str(result.error) if result.error else None,
        "needs_confirmation": result.needs_confirmation,
        "timings": _jmap(result.timings_ms),
        "trace": _jlist([e for e in result.events if e.type not in _SKIPPED_EVENTS]),
        "citations": _jlist(result.citations),
        "changes": _jlist(result.changes),
    }


def _action_values(turn_id: str, idx: int, action: Action) -> dict[str, Any]:
    """The actions-table columns of one action."""
    return {
        "turn_id": turn_id,
        "idx": idx,
        "entity_id": action.entity_id,
        "service": action.service,
        "data": _jmap(action.data),
        "success": action.success,
        "error_code": action.error_code,
        "confirmed_by_user": action.confirmed_by_user,
        "new_state": _jmap(action.new_state) if action.new_state is not None else None,
    }


def _action_record(row: ActionModel) -> StoredAction:
    return StoredAction(
        id=row.id,
        entity_id=row.entity_id,
        service=row.service,
        data=dict(row.data or {}),
        success=row.success,
        error_code=row.error_code,
        confirmed_by_user=row.confirmed_by_user,
        new_state=dict(row.new_state) if row.new_state is not None else None,
    )


def _turn_record(row: TurnModel) -> StoredTurn:
    return StoredTurn(
        id=row.id,
        conversation_id=row.conversation_id,
        seq=row.seq,
        created_at=row.created_at,
        user_text=row.user_text,
        input_kind=row.input_kind,
        reply=row.reply,
        success=row.success,
        transcript=row.transcript,
        asr_avg_logprob=row.asr_avg_logprob,
        asr_no_speech_prob=row.asr_no_speech_prob,
        asr_confidence=row.asr_confidence,
        audio_duration_s=row.audio_duration_s,
        language=row.language,
        intent=row.intent,
        tier=row.tier,
        confidence=row.confidence,
        slots=dict(row.slots or {}),
        targets=list(row.targets or []),
        alternatives=list(row.alternatives or []),
        clarification=row.clarification,
        skill_id=row.skill_id,
        sentiment_label=row.sentiment_label,
        sentiment_score=row.sentiment_score,
        sentiment_confidence=row.sentiment_confidence,
        sentiment_signals=list(row.sentiment_signals or []),
        policy_rule=row.policy_rule,
        error_code=row.error_code,
        needs_confirmation=row.needs_confirmation,
        timings=dict(row.timings or {}),
        trace=list(row.trace or []),
        citations=list(row.citations or []),
        changes=list(row.changes or []),
        actions=tuple(_action_record(a) for a in row.actions),
    )


def _info(row: ConversationModel) -> ConversationInfo:
    return ConversationInfo(
        id=row.id, title=row.title, created_at=row.created_at, updated_at=row.updated_at, language=row.language
    )


def _not_found(conversation_id: str) -> AssistantError:
    return AssistantError(
        ErrorCode.CONVERSATION_NOT_FOUND,
        f"There is no conversation {conversation_id!r}.",
        details={"conversation_id": conversation_id},
    )


class ConversationRepository:
    """The only way to read and write conversations, turns and actions."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    # ---- conversations -------------------------------------------------------------------------------------

    def create_conversation(
        self, title: str | None = None, *, language: str | None = None, owner: str | None = None
    ) -> str:
        """Create a conversation (of ``owner``, when given) and return its id."""
        conversation_id = _new_id()
        now = utcnow()
        with self._sessions.write() as session:
            session.add(
                ConversationModel(
                    id=conversation_id, title=title, created_at=now, updated_at=now, language=language, owner=owner
                )
            )
        return conversation_id

    def ensure_conversation(self, conversation_id: str | None) -> str:
        """Return ``conversation_id``, creating the conversation if it does not exist (a new one for None)."""
        if not conversation_id:
            return self.create_conversation()
        with self._sessions.write() as session:
            if session.get(ConversationModel, conversation_id) is None:
                now = utcnow()
                session.add(ConversationModel(id=conversation_id, created_at=now, updated_at=now))
        return conversation_id

    def get_conversation(self, conversation_id: str) -> ConversationInfo:
        """A conversation's fields; conversation-not-found if unknown."""
        with self._sessions.read() as session:
            row = session.get(ConversationModel, conversation_id)
            if row is None:
                raise _not_found(conversation_id)
            return _info(row)

    def rename_conversation(self, conversation_id: str, title: str | None) -> None:
        """Set a conversation's title."""
        with self._sessions.write() as session:
            row = session.get(ConversationModel, conversation_id)
            if row is None:
                raise _not_found(conversation_id)
            row.title = title

    def owner_of(self, conversation_id: str) -> str | None:
        """The owner of a conversation (None when it has none or does not exist)."""
        with self._sessions.read() as session:
            owner = session.scalar(select(ConversationModel.owner).where(ConversationModel.id == conversation_id))
            return str(owner) if owner is not None else None

    def list_conversations(self, limit: int | None = None, *, owner: str | None = None) -> list[ConversationSummary]:
        """Conversations, most recently active first, with turn counts and the last exchange.

        ``owner`` limits the list to one owner's conversations; None lists every conversation (CLI, admin).
        """
        with self._sessions.read() as session:
            counts = (
                select(TurnModel.conversation_id, func.count().label("n"), func.max(TurnModel.seq).label("last"))
                .group_by(TurnModel.conversation_id)
                .subquery()
            )
            stmt = (
                select(ConversationModel, counts.c.n, TurnModel.user_text, TurnModel.reply)
                .outerjoin(counts, counts.c.conversation_id == ConversationModel.id)
                .outerjoin(
                    TurnModel,
                    (TurnModel.conversation_id == ConversationModel.id) & (TurnModel.seq == counts.c.last),
                )
                .order_by(ConversationModel.updated_at.desc(), ConversationModel.id)
            )
            if owner is not None:
                stmt = stmt.where(ConversationModel.owner == owner)
            if limit is not None:
                stmt = stmt.limit(limit)
            return [
                ConversationSummary(
                    id=conv.id,
                    title=conv.title,
                    created_at=conv.created_at,
                    updated_at=conv.updated_at,
                    turn_count=int(n or 0),
                    last_text=text,
                    last_reply=reply,
                    language=conv.language,
                )
                for conv, n, text, reply in session.execute(stmt)
            ]

    def delete_conversation(self, conversation_id: str) -> None:
        """Delete a conversation with its turns and actions; conversation-not-found if unknown."""
        with self._sessions.write() as session:
            deleted = session.execute(delete(ConversationModel).where(ConversationModel.id == conversation_id))
            if getattr(deleted, "rowcount", 0) == 0:
                raise _not_found(conversation_id)
            session.execute(
                delete(ConversationStateModel).where(ConversationStateModel.conversation_id == conversation_id)
            )
        self._sessions.checkpoint()

    def delete_all(self, *, owner: str | None = None) -> int:
        """Delete every conversation, or one owner's (knowledge-base documents stay); returns how many."""
        where = ConversationModel.owner == owner if owner is not None else sa_true()
        with self._sessions.write() as session:
            n = session.scalar(select(func.count()).select_from(ConversationModel).where(where)) or 0
            gone = select(ConversationModel.id).where(where)
            session.execute(delete(ConversationStateModel).where(ConversationStateModel.conversation_id.in_(gone)))
            session.execute(delete(ConversationModel).where(where))
        self._sessions.checkpoint()
        return int(n)

    # ---- turns ---------------------------------------------------------------------------------------------

    def save_turn(self, result: TurnResult, *, policy_rule: str | None = None, owner: str | None = None) -> str:
        """Store a turn with its actions in one transaction (replacing a turn with the same id); returns its id.

        ``owner`` is recorded on a conversation that has none yet (it never changes an existing owner).

        The conversation is created with its first turn when it does not exist yet. Rows are converted before the
        write lock is taken; the transaction is a few precompiled Core statements (no ORM unit of work).
        """
        turn_id = result.turn_id or _new_id()
        conversation_id = result.conversation_id or _new_id()
        values = _turn_values(result, policy_rule)
        actions = [_action_values(turn_id, i, a) for i, a in enumerate(result.actions)]
        conversation = {
            "id": conversation_id,
            "title": _title_from(result.text),
            "created_at": values["created_at"],
            "updated_at": values["created_at"],
            "owner": owner,
        }
        typed = result.transcript is None  # a typed turn takes the conversation's pinned language
        if typed:
            del values["language"]
        with self._sessions.write_connection() as conn:
            if conn.dialect.name == "postgresql":  # one writer per conversation at a time, across workers
                conn.execute(select(func.pg_advisory_xact_lock(func.hashtext(conversation_id))))
            conn.execute(_UPSERTS[conn.dialect.name], conversation)
            owner = conn.execute(_TURN_OWNER, {"turn_id": turn_id}).scalar()
            if owner is None:
                insert = _INSERT_TYPED_TURN if typed else _INSERT_TURN
                row = {"id": turn_id, "conversation_id": conversation_id, "cid": conversation_id, **values}
                conn.execute(insert, row)
            elif owner != conversation_id:
                raise AssistantError(
                    ErrorCode.INTERNAL,
                    f"Turn {turn_id} belongs to another conversation.",
                    details={"turn_id": turn_id, "conversation_id": owner},
                )
            else:
                update = _TURNS.update().where(_TURNS.c.id == turn_id).values(**values)
                if typed:
                    update = update.values(language=_conversation_language(conversation_id))
                conn.execute(update)
                conn.execute(_ACTIONS.delete().where(_ACTIONS.c.turn_id == turn_id))
            if actions:
                conn.execute(_ACTIONS.insert(), actions)
        return turn_id

    def _require(self, session: Session, conversation_id: str) -> ConversationModel:
        row = session.get(ConversationModel, conversation_id)
        if row is None:
            raise _not_found(conversation_id)
        return row

    def turns(self, conversation_id: str) -> list[StoredTurn]:
        """All turns of a conversation in order; conversation-not-found if unknown."""
        with self._sessions.read() as session:
            self._require(session, conversation_id)
            rows = session.scalars(
                select(TurnModel)
                .where(TurnModel.conversation_id == conversation_id)
                .order_by(TurnModel.seq)
                .options(selectinload(TurnModel.actions))
            )
            return [_turn_record(r) for r in rows]

    def recent_turns(self, conversation_id: str, n: int) -> list[StoredTurn]:
        """The last ``n`` turns of a conversation, oldest first (empty for an unknown or new conversation)."""
        if n <= 0:
            return []
        with self._sessions.read() as session:
            rows = session.scalars(
                select(TurnModel)
                .where(TurnModel.conversation_id == conversation_id)
                .order_by(TurnModel.seq.desc())
                .limit(n)
                .options(selectinload(TurnModel.actions))
            )
            return [_turn_record(r) for r in reversed(list(rows))]

    def recent_briefs(self, conversation_id: str, n: int) -> list[TurnBrief]:
        """What the reply policy needs of the last ``n`` turns, oldest first (no trace, no actions)."""
        if n <= 0:
            return []
        with self._sessions.read_connection() as conn:
            rows = conn.execute(_RECENT_BRIEFS, {"cid": conversation_id, "n": n}).all()
        return [
            TurnBrief(
                str(text or ""),
                intent,
                bool(success),
                error,
                None if score is None else float(score),
                tuple(str(t) for t in targets) if isinstance(targets, list) else (),
            )
            for text, intent, success, error, score, targets in reversed(rows)
        ]

    def get_turn(self, turn_id: str) -> StoredTurn | None:
        """One turn by id, or None."""
        with self._sessions.read() as session:
            row = session.get(TurnModel, turn_id, options=[selectinload(TurnModel.actions)])
            return _turn_record(row) if row is not None else None

    def search_turns(self, query: str, limit: int = 50, *, owner: str | None = None) -> list[StoredTurn]:
        """Turns whose user text, transcript or reply contains ``query`` (case-insensitive), newest first.

        ``owner`` limits the search to one owner's conversations; None searches all.
        """
        needle = query.strip().casefold()
        if not needle or limit <= 0:
            return []
        with self._sessions.read() as session:
            cond = (
                func.py_casefold(TurnModel.user_text).contains(needle, autoescape=True)
                | func.py_casefold(TurnModel.reply).contains(needle, autoescape=True)
                | func.py_casefold(func.coalesce(TurnModel.transcript, "")).contains(needle, autoescape=True)
            )
            if owner is not None:
                mine = select(ConversationModel.id).where(ConversationModel.owner == owner)
                cond = cond & TurnModel.conversation_id.in_(mine)
            rows = session.scalars(
                select(TurnModel)
                .where(cond)
                .order_by(TurnModel.created_at.desc(), TurnModel.seq.desc())
                .limit(limit)
                .options(selectinload(TurnModel.actions))
            )
            return [_turn_record(r) for r in rows]

    def export_conversation(self, conversation_id: str) -> dict[str, Any]:
        """A complete JSON-ready dict of a conversation (turns with actions, sentiment, timings and trace)."""
        with self._sessions.read() as session:
            conv = self._require(session, conversation_id)
            info = _info(conv)
            rows = session.scalars(
                select(TurnModel)
                .where(TurnModel.conversation_id == conversation_id)
                .order_by(TurnModel.seq)
                .options(selectinload(TurnModel.actions))
            )
            turns = [_turn_record(r).to_dict() for r in rows]
        return {
            "format": EXPORT_FORMAT,
            "exported_at": utcnow().isoformat(),
            "conversation": jsonable(info),
            "turns": turns,
        }

    # ---- aggregates ----------------------------------------------------------------------------------------

    def sentiment_series(self, conversation_id: str) -> list[SentimentPoint]:
        """(seq, created_at, score, label) of every turn with a sentiment, in order."""
        with self._sessions.read() as session:
            self._require(session, conversation_id)
            rows = session.execute(
                select(TurnModel.seq, TurnModel.created_at, TurnModel.sentiment_score, TurnModel.sentiment_label)
                .where(TurnModel.conversation_id == conversation_id, TurnModel.sentiment_score.is_not(None))
                .order_by(TurnModel.seq)
            )
            return [
                SentimentPoint(seq, created, float(score), label or SentimentLabel.NEUTRAL.value)
                for seq, created, score, label in rows
                if score is not None
            ]

    def frustration_report(
        self, limit: int = 10, *, threshold: float = DEFAULT_FRUSTRATION_THRESHOLD
    ) -> list[FrustrationItem]:
        """The requests most often followed by a frustrated turn, worst first.

        The next turn in the same conversation counts as frustrated when its sentiment score is below
        ``threshold``, or when the request failed and the next turn is labelled negative.
        """
        if limit <= 0:
            return []
        order = (TurnModel.seq,)
        part = (TurnModel.conversation_id,)
        stmt = select(
            TurnModel.id,
            TurnModel.intent,
            TurnModel.user_text,
            TurnModel.success,
            func.lead(TurnModel.seq, type_=Integer()).over(partition_by=part, order_by=order).label("next_seq"),
            func.lead(TurnModel.sentiment_score, type_=Float())
            .over(partition_by=part, order_by=order)
            .label("next_score"),
            func.lead(TurnModel.sentiment_label, type_=String())
            .over(partition_by=part, order_by=order)
            .label("next_label"),
            func.lead(TurnModel.created_at, type_=UtcDateTime())
            .over(partition_by=part, order_by=order)
            .label("next_at"),
        ).order_by(TurnModel.created_at.desc())
        groups: dict[tuple[str | None, str], dict[str, Any]] = {}
        with self._sessions.read() as session:
            for turn_id, intent, text, success, next_seq, next_score, next_label, next_at in session.execute(stmt):
                if next_seq is None:
                    continue
                key = (intent, _normalise_request(text))
                group = groups.setdefault(key, {"n": 0, "frustrated": 0, "failed": 0, "last": None, "ids": []})
                group["n"] += 1
                group["failed"] += 0 if success else 1
                low = next_score is not None and float(next_score) < threshold
                negative_after_failure = not success and next_label == SentimentLabel.NEGATIVE.value
                if low or negative_after_failure:
                    group["frustrated"] += 1
                    if len(group["ids"]) < 3:
                        group["ids"].append(turn_id)
                    if group["last"] is None:
                        group["last"] = next_at
        items = [
            FrustrationItem(
                intent=intent,
                text=text,
                frustrated=g["frustrated"],
                occurrences=g["n"],
                failed=g["failed"],
                last_at=g["last"],
                example_turn_ids=tuple(g["ids"]),
            )
            for (intent, text), g in groups.items()
            if g["frustrated"] > 0
        ]
        items.sort(key=lambda i: (-i.frustrated, -i.rate, i.text))
        return items[:limit]

    def stats(self) -> StoreStats:
        """Counts for the history and settings views."""
        with self._sessions.read() as session:
            count = func.count()
            conversations = session.scalar(select(count).select_from(ConversationModel)) or 0
            turns = session.scalar(select(count).select_from(TurnModel)) or 0
            actions = session.scalar(select(count).select_from(ActionModel)) or 0
            failed = session.scalar(select(count).select_from(TurnModel).where(TurnModel.success.is_(False))) or 0
            documents = session.scalar(select(count).select_from(DocumentModel)) or 0
            chunks = session.scalar(select(count).select_from(ChunkModel)) or 0
            sentiment = {
                str(label): int(n)
                for label, n in session.execute(
                    select(TurnModel.sentiment_label, count)
                    .where(TurnModel.sentiment_label.is_not(None))
                    .group_by(TurnModel.sentiment_label)
                )
            }
            tiers = {
                str(tier): int(n)
                for tier, n in session.execute(
                    select(TurnModel.tier, count).where(TurnModel.tier.is_not(None)).group_by(TurnModel.tier)
                )
            }
        size = self._sessions.size_bytes()
        return StoreStats(
            conversations=int(conversations),
            turns=int(turns),
            actions=int(actions),
            failed_turns=int(failed),
            documents=int(documents),
            chunks=int(chunks),
            sentiment=sentiment,
            tiers=tiers,
            size_bytes=size,
        )
