"""The knowledge base end to end: real SQLite store, real MiniLM embeddings (slow), ingestion of every format."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT
from assistant.rag import KnowledgeBase, MemoryKnowledgeRepository
from contracts.messages import AssistantError, ErrorCode
from skills.faq.answer import DONT_KNOW, KbAnswer, extractive_answer
from tests.rag.conftest import HashEmbedder, make_kb
from tests.rag.pdfgen import make_pdf

MANUAL = PROJECT_ROOT / "config" / "knowledge" / "house-manual.md"


def _answer(kb: KnowledgeBase, question: str) -> KbAnswer:
    """What the FAQ skill composes from the knowledge base's relevant passages (the knowledge base only retrieves)."""
    return extractive_answer(question, kb.relevant(question)[:3], embedder=kb.embedder)


def _write_docs(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bins.md").write_text("# Bins\n\nThe black bin goes out on Monday evening for Tuesday collection.\n")
    (folder / "pool.txt").write_text("The swimming pool heater is switched on from June to August.\n")
    (folder / "boiler.html").write_text(
        "<html><head><title>Boiler</title></head><body><h1>Boiler</h1>"
        "<p>The boiler pressure should read between 1 and 1.5 bar.</p></body></html>"
    )
    (folder / "piano.pdf").write_bytes(
        make_pdf([["The piano tuner visits every March.", "Keep the piano away from the radiator."]])
    )
    (folder / "ignored.jpg").write_bytes(b"\xff\xd8\xff")


# ------------------------------------------------------------------ unit (fake embedder, in-memory store)


def test_incremental_reingest_skips_unchanged_and_updates_changed(tmp_path: Path) -> None:
    embedder = HashEmbedder()
    kb = make_kb(MemoryKnowledgeRepository(), embedder)
    folder = tmp_path / "kb"
    _write_docs(folder)
    progress: list[tuple[float, str]] = []
    first = kb.ingest_folder(folder, progress=lambda f, m: progress.append((f, m)))
    assert sorted(r.status for r in first) == ["ingested"] * 4
    assert progress and progress[-1][0] == 1.0
    assert all(0.0 <= f <= 1.0 for f, _ in progress)
    calls = embedder.calls
    again = kb.ingest_folder(folder)
    assert [r.status for r in again] == ["unchanged"] * 4
    assert embedder.calls == calls  # nothing re-embedded
    (folder / "pool.txt").write_text("The swimming pool is closed for the winter from October.\n")
    third = {r.name: r.status for r in kb.ingest_folder(folder)}
    assert third["pool.txt"] == "ingested" and third["bins.md"] == "unchanged"
    assert "October" in kb.search("when is the swimming pool closed", k=1)[0].text


def test_folder_prune_and_delete(tmp_path: Path) -> None:
    kb = make_kb(MemoryKnowledgeRepository(), HashEmbedder())
    folder = tmp_path / "kb"
    _write_docs(folder)
    kb.ingest_folder(folder)
    (folder / "piano.pdf").unlink()
    kb.ingest_folder(folder)
    assert sorted(d.name for d in kb.documents()) == ["bins.md", "boiler.html", "pool.txt"]
    kb.delete("bins.md")
    assert all(p.document_id != "bins.md" for p in kb.search("black bin collection", k=5))
    with pytest.raises(AssistantError) as info:
        kb.delete("bins.md")
    assert info.value.code == ErrorCode.KB_NOT_FOUND


def test_upload_errors_do_not_break_the_base() -> None:
    kb = make_kb(MemoryKnowledgeRepository(), HashEmbedder(), max_upload_mb=1)
    kb.ingest_file(b"# Notes\n\nThe spare key is with Mrs Patel.", "notes.md")
    cases = [
        (b"%PDF-1.7\n garbage without objects", "bad.pdf", ErrorCode.KB_CORRUPT_DOCUMENT),
        (b"abc", "x.docx", ErrorCode.KB_UNSUPPORTED_FORMAT),
        (b"x" * (2 * 1024 * 1024), "huge.txt", ErrorCode.KB_TOO_LARGE),
        (b"\n\n", "blank.txt", ErrorCode.KB_EMPTY_DOCUMENT),
    ]
    for data, name, code in cases:
        with pytest.raises(AssistantError) as info:
            kb.ingest_file(data, name)
        assert info.value.code in (code, ErrorCode.KB_EMPTY_DOCUMENT if code == ErrorCode.KB_CORRUPT_DOCUMENT else code)
    assert [d.name for d in kb.documents()] == ["notes.md"]
    assert kb.search("who has the spare key", k=1)[0].document_id == "notes.md"


def test_folder_reports_failures_and_continues(tmp_path: Path) -> None:
    kb = make_kb(MemoryKnowledgeRepository(), HashEmbedder())
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "good.md").write_text("# Good\n\nThe fuse box is in the garage.")
    (folder / "bad.pdf").write_bytes(b"not a pdf")
    reports = {r.name: r for r in kb.ingest_folder(folder)}
    assert reports["good.md"].status == "ingested"
    assert reports["bad.pdf"].status == "failed" and reports["bad.pdf"].error_code == "kb-corrupt-document"


