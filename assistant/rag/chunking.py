"""Chunking with langchain-text-splitters: Markdown sections first, then recursive character splitting."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

__all__ = ["TextChunk", "split_document"]

_HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3"), ("####", "h4")]


@dataclass(frozen=True, slots=True)
class TextChunk:
    """One chunk of a document."""

    index: int
    """Position in the document."""
    text: str
    """Chunk text (Markdown headings kept)."""
    section: str = ""
    """Heading path, e.g. 'Heating > Schedule'."""


def split_document(text: str, *, markdown: bool, chunk_size: int, chunk_overlap: int) -> list[TextChunk]:
    """Split a document into chunks of at most about ``chunk_size`` characters."""
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=min(chunk_overlap, chunk_size // 2),
        separators=["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""],
        keep_separator="end",
    )
    sections: list[tuple[str, str]] = []
    if markdown:
        header_splitter = MarkdownHeaderTextSplitter(headers_to_split_on=_HEADERS, strip_headers=False)
        for doc in header_splitter.split_text(text):
            path = " > ".join(str(doc.metadata[key]) for _, key in _HEADERS if key in doc.metadata)
            sections.append((path, doc.page_content))
    else:
        sections.append(("", text))
    chunks: list[TextChunk] = []
    for section, body in sections:
        for piece in splitter.split_text(body):
            piece = piece.strip()
            if piece:
                chunks.append(TextChunk(index=len(chunks), text=piece, section=section))
    return chunks
