"""Pending sensitive actions, the wrong-PIN back-off and skills' durable records in the database: any worker can
answer an action another worker held, and each action (or record) is taken exactly once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select, update

from assistant.store.models import (
    ConfirmGuardModel,
    ConversationStateModel,
    PendingActionModel,
    SkillRecordModel,
    utcnow,
)
from assistant.store.session import SessionFactory

__all__ = ["ConversationStates", "PendingRepository", "SkillRecords"]


class PendingRepository:
    """Rows of ``pending_actions`` (opaque JSON records) and the one ``confirm_guard`` row."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    def get(self, key: str) -> dict[str, Any] | None:
        """The record held under ``key``."""
        with self._sessions.read_connection() as conn:
            row = conn.execute(select(PendingActionModel.data).where(PendingActionModel.key == key)).first()
        return dict(row[0]) if row is not None else None

    def put(self, key: str, pending_id: str, deadline: float, data: dict[str, Any]) -> None:
        """Hold a record under ``key`` (replacing what was there)."""
        with self._sessions.write() as session:
            session.merge(PendingActionModel(key=key, pending_id=pending_id, deadline=deadline, data=data))

    def take(self, key: str, pending_id: str) -> bool:
        """Delete ``key``'s record if it is still ``pending_id``; True for the one caller that deleted it."""
        stmt = delete(PendingActionModel).where(
            PendingActionModel.key == key, PendingActionModel.pending_id == pending_id
        )
        with self._sessions.write_connection() as conn:
            return bool(getattr(conn.execute(stmt), "rowcount", 0))

    def update(self, key: str, pending_id: str, data: dict[str, Any]) -> bool:
        """Replace the record if it is still ``pending_id``."""
        stmt = (
            update(PendingActionModel)
            .where(PendingActionModel.key == key, PendingActionModel.pending_id == pending_id)
            .values(data=data)
        )
        with self._sessions.write_connection() as conn:
            return bool(getattr(conn.execute(stmt), "rowcount", 0))

    def delete(self, key: str) -> dict[str, Any] | None:
        """Remove whatever ``key`` holds; returns its record."""
        with self._sessions.write() as session:
            row = session.get(PendingActionModel, key)
            if row is None:
                return None
            data = dict(row.data)
            session.delete(row)
            return data

    def find(self, pending_id: str) -> str | None:
        """The key holding ``pending_id``."""
        with self._sessions.read_connection() as conn:
            return conn.execute(
                select(PendingActionModel.key).where(PendingActionModel.pending_id == pending_id)
            ).scalar()

    def guard(self) -> tuple[int, int, float]:
        """(failures, lockouts, locked_until)."""
        with self._sessions.read_connection() as conn:
            row = conn.execute(
                select(ConfirmGuardModel.failures, ConfirmGuardModel.lockouts, ConfirmGuardModel.locked_until).where(
                    ConfirmGuardModel.id == 1
                )
            ).first()
        return (int(row[0]), int(row[1]), float(row[2])) if row is not None else (0, 0, 0.0)

    def set_guard(self, failures: int, lockouts: int, locked_until: float) -> None:
        """Store the back-off state."""
        with self._sessions.write() as session:
            session.merge(ConfirmGuardModel(id=1, failures=failures, lockouts=lockouts, locked_until=locked_until))


class SkillRecords:
    """One skill's durable JSON records (``skills.api.SkillStore``) in ``skill_records``."""

    def __init__(self, sessions: SessionFactory, skill_id: str) -> None:
        self._sessions = sessions
        self._skill = skill_id

    def put(self, key: str, record: Mapping[str, Any]) -> None:
        """Write a record (replacing one with the same key)."""
        with self._sessions.write() as session:
            session.merge(SkillRecordModel(skill_id=self._skill, key=key, data=dict(record), updated_at=utcnow()))

    def get(self, key: str) -> dict[str, Any] | None:
        """A record, or None."""
        with self._sessions.read_connection() as conn:
            row = conn.execute(
                select(SkillRecordModel.data).where(
                    SkillRecordModel.skill_id == self._skill, SkillRecordModel.key == key
                )
            ).first()
        return dict(row[0]) if row is not None else None

    def items(self) -> list[tuple[str, dict[str, Any]]]:
        """Every record of the skill, by key."""
        with self._sessions.read_connection() as conn:
            rows = conn.execute(
                select(SkillRecordModel.key, SkillRecordModel.data)
                .where(SkillRecordModel.skill_id == self._skill)
                .order_by(SkillRecordModel.key)
            ).all()
        return [(str(k), dict(v)) for k, v in rows]

    def take(self, key: str) -> bool:
        """Delete a record; True for the one caller that deleted it."""
        stmt = delete(SkillRecordModel).where(SkillRecordModel.skill_id == self._skill, SkillRecordModel.key == key)
        with self._sessions.write_connection() as conn:
            return bool(getattr(conn.execute(stmt), "rowcount", 0))


class ConversationStates:
    """Dialogue state per conversation (``assistant.dialogue.DialogueRecords``), versioned so every worker sees
    another's newer state."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    def version(self, conversation_id: str) -> int | None:
        """The stored version, or None."""
        with self._sessions.read_connection() as conn:
            value = conn.execute(
                select(ConversationStateModel.version).where(ConversationStateModel.conversation_id == conversation_id)
            ).scalar()
        return int(value) if value is not None else None

    def load(self, conversation_id: str) -> tuple[int, dict[str, Any]] | None:
        """(version, record), or None."""
        with self._sessions.read_connection() as conn:
            row = conn.execute(
                select(ConversationStateModel.version, ConversationStateModel.data).where(
                    ConversationStateModel.conversation_id == conversation_id
                )
            ).first()
        return (int(row[0]), dict(row[1])) if row is not None else None

    def save(self, conversation_id: str, data: Mapping[str, Any]) -> int:
        """Write the record with the next version; returns it."""
        with self._sessions.write() as session:
            row = session.get(ConversationStateModel, conversation_id)
            if row is None:
                row = ConversationStateModel(conversation_id=conversation_id, version=1, data=dict(data))
                session.add(row)
            else:
                row.version = int(row.version) + 1
                row.data = dict(data)
                row.updated_at = utcnow()
            return int(row.version)

    def delete(self, conversation_id: str) -> None:
        """Forget a conversation's state."""
        with self._sessions.write_connection() as conn:
            conn.execute(
                delete(ConversationStateModel).where(ConversationStateModel.conversation_id == conversation_id)
            )
