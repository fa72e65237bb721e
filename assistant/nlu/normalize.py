"""Normalise a request once: lower case, number words to digits, and the parameters people say (%, degrees, colours)."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass

from text_to_num import alpha2digit

from devices.names import fold_accents

__all__ = ["COLORS", "Params", "normalize", "parse_params", "split_commands", "words"]

COLORS: tuple[str, ...] = (
    "white", "black", "red", "orange", "yellow", "green", "blue", "purple", "brown", "pink", "turquoise",
    "cyan", "magenta", "violet", "gold", "amber", "lime", "teal", "indigo", "lavender",
)  # fmt: skip
"""Colour names understood in requests (Home Assistant's colour list plus a few)."""

_SPACE = re.compile(r"\s+")
_LEVELS = {"low": 25, "medium": 50, "mid": 50, "high": 100}
"""Named levels people give instead of a number ('put the fan on low', 'lights to medium')."""
_LEVEL = re.compile(
    r"\b(?:on|to|at) (?:a )?(low|medium|mid|high)"
    r"(?: (?:brightness|speed|setting|level|volume|power))?\b(?! (?:of|up|down)\b)"
)
_PUNCT = re.compile(r"[!?,;:\"“”]+|\.(?!\d)")


def _number_words(text: str) -> str:
    """Number words to digits: text2num for what it reads safely (two and above, compounds, decimals), then 'one' and
    'zero' only where they are a value ('to one', 'one degree', 'one percent'), so 'no one' and 'the other one' stay
    words."""
    text = re.sub(r"\bone hundred\b|\ba hundred\b", "100", text)
    # 'second' is a unit here ('in one second'), not the ordinal text2num would write as '2nd'
    guarded = re.sub(r"\bsecond\b", "zsecondz", text)
    with contextlib.suppress(Exception):  # text2num rejects some inputs: then the words stay words
        text = alpha2digit(guarded, "en", threshold=2).replace("zsecondz", "second")
    text = _SMALL_VALUE.sub(lambda m: {"one": "1", "zero": "0"}[m.group(1) or m.group(2)], text)
    return re.sub(r"\b(\d+) (?:point|dot) (\d+)\b", r"\1.\2", text)


_SMALL_VALUE = re.compile(
    r"(?<=\b(?:to|at|by|of) )(one|zero)\b(?! (?:of|in|on)\b)(?! \w+ (?:light|lamp|fan|speaker)s?\b)"
    r"|\b(one|zero)(?= (?:degrees?|percent|per cent|%|minutes?|seconds?|hours?)\b)"
)


def normalize(text: str) -> str:
    """Fold accents ('café' → 'cafe', as names are), lower-case, spell numbers as digits, unify '%', strip punctuation
    and extra spaces."""
    out = fold_accents(text).lower().replace("’", "'")
    out = _number_words(out)
    out = re.sub(r"\b(\d+(?:\.\d+)?)-(?=[a-z])", r"\1 ", out)  # '5-minute timer' is '5 minute timer'
    out = re.sub(r"(?<=\d)\s*(?:percent|per cent|pct)\b", "%", out)
    out = re.sub(r"(?<=\d)\s*%", "%", out)
    out = re.sub(r"(?<=\d)\s*(?:°|degrees?|deg)\b(?:\s*(?:c|f|celsius|fahrenheit)\b)?|(?<=\d)\s*°", " degrees", out)
    out = re.sub(r"\b(\d+) point (\d+)\b", r"\1.\2", out)
    out = _LEVEL.sub(lambda m: f"to {_LEVELS[m.group(1)]}%", out)
    out = _PUNCT.sub(" ", out)
    return _SPACE.sub(" ", out).strip()


def words(text: str) -> list[str]:
    """The words of a normalised text."""
    return re.findall(r"[a-z0-9%.']+", text)


@dataclass(frozen=True, slots=True)
class Params:
    """Parameters parsed from a request; None when not said."""

    percent: int | None = None
    """An explicit percentage, or a word for one: 'max' 100, 'three quarters' 75, 'half' or 'partially' 50,
    'a quarter' 25, 'fully closed' 0, 'min' 1."""
    number: float | None = None
    """A bare number (no unit)."""
    degrees: float | None = None
    """A temperature ('21 degrees', 'to 21' with a climate verb is decided by the ranker)."""
    color: str | None = None
    """A colour name."""
    relative: int = 0
    """+1 for 'brighter/warmer/up/more', -1 for 'dimmer/cooler/down/less'; 0 otherwise."""
    small: bool = False
    """'a bit', 'a little', 'slightly'."""
    item: str | None = None
    """Free text for a list ('add milk to the shopping list')."""


_ITEM = re.compile(
    r"\b(?:add|put|append|include)\s+(.+?)\s+(?:to|on|onto|in|into)\s+(?:the\s+|my\s+|our\s+)?(.+?)\s*list\b"
)
_ITEM2 = re.compile(r"\b(?:add|put)\s+(.+?)\s+(?:to|on)\s+(?:the\s+|my\s+)?(groceries|shopping)\b")
_WHITE = re.compile(
    r"\b(natural|daylight|neutral|plain|normal) (colou?r|light|lighting|white)s?\b|\b(make|set|turn|change|put)\b"
    r".{0,30}\b(natural|daylight)\b"
)
"""White-light phrasings ('make the lights natural', 'daylight colour')."""
_UP = re.compile(
    r"\b(brighter|brighten|warmer|hotter|louder|higher|more|up|increase|raise|boost|turn up|crank|faster|quicker)\b"
)
_DOWN = re.compile(
    r"\b(dimmer|darker|darken|cooler|colder|quieter|softer|lower|less|down|decrease|reduce|dim|slower|slow)\b"
)


_PERCENT_WORDS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"\b(fully|all the way|completely) (closed?|shut)\b"), 0),
    (re.compile(r"\b(three|3) quarters?\b"), 75),
    (re.compile(r"\b(a|one) quarter\b"), 25),
    (re.compile(r"\b(max|maximum|highest|full|fully|all the way|100)\b(?! degrees)"), 100),
    (re.compile(r"\b(half|halfway|half way|partially|partly|part way|partway)\b"), 50),
    (re.compile(r"\b(min|minimum|lowest)\b"), 1),
)
"""Words for a level, first match wins ('fully closed' before 'fully'; 'partially open' is strictly in between)."""


