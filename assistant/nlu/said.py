"""What a request said about its target, as slots in Home Assistant's form: the area or floor it named (or implied by
'in here'), the kind of device, and, for a state question, the state it asks about ('are any fans off' → off).

The semantic tier grounds a request to entities; these slots record how the request referred to them, so the match
reads as Home Assistant's own parse would (``{'area': 'Kitchen', 'domain': 'light'}`` for 'lights on in the kitchen'
rather than only the lamp it chose), the trace shows it, and a yes/no question gets a yes/no answer. The state words
come from Home Assistant's sentence data (its ``*_states`` lists and which domain each state question uses), not
from a list of ours.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from assistant.nlu.catalog import HomeIndex, clean_name
from assistant.nlu.lexicon import QUESTION, device_mentions, domain_mentions
from assistant.nlu.normalize import parse_params
from assistant.nlu.templates import ha_intents_data
from contracts.home import Entity

__all__ = [
    "area_context_domains", "area_context_intents", "asked_state", "asks", "asks_state_of", "class_noun", "class_spans",
    "classes_said", "colour_evidence", "group_question", "group_state_domains", "ha_action_phrases", "kelvin_said",
    "kinds_in_name", "names_said", "nothing_there", "own_words", "run_by_name", "state_words", "where_said",
    "without",
]  # fmt: skip

_DETERMINER = r"(?:the|my|our|a|an|this|that|each|every|all|some|any)"


def _phrase_rx(phrase: str) -> str:
    """A hassil phrase ('[securely] locked', '(closed|shut)') as a regular expression."""
    out = phrase.strip().replace("(", "(?:")
    return re.sub(r"\[([^\]]+)\](\s*)", lambda m: f"(?:{m.group(1)}{' ' if m.group(2) else ''})?", out)


@lru_cache(maxsize=16)
def _list_phrases(list_name: str, language: str = "en") -> tuple[tuple[re.Pattern[str], Any], ...]:
    """(phrase pattern, value) for each entry of one of Home Assistant's value lists ('(closed|shut)' → closed)."""
    values = (ha_intents_data(language).get("lists", {}).get(list_name) or {}).get("values") or []
    return tuple(
        (re.compile(rf"\b{_phrase_rx(str(v['in']))}\b"), v["out"])
        for v in values
        if isinstance(v, Mapping) and "in" in v and "out" in v
    )


@lru_cache(maxsize=4)
def state_words(language: str = "en") -> Mapping[str, tuple[tuple[re.Pattern[str], str], ...]]:
    """Domain → (phrase pattern, state value) for the states Home Assistant's state questions ask about, read from
    its sentence data: the ``{<list>:state}`` of each HassGetState block and the domains that block is for."""
    out: dict[str, dict[str, tuple[re.Pattern[str], str]]] = {}
    for block in ha_intents_data(language).get("intents", {}).get("HassGetState", {}).get("data", []):
        domains = (block.get("requires_context") or {}).get("domain") or (block.get("slots") or {}).get("domain")
        used = {m for s in block.get("sentences", []) for m in re.findall(r"\{(\w+):state\}", s)}
        for list_name in sorted(used):
            for rx, value in _list_phrases(list_name, language):
                for domain in domains if isinstance(domains, list) else [domains] if domains else []:
                    out.setdefault(str(domain), {}).setdefault(rx.pattern, (rx, str(value)))
    return {d: tuple(pairs.values()) for d, pairs in out.items()}


@lru_cache(maxsize=4)
def group_state_domains(language: str = "en") -> frozenset[str]:
    """The kinds of device Home Assistant's state questions ask about as a group ('are any lights on', 'which
    blinds are open'), not only by name: the domains of its HassGetState blocks with a domain or device-class slot
    combination."""
    out: set[str] = set()
    for block in ha_intents_data(language).get("intents", {}).get("HassGetState", {}).get("data", []):
        combination = str((block.get("metadata") or {}).get("slot_combination", ""))
        domain = (block.get("slots") or {}).get("domain")
        if combination.startswith(("domain_state", "device_class_state")) and isinstance(domain, str):
            out.add(domain)
    return frozenset(out)


