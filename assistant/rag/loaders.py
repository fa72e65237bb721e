"""Document loaders: Markdown, plain text, HTML (a streaming, linear-time extractor) and PDF (pypdf) from bytes.

Every loader is a parser boundary: whatever the third-party parser raises becomes the stable error code of the input
(kb-corrupt-document, kb-too-large, kb-empty-document), with the original exception logged and never shown. Heavy
parsing runs under a time budget (``time_budget_s``) and pypdf under tight decompression limits, so a hostile file is
refused in seconds instead of holding a worker for minutes or allocating a zlib bomb.
"""

from __future__ import annotations

import html
import io
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from contracts.messages import AssistantError, ErrorCode

__all__ = [
    "PARSE_TIME_BUDGET_S",
    "PDF_MAX_DECODED_BYTES",
    "SUPPORTED_SUFFIXES",
    "LoadedDocument",
    "document_format",
    "load_document",
]

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

PARSE_TIME_BUDGET_S = 30.0
"""Default time budget for reading one document (HTML and PDF check it as they go)."""

PDF_MAX_DECODED_BYTES = 16 * 1024 * 1024
"""Largest decompressed size of one PDF stream (a zlib bomb stops here, it is never allocated in full)."""


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


class _Deadline:
    """A monotonic deadline; ``check`` raises kb-too-large once it has passed."""

    def __init__(self, name: str, budget_s: float | None) -> None:
        self.name = name
        self.budget_s = budget_s
        self._end = None if budget_s is None else time.monotonic() + budget_s

    def check(self) -> None:
        if self._end is not None and time.monotonic() > self._end:
            raise AssistantError(
                ErrorCode.KB_TOO_LARGE,
                f"'{self.name}' is too large or complex to read (it took over {self.budget_s:.0f} s).",
                details={"name": self.name, "budget_s": self.budget_s},
            )


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


# an ATX heading of level 1; linear (no nested quantifiers): the closing #s are stripped by _strip_closing_hashes
_H1 = re.compile(r"^ {0,3}#[ \t]+(\S[^\n]*)$", re.MULTILINE)


def _strip_closing_hashes(heading: str) -> str:
    text = heading.rstrip(" \t")
    bare = text.rstrip("#")
    if bare != text and (not bare or bare[-1] in " \t"):
        text = bare.rstrip(" \t")
    return text.strip()


def _markdown(name: str, data: bytes, _deadline: _Deadline) -> LoadedDocument:
    text = _decode(data)
    heading = _H1.search(text)
    title = _strip_closing_hashes(heading.group(1)) if heading else ""
    return LoadedDocument(name=name, format="markdown", title=title or _stem_title(name), text=text)


def _text(name: str, data: bytes, _deadline: _Deadline) -> LoadedDocument:
    text = _decode(data)
    return LoadedDocument(name=name, format="text", title=_stem_title(name), text=text)


# ------------------------------------------------------------------------------------------------------------- HTML
#
# The standard library's HTMLParser and BeautifulSoup's tree are both superlinear on hostile input (40k <p> took
# 149 s through BeautifulSoup; "</" * 2M takes minutes in HTMLParser). This tokenizer finds every construct with
# str.find or an anchored regex that cannot backtrack, never rescans text, and keeps no tree: linear in the input.

_BLOCK_TAGS = frozenset(
    {"p", "div", "section", "article", "table", "tr", "ul", "ol", "pre", "blockquote", "dl", "dt", "dd"}
    | {"main", "header", "footer", "nav", "aside", "figure", "figcaption", "form", "fieldset", "hr", "address"}
)
_SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template", "head", "title"})
_RAW_TEXT = frozenset({"script", "style", "title", "textarea"})
"""Elements whose content is text up to their own end tag (no markup inside)."""
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_WHITESPACE = re.compile(r"\s+")
_MARKUP = re.compile(r"<[A-Za-z/!?]")
"""Where markup can start; any other '<' is text."""
_TAG_NAME = re.compile(r"[A-Za-z][^\t\n\f\r />]*")
# attributes up to the closing '>': the alternatives start with different characters, so a failed quote ends the loop
# instead of backtracking (the match always succeeds; what follows it tells a closed tag from an unterminated one)
_ATTRIBUTES = re.compile(r"""(?:[^"'>]+|"[^"]*"|'[^']*')*""")
_CHECK_EVERY = 512