def _percent(text: str) -> int | None:
    """An explicit percentage ('30%'), else the level a word names."""
    m = re.search(r"\b(\d{1,3})%", text)
    if m:
        return min(100, int(m.group(1)))
    return next((value for rx, value in _PERCENT_WORDS if rx.search(text)), None)


def parse_params(text: str) -> Params:
    """Parse the parameters of a normalised request."""
    percent = _percent(text)
    degrees: float | None = None
    m = re.search(r"\b(\d{1,3}(?:\.\d)?) degrees\b", text)
    if m:
        degrees = float(m.group(1))
    number: float | None = None
    m = re.search(r"\b(?:to|at|of|volume|brightness|level|speed|position)\s+(\d{1,3}(?:\.\d)?)\b(?!%| degrees)", text)
    if m:
        number = float(m.group(1))
    color = next((c for c in COLORS if re.search(rf"\b{c}\b", text)), None)
    if color is None and _WHITE.search(text):
        color = "white"
    relative = 0
    if _UP.search(text) and not _DOWN.search(text):
        relative = 1
    elif _DOWN.search(text) and not _UP.search(text):
        relative = -1
    small = bool(re.search(r"\b(a bit|a little|slightly|a touch|a tad|little bit)\b", text))
    item = None
    m = _ITEM.search(text) or _ITEM2.search(text)
    if m:
        item = re.sub(r"^(?:some|a|an|the)\s+", "", m.group(1)).strip() or None
    return Params(
        percent=percent, number=number, degrees=degrees, color=color, relative=relative, small=small, item=item
    )


_SPLIT = re.compile(r"\s*(?:,\s*)?\b(?:and then|and also|then|and|also)\b\s+|\s*[,;]\s+")


_HALF_AFTER = re.compile(r"^(?:an? )?(?:half|1/2|quarter)\b(?! (?:open|opened|close|closed|shut|way|up|down)\b)")
_AMOUNT_BEFORE = re.compile(r"(?:\d|\b(?:an?|hours?|hrs?|minutes?|mins?|seconds?|secs?))$")
"""'75 and a half minutes', 'an hour and a half': one amount, not two commands."""


def split_commands(text: str) -> list[str]:
    """Split 'turn on X and close Y' into its parts (the caller decides whether a split is real)."""
    parts: list[str] = []
    for piece in _SPLIT.split(text):
        part = piece.strip() if piece else ""
        if not part:
            continue
        if parts and _HALF_AFTER.match(part) and _AMOUNT_BEFORE.search(parts[-1]):
            parts[-1] = f"{parts[-1]} and {part}"
        else:
            parts.append(part)
    return parts or [text]