@lru_cache(maxsize=4)
def _area_context(language: str = "en") -> tuple[frozenset[str], frozenset[str]]:
    """(intents, domains) of Home Assistant's blocks that require an area from the context: the intents of those
    that name no kind, the domains of those that do."""
    intents: set[str] = set()
    domains: set[str] = set()
    for name, entry in ha_intents_data(language).get("intents", {}).items():
        for block in entry.get("data", []):
            context = block.get("requires_context") or {}
            if "area" not in context:
                continue
            domain = (block.get("slots") or {}).get("domain") or context.get("domain")
            if not domain:
                intents.add(name)
            elif isinstance(domain, str):
                domains.add(domain)
    return frozenset(intents), frozenset(domains)


def area_context_intents(language: str = "en") -> frozenset[str]:
    """The intents whose sentences Home Assistant aims at the speaker's room without naming a kind ('next track'
    from the kitchen satellite): those with a block that requires an area from the context and names no domain."""
    return _area_context(language)[0]


def area_context_domains(language: str = "en") -> frozenset[str]:
    """The kinds of device whose commands Home Assistant's templates aim at the speaker's room when they name no
    place ('turn off the lights' from the kitchen satellite): the domains of its blocks that require an area from
    the context."""
    return _area_context(language)[1]


def _alternatives(rule: str) -> str:
    """One of Home Assistant's expansion rules ('(what's|whats|what is|tell me)') as a regex alternation."""
    text = str(ha_intents_data("en").get("expansion_rules", {}).get(rule, ""))
    words = {a.strip() for a in re.sub(r"[()\[\]]", "", text).split("|")}
    return "|".join(sorted(re.escape(w).replace("\\ ", " ") for w in words if w))


def _switched_nouns() -> set[str]:
    """Nouns Home Assistant's turn-on/off sentences switch without a verb ('fan[s] on')."""
    intents = ha_intents_data("en").get("intents", {})
    sentences = [s for i in ("HassTurnOn", "HassTurnOff") for b in intents.get(i, {}).get("data", []) for s in
                 b.get("sentences", [])]  # fmt: skip
    return {m for s in sentences for m in re.findall(r"(\w+)\[s\] \(?\(?(?:on|off)\b", s)}


@lru_cache(maxsize=1)
def _state_opening() -> re.Pattern[str]:
    """How Home Assistant's state questions open: its rules '<what_is>', '<how_is>', '<where_is>' and its sentences'
    literal first words ('where can I find', 'who is', 'how many')."""
    opening = {_alternatives("what_is"), _alternatives("how_is"), _alternatives("where_is"), *_question_openings()}
    return re.compile(rf"^(?:{'|'.join(sorted(opening - {''}))})\b" if opening - {""} else r"(?!)")


def asks_state_of(text: str, names: Collection[str], places: Collection[str] = ()) -> bool:
    """Whether a normalised request opens as Home Assistant's state questions do and one of ``names`` follows at
    once ('where can I find Ada', 'hows the Living room humidity'), with nothing after it but a place (of
    ``places``) or the words its questions say; not 'where can I find the manual for the thermostat', 'where can I
    find the Thermostat manual' or 'tell me how to clean the vacuum'."""
    m = _state_opening().search(text)
    if m is None:
        return False
    rest = re.sub(rf"^\s*(?:{_DETERMINER}\s+)?", "", text[m.end() :])
    for name in (n for n in names if n and re.match(rf"{re.escape(n)}\b", rest)):
        if set(without(rest[len(name) :], places).split()) <= _question_vocabulary():
            return True  # and nothing after it but a place or the words its questions say ('... the manual' is not)
    return False


