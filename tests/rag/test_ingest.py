"""Ingestion semantics: batch uploads, document identities (folder vs upload) across restarts, parsing off the lock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.rag import BatchIngestReport, DocumentOrigin, KnowledgeBase, MemoryKnowledgeRepository, document_origin
from assistant.rag import kb as kb_module
from assistant.store import Database
from contracts.messages import AssistantError, ErrorCode
from tests.rag.conftest import HashEmbedder, make_kb

SHIPPED = "# House manual\n\nBin day is Tuesday. The boiler is in the utility room.\n"
USERS = "# House manual\n\nOur own notes: the spare key is under the blue flower pot.\n"


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "knowledge"
    path.mkdir()
    (path / "house-manual.md").write_text(SHIPPED)
    return path


class _Restartable:
    """A knowledge base on a real SQLite data dir that can be closed and reopened like an assistant restart."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.db: Database | None = None
        self.kb = self.start()

    def start(self) -> KnowledgeBase:
        self.db = Database(self.data_dir)
        return make_kb(self.db.knowledge, HashEmbedder())

    def restart(self) -> KnowledgeBase:
        self.close()
        self.kb = self.start()
        return self.kb

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None


@pytest.fixture()
def restartable(tmp_path: Path) -> Iterator[_Restartable]:
    r = _Restartable(tmp_path / "data")
    try:
        yield r
    finally:
        r.close()


def _texts(kb: KnowledgeBase, document_name: str) -> str:
    return " ".join(c.text for c in kb.repo.iter_chunks() if c.document_name == document_name)


# ------------------------------------------------------------------ batch uploads


def test_a_bad_file_in_a_batch_loses_nothing() -> None:
    kb = make_kb(MemoryKnowledgeRepository(), HashEmbedder())
    batch = kb.ingest_uploads(
        [
            ("first.md", b"# First\n\nThe fuse box is in the garage."),
            ("bad.pdf", b"%PDF-1.7\nnot really a pdf"),
            ("third.md", b"# Third\n\nThe water meter is under the stairs."),
        ]
    )
    assert isinstance(batch, BatchIngestReport)
    assert [r.name for r in batch.reports] == ["first.md", "bad.pdf", "third.md"]
    assert [r.status for r in batch.reports] == ["ingested", "failed", "ingested"]
    results = batch.results
    assert results["bad.pdf"] in ("kb-corrupt-document", "kb-empty-document")
    assert {d.id for d in kb.documents()} == {results["first.md"], results["third.md"]}
    assert [r.name for r in batch.failed] == ["bad.pdf"] and batch.failed[0].message
    assert kb.search("where is the water meter", k=1)[0].document_id == "third.md"


def test_a_batch_reads_paths_and_reports_unreadable_ones(tmp_path: Path) -> None:
    kb = make_kb(MemoryKnowledgeRepository(), HashEmbedder())
    good = tmp_path / "upload-123"
    good.write_bytes(b"The piano tuner visits every March.")
    batch = kb.ingest_uploads(
        [("piano.txt", good), ("gone.md", tmp_path / "missing"), ("photo.jpg", b"\xff\xd8"), ("x.md", b" ")]
    )
    assert [r.error_code for r in batch.reports] == [None, "kb-not-found", "kb-unsupported-format", "kb-empty-document"]
    assert [d.name for d in kb.documents()] == ["piano.txt"]
    assert kb.documents()[0].source == "upload"


def test_the_single_file_api_still_raises() -> None:
    kb = make_kb(MemoryKnowledgeRepository(), HashEmbedder())
    assert kb.ingest_file(b"# A\n\nText.", "a.md").status == "ingested"
    with pytest.raises(AssistantError) as info:
        kb.ingest_file(b"%PDF-1.4 broken", "b.pdf")
    assert info.value.code in (ErrorCode.KB_CORRUPT_DOCUMENT, ErrorCode.KB_EMPTY_DOCUMENT)
    with pytest.raises(AssistantError) as missing:
        kb.ingest_file(Path("/nonexistent/file.md"))
    assert missing.value.code == ErrorCode.KB_NOT_FOUND


# ------------------------------------------------------------------ identities: folder vs upload


def test_an_upload_named_like_a_shipped_document_is_kept_beside_it_across_restarts(
    restartable: _Restartable, folder: Path
) -> None:
    kb = restartable.kb
    kb.ingest_folder(folder)
    batch = kb.ingest_uploads([("house-manual.md", USERS.encode())])
    (upload,) = batch.reports
    assert upload.status == "ingested" and upload.document_name == "house-manual (uploaded).md"
    assert upload.title == "House manual (uploaded)"
    shipped = kb.repo.get_document_by_name("house-manual.md")
    assert shipped is not None and document_origin(shipped) is DocumentOrigin.FOLDER
    assert "Tuesday" in _texts(kb, "house-manual.md")

    # a new version of the user's own document replaces the user's, still not the shipped one
    kb.ingest_file((USERS + "\nThe alarm code is changed monthly.\n").encode(), "house-manual.md")
    assert sorted(d.name for d in kb.documents()) == ["house-manual (uploaded).md", "house-manual.md"]
    assert "alarm code" in _texts(kb, "house-manual (uploaded).md")

    for _ in range(2):  # restart twice: the startup re-ingest must neither overwrite nor delete the upload
        kb = restartable.restart()
        reports = kb.ingest_folder(folder)
        assert [(r.name, r.status) for r in reports] == [("house-manual.md", "unchanged")]
        docs = {d.name: d for d in kb.documents()}
        assert sorted(docs) == ["house-manual (uploaded).md", "house-manual.md"]
        assert document_origin(docs["house-manual (uploaded).md"]) is DocumentOrigin.UPLOAD
        assert "spare key" in _texts(kb, "house-manual (uploaded).md")
        assert "Tuesday" in _texts(kb, "house-manual.md")
        hits = {p.document_id for p in kb.search("where is the spare key", k=3)}
        assert "house-manual (uploaded).md" in hits


