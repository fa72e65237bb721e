"""The ``Database``: a SQLite file in the data dir (WAL), or a PostgreSQL server by URL, migrated on open, with its
two repositories. SQLite is the home default; PostgreSQL lets several workers share one store."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import ConnectionPoolEntry

from assistant.store.conversations import ConversationRepository
from assistant.store.errors import translate_errors
from assistant.store.knowledge import KnowledgeRepository
from assistant.store.pending import ConversationStates, LeaseRepository, PendingRepository, SkillRecords
from assistant.store.session import SessionFactory
from contracts.messages import AssistantError, ErrorCode

try:  # POSIX advisory locks serialize first open/migration between threads and processes
    import fcntl
except ImportError:  # pragma: no cover - Windows: SQLite's own locking and busy timeout only
    fcntl = None  # type: ignore[assignment]

__all__ = ["DEFAULT_FILENAME", "Database", "alembic_config", "head_revision"]

_log = logging.getLogger("assistant.store")

DEFAULT_FILENAME = "assistant.sqlite"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> AlembicConfig:
    """An Alembic config built in code (no alembic.ini)."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def head_revision() -> str | None:
    """The newest migration revision."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _casefold(value: object) -> str | None:
    return value.casefold() if isinstance(value, str) else None


def _prepare_dir(data_dir: Path) -> Path:
    """Create the data dir if missing and prove it is writable."""
    data_dir = data_dir.expanduser()
    hint = "Set ASSISTANT_DATA_DIR (or data_dir in the config) to a writable folder."
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise AssistantError(
            ErrorCode.STORE_UNAVAILABLE,
            f"The data directory {data_dir} cannot be created: a file is in the way. {hint}",
            details={"path": str(data_dir)},
        ) from exc
    except OSError as exc:
        raise AssistantError(
            ErrorCode.STORE_UNAVAILABLE,
            f"The data directory {data_dir} cannot be created: {exc.strerror or exc}. {hint}",
            details={"path": str(data_dir)},
        ) from exc
    if not data_dir.is_dir():
        raise AssistantError(
            ErrorCode.STORE_UNAVAILABLE,
            f"The data directory {data_dir} is not a directory. {hint}",
            details={"path": str(data_dir)},
        )
    try:
        with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise AssistantError(
            ErrorCode.STORE_UNAVAILABLE,
            f"The data directory {data_dir} is not writable: {exc.strerror or exc}. {hint}",
            details={"path": str(data_dir)},
        ) from exc
    return data_dir


@contextlib.contextmanager
def _open_lock(path: Path, timeout_s: float) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``<file>.open-lock`` while the store is switched to WAL and migrated.

    SQLite answers "database is locked" at once (without waiting out the busy timeout) when two connections
    race to change the journal mode or to upgrade a read transaction of a brand-new file; taking turns here
    makes concurrent first opens (several workers, or ``serve`` and ``ask`` started together) deterministic.
    """
    if fcntl is None:
        yield
        return
    lock_path = path.with_name(path.name + ".open-lock")
    with open(lock_path, "a+b") as handle:
        deadline = time.monotonic() + max(timeout_s, 1.0)
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as exc:
                if time.monotonic() >= deadline:
                    raise AssistantError(
                        ErrorCode.STORE_LOCKED,
                        f"The database {path} is being opened by another program (another assistant process?) "
                        "and did not become free in time. Close it or try again in a moment.",
                        details={"path": str(path)},
                    ) from exc
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


_PG_CASEFOLD = (
    "CREATE OR REPLACE FUNCTION py_casefold(value text) RETURNS text LANGUAGE sql IMMUTABLE AS "
    "$$ SELECT replace(replace(replace(lower(value), 'ß', 'ss'), 'ẞ', 'ss'), 'ς', 'σ') $$"
)
"""PostgreSQL's stand-in for the casefold function SQLite gets from Python (search is case-insensitive on both)."""