def _question_openings() -> set[str]:
    """The literal words Home Assistant's state questions open with, up to their first slot, rule or choice ('where
    can I find', 'who is'), as regular expressions."""
    blocks = ha_intents_data("en").get("intents", {}).get("HassGetState", {}).get("data", [])
    out: set[str] = set()
    for s in (s for b in blocks for s in b.get("sentences", [])):
        m = re.match(r"[a-z' ]+(?=[\s<{\[(]|$)", s.lower())
        if m and m.group(0).strip():
            out.add(re.escape(m.group(0).strip()).replace("\\ ", " "))
    return out


@lru_cache(maxsize=1)
def ha_action_phrases() -> Mapping[str, tuple[tuple[re.Pattern[str], float], ...]]:
    """Phrasings of actions read from Home Assistant's sentence data, not listed here: switching with its ``<turn>``
    verbs (turn, switch, change, bring) and 'on', or 'off'/'out' as its turn-off sentences say them; asking the
    temperature with its ``<what_is>``/``<how_is>`` and ``<temp>`` words ('whats the temp'); and its sentences that
    switch without a verb ('lights on in the kitchen', 'fans off'); asking a state as its state questions open
    ('where can I find', "what's", 'hows': ``_state_opening``). 'on' after other words and before a determiner is a
    preposition ('change the colour on the porch light')."""
    verbs, what, how = _alternatives("turn"), _alternatives("what_is"), _alternatives("how_is")
    temp, light = _alternatives("temp"), _alternatives("light")
    if not (verbs and what and how and temp and light):
        return {}  # another language's data, or a rule renamed: none rather than a pattern that matches anything
    # after other words, 'on' ends the request or comes before the place ('switch Party Mode around Bedroom on',
    # 'change every light on in the kitchen'), never before what it is on ('change the colour on desk lamp to blue')
    place = r"(?:in|on|at|of|across|around|throughout|please|now)"
    on = rf"\b(?:{verbs})\b (?:on\b|(?:(?!\b(?:up|down|off|out|over|to)\b).){{1,40}}? on(?=$| {place}\b))"
    off = rf"\b(?:{verbs})\b (?:(?:(?!\b(?:up|down|on)\b).){{1,40}}? )?(?:off|out)\b"
    asked = rf"\b(?:{what}|{how})\b .{{0,30}}\b(?:{temp})\b"
    # its sentences without a verb: '<light> on', 'fan[s] off' ('lights on in the kitchen', 'lights out')
    kinds = "|".join(sorted({*light.split("|"), *(f"{re.escape(k)}s?" for k in _switched_nouns())}))
    bare_on = rf"\b(?:{kinds})\b (?:\w+ ){{0,3}}?on\b(?! {_DETERMINER}\b)"
    bare_off = rf"\b(?:{kinds})\b (?:\w+ ){{0,3}}?(?:off|out)\b"
    return {
        "get_state": ((_state_opening(), 0.9),),
        "on": ((re.compile(on), 0.9), (re.compile(bare_on), 0.8)),
        "off": ((re.compile(off), 0.9), (re.compile(bare_off), 0.8)),
        "get_temperature": ((re.compile(asked), 1.0),),
    }


@lru_cache(maxsize=4)
def _rule_words(*rules: str) -> frozenset[str]:
    """The first words of what Home Assistant's expansion rules say ('<any>' → any, some), expanded by hassil."""
    from hassil.intents import Intents
    from hassil.parse_expression import parse_sentence
    from hassil.sample import sample_expression

    data = ha_intents_data("en")
    if not all(r in data.get("expansion_rules", {}) for r in rules):
        return frozenset()
    expansion = Intents.from_dict({"language": "en", "intents": {}, "expansion_rules": data["expansion_rules"]})
    out: set[str] = set()
    for rule in rules:
        said = sample_expression(parse_sentence(f"<{rule}>").expression, expansion_rules=expansion.expansion_rules)
        out.update(w for phrase in said for w in phrase.split()[:1])
    return frozenset(out)


