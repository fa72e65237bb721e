"""The form a writing request asks for (haiku, limerick, poem, list, note, ...), how to ask a small model for it, and
how to check and repair what it wrote.

A form is data: the words that name it, the line range its text must have, an instruction and one worked example
that go into the prompt (a few-shot exchange), and a layout (verse: one line per line; list: one '- ' item per line;
prose: paragraphs). ``shape`` repairs what a small model gets almost right — a preamble ("Here's a haiku:"), a title,
numbered or starred items, a verse written as one line of sentences — and ``check`` says whether the result fits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["FORMS", "Form", "check", "detect", "missing_items", "shape"]

Layout = Literal["verse", "list", "prose"]


@dataclass(frozen=True, slots=True)
class Form:
    """One kind of text people ask for."""

    name: str
    """Short name (shown in the trace)."""
    words: tuple[str, ...]
    """Words in a request that name this form (whole words, lower case)."""
    layout: Layout
    """How lines are laid out."""
    min_lines: int
    """Fewest non-empty lines (verse: lines; list: items; prose: 1)."""
    max_lines: int
    """Most non-empty lines."""
    instruction: str
    """What the model is told about the form."""
    example_request: str
    """A worked example request..."""
    example_text: str
    """...and its answer, in exactly the form."""
    max_chars: int = 900
    """Longest acceptable text."""


FORMS: tuple[Form, ...] = (
    Form(
        "haiku", ("haiku", "haikus"), "verse", 3, 3,
        "Write a haiku: exactly three short lines (about 5, 7 and 5 syllables), one image from nature, no title.",
        "write a haiku about snow",
        "Soft snow on the roof\nthe whole street holds its breath now\na dog barks, then stops",
        max_chars=200,
    ),
    Form(
        "limerick", ("limerick", "limericks"), "verse", 5, 5,
        "Write a limerick: exactly five lines, rhyming AABBA, light and funny, no title.",
        "write a limerick about a cat",
        "A cat with a taste for the cream\nwould plot and would purr and would scheme\nshe'd leap on the shelf\n"
        "and help her own self\nthen nap in a warm sunny beam",
        max_chars=400,
    ),
    Form(
        "poem", ("poem", "poems", "verse", "verses", "rhyme", "rhymes", "sonnet", "ode", "song", "lullaby"),
        "verse", 4, 14,
        "Write a short poem: four to eight lines, each line on its own line, no title, no explanation.",
        "write a short poem about the sea",
        "The sea rolls in with silver light\nit hums a song to the sand\nthe gulls go home before the night\n"
        "and leave the shore to the land",
    ),
    Form(
        "list", ("list", "checklist", "to-do", "todo", "items", "ideas", "steps", "ingredients"), "list", 3, 15,
        "Write a list: one short item per line, each line starting with '- ', no introduction or closing sentence.",
        "draft a packing list for a weekend trip",
        "- toothbrush and toothpaste\n- two changes of clothes\n- phone charger\n- rain jacket\n- a good book",
    ),
    Form(
        "note", ("note", "message", "reminder", "text", "email", "card", "letter", "invitation", "thank-you"),
        "prose", 1, 8,
        "Write the note itself, two to four short sentences, ready to send. No introduction, no explanation.",
        "write a note for the dog sitter",
        "Hi Sam, thanks for looking after Max this weekend! He eats twice a day, one cup each time, and loves "
        "a walk after dinner. The spare key is under the blue pot. Call me if anything comes up.",
        max_chars=500,
    ),
    Form(
        "story", ("story", "stories", "tale", "fable", "joke", "jokes"), "prose", 1, 12,
        "Write it as short prose: a few sentences with a clear ending. No title, no explanation.",
        "tell me a short story about a lost key",
        "Every morning Nora lost her key, and every morning the cat sat on it. One day she finally looked under "
        "the cat. The key was there, warm and a little furry, and the cat looked very pleased with itself.",
    ),
)  # fmt: skip
"""The forms, most specific first (a 'haiku poem' is a haiku)."""

_WORD = re.compile(r"[a-z][a-z'-]*")
_PREAMBLE = re.compile(
    r"^(?:(?:sure|certainly|of course|okay|ok|absolutely)[,!.]?\s*)?(?:here(?:'s| is| are)|this is|below is|"
    r"to (?:create|make|write)|i(?:'ve| have) written)\b[^\n]*[:.!]\s*$",
    re.IGNORECASE,
)
_TITLE = re.compile(r"^(?:\*\*|#+\s*|title:\s*)[^\n]{1,60}?(?:\*\*)?\s*$", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*•·–]|\d{1,2}[.)]|[a-z][.)])\s+")
_CLAUSE = re.compile(r"(?<=[.!?;,—–])\s+")


def detect(request: str) -> Form | None:
    """The form a request names, if any ('write a haiku about rain' -> haiku)."""
    words = set(_WORD.findall(request.lower()))
    return next((f for f in FORMS if words & set(f.words)), None)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def check(form: Form, text: str) -> bool:
    """True when ``text`` has the form's layout and size."""
    lines = _lines(text)
    if not lines or len(text) > form.max_chars:
        return False
    if form.layout == "list":
        items = [line for line in lines if line.startswith("- ")]
        return len(items) == len(lines) and form.min_lines <= len(items) <= form.max_lines
    if form.layout == "verse":
        return form.min_lines <= len(lines) <= form.max_lines and all(len(line) <= 90 for line in lines)
    return len(lines) <= form.max_lines