# ------------------------------------------------------------------ integration (real store + MiniLM)


@pytest.mark.slow
def test_all_formats_answer_with_citations(tmp_path: Path, store_repo: object, minilm: object) -> None:
    kb = make_kb(store_repo, minilm)
    folder = tmp_path / "kb"
    _write_docs(folder)
    reports = kb.ingest_folder(folder)
    assert sorted(r.name for r in reports if r.status == "ingested") == [
        "bins.md",
        "boiler.html",
        "piano.pdf",
        "pool.txt",
    ]
    expectations = {
        "When does the piano tuner come?": ("piano.pdf", "March"),
        "What pressure should the boiler have?": ("boiler.html", "1.5 bar"),
        "When is the pool heater on?": ("pool.txt", "June"),
        "Which day is the black bin collected?": ("bins.md", "Tuesday"),
    }
    for question, (doc, fact) in expectations.items():
        answer = _answer(kb, question)
        assert not answer.abstained, question
        assert answer.citations[0].document_id == doc, question
        assert answer.citations[0].chunk_id == f"{doc}#0"
        assert fact in answer.text and "[1]" in answer.text and "Sources:" in answer.text


@pytest.mark.slow
def test_index_persists_across_instances(tmp_path: Path, minilm: object) -> None:
    from assistant.store import Database

    db = Database(tmp_path / "data")
    kb = make_kb(db.knowledge, minilm)
    kb.ingest_file(MANUAL)
    chunks = kb.chunk_count
    db.close()
    db2 = Database(tmp_path / "data")
    try:
        reopened = make_kb(db2.knowledge, minilm)
        assert reopened.chunk_count == chunks > 5
        assert reopened.ingest_file(MANUAL).status == "unchanged"
        assert "Tuesday" in _answer(reopened, "When is bin day?").text
    finally:
        db2.close()


@pytest.fixture(scope="module")
def manual_kb(minilm: object) -> KnowledgeBase:
    kb = make_kb(MemoryKnowledgeRepository(), minilm)
    kb.ingest_folder(MANUAL.parent)
    return kb


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("what is the wifi password", "sticker"),
        ("when is bin day", "Tuesday"),
        ("what time does the heating come on in the morning on weekdays", "6:30"),
        ("where is the water shut-off valve", "kitchen sink"),
        ("how often should I empty the robot vacuum", "second run"),
        ("who should I call if I smell gas", "0800 111 999"),
    ],
)
def test_house_manual_answers(manual_kb: KnowledgeBase, question: str, fact: str) -> None:
    answer = _answer(manual_kb, question)
    assert fact in answer.text, answer.text
    assert answer.citations and answer.citations[0].document_id == "house-manual.md"


@pytest.mark.slow
@pytest.mark.parametrize(
    "question",
    ["who won the football world cup in 1998", "what is the capital of australia", "explain quantum chromodynamics"],
)
def test_abstains_on_unrelated_questions(manual_kb: KnowledgeBase, question: str) -> None:
    answer = _answer(manual_kb, question)
    assert answer.abstained and answer.text == DONT_KNOW and not answer.citations