class Database:
    """The assistant's store: SQLite by default, PostgreSQL by URL. Thread-safe; every repository call uses its own
    short session."""

    def __init__(
        self,
        data_dir: Path | str,
        *,
        filename: str = DEFAULT_FILENAME,
        busy_timeout_s: float = 5.0,
        max_size_bytes: int | None = None,
        url: str | None = None,
    ) -> None:
        """``url`` (a SQLAlchemy URL, e.g. ``postgresql+psycopg://...``) stores in that server instead of
        ``data_dir/filename``; the data dir is still prepared for the caches and documents beside it."""
        self.data_dir = _prepare_dir(Path(data_dir))
        """The data directory."""
        self.url = url if url and not url.startswith("sqlite") else None
        """The server URL, or None for the SQLite file."""
        self.path = self.data_dir / filename if self.url is None else Path(_safe_url(self.url))
        """The SQLite file (or the server URL without its password, for messages)."""
        self.busy_timeout_s = busy_timeout_s
        self._max_size_bytes = max_size_bytes
        self._engine = self._create_engine() if self.url is None else self._create_server_engine(self.url)
        self._sessions = SessionFactory(self._engine, path=self.path, busy_timeout_s=busy_timeout_s)
        try:
            if self.url is None:
                with _open_lock(self.path, max(busy_timeout_s, 1.0) * 6):
                    self._open()
            else:
                self._open_server()
        except BaseException:
            self._engine.dispose()
            raise
        self.conversations = ConversationRepository(self._sessions)
        """Conversations, turns and actions."""
        self.knowledge = KnowledgeRepository(self._sessions)
        """Knowledge-base documents and chunks."""
        self.pending = PendingRepository(self._sessions)
        """Pending sensitive actions and the wrong-PIN back-off (shared by every worker)."""
        self.leases = LeaseRepository(self._sessions)
        """Leases of this worker on shared things (due timers, delayed commands, conversations during a turn)."""
        self.dialogue = ConversationStates(self._sessions, self.leases)
        """Dialogue state per conversation (shared by every worker, versioned) and its turn lease."""

    def skill_records(self, skill_id: str) -> SkillRecords:
        """A skill's durable records (``skills.api.SkillStore``)."""
        return SkillRecords(self._sessions, skill_id, self.leases)

    def _create_engine(self) -> Engine:
        engine = create_engine(
            f"sqlite:///{self.path}",
            connect_args={"check_same_thread": False, "timeout": self.busy_timeout_s},
            pool_pre_ping=False,
        )
        busy_ms = max(0, int(self.busy_timeout_s * 1000))
        max_size = self._max_size_bytes

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
            dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
            dbapi_connection.create_function("py_casefold", 1, _casefold, deterministic=True)
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
                cursor.execute("PRAGMA foreign_keys = ON")
                cursor.execute("PRAGMA synchronous = NORMAL")
                cursor.execute("PRAGMA secure_delete = ON")  # deleted history is overwritten, not left in free pages
                if max_size is not None:
                    page_size = cursor.execute("PRAGMA page_size").fetchone()[0]
                    cursor.execute(f"PRAGMA max_page_count = {max(1, max_size // page_size)}")
            finally:
                cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self._engine.dialect.name

    def _create_server_engine(self, url: str) -> Engine:
        try:
            return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
        except Exception as exc:  # a malformed URL or a missing driver
            raise AssistantError(
                ErrorCode.CONFIG_INVALID,
                f"store.url {_safe_url(url)} cannot be used: {exc}",
                details={"key": "store.url"},
            ) from exc

    def _open_server(self) -> None:
        """Bring a server's schema to the newest revision; concurrent workers take turns on an advisory lock."""
        with translate_errors(self.path), self._engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(4242001)"))
                conn.execute(text(_PG_CASEFOLD))
            current = MigrationContext.configure(conn).get_current_revision()
            if current != head_revision():
                cfg = alembic_config()
                cfg.attributes["connection"] = conn
                _log.info("Migrating the store %s from %s to head", self.path, current)
                command.upgrade(cfg, "head")

    def _open(self) -> None:
        """Switch to WAL and bring the schema to the newest revision (stamping a schema made without Alembic)."""
        with translate_errors(self.path):
            raw = self._engine.raw_connection()
            try:
                cursor = raw.cursor()  # outside any transaction: journal_mode cannot change inside one
                mode = cursor.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                cursor.close()
            finally:
                raw.close()
            if str(mode).lower() != "wal":
                _log.warning("SQLite journal mode is %s, not WAL, for %s", mode, self.path)
            with self._engine.connect() as conn:
                current = MigrationContext.configure(conn).get_current_revision()
                conn.rollback()
            head = head_revision()
            if current == head:
                return
            engine = self._engine.execution_options(sqlite_begin="IMMEDIATE")
            with engine.begin() as conn:
                cfg = alembic_config()
                cfg.attributes["connection"] = conn
                current = MigrationContext.configure(conn).get_current_revision()
                if current is None and inspect(conn).has_table("conversations"):
                    _log.info("Stamping an existing store schema at %s as %s", self.path, head)
                    command.stamp(cfg, "head")
                elif current != head:
                    _log.info("Migrating the store %s from %s to %s", self.path, current, head)
                    command.upgrade(cfg, "head")

    def revision(self) -> str | None:
        """The schema revision of the open file."""
        with translate_errors(self.path), self._engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def size_bytes(self) -> int:
        """Size of the database file plus its WAL."""
        return self._sessions.size_bytes()

    def close(self) -> None:
        """Close every connection (idempotent); later calls raise store-unavailable."""
        self._sessions.close()
        self._engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Database({str(self.path)!r})"


def _safe_url(url: str) -> str:
    """The URL without its password (for messages and logs)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<invalid store URL>"
