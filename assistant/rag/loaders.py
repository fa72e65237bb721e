"""Document loaders: Markdown, plain text, HTML (BeautifulSoup text) and PDF (pypdf) from bytes."""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from pathlib import PurePath

from assistant.messages import AssistantError, ErrorCode

__all__ = ["SUPPORTED_SUFFIXES", "LoadedDocument", "document_format", "load_document"]

_log = logging.getLogger("assistant.rag")

SUPPORTED_SUFFIXES: dict[str, str] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}
"""File suffix → format."""


@dataclass(frozen=True, slots=True)
class LoadedDocument:
    """A document's plain text and what was learned while reading it."""

    name: str
    """Document name (file name or upload name)."""
    format: str
    """markdown, text, html or pdf."""
    title: str
    """Title (first heading, <title>, PDF metadata, else the file stem)."""
    text: str
    """Extracted text (Markdown keeps its headings)."""
    pages: int = 1
    """Number of pages (PDF) or 1."""


def document_format(name: str) -> str:
    """The format of a document name, or raise kb-unsupported-format."""
    suffix = PurePath(name).suffix.lower()
    fmt = SUPPORTED_SUFFIXES.get(suffix)
    if fmt is None:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise AssistantError(
            ErrorCode.KB_UNSUPPORTED_FORMAT,
            f"I can't read '{name}': supported formats are {supported}.",
            details={"name": name, "suffix": suffix},
        )
    return fmt


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    return data.decode("latin-1")


def _stem_title(name: str) -> str:
    return re.sub(r"[-_]+", " ", PurePath(name).stem).strip().capitalize() or name


def _markdown(name: str, data: bytes) -> LoadedDocument:
    text = _decode(data)
    heading = re.search(r"^\s{0,3}#\s+(.+?)\s*#*\s*$", text, re.MULTILINE)
    title = heading.group(1).strip() if heading else _stem_title(name)
    return LoadedDocument(name=name, format="markdown", title=title, text=text)


def _text(name: str, data: bytes) -> LoadedDocument:
    text = _decode(data)
    return LoadedDocument(name=name, format="text", title=_stem_title(name), text=text)


_BLOCK_TAGS = ["p", "div", "section", "article", "table", "tr", "ul", "ol", "pre", "blockquote", "dl", "dt", "dd"]


def _html(name: str, data: bytes) -> LoadedDocument:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode(data), "html.parser")
    title_tag = soup.find("title")
    title = title_tag.get_text(" ", strip=True) if title_tag else ""
    for tag in soup(["script", "style", "noscript", "template", "head", "title"]):
        tag.decompose()
    h1 = soup.find("h1")
    if not title and h1:
        title = h1.get_text(" ", strip=True)
    # keep headings recognisable for the Markdown-aware splitter
    for level in range(1, 7):
        for tag in soup.find_all(f"h{level}"):
            tag.replace_with(f"\n\n{'#' * level} {tag.get_text(' ', strip=True)}\n\n")
    for tag in soup.find_all("li"):
        tag.replace_with(f"\n- {tag.get_text(' ', strip=True)}\n")
    for tag in soup.find_all("br"):
        tag.replace_with("\n")
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    text = soup.get_text()
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r" ?\n ?", "\n", text)
    text = re.sub(r"\n\s*\n\s*(\n\s*)+", "\n\n", text).strip()
    return LoadedDocument(name=name, format="html", title=title or _stem_title(name), text=text)


def _pdf(name: str, data: bytes) -> LoadedDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError, PdfStreamError

    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise AssistantError(
            ErrorCode.KB_CORRUPT_DOCUMENT, f"'{name}' is not a valid PDF file.", details={"name": name}
        )
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        pages = [page.extract_text() or "" for page in reader.pages]
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except AssistantError:
        raise
    except (PdfReadError, PdfStreamError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise AssistantError(
            ErrorCode.KB_CORRUPT_DOCUMENT,
            f"'{name}' looks damaged and could not be read as a PDF.",
            details={"name": name, "reason": str(exc)},
        ) from exc
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    title = str(meta_title).strip() or _stem_title(name)
    return LoadedDocument(name=name, format="pdf", title=title, text=text, pages=len(pages))


def load_document(name: str, data: bytes, *, max_bytes: int | None = None) -> LoadedDocument:
    """Read one document from bytes.

    Raises kb-unsupported-format, kb-too-large, kb-corrupt-document or kb-empty-document.
    """
    fmt = document_format(name)
    if max_bytes is not None and len(data) > max_bytes:
        raise AssistantError(
            ErrorCode.KB_TOO_LARGE,
            f"'{name}' is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB.",
            details={"name": name, "bytes": len(data), "limit": max_bytes},
        )
    loader = {"markdown": _markdown, "text": _text, "html": _html, "pdf": _pdf}[fmt]
    doc = loader(name, data)
    if not doc.text.strip():
        raise AssistantError(
            ErrorCode.KB_EMPTY_DOCUMENT,
            f"'{name}' contains no readable text.",
            details={"name": name, "format": fmt},
        )
    return doc
