"""Migrations: applied on a fresh data dir, idempotent on re-open, schema equal to the models, stamping."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from assistant.store import Database
from assistant.store.database import head_revision
from assistant.store.models import Base

TABLES = {
    "conversations",
    "turns",
    "actions",
    "documents",
    "chunks",
    "pending_actions",
    "confirm_guard",
    "skill_records",
    "conversation_state",
    "leases",
    "alembic_version",
}


def test_fresh_dir_is_created_and_migrated(tmp_path: Path) -> None:
    data_dir = tmp_path / "nested" / "data"
    with Database(data_dir) as db:
        assert db.path == data_dir / "assistant.sqlite"
        assert db.path.exists()
        assert db.revision() == head_revision() is not None
    engine = create_engine(f"sqlite:///{data_dir / 'assistant.sqlite'}")
    try:
        assert set(inspect(engine).get_table_names()) == TABLES
    finally:
        engine.dispose()


def test_reopen_is_idempotent_and_keeps_data(tmp_path: Path) -> None:
    with Database(tmp_path) as db:
        conversation_id = db.conversations.create_conversation("kept")
    for _ in range(2):
        with Database(tmp_path) as db:
            assert db.revision() == head_revision()
            assert [c.id for c in db.conversations.list_conversations()] == [conversation_id]


def test_migrated_schema_matches_models(tmp_path: Path) -> None:
    with Database(tmp_path):
        pass
    engine = create_engine(f"sqlite:///{tmp_path / 'assistant.sqlite'}")
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_schema_without_alembic_is_stamped(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'assistant.sqlite'}")
    Base.metadata.create_all(engine)
    engine.dispose()
    with Database(tmp_path) as db:
        assert db.revision() == head_revision()
        db.conversations.create_conversation()
        assert len(db.conversations.list_conversations()) == 1


def test_wal_and_foreign_keys(tmp_path: Path) -> None:
    with Database(tmp_path) as db:
        db.conversations.create_conversation()
        with sqlite3.connect(db.path) as raw:
            assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        fk = db._engine.connect()  # a pooled connection carries the pragmas
        try:
            assert fk.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        finally:
            fk.close()


def test_custom_filename(tmp_path: Path) -> None:
    with Database(tmp_path, filename="other.sqlite") as db:
        assert db.path.name == "other.sqlite"
        assert db.path.exists()