_Token = tuple[str, str, bool]
"""(kind: start, end or data; tag name or text; self-closing)."""


def _raw_end(tag: str) -> re.Pattern[str]:
    return re.compile(rf"</{tag}(?=[\t\n\f\r />]|$)", re.IGNORECASE)


_RAW_END = {tag: _raw_end(tag) for tag in _RAW_TEXT}


def _html_tokens(text: str, deadline: _Deadline) -> Iterator[_Token]:
    """Start tags, end tags and text (entities decoded) in document order; comments and declarations dropped.

    Follows the HTML tokenizer's recovery rules where they matter for text: a '<' that starts no markup is text; an
    unterminated tag, comment or declaration ends the document (what came before it is kept).
    """
    n = len(text)
    done = 0  # text[:done] has been consumed
    scan = 0
    steps = 0
    while (found := _MARKUP.search(text, scan)) is not None:
        steps += 1
        if steps % _CHECK_EVERY == 0:
            deadline.check()
        lt = found.start()
        if done < lt:
            yield ("data", html.unescape(text[done:lt]), False)
            done = lt
        mark = text[lt + 1]
        if mark == "/" or mark.isalpha():
            closing = mark == "/"
            name = _TAG_NAME.match(text, lt + 2 if closing else lt + 1)
            if name is None:
                if lt + 2 >= n:  # '</' at the very end is text
                    break
                end = text.find(">", lt + 2)  # '</>' is dropped, '</ ...>' is a bogus comment
            elif closing:
                end = text.find(">", name.end())
            else:
                attributes = _ATTRIBUTES.match(text, name.end())
                end = attributes.end() if attributes is not None else name.end()
                end = end if end < n and text[end] == ">" else -1
            if end < 0:
                return  # an unterminated tag: the rest is not text
            done = scan = end + 1
            if name is None:
                continue
            tag = name.group().lower()
            if closing:
                yield ("end", tag, False)
                continue
            self_closing = text[end - 1] == "/"
            yield ("start", tag, self_closing)
            if tag in _RAW_TEXT and not self_closing:
                close = _RAW_END[tag].search(text, done)
                stop = close.start() if close is not None else n
                if stop > done:
                    body = text[done:stop]
                    yield ("data", html.unescape(body) if tag in ("title", "textarea") else body, False)
                if close is None:
                    return
                yield ("end", tag, False)
                end = text.find(">", close.end())
                if end < 0:
                    return
                done = scan = end + 1
            continue
        if text.startswith("<!--", lt):
            end = text.find("-->", lt + 2)  # from lt + 2 so that '<!-->' is an empty comment
            if end < 0:
                return
            done = scan = end + 3
            continue
        end = text.find(">", lt + 2)  # a declaration, processing instruction or bogus comment
        if end < 0:
            return
        done = scan = end + 1
    if done < n:
        yield ("data", html.unescape(text[done:]), False)