@lru_cache(maxsize=1)
def _run_words() -> frozenset[str]:
    """The words Home Assistant's sentences for running a scene or script say around its name and place ('activate',
    'change to', 'scene', 'run', the ``<the>``/``<in>`` words), and its skip words ('please')."""
    data = ha_intents_data("en")
    blocks = data.get("intents", {}).get("HassTurnOn", {}).get("data", [])
    words = _sentence_words(
        s for b in blocks
        if {"scene", "script"} & set((b.get("requires_context") or {}).get("domain") or ())
        for s in b.get("sentences", [])
    )  # fmt: skip
    return frozenset(words | {w for phrase in data.get("skip_words", []) for w in str(phrase).split()})


def _sentence_words(sentences: Iterable[str], rules: Iterable[str] = ()) -> set[str]:
    """The words Home Assistant's sentences say: their own and those of the rules they use (and of ``rules``)."""
    text = " ".join(sentences)
    words = set(re.findall(r"[a-z]+", re.sub(r"<[^>]*>|\{[^}]*\}", " ", text)))
    for rule in {*re.findall(r"<(\w+)>", text), *rules}:
        words |= set(re.findall(r"[a-z]+", _alternatives(rule)))
    return words


def run_by_name(text: str, names: Collection[str]) -> bool:
    """Whether a normalised request says nothing but the names (of a scene or script, and its place) and the words
    Home Assistant's sentences for running one say around them ('Party Mode', 'change to Party Mode', 'activate the
    Movie Night scene'); not 'cancel movie night' or 'set a timer for movie night'."""
    rest = without(text, names)
    return bool(rest != text) and set(rest.split()) <= _run_words()


def without(text: str, phrases: Collection[str]) -> str:
    """``text`` with each of ``phrases`` said as whole words blanked out, the longest first."""
    for phrase in sorted(phrases, key=len, reverse=True):
        text = re.sub(rf"\b{re.escape(phrase)}\b", " ", text) if phrase and phrase in text else text
    return text


@lru_cache(maxsize=1)
def _command_verbs() -> frozenset[str]:
    """The verbs Home Assistant's turn on/off sentences begin with: its ``<turn>`` words and the literal first words
    ('activate', 'deactivate'), less any word its state questions say as well ('switch', 'light', 'lock')."""
    intents = ha_intents_data("en").get("intents", {})
    first = {
        m.group(1)
        for i in ("HassTurnOn", "HassTurnOff")
        for b in intents.get(i, {}).get("data", [])
        for s in b.get("sentences", [])
        if (m := re.match(r"\(?([a-z]+)\b", s))
    }
    verbs = first | set(_alternatives("turn").split("|"))
    # less the words its state questions say too: nouns there ('every switch off', '<light>', '<lockable>')
    return frozenset(verbs - _question_vocabulary())


@lru_cache(maxsize=1)
def _question_vocabulary() -> frozenset[str]:
    """The words Home Assistant's state questions say: their own words, those of the rules they use ('<in>', '<the>',
    '<light>', '<lockable>') and of the states they ask ('locked', 'open')."""
    blocks = ha_intents_data("en").get("intents", {}).get("HassGetState", {}).get("data", [])
    words = _sentence_words((s for b in blocks for s in b.get("sentences", [])), ("light", "lockable"))
    for rx_value in state_words().values():
        words |= {w for rx, _v in rx_value for w in re.findall(r"[a-z]+", re.sub(r"\\[a-z]", " ", rx.pattern))}
    return frozenset(words)


@lru_cache(maxsize=1024)
def asks(text: str) -> bool:
    """Whether a normalised request asks rather than commands: a question's form ('is', 'what', '?'), or Home
    Assistant's group state question without its 'are' ('some lamps on', 'every Kitchen door shut'): a quantifier of
    its ``<any>``/``<all>`` rules first, then a device and a state its questions ask, and none of its ``<turn>`` verbs
    nor a value to set. Its sentences say so (its '<are_any>'/'<are_all>' lines); its verbless commands put the device
    or the place first ('lights on in the kitchen', 'fans off'). A question never acts."""
    return QUESTION.search(text) is not None or group_question(text)


