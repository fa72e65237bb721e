"""Pending sensitive actions, the wrong-PIN back-off and skills' durable records in the database: any worker can
answer an action another worker held, and each action (or record) is taken exactly once."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy import exc as sa_exc

from assistant.store.models import (
    ConfirmGuardModel,
    ConversationStateModel,
    LeaseModel,
    PendingActionModel,
    SkillRecordModel,
    utcnow,
)
from assistant.store.session import SessionFactory
from contracts.messages import AssistantError, ErrorCode

__all__ = ["ConversationStates", "LeaseRepository", "PendingRepository", "SkillRecords", "conversation_conflict"]


def conversation_conflict(conversation_id: str, expected: int, found: int | None) -> AssistantError:
    """The error of a save made from a stale version (another worker saved the conversation since it was loaded)."""
    return AssistantError(
        ErrorCode.CONVERSATION_CONFLICT,
        "This conversation was continued somewhere else at the same time. Please say that again.",
        details={"conversation_id": conversation_id, "expected_version": expected, "found_version": found},
    )


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


class LeaseRepository:
    """Rows of ``leases``: a named lease is held by one holder until a time; claiming is one atomic statement, so of
    several workers racing for a due timer exactly one gets it."""

    def __init__(self, sessions: SessionFactory, holder: str | None = None) -> None:
        """``holder``: this worker's id (a fresh one by default)."""
        self._sessions = sessions
        self.holder = holder or uuid.uuid4().hex
        """Who this repository claims as."""

    def claim(self, name: str, ttl_s: float, *, now: float | None = None, holder: str | None = None) -> bool:
        """Take the lease ``name`` for ``ttl_s`` seconds; True only when ``holder`` (this repository's by default) has
        it now (a new lease, an expired one, or its own renewed). Atomic: an INSERT of a missing row, else one
        conditional UPDATE."""
        now = time.time() if now is None else now
        until = now + ttl_s
        holder = holder or self.holder
        try:
            with self._sessions.write_connection() as conn:
                conn.execute(
                    insert(LeaseModel).values(name=name, holder=holder, lease_until=until, updated_at=utcnow())
                )
            return True
        except sa_exc.IntegrityError:
            pass  # the row exists: take it only if it expired (or is ours)
        except AssistantError as exc:
            if not isinstance(exc.__cause__, sa_exc.IntegrityError):
                raise
        stmt = (
            update(LeaseModel)
            .where(
                LeaseModel.name == name,
                or_(LeaseModel.lease_until <= now, LeaseModel.holder == holder),
            )
            .values(holder=holder, lease_until=until, updated_at=utcnow())
        )
        with self._sessions.write_connection() as conn:
            return bool(getattr(conn.execute(stmt), "rowcount", 0))

    def release(self, name: str, *, holder: str | None = None) -> None:
        """Drop the lease if ``holder`` (this repository's by default) has it."""
        holder = holder or self.holder
        with self._sessions.write_connection() as conn:
            conn.execute(delete(LeaseModel).where(LeaseModel.name == name, LeaseModel.holder == holder))

    def holder_of(self, name: str, *, now: float | None = None) -> str | None:
        """Who holds the lease now (None when free or expired)."""
        now = time.time() if now is None else now
        with self._sessions.read_connection() as conn:
            return conn.execute(
                select(LeaseModel.holder).where(LeaseModel.name == name, LeaseModel.lease_until > now)
            ).scalar()

    def forget(self, name: str) -> None:
        """Drop the lease whoever holds it (its thing is gone)."""
        with self._sessions.write_connection() as conn:
            conn.execute(delete(LeaseModel).where(LeaseModel.name == name))


def _turn_lease(conversation_id: str) -> str:
    return f"turn:{conversation_id}"