def test_a_shipped_update_never_overwrites_a_users_document_of_that_name(
    restartable: _Restartable, folder: Path
) -> None:
    kb = restartable.kb
    kb.ingest_file(b"# Garden\n\nOur roses are watered at dawn.", "garden.md")  # the user's, first
    (folder / "garden.md").write_text("# Garden\n\nThe shipped garden guide: mow on Saturdays.\n")  # then shipped
    kb = restartable.restart()
    reports = {r.name: r for r in kb.ingest_folder(folder)}
    assert reports["garden.md"].document_name == "garden (folder).md"
    assert "roses" in _texts(kb, "garden.md") and "mow" in _texts(kb, "garden (folder).md")
    (folder / "garden.md").unlink()  # the shipped file goes away: only the folder's copy is pruned
    kb = restartable.restart()
    kb.ingest_folder(folder)
    assert sorted(d.name for d in kb.documents()) == ["garden.md", "house-manual.md"]
    assert "roses" in _texts(kb, "garden.md")


def test_pruning_the_folder_never_deletes_uploads(tmp_path: Path, folder: Path) -> None:
    kb = make_kb(MemoryKnowledgeRepository(), HashEmbedder())
    kb.ingest_folder(folder)
    inside = folder / "notes.md"  # a user uploads a file that happens to live in the folder, then deletes it
    inside.write_text("# Notes\n\nThe gate code is 4711.")
    kb.ingest_file(inside)
    inside.unlink()
    kb.ingest_folder(folder)
    assert sorted(d.name for d in kb.documents()) == ["house-manual.md", "notes.md"]


def test_documents_stored_before_origins_are_classified_by_their_source(
    restartable: _Restartable, folder: Path
) -> None:
    """A data dir from before this change: the upload had replaced the shipped row (source: a temp upload path)."""
    repo = restartable.kb.repo
    doc_id = repo.upsert_document(
        name="house-manual.md", content_hash="sha256:old", title="House manual", source="/tmp/gradio/x/house-manual.md"
    )
    repo.replace_chunks(doc_id, [])
    kb = restartable.restart()
    reports = {r.name: r for r in kb.ingest_folder(folder)}
    assert reports["house-manual.md"].document_name == "house-manual (folder).md"
    docs = {d.name: d for d in kb.documents()}
    assert docs["house-manual.md"].id == doc_id and docs["house-manual.md"].meta["origin"] == "upload"
    assert docs["house-manual (folder).md"].meta["origin"] == "folder"


# ------------------------------------------------------------------ parsing runs outside the lock


def test_a_slow_document_does_not_block_other_ingests_or_deletes(monkeypatch: pytest.MonkeyPatch) -> None:
    kb = make_kb(MemoryKnowledgeRepository(), HashEmbedder())
    kb.ingest_file(b"# Old\n\nTo be deleted.", "old.md")
    entered, release = threading.Event(), threading.Event()
    real = kb_module.load_document

    def slow_load(name: str, data: bytes, **kwargs: Any) -> Any:
        if name == "slow.md":
            entered.set()
            assert release.wait(30)
        return real(name, data, **kwargs)

    monkeypatch.setattr(kb_module, "load_document", slow_load)
    results: list[Any] = []
    worker = threading.Thread(target=lambda: results.append(kb.ingest_file(b"# Slow\n\nSlow text.", "slow.md")))
    worker.start()
    try:
        assert entered.wait(10)
        done = threading.Event()

        def others() -> None:
            kb.ingest_file(b"# Fast\n\nThe fast document.", "fast.md")
            kb.delete("old.md")
            done.set()

        threading.Thread(target=others, daemon=True).start()
        assert done.wait(10), "an ingest and a delete waited for another document's parsing"
        assert sorted(d.name for d in kb.documents()) == ["fast.md"]
    finally:
        release.set()
        worker.join(30)
    assert results and results[0].status == "ingested"
    assert sorted(d.name for d in kb.documents()) == ["fast.md", "slow.md"]


# ------------------------------------------------------------------ the real assistant, restarted (slow: MiniLM)


@pytest.mark.slow
def test_assistant_restart_keeps_an_upload_named_like_the_house_manual(tmp_path: Path) -> None:
    from assistant.config import PROJECT_ROOT
    from tests.reliability.helpers import build_assistant

    shipped = PROJECT_ROOT / "config" / "knowledge"
    data_dir = tmp_path / "data"
    a = build_assistant(data_dir, rag={"folder": str(shipped)})
    try:
        a.ensure_ready()
        batch = a.kb.ingest_uploads([("house-manual.md", USERS.encode())])
        assert batch.reports[0].document_name == "house-manual (uploaded).md"
    finally:
        a.close()
    b = build_assistant(data_dir, rag={"folder": str(shipped)})
    try:
        b.ensure_ready()
        docs = {d.name: d for d in b.kb.documents()}
        assert {"house-manual.md", "house-manual (uploaded).md"} <= set(docs)
        assert docs["house-manual.md"].meta["origin"] == "folder"
        assert any("spare key" in p.text for p in b.kb.search("where is the spare key", k=4))
        assert any("Tuesday" in p.text for p in b.kb.search("when is bin day", k=4))
    finally:
        b.close()