@lru_cache(maxsize=1024)
def group_question(text: str) -> bool:
    """Home Assistant's group state question said without its 'are' ('some lamps on', 'every switch off'): see
    ``asks``. After 'all', 'every' or 'each' a value to set, or a verb with 'on'/'off' after the device, makes it a
    command ('all lights on blue', 'all lights switch off'); its commands never open with 'some' or 'any'."""
    tokens = text.split()
    if len(tokens) < 3 or tokens[0] not in _rule_words("any", "all") or _command_verbs() & set(tokens):
        return False
    # its commands never open with 'some' or 'any': 'some lights on in the 2nd bedroom' still asks
    if tokens[0] not in _rule_words("any") and (_value_said(text) or _verb_after_device(tokens)):
        return False  # 'all lights on blue', 'all lights switch off'
    return any(asked_state(text, domain) for domain in state_words())


def _verb_after_device(tokens: Sequence[str]) -> bool:
    """A verb of Home Assistant's turn or close rules with 'on'/'off' right after the device ('all lights switch
    off', 'all lights shut off'); after a quantifier or a place 'switch' is the noun ('every switch off', 'the kitchen
    switch off'), and 'shut' alone a state ('all blinds shut')."""
    verbs = set(_alternatives("turn").split("|")) | set(_alternatives("close").split("|"))
    triples = zip(tokens, tokens[1:], tokens[2:], strict=False)
    return any(v in verbs and device_mentions(noun) and part in ("on", "off", "out") for noun, v, part in triples)


def _value_said(text: str) -> bool:
    """A value to set: a number, a colour or white, or one of Home Assistant's brightness words ('highest')."""
    p = parse_params(text)
    if re.search(r"\d", text) or p.color or kelvin_said(text) is not None:
        return True
    return any(rx.search(text) for rx, _v in _list_phrases("brightness_level"))


_KELVIN = re.compile(r"\b(\d{4,5}) ?(?:k|kelvin)\b")
_COLOUR_TEMPERATURE = re.compile(r"\b(?:colou?r )?temp(?:erature)?\b.*?\b(\d{4,5})\b")


@lru_cache(maxsize=1024)  # pure, and asked once per candidate while ranking
def kelvin_said(text: str) -> int | None:
    """A light's colour temperature the request says, in kelvin: '2700 k', 'colour temperature 4000', or one of Home
    Assistant's names ('warm white', 'candle light'); within Home Assistant's range (1000-10000 K)."""
    m = _KELVIN.search(text) or _COLOUR_TEMPERATURE.search(text)
    if m and 1000 <= int(m.group(1)) <= 10000:
        return int(m.group(1))
    # Home Assistant's names of white light ('warm white' → 2700 K)
    names = ((rx, int(k)) for rx, k in _list_phrases("color_temperature_names") if str(k).isdigit())
    return next((k for rx, k in names if rx.search(text)), None)


def colour_evidence(text: str, evidence: Mapping[str, float]) -> dict[str, float]:
    """Action evidence with what a colour value says: a colour temperature ('to cool white', '2700 k') asks for a
    light's white, never a thermostat's temperature; a colour said last ('the kitchen brown', 'to green') is the
    value asked for, which only a light takes, unless another kind of device is said."""
    out = dict(evidence)
    if kelvin_said(text) is not None:
        out.pop("temperature", None)
        out["color"] = max(out.get("color", 0.0), 0.9)
        return out
    colour = parse_params(text).color
    other_kind = (device_mentions(text) | domain_mentions(text)) - {"light"}  # 'set the TV to red' is not a light's
    if colour and text.endswith(colour) and not other_kind and max(out.values(), default=0.0) < 0.9:
        out["color"] = max(out.get("color", 0.0), 0.8)
    return out


@lru_cache(maxsize=1024)  # pure, and asked once per candidate while ranking
def classes_said(text: str, *, inner: bool = False) -> frozenset[str]:
    """The kinds of cover a request names, in Home Assistant's device classes; a longer phrase wins over one inside
    it ('garage door' is garage, not door) unless ``inner`` (a 'Garage Door' is also a door)."""
    if inner:
        return frozenset(str(v) for rx, v in _list_phrases("cover_classes") if rx.search(text))
    return frozenset(v for _a, _b, v in class_spans(text))