class SkillRecords:
    """One skill's durable JSON records (``skills.api.SkillStore``) in ``skill_records``, with a lease per record
    (``claim``) so that exactly one worker acts on a due record."""

    def __init__(self, sessions: SessionFactory, skill_id: str, leases: LeaseRepository | None = None) -> None:
        self._sessions = sessions
        self._skill = skill_id
        self._leases = leases or LeaseRepository(sessions)

    def _lease(self, key: str) -> str:
        return f"skill:{self._skill}:{key}"

    def claim(self, key: str, ttl_s: float = 60.0) -> bool:
        """Lease a record for ``ttl_s`` seconds before acting on it; True for the one worker that got it and while
        the record still exists. The worker acts, then ``take``s it; if it dies first, the lease expires and another
        worker acts (a timer rings late rather than never)."""
        if not self._leases.claim(self._lease(key), ttl_s):
            return False
        return self.get(key) is not None

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
        """Delete a record (and its lease); True for the one caller that deleted it."""
        stmt = delete(SkillRecordModel).where(SkillRecordModel.skill_id == self._skill, SkillRecordModel.key == key)
        with self._sessions.write_connection() as conn:
            taken = bool(getattr(conn.execute(stmt), "rowcount", 0))
            conn.execute(delete(LeaseModel).where(LeaseModel.name == self._lease(key)))
        return taken


class ConversationStates:
    """Dialogue state per conversation (``assistant.dialogue.DialogueRecords``), versioned so every worker sees
    another's newer state, and a turn lease per conversation (``turn:<conversation_id>`` in ``leases``) so two
    workers never run turns of one conversation at once."""

    def __init__(self, sessions: SessionFactory, leases: LeaseRepository | None = None) -> None:
        self._sessions = sessions
        self._leases = leases or LeaseRepository(sessions)

    def claim_turn(self, conversation_id: str, turn_id: str, ttl_s: float) -> bool:
        """Lease the conversation to the turn ``turn_id`` for ``ttl_s`` seconds: True when it is free, expired, or
        already this turn's (a retry of the same request takes it over at once; renewing is claiming again)."""
        return self._leases.claim(_turn_lease(conversation_id), ttl_s, holder=turn_id)

    def release_turn(self, conversation_id: str, turn_id: str) -> None:
        """End the turn's lease (a no-op when another turn has taken it over)."""
        self._leases.release(_turn_lease(conversation_id), holder=turn_id)

    def turn_holder(self, conversation_id: str) -> str | None:
        """The turn holding the conversation now (None when none, or its lease expired)."""
        return self._leases.holder_of(_turn_lease(conversation_id))

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

    def save(self, conversation_id: str, data: Mapping[str, Any], *, expected: int | None = None) -> int:
        """Write the record with the next version; returns it.

        With ``expected`` (the version it was loaded at, 0 for none) the write is a compare-and-set: a stale version
        raises ``AssistantError(conversation-conflict)`` and writes nothing, so two workers never overwrite each
        other's turn silently."""
        if expected is not None:
            return self._save_if(conversation_id, data, expected)
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

    def _save_if(self, conversation_id: str, data: Mapping[str, Any], expected: int) -> int:
        values = {"version": expected + 1, "data": dict(data), "updated_at": utcnow()}
        if expected <= 0:
            try:
                with self._sessions.write_connection() as conn:
                    conn.execute(insert(ConversationStateModel).values(conversation_id=conversation_id, **values))
                return 1
            except sa_exc.IntegrityError:
                pass
            except AssistantError as exc:
                if not isinstance(exc.__cause__, sa_exc.IntegrityError):
                    raise
            raise conversation_conflict(conversation_id, expected, self.version(conversation_id))
        stmt = (
            update(ConversationStateModel)
            .where(
                ConversationStateModel.conversation_id == conversation_id,
                ConversationStateModel.version == expected,
            )
            .values(**values)
        )
        with self._sessions.write_connection() as conn:
            if getattr(conn.execute(stmt), "rowcount", 0):
                return expected + 1
        raise conversation_conflict(conversation_id, expected, self.version(conversation_id))

    def delete(self, conversation_id: str) -> None:
        """Forget a conversation's state."""
        with self._sessions.write_connection() as conn:
            conn.execute(
                delete(ConversationStateModel).where(ConversationStateModel.conversation_id == conversation_id)
            )
