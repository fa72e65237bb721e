"""Session-per-call access shared by the repositories: reads, serialised writes, error translation."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from assistant.store.errors import store_error, translate_errors
from contracts.messages import AssistantError, ErrorCode

__all__ = ["SessionFactory"]

_log = logging.getLogger("assistant.store")


class SessionFactory:
    """Opens one short session per repository call; writes start with BEGIN IMMEDIATE under a process lock."""

    def __init__(self, engine: Engine, *, path: Path, busy_timeout_s: float) -> None:
        self.path = path
        self.busy_timeout_s = busy_timeout_s
        self._engine = engine
        self._reader = sessionmaker(bind=engine, expire_on_commit=False)
        self._immediate = engine.execution_options(sqlite_begin="IMMEDIATE")
        self._writer = sessionmaker(bind=self._immediate, expire_on_commit=False)
        self._write_lock = threading.Lock()
        self._closed = False

    def size_bytes(self) -> int:
        """Size of the database file plus its WAL (0 for missing files); a server's database size."""
        if self._engine.dialect.name == "postgresql":
            with translate_errors(self.path), self._engine.connect() as conn:
                return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar() or 0)
        total = 0
        for suffix in ("", "-wal"):
            with contextlib.suppress(OSError):
                total += os.stat(f"{self.path}{suffix}").st_size
        return total

    def checkpoint(self) -> bool:
        """Copy the WAL into the database file and truncate it (after deletes); False when readers prevent it.

        A no-op on a database server (it manages its own log)."""
        self._check_open()
        if self._engine.dialect.name != "sqlite":
            return True
        try:
            raw = self._engine.raw_connection()
            try:
                cursor = raw.cursor()
                busy = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
                cursor.close()
            finally:
                raw.close()
        except (sa_exc.SQLAlchemyError, sqlite3.Error) as error:
            _log.warning("WAL checkpoint of %s failed: %s", self.path, error)
            return False
        return not busy

    def close(self) -> None:
        """Refuse further calls."""
        self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise AssistantError(ErrorCode.STORE_UNAVAILABLE, f"The database {self.path} is closed.")

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session (a deferred transaction, rolled back at the end)."""
        self._check_open()
        with translate_errors(self.path), self._reader() as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """A Core connection in a deferred read transaction (rolled back at the end): no ORM session."""
        self._check_open()
        with translate_errors(self.path), self._engine.connect() as conn:
            try:
                yield conn
            finally:
                conn.rollback()

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """A Core connection in one BEGIN IMMEDIATE transaction, committed at the end, under the write lock."""
        self._check_open()
        if not self._write_lock.acquire(timeout=self.busy_timeout_s):
            raise store_error(OSError("database is locked (waiting for another writer in this process)"), self.path)
        try:
            with translate_errors(self.path), self._immediate.begin() as conn:
                yield conn
        finally:
            self._write_lock.release()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write session committed at the end (one transaction); waits at most ``busy_timeout_s`` for the lock."""
        self._check_open()
        if not self._write_lock.acquire(timeout=self.busy_timeout_s):
            raise store_error(OSError("database is locked (waiting for another writer in this process)"), self.path)
        try:
            with translate_errors(self.path), self._writer.begin() as session:
                yield session
        finally:
            self._write_lock.release()