@lru_cache(maxsize=1024)
def class_spans(text: str) -> tuple[tuple[int, int, str], ...]:
    """(start, end, device class) of each kind of cover a request names; a longer phrase wins over one inside it."""
    # Home Assistant's words for kinds of cover ('blinds' → blind, 'garage door' → garage)
    words = _list_phrases("cover_classes")
    spans = [(m.start(), m.end(), str(value)) for rx, value in words for m in rx.finditer(text)]
    return tuple(
        (a, b, v) for a, b, v in spans if not any(x <= a and b <= y and (y - x) > (b - a) for x, y, _w in spans)
    )


@lru_cache(maxsize=1024)  # pure, and asked once per candidate while ranking
def asked_state(text: str, domain: str) -> str | None:
    """The state a question asks about ('is the front door locked' → locked) for a target of this kind, in Home
    Assistant's values; None when it names none, or two ('is the light on or off'). 'on' followed by a determiner
    ('on the porch') is a preposition, not the state."""
    pairs = state_words().get(domain)
    if not pairs:
        return None
    after = rf"\s+{_DETERMINER}\b"
    found: set[str] = set()
    for rx, value in pairs:
        for m in rx.finditer(text):
            if m.group(0) == "on" and re.match(after, text[m.end() :]):
                continue
            found.add(value)
    return next(iter(found)) if len(found) == 1 else None


_NAMES: dict[int, re.Pattern[str]] = {}


def names_said(index: HomeIndex, text: str) -> frozenset[str]:
    """The names and aliases of the home's devices that a normalised request says, each as a whole phrase (one
    pattern per version of the registry, longest names first)."""
    rx = _NAMES.get(index.signature)
    if rx is None:
        names = sorted((n for n in index.names if n), key=len, reverse=True)
        rx = re.compile(r"\b(?:" + "|".join(re.escape(n) for n in names) + r")\b") if names else re.compile(r"(?!)")
        if len(_NAMES) > 8:
            _NAMES.clear()
        _NAMES[index.signature] = rx
    return frozenset(m.group(0) for m in rx.finditer(text))


def own_words(entity: Entity) -> str:
    """An entity's name and aliases, in the one name form, as one text to look for kinds in."""
    return " ".join(clean_name(n) for n in (entity.name, *entity.aliases))


def kinds_in_name(entity: Entity) -> set[str]:
    """The kinds of device an entity's own name or aliases say ('Garage Lights' as a switch says light)."""
    return device_mentions(own_words(entity))


def nothing_there(noun: str, place: str | None, *, floor: bool = False) -> str:
    """The reply for a kind of device a place (None: the home) does not have ('There is no fan in the Garage.')."""
    if place is None:
        return f"There is no {noun}."
    return f"There is no {noun} {'on' if floor else 'in'} the {place}."


def class_noun(device_class: str) -> str:
    """How a reply names a cover's device class ('garage' → 'garage door')."""
    return "garage door" if device_class == "garage" else device_class.replace("_", " ")


def where_said(
    text: str, index: HomeIndex, areas: Sequence[str], floors: Sequence[str], here: str | None
) -> dict[str, Any]:
    """The place slots a request said: the one floor it named, the one area it named (or the speaker's, for 'in
    here'); ids are the index's, values are the home's spelling of the names."""
    out: dict[str, Any] = {}
    if len(floors) == 1 and floors[0] in index.floors:
        out["floor"] = index.floors[floors[0]].name
    named = [a for a in areas if a in index.areas and not (floors and index.areas[a].name in out.get("floor", ""))]
    if len(named) == 1:
        out["area"] = index.areas[named[0]].name
    elif not named and here and here in index.areas and "floor" not in out:
        out["area"] = index.areas[here].name
    return out