class _HtmlText:
    """Text out of HTML tokens: headings become Markdown headings (for the section-aware splitter), list items '- '
    lines, block elements blank lines; script, style, noscript, template and head content is dropped; the first
    <title> is the title.
    """

    def __init__(self) -> None:
        self._out: list[str] = []
        self._skip: dict[str, int] = {}
        self._in_title = False
        self.title = ""
        self.first_h1 = ""
        self._heading: tuple[int, list[str]] | None = None
        self._pre = 0

    def _emit(self, text: str) -> None:
        if self._heading is not None:
            self._heading[1].append(text)
        else:
            self._out.append(text)

    def _end_heading(self) -> None:
        if self._heading is None:
            return
        level, parts = self._heading
        self._heading = None
        text = _WHITESPACE.sub(" ", "".join(parts)).strip()
        if not text:
            return
        if level == 1 and not self.first_h1:
            self.first_h1 = text
        self._out.append(f"\n\n{'#' * level} {text}\n\n")

    def start(self, tag: str, self_closing: bool) -> None:
        if tag == "body":  # a missing </head> must not swallow the page
            self._skip.pop("head", None)
        if tag in _SKIPPED_TAGS:
            if not self_closing:
                self._skip[tag] = self._skip.get(tag, 0) + 1
                self._in_title = tag == "title" and not self.title
            return
        if any(self._skip.values()):
            return
        if tag in _HEADINGS:
            self._end_heading()
            self._heading = (_HEADINGS[tag], [])
        elif tag == "li":
            self._end_heading()
            self._emit("\n- ")
        elif tag == "br":
            self._emit("\n")
        elif tag in _BLOCK_TAGS:
            self._end_heading()
            self._emit("\n\n")
            if tag == "pre" and not self_closing:
                self._pre += 1
        elif tag in ("td", "th"):
            self._emit(" ")

    def end(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            if self._skip.get(tag):
                self._skip[tag] -= 1
            if tag == "title":
                self._in_title = False
            return
        if any(self._skip.values()):
            return
        if tag in _HEADINGS:
            self._end_heading()
        elif tag == "li":
            self._emit("\n")
        elif tag in _BLOCK_TAGS:
            self._end_heading()
            self._emit("\n\n")
            if tag == "pre" and self._pre:
                self._pre -= 1

    def data(self, text: str) -> None:
        if self._in_title:
            self.title = _WHITESPACE.sub(" ", text).strip()
            return
        if any(self._skip.values()):
            return
        self._emit(text if self._pre else _WHITESPACE.sub(" ", text))

    def text(self, deadline: _Deadline) -> str:
        self._end_heading()
        return _tidy("".join(self._out), deadline)


def _tidy(text: str, deadline: _Deadline) -> str:
    """Strip every line and keep at most one blank line between paragraphs (linear, no regex backtracking)."""
    lines: list[str] = []
    blank = True
    for n, raw in enumerate(text.split("\n")):
        if n % 65536 == 0:
            deadline.check()
        line = raw.strip()
        if line:
            lines.append(line)
            blank = False
        elif not blank:
            lines.append("")
            blank = True
    return "\n".join(lines).strip()


def _html(name: str, data: bytes, deadline: _Deadline) -> LoadedDocument:
    extractor = _HtmlText()
    for kind, value, self_closing in _html_tokens(_decode(data), deadline):
        if kind == "data":
            extractor.data(value)
        elif kind == "start":
            extractor.start(value, self_closing)
        else:
            extractor.end(value)
    text = extractor.text(deadline)
    title = extractor.title or extractor.first_h1 or _stem_title(name)
    return LoadedDocument(name=name, format="html", title=title, text=text)


# ------------------------------------------------------------------------------------------------------------- PDF


def _pdf_limits() -> dict[str, Any]:
    cap = PDF_MAX_DECODED_BYTES
    return {
        "zlib_maximum_output_length": cap,
        "lzw_maximum_output_length": cap,
        "run_length_maximum_output_length": cap,
        "brotli_maximum_output_length": cap,
        "array_based_stream_maximum_output_length": cap,
        "jbig2_maximum_output_length": cap,
        "image_maximum_buffer_size": cap,
        "maximum_declared_stream_length": cap,
        "stream_decoding_work_maximum_length": 4 * cap,
        "zlib_maximum_recovery_input_length": 1024 * 1024,
        "jbig2dec_binary": None,  # never run an external decoder on an upload
    }


class _Unreadable(Exception):
    """Raised inside a loader when the parser read nothing usable (mapped to kb-corrupt-document)."""


def _pdf(name: str, data: bytes, deadline: _Deadline) -> LoadedDocument:
    import pypdf
    from pypdf.errors import LimitReachedError

    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise AssistantError(
            ErrorCode.KB_CORRUPT_DOCUMENT, f"'{name}' is not a valid PDF file.", details={"name": name}
        )
    limits = {k: v for k, v in _pdf_limits().items() if hasattr(pypdf.Configuration, k)}
    try:
        with pypdf.apply_configuration(**limits):
            reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
            pages: list[str] = []
            failed = 0
            for number, page in enumerate(reader.pages, start=1):
                deadline.check()
                try:
                    pages.append(page.extract_text() or "")
                except (LimitReachedError, MemoryError, RecursionError):
                    raise
                except Exception:  # one damaged page (an unknown filter, a broken font) does not lose the others
                    _log.warning("knowledge base: %s: page %d could not be read", name, number, exc_info=True)
                    pages.append("")
                    failed += 1
            if pages and failed == len(pages):
                raise _Unreadable(f"none of the {len(pages)} pages could be read")
            meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except LimitReachedError as exc:
        _log.warning("knowledge base: %s: pypdf limit reached: %r", name, exc)
        raise AssistantError(
            ErrorCode.KB_TOO_LARGE,
            f"'{name}' holds content that expands beyond what I can read safely.",
            details={"name": name, "exception": type(exc).__name__},
        ) from exc
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    title = str(meta_title).strip() or _stem_title(name)
    return LoadedDocument(name=name, format="pdf", title=title, text=text, pages=len(pages))


_LOADERS: dict[str, Callable[[str, bytes, _Deadline], LoadedDocument]] = {
    "markdown": _markdown,
    "text": _text,
    "html": _html,
    "pdf": _pdf,
}
_KIND = {"markdown": "Markdown", "text": "text", "html": "HTML", "pdf": "a PDF"}


def _guarded(name: str, fmt: str, data: bytes, deadline: _Deadline) -> LoadedDocument:
    """The parser boundary: any exception of a loader becomes the input's stable error code (original logged)."""
    try:
        return _LOADERS[fmt](name, data, deadline)
    except AssistantError:
        raise
    except (MemoryError, RecursionError) as exc:
        _log.warning("knowledge base: %s: the %s parser ran out of resources", name, fmt, exc_info=True)
        raise AssistantError(
            ErrorCode.KB_TOO_LARGE,
            f"'{name}' is too large or complex to read.",
            details={"name": name, "format": fmt, "exception": type(exc).__name__},
        ) from exc
    except Exception as exc:  # the parser's own errors: pypdf raises many types, NotImplementedError among them
        _log.warning("knowledge base: %s: the %s parser failed", name, fmt, exc_info=True)
        raise AssistantError(
            ErrorCode.KB_CORRUPT_DOCUMENT,
            f"'{name}' looks damaged and could not be read as {_KIND[fmt]}.",
            details={"name": name, "format": fmt, "exception": type(exc).__name__},
        ) from exc


def load_document(
    name: str,
    data: bytes,
    *,
    max_bytes: int | None = None,
    time_budget_s: float | None = PARSE_TIME_BUDGET_S,
) -> LoadedDocument:
    """Read one document from bytes (``time_budget_s=None``: no time limit).

    Raises only ``AssistantError``: kb-unsupported-format, kb-too-large (over ``max_bytes``, over the time budget, or
    a decompression bomb), kb-corrupt-document (anything the parser rejects) or kb-empty-document.
    """
    fmt = document_format(name)
    if max_bytes is not None and len(data) > max_bytes:
        raise AssistantError(
            ErrorCode.KB_TOO_LARGE,
            f"'{name}' is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB.",
            details={"name": name, "bytes": len(data), "limit": max_bytes},
        )
    doc = _guarded(name, fmt, data, _Deadline(name, time_budget_s))
    if not doc.text.strip():
        raise AssistantError(
            ErrorCode.KB_EMPTY_DOCUMENT,
            f"'{name}' contains no readable text.",
            details={"name": name, "format": fmt},
        )
    return doc
