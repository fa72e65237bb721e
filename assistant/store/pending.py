"""Pending sensitive actions and the wrong-PIN back-off in the database: any worker can answer an action another
worker held, and each action is taken (confirmed or dropped) exactly once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update

from assistant.store.models import ConfirmGuardModel, PendingActionModel
from assistant.store.session import SessionFactory

__all__ = ["PendingRepository"]


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
