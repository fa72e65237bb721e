"""Thread safety: many workers saving turns at once lose or duplicate nothing."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from assistant.store import Database

from .conftest import MakeResult

THREADS = 8
TURNS = 25


def test_concurrent_save_turn(db: Database, make_result: MakeResult) -> None:
    conversations = [db.conversations.create_conversation() for _ in range(3)]
    barrier = threading.Barrier(THREADS)

    def worker(n: int) -> list[str]:
        barrier.wait()
        ids = []
        for i in range(TURNS):
            result = make_result(
                conversation_id=conversations[(n + i) % len(conversations)],
                text=f"worker {n} turn {i}",
                turn_id=uuid.uuid4().hex,
            )
            ids.append(db.conversations.save_turn(result))
            if i % 5 == 0:  # readers interleave with writers
                db.conversations.list_conversations()
        return ids

    with ThreadPoolExecutor(THREADS) as pool:
        saved = [tid for ids in pool.map(worker, range(THREADS)) for tid in ids]

    assert len(saved) == len(set(saved)) == THREADS * TURNS
    stored = [t for c in conversations for t in db.conversations.turns(c)]
    assert sorted(t.id for t in stored) == sorted(saved)
    assert sorted(t.user_text for t in stored) == sorted(
        f"worker {n} turn {i}" for n in range(THREADS) for i in range(TURNS)
    )
    for c in conversations:  # every conversation numbers its turns 1..n without gaps or duplicates
        seqs = [t.seq for t in db.conversations.turns(c)]
        assert seqs == list(range(1, len(seqs) + 1))
    stats = db.conversations.stats()
    assert (stats.turns, stats.actions) == (THREADS * TURNS, THREADS * TURNS)


def test_two_database_objects_on_one_file(tmp_path: Path, make_result: MakeResult) -> None:
    first, second = Database(tmp_path), Database(tmp_path)
    try:

        def save(database: Database, n: int) -> None:
            for i in range(20):
                database.conversations.save_turn(make_result(conversation_id="shared", text=f"{n}-{i}"))

        threads = [threading.Thread(target=save, args=(d, n)) for n, d in enumerate((first, second))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [t.seq for t in first.conversations.turns("shared")] == list(range(1, 41))
    finally:
        first.close()
        second.close()


def test_concurrent_first_open_migrates_once(tmp_path: Path) -> None:
    barrier = threading.Barrier(4)
    opened: list[Database] = []
    errors: list[BaseException] = []

    def open_db() -> None:
        barrier.wait()
        try:
            opened.append(Database(tmp_path / "fresh"))
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=open_db) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == [] and len(opened) == 4
        conv = opened[0].conversations.create_conversation()
        assert all(d.conversations.get_conversation(conv).id == conv for d in opened)
    finally:
        for d in opened:
            d.close()
