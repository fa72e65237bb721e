"""Document loaders and chunking (no models)."""

from __future__ import annotations

import pytest

from assistant.messages import AssistantError, ErrorCode
from assistant.rag.chunking import split_document
from assistant.rag.loaders import document_format, load_document
from tests.rag.pdfgen import make_pdf


def test_markdown_title_from_first_heading() -> None:
    doc = load_document("manual.md", b"Intro line\n\n# House manual\n\n## Bins\nBins go out on Tuesday.\n")
    assert doc.format == "markdown"
    assert doc.title == "House manual"
    assert "Tuesday" in doc.text


def test_text_title_from_file_name() -> None:
    doc = load_document("garden_notes.txt", "Water the roses at dawn.".encode("utf-16"))
    assert doc.title == "Garden notes"
    assert doc.text == "Water the roses at dawn."


def test_html_text_without_scripts_and_with_headings() -> None:
    html = b"""<html><head><title>Boiler guide</title><style>p{color:red}</style></head>
    <body><script>alert('x')</script><h1>Boiler</h1><p>Keep the pressure at <b>1.5 bar</b>.</p>
    <ul><li>Check monthly</li><li>Service in October</li></ul></body></html>"""
    doc = load_document("boiler.html", html)
    assert doc.title == "Boiler guide"
    assert "# Boiler" in doc.text
    assert "1.5 bar" in doc.text
    assert "alert" not in doc.text and "color" not in doc.text
    assert "- Check monthly" in doc.text


def test_pdf_pages_and_metadata_title() -> None:
    data = make_pdf([["The boiler is in the utility room."], ["Bins go out on Tuesday."]], title="Notes")
    doc = load_document("notes.pdf", data)
    assert doc.pages == 2
    assert doc.title == "Notes"
    assert "utility room" in doc.text and "Tuesday" in doc.text


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("photo.jpg", b"\xff\xd8\xff", ErrorCode.KB_UNSUPPORTED_FORMAT),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\ntrailer << >>\n%%EOF", None),
        ("fake.pdf", b"this is not a pdf at all", ErrorCode.KB_CORRUPT_DOCUMENT),
        ("empty.md", b"   \n\n ", ErrorCode.KB_EMPTY_DOCUMENT),
    ],
)
def test_load_errors(name: str, data: bytes, code: ErrorCode | None) -> None:
    with pytest.raises(AssistantError) as info:
        load_document(name, data)
    if code is not None:
        assert info.value.code == code
    else:  # a damaged PDF is either unreadable or holds no text: never a crash
        assert info.value.code in (ErrorCode.KB_CORRUPT_DOCUMENT, ErrorCode.KB_EMPTY_DOCUMENT)


def test_truncated_pdf_is_corrupt() -> None:
    data = make_pdf([["Some text on a page."]])
    with pytest.raises(AssistantError) as info:
        load_document("cut.pdf", data[: len(data) // 3])
    assert info.value.code in (ErrorCode.KB_CORRUPT_DOCUMENT, ErrorCode.KB_EMPTY_DOCUMENT)


def test_too_large() -> None:
    with pytest.raises(AssistantError) as info:
        load_document("big.txt", b"x" * 2000, max_bytes=1000)
    assert info.value.code == ErrorCode.KB_TOO_LARGE


def test_document_format() -> None:
    assert document_format("A.MD") == "markdown"
    assert document_format("x.htm") == "html"


def test_markdown_chunks_keep_sections_and_size() -> None:
    body = "\n\n".join(f"Sentence number {i} about the heating system and its schedule." for i in range(40))
    text = f"# Manual\n\n## Heating\n\n{body}\n\n## Bins\n\nBins go out on Tuesday."
    chunks = split_document(text, markdown=True, chunk_size=300, chunk_overlap=50)
    assert len(chunks) > 5
    assert all(len(c.text) <= 300 for c in chunks)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert chunks[0].section == "Manual > Heating"
    assert chunks[-1].section == "Manual > Bins" and "Tuesday" in chunks[-1].text