def shape(form: Form, text: str) -> str:
    """Repair what is nearly right: drop a preamble and title, unify list items, split verse written as sentences."""
    lines = _lines(text.replace("\r", ""))
    while lines and (_PREAMBLE.match(lines[0]) or (len(lines) > 1 and _TITLE.match(lines[0]))):
        lines = lines[1:]
    if form.layout == "list":
        items = [_unbullet(line) for line in lines if _BULLET.match(line)]
        if len(items) < form.min_lines and len(lines) >= form.min_lines:
            items = [_unbullet(line) for line in lines]
        return "\n".join(f"- {item.rstrip(':')}" for item in items if item)
    if form.layout == "verse":
        return "\n".join(_reflow(lines, form.min_lines, form.max_lines))
    return "\n".join(lines)


def _unbullet(line: str) -> str:
    """'- 1. Clean the sink' -> 'Clean the sink' (nested markers too)."""
    for _ in range(3):
        line = _BULLET.sub("", line, count=1)
    return line.strip()


def missing_items(form: Form, text: str) -> int:
    """How many more list items a list needs to reach the form's minimum (0 for other forms)."""
    if form.layout != "list":
        return 0
    return max(0, form.min_lines - len([line for line in _lines(text) if line.startswith("- ")]))


def _reflow(lines: list[str], lo: int, hi: int) -> list[str]:
    """Split long lines at clause breaks until there are at least ``lo`` lines; merge the shortest neighbours while
    there are more than ``hi``."""
    out = list(lines)
    while len(out) < lo:
        longest = max(range(len(out)), key=lambda i: len(out[i]), default=None)
        if longest is None:
            break
        parts = _CLAUSE.split(out[longest])
        if len(parts) < 2:
            words = out[longest].split()
            if len(words) < 4:
                break
            parts = [" ".join(words[: len(words) // 2]), " ".join(words[len(words) // 2 :])]
        else:
            mid = max(1, len(parts) // 2)
            parts = [" ".join(parts[:mid]), " ".join(parts[mid:])]
        out[longest : longest + 1] = parts
    while len(out) > hi:
        i = min(range(len(out) - 1), key=lambda k: len(out[k]) + len(out[k + 1]))
        out[i : i + 2] = [f"{out[i]} {out[i + 1]}"]
    return out
