"""Tier 2: enumerate the valid actions the home supports and rank them against the request with explainable features."""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz

from assistant.nlu.catalog import HomeIndex, clean_name
from assistant.nlu.learn.scorer import LearnedScorer
from assistant.nlu.lexicon import (
    ACTIONS,
    COLLECTIVE,
    RELATIVE_AMOUNT,
    ActionDef,
    action_evidence,
    binary_state,
    device_mentions,
    domain_mentions,
    hvac_mode,
    lexicon_words,
    state_classes,
)
from assistant.nlu.media import ACTIVE_STATES, active_players, implied_player
from assistant.nlu.normalize import Params, words
from assistant.nlu.polarity import action_polarity, request_polarity
from assistant.nlu.purpose import PurposeFit, clear_purpose, misfits
from assistant.nlu.resolve import WHOLE_HOME
from assistant.nlu.said import (
    asked_state,
    asks,
    classes_said,
    colour_evidence,
    group_question,
    group_state_domains,
    kelvin_said,
    kinds_in_name,
    names_said,
    run_by_name,
    state_words,
    where_said,
)
from assistant.stemming import stem
from contracts.engines import Embedder
from contracts.home import Entity, HomeApi
from contracts.intents import WRITE_INTENTS, entity_supports, light_supports
from contracts.skills import IntentSpec

__all__ = ["Context", "RankedCandidate", "SemanticRanker", "normalize_example", "singular", "verbalise"]

_PRONOUN = re.compile(r"\b(it|them|that|those|this|these|they|one)\b")
_HERE = re.compile(r"\b(in here|here|this room|in this room|the room)\b")
_PLURAL_OR_ALL = re.compile(
    r"\b(all|every|each|both|lights|lamps|blinds|shades|curtains|shutters|fans|switches|"
    r"locks|doors|everything|everywhere)\b"
)
_PLURAL = re.compile(r"\b(lights|lamps|blinds|shades|curtains|shutters|fans|everything)\b")
_REL_MOVE = re.compile(r"\b(open|close|shut|raise|lower)\b.{0,40}\b" + RELATIVE_AMOUNT)
"""A move by a relative amount ('close the blinds a bit'): a position relative to the current one."""
_ALARM_MODE_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("night", re.compile(r"\b(night|bed ?time|sleep|going to bed)\b")),
    ("home", re.compile(r"\b(stay|staying in|arm home|home mode|at home|to home)\b")),
    ("vacation", re.compile(r"\b(vacation|holiday|trip)\b")),
    ("away", re.compile(r"\b(away|leaving|going out)\b")),
)
"""How people say the arming mode ('arm the alarm for the night')."""
_LEVEL_KEYS = frozenset({"brightness", "volume", "fan_speed", "position"})
"""Actions whose bare number ('to 30') is a percentage."""
_VALUE_SLOTS = frozenset({"brightness", "color", "temperature", "position", "volume_level", "percentage", "item"})
"""Slots that carry a value said in the request (the learned scorer sees whether a candidate uses one)."""
_PURPOSE_FLOOR = 0.35
"""A request whose best-fitting device purpose is below this similarity names no purpose (the guard stays out)."""
_PURPOSE_MARGIN = 0.2
"""How much worse a kind's purpose must fit than the best one's before its writes lose score."""
_PURPOSE_FACTOR = 0.85
"""The share of its score a write on a misfitting kind of device keeps."""
_COVER_STEP = 25
"""Points a relative cover or valve move changes the position by."""
_PRESENCE = re.compile(r"\b(anyone|anybody|someone|somebody|nobody|no one|people|movement|motion|occupied)\b")
"""'Is anyone in the living room?' asks the presence sensors (motion, occupancy, presence), not the lights."""
_PRESENCE_CLASSES = frozenset({"motion", "occupancy", "presence"})
_CLASS_HINTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("humidity", re.compile(r"\b(humid|damp|muggy|moisture in the air)\b")),
    ("battery", re.compile(r"\b(charge level|battery level|how charged)\b")),
    ("illuminance", re.compile(r"\b(illuminance|light level|lux)\b")),
)
"""Words that name a sensor's device class without saying it ('how humid is the bathroom' → humidity)."""
_STATE_MISFIT = 0.15
"""Taken off a state question's candidate of a kind whose states the question's state word is not ('closed' of a
lock)."""
_RUN_ONLY = frozenset(
    d for a in ACTIONS if a.key == "on" for d in a.domains
    if not any(d in b.domains for b in ACTIONS if b.intent == "HassTurnOff")
)  # fmt: skip
"""Kinds that are only run, never turned off (scenes, scripts): named alone, they are run."""
_QUANTIFIER = re.compile(r"\b(any|all|how many|which|every|each)\b")
_STOP = frozenset(
    [
        "the",
        "a",
        "an",
        "my",
        "our",
        "your",
        "to",
        "of",
        "in",
        "on",
        "at",
        "for",
        "please",
        "can",
        "could",
        "you",
        "would",
        "will",
        "and",
        "is",
        "are",
        "it",
        "me",
        "do",
        "does",
        "did",
        "i",
        "we",
        "what",
        "how",
        "when",
        "where",
        "why",
        "who",
        "which",
        "should",
        "with",
        "from",
        "be",
        "this",
        "that",
        "there",
        "any",
        "some",
        "many",
        "much",
        "so",
        "just",
    ]
)
_PRONOUN_WORDS = frozenset(["it", "them", "that", "those", "this", "these", "they", "its", "their", "one"])


@dataclass(frozen=True, slots=True)
class Context:
    """What the dialogue knows when ranking: the speaker's area and the last turn's targets and intent."""

    speaker_area: str | None = None
    """Area id of the speaker."""
    last_targets: tuple[str, ...] = ()
    """Entity ids the previous command acted on."""
    last_intent: str | None = None
    """The previous command's intent."""


@dataclass(frozen=True, slots=True)
class RankedCandidate:
    """A valid action with its score and the features that produced it."""

    intent: str
    """Intent name."""
    targets: tuple[str, ...]
    """Entity ids."""
    slots: Mapping[str, Any]
    """Slots as in Home Assistant's tests."""
    score: float
    """Raw score (0..1)."""
    description: str
    """A verbalisation ('Turn on Kitchen Light.')."""
    action: str = ""
    """Lexicon action key (or 'skill')."""
    features: Mapping[str, float] = field(default_factory=dict)
    """The feature values, for the trace."""
    skill_intent: bool = False
    """True for a skill's intent matched by its examples."""


def verbalise(action: ActionDef | None, intent: str, names: Sequence[str], slots: Mapping[str, Any]) -> str:
    """A short sentence describing a candidate (what the LLM scores and the trace shows)."""
    what = " and ".join(names) if names else "it"
    if action is None:
        return f"{intent}."
    extra = ""
    if "brightness" in slots:
        extra = f" to {slots['brightness']}%"
    elif "color" in slots:
        extra = f" to {slots['color']}"
    elif "temperature" in slots:
        extra = f" to {slots['temperature']} K" if intent == "HassLightSet" else f" to {slots['temperature']} degrees"
    elif "position" in slots:
        extra = f" to {slots['position']}%"
    elif "volume_level" in slots:
        extra = f" to {slots['volume_level']}%"
    elif "percentage" in slots:
        extra = f" to {slots['percentage']}%"
    if action.key == "add_item":
        return f"Add {slots.get('item', '')} to the {what}."
    return f"{action.verb[:1].upper()}{action.verb[1:]} the {what}{extra}."


class SemanticRanker:
    """Scores every valid (action, entity) pair; entity descriptions are embedded once per registry version."""

    def __init__(self, embedder: Embedder | None, scorer: LearnedScorer | None = None) -> None:
        """Use the embedder when given (names and skill examples); lexical features work without it. With a learned
        ``scorer``, device candidates are scored by it instead of the hand-weighted sum."""
        self._embedder = embedder
        self._scorer = scorer
        self._lock = threading.Lock()
        self._sig: int | None = None
        self._ids: list[str] = []
        self._vectors: npt.NDArray[np.float32] | None = None
        self._idf: dict[str, float] = {}
        self._skill_specs: list[tuple[str, IntentSpec]] = []
        self._skill_vectors: list[npt.NDArray[np.float32]] = []
        self._vocab: frozenset[str] = frozenset()
        self._vocab_stems: frozenset[str] = frozenset()
        self._unique: frozenset[str] = frozenset()
        self._classes: frozenset[str] = frozenset()
        """The device classes of the home's entities less those that are also a kind it has ('light': its lights)."""
        self._purpose = PurposeFit(embedder)

    # -- preparation -------------------------------------------------------------------------------------------
    def set_skill_intents(self, specs: Sequence[tuple[str, IntentSpec]]) -> None:
        """Skill intents (skill id, spec) matched by similarity to their examples."""
        kept = [(sid, spec) for sid, spec in specs if spec.examples]
        vectors: list[npt.NDArray[np.float32]] = []
        if self._embedder is not None:
            for _sid, spec in kept:
                vectors.append(self._embedder.embed([normalize_example(x) for x in spec.examples]))
        with self._lock:
            self._skill_specs = kept
            self._skill_vectors = vectors

    def prepare(self, index: HomeIndex) -> None:
        """Embed entity descriptions and compute name-token weights, once per registry version."""
        with self._lock:
            if self._sig == index.signature:
                return
            ids = list(index.entities)
            df: dict[str, int] = {}
            for e in index.entities.values():
                for tok in {t for n in (e.name, *e.aliases) for t in _tokens(n)}:
                    df[tok] = df.get(tok, 0) + 1
            n = max(1, len(ids))
            self._idf = {t: math.log(1 + n / c) for t, c in df.items()}
            names = [*(x for e in index.entities.values() for x in (e.name, *e.aliases)), *index.area_names,
                     *index.floor_names]  # fmt: skip
            self._vocab = frozenset(singular(t) for n_ in names for t in clean_name(n_).split())
            self._vocab_stems = frozenset(stem(t) for t in self._vocab)
            self._unique = frozenset(t for t, c in df.items() if c == 1 and len(t) >= 4)
            kinds = {e.domain for e in index.entities.values()}
            self._classes = frozenset(d for e in index.entities.values() if (d := _device_class(e)) and d not in kinds)
            vectors = None
            if self._embedder is not None and ids:
                vectors = self._embedder.embed([index.describe(i) for i in ids])
            self._ids, self._vectors, self._sig = ids, vectors, index.signature

    def set_scorer(self, scorer: LearnedScorer | None) -> None:
        """Use another learned scorer (None: the hand weights)."""
        self._scorer = scorer

    @property
    def scorer(self) -> LearnedScorer | None:
        """The learned scorer in use (None: hand weights)."""
        return self._scorer

    @property
    def ready(self) -> int | None:
        """The registry signature the embeddings were computed for (None before the first ``prepare``)."""
        return self._sig

    # -- features ----------------------------------------------------------------------------------------------
    def residual(self, text: str) -> list[str]:
        """Content words that neither the home's names nor the action lexicon explain ('aquarium', 'filter')."""
        lexicon = lexicon_words()
        return [
            w
            for w in words(text)
            if len(w) >= 3
            and not w[0].isdigit()
            and "'" not in w
            and w not in _STOP
            and w not in _PRONOUN_WORDS
            and singular(w) not in self._vocab
            and w not in lexicon
            and singular(w) not in lexicon
            and stem(w) not in self._vocab_stems
            and stem(w) not in _lexicon_stems()
        ]

    def name_score(self, text_tokens: set[str], text: str, entity: Entity) -> float:
        """How well the text names the entity (IDF-weighted token overlap, typos tolerated), 0..1."""
        best = 0.0
        for name in (entity.name, *entity.aliases):
            clean = clean_name(name)
            if clean and re.search(rf"\b{re.escape(clean)}s?\b", text):
                return 1.0
            toks = _tokens(name)
            if not toks:
                continue
            total = sum(self._idf.get(t, 1.0) for t in toks)
            hit = 0.0
            for t in toks:
                if t in text_tokens:
                    hit += self._idf.get(t, 1.0)
                elif len(t) >= 4 and any(len(w) >= 4 and fuzz.ratio(t, w) >= 85 for w in text_tokens):
                    hit += 0.8 * self._idf.get(t, 1.0)
            best = max(best, 0.9 * hit / total if total else 0.0)  # only the exact phrase scores 1.0
        return best

    def unique_hit(self, text_tokens: set[str], entity: Entity) -> bool:
        """True when the text says a word that only this entity's names contain ('coffee' → the Coffee Maker)."""
        return any(t in self._unique and t in text_tokens for n in (entity.name, *entity.aliases) for t in _tokens(n))

    def embed_scores(self, text: str) -> dict[str, float]:
        """Cosine similarity of the text with every entity description."""
        if self._embedder is None or self._vectors is None:
            return {}
        q = self._embedder.embed([text])[0]
        sims = self._vectors @ q
        return {i: float(s) for i, s in zip(self._ids, sims, strict=True)}

    def skill_scores(self, text: str) -> list[tuple[str, IntentSpec, float]]:
        """(skill id, spec, similarity 0..1) of the text to each skill intent's examples, best first."""
        with self._lock:
            specs, vectors = list(self._skill_specs), list(self._skill_vectors)
        out: list[tuple[str, IntentSpec, float]] = []
        q = self._embedder.embed([text])[0] if self._embedder is not None and vectors else None
        for k, (sid, spec) in enumerate(specs):
            lexical = max(
                (max(fuzz.ratio(text, ex), fuzz.token_sort_ratio(text, ex)) / 100.0
                 for ex in (normalize_example(x) for x in spec.examples)),
                default=0.0,
            )  # fmt: skip
            sim = lexical * 0.85
            if q is not None:
                sim = max(sim, float(np.max(vectors[k] @ q)))
            out.append((sid, spec, sim))
        out.sort(key=lambda x: -x[2])
        return out

    # -- ranking -----------------------------------------------------------------------------------------------
    def rank(
        self,
        text: str,
        params: Params,
        index: HomeIndex,
        home: HomeApi,
        context: Context,
        *,
        limit: int = 8,
    ) -> list[RankedCandidate]:
        """Valid candidate actions for a normalised request, best first."""
        self.prepare(index)
        toks = {singular(w) for w in words(text) if w not in _STOP}
        evidence = colour_evidence(text, action_evidence(text))
        kelvin = kelvin_said(text)
        question = asks(text)
        if group_question(text):  # 'some fans on': asks their state, as 'are any fans on' does
            evidence["get_state"] = max(evidence.get("get_state", 0.0), 0.9)
        mentions = domain_mentions(text) - ({"climate"} if kelvin is not None else set())
        if not mentions:  # no kind of device named: the one whose purpose the request names counts as named
            purpose = self._purpose_domain(text, index)
            mentions = {purpose} if purpose else mentions
        classes = (
            state_classes(text)
            | {
                dc
                # a class that is also a kind of device the home has is that kind ('which light is on': lights, not
                # light sensors; left out in ``prepare``)
                for dc in self._classes
                if re.search(rf"\b{dc.replace('_', ' ')}s?\b", text)
            }
            | {dc for dc, rx in _CLASS_HINTS if rx.search(text)}
        )
        areas = _mentioned(text, index.area_names)
        floors = _mentioned(text, index.floor_names)
        floor_areas = {a for f in floors for a in index.in_floor(f)}
        here = context.speaker_area if _HERE.search(text) else None
        scope = set(areas) | floor_areas | ({here} if here else set())
        residual = self.residual(text)
        # dialogue context only for real follow-ups: a pronoun with little else, or an elliptical command
        pronoun = bool(_PRONOUN.search(text)) and len(residual) <= 1
        nouns = device_mentions(text) - ({"climate", "sensor"} if kelvin is not None else set())
        # the kinds a verb of the request could act on ('the fan' of 'switch off the fan'; not the 'light' of 'let
        # some light in', which no verb said acts on)
        objects = (
            nouns if any(ev > 0 and _acts_on(a, nouns) for a in ACTIONS if (ev := evidence.get(a.key, 0.0))) else set()
        )
        presence = bool(_PRESENCE.search(text))
        embeds = self.embed_scores(text)
        names = _prefer_longest({i: self.name_score(toks, text, e) for i, e in index.entities.items()}, toks, index)
        elliptical = (
            not question and not residual and not mentions and len(words(text)) <= 6
            and max(names.values(), default=0.0) < 0.5 and not scope
        )  # fmt: skip
        names = _said_whole(_locative_areas(names, text, index), text, index)
        if question and _QUANTIFIER.search(text):
            names = _generic_names(names, index)
        named_ids = [i for i, v in names.items() if v >= 0.99]
        said = request_polarity(text)
        said_value = 1.0 if (params.percent, params.number, params.degrees, params.color) != (None,) * 4 else 0.0
        said_value = max(said_value, 0.5 if params.relative else 0.0)
        per_domain: dict[str, list[str]] = {}
        for i, e in index.entities.items():
            per_domain.setdefault(e.domain, []).append(i)
        # the one device of a kind that serves the whole home (a thermostat) answers 'it's cold in here' from any room
        sole = {
            ids[0] for d, ids in per_domain.items()
            if len(ids) == 1 and scope and index.entities[ids[0]].area_id not in scope
        }  # fmt: skip
        kinds_said = classes_said(text)
        asked = {d for d in state_words() if asked_state(text, d)} if question else set()
        misfit = set(state_words()) - asked if asked else set()
        if len(asked) == 1 and not named_ids and asked <= group_state_domains():
            # the states asked name the kind ('are any shutters locked' asks about locks: Home Assistant's lockables)
            mentions, nouns = mentions | asked, nouns | asked
        where = _where(text, index, {i for i, v in names.items() if v >= 0.99}, here)
        if (
            named_ids and not question and all(index.entities[i].domain in _RUN_ONLY for i in named_ids)
            and run_by_name(text, [*names_said(index, text), *index.area_names, *index.floor_names])
        ):  # fmt: skip
            # a scene or script named without a verb ('Party Mode', 'change to Party Mode') is run, as Home
            # Assistant's '[activate] {name} [scene]'
            evidence = {**evidence, "on": max(evidence.get("on", 0.0), 0.8)}
        out: list[RankedCandidate] = []
        for action in ACTIONS:
            ev = evidence.get(action.key, 0.0)
            if ev <= 0.0:
                continue
            if (params.percent is not None or _REL_MOVE.search(text)) and action.key in ("open", "close"):
                ev *= 0.8  # 'open the blinds halfway' and 'close them a bit' are positions
            if params.percent is not None and action.key == "on":
                ev *= 0.65  # 'turn the fan on to 50%' sets a level: the level action says more
            is_write = action.intent in WRITE_INTENTS
            named = any(not action.domains or index.entities[i].domain in action.domains for i in named_ids)
            if question and is_write:
                continue  # safety: a question never maps to a write
            implied = (
                _state_implied(action, index, home, names, scope, classes, context)
                if not named_ids and not mentions - {"media_player"}
                else None
            )  # a request that names a device, or another kind of device, is not about what is playing
            if action.key == "brightness" and len(named_ids) > 1:
                implied = _lit_one(named_ids, index, home)
            for eid, entity in index.entities.items():
                if action.domains and entity.domain not in action.domains:
                    continue
                live = home.entity(eid) or entity
                slots = _action_slots(action, params, text, live)
                if slots is None or not entity_supports(action.intent, live, slots):
                    continue
                if said and is_write and action_polarity(action.intent, live, slots) == -said:
                    continue  # hard constraint: never the opposite of the request's verb
                if is_write and names[eid] < 0.99 and _other_kind(entity, objects, classes):
                    continue  # hard constraint: 'switch off the fan' never acts on a thermostat
                feats = self._target_features(
                    entity,
                    names[eid],
                    embeds.get(eid),
                    mentions,
                    scope,
                    context,
                    pronoun or elliptical,
                    action,
                    named,
                    classes,
                    nouns,
                    presence,
                    sole=eid in sole and action.implied_domain == entity.domain,
                    state_implied=eid == implied,
                )
                if feats["grounding"] < 0.6 and self.unique_hit(toks, entity):
                    feats["grounding"] = 0.6
                feats["residual"] = float(len(residual))
                target = feats["target"]
                if target < 0.2:
                    continue
                state_pen = _state_penalty(action, live)
                if action.key == "get_state" and entity.domain in misfit:
                    if names[eid] < 0.99:
                        continue  # hard: 'are any doors opening' asks about doors that open, never a lock
                    state_pen += _STATE_MISFIT  # 'is the door closed' asks about a door that closes, not a lock
                score = 0.5 * ev + 0.5 * target - state_pen
                feats = {**feats, "action": ev, "state_penalty": state_pen, "said_value": said_value,
                         "uses_value": 1.0 if _VALUE_SLOTS & set(slots) else 0.0}  # fmt: skip
                group_scope = scope or (
                    {context.speaker_area} if context.speaker_area and _PLURAL.search(text) else set()
                )
                targets, tslots = (
                    ((eid,), {"name": entity.name})
                    if named
                    else _group(action, entity, index, names, group_scope, text, home, slots, floors, params)
                )
                if self._scorer is not None:  # the learned scorer replaces the hand weights
                    feats["rule"] = score
                    feats["embedder"] = 1.0 if self._embedder is not None else 0.0
                    score = self._scorer.score(feats, action.key, len(targets))
                out.append(
                    RankedCandidate(
                        intent="HassGetWeather"
                        if action.key == "get_state" and entity.domain == "weather"
                        else (action.intent),  # a weather entity's state is Home Assistant's weather question
                        targets=targets,
                        slots=_said_slots(
                            {**tslots, **slots}, targets, where, index, context, names[eid] >= 0.99, kinds_said
                        ),
                        score=max(0.0, min(1.0, score)),
                        description=verbalise(
                            action, action.intent, [index.entities[t].name for t in targets[:3]], slots
                        ),
                        action=action.key,
                        features=feats,
                    )
                )
        out = self._purpose_guard(text, out)
        for sid, spec, sim in self.skill_scores(text)[:3]:
            if sim < 0.3:
                continue
            out.append(
                RankedCandidate(
                    intent=spec.name, targets=(), slots={}, score=min(1.0, sim),
                    description=_skill_description(sid, spec), action="skill", features={"similarity": sim},
                    skill_intent=True,
                )
            )  # fmt: skip
        out.sort(key=lambda c: -c.score)
        return _dedupe(out)[:limit]

    def _purpose_domain(self, text: str, index: HomeIndex) -> str | None:
        """The kind of device of this home whose purpose the request clearly names ('water the roses': a valve)."""
        domains = sorted({e.domain for e in index.entities.values()})
        fit = self._purpose.scores(text, domains)
        return clear_purpose(fit, floor=_PURPOSE_FLOOR, margin=_PURPOSE_MARGIN)

    def _purpose_guard(self, text: str, cands: list[RankedCandidate]) -> list[RankedCandidate]:
        """A device write on a kind of device whose purpose fits the request clearly worse than another candidate's
        ('stop watering the backyard': the sprinklers, not the Backyard Light) loses part of its score, unless the
        request names that device exactly."""
        domains = {c.targets[0].split(".", 1)[0] for c in cands if c.intent in WRITE_INTENTS and c.targets}
        if len(domains) < 2:
            return cands
        bad = misfits(self._purpose.scores(text, sorted(domains)), floor=_PURPOSE_FLOOR, margin=_PURPOSE_MARGIN)
        if not bad:
            return cands
        return [
            replace(c, score=c.score * _PURPOSE_FACTOR, features={**c.features, "purpose_misfit": 1.0})
            if c.intent in WRITE_INTENTS and c.targets and c.targets[0].split(".", 1)[0] in bad
            and c.features.get("name", 0.0) < 0.99
            else c
            for c in cands
        ]  # fmt: skip

    def _target_features(
        self,
        entity: Entity,
        name: float,
        emb: float | None,
        mentions: set[str],
        scope: set[str],
        context: Context,
        refers: bool,
        action: ActionDef,
        named: bool,
        classes: set[str],
        nouns: set[str] = frozenset(),  # type: ignore[assignment]
        presence: bool = False,
        *,
        sole: bool = False,
        state_implied: bool = False,
    ) -> dict[str, float]:
        if action.key == "get_temperature" and "climate" in mentions:
            mentions = mentions | {"sensor", "weather"}  # 'how warm is it' names whatever reports a temperature
        hinted = entity.domain in mentions
        domain = 0.5
        device_class = _device_class(entity)
        asks_presence = presence and action.key == "get_state"
        present = device_class in _PRESENCE_CLASSES or entity.domain == "person"
        if (device_class and device_class in classes) or (asks_presence and present):
            domain = 1.0
            mentions = mentions | {entity.domain}
        elif action.implied_domain == entity.domain and entity.domain not in mentions:
            domain = 0.8
            mentions = set()
        elif mentions:
            domain = 1.0 if entity.domain in mentions else 0.0
        area = 0.5
        if scope and sole:
            scope = set()  # the only device of its kind, implied by the request: the room does not restrict it
        if scope:
            area = 1.0 if entity.area_id in scope else 0.0
        elif context.speaker_area:
            area = 1.0 if entity.area_id == context.speaker_area else 0.3
        ctx = 0.0
        bare = name < 0.5 and not named and not mentions and not scope and action.implied_domain is None
        if entity.entity_id in context.last_targets and refers and (bare or name < 0.5):
            ctx = 1.0
        if state_implied:
            ctx = 1.0  # the one player whose state the request acts on ('pause': the one playing)
        emb_s = 0.0 if emb is None else max(0.0, min(1.0, (emb - 0.15) / 0.5))
        if named and name < 0.99:
            name *= 0.5  # another entity is named exactly
        target = 0.5 * name + 0.15 * emb_s + 0.15 * domain + 0.2 * area + 0.45 * ctx
        if scope and entity.area_id not in scope and name < 0.99:
            target *= 0.35
        if mentions and entity.domain not in mentions and name < 0.99:
            target *= 0.5
        implied = action.implied_domain == entity.domain or action.key == "get_temperature"
        noun = 1.0 if entity.domain in nouns or (device_class and device_class in classes) or implied else 0.0
        if asks_presence:
            noun = 1.0 if present else noun
            target = target if present else target * 0.6
        in_scope = 1.0 if scope and entity.area_id in scope else 0.0
        grounding = max(name, min(1.0, 0.7 * noun + 0.3 * in_scope), 0.4 if hinted else 0.0, ctx)
        return {"target": min(1.0, target), "name": name, "embedding": emb_s, "domain": domain, "area": area,
                "context": ctx, "grounding": grounding}  # fmt: skip


def _skill_description(skill_id: str, spec: Any) -> str:
    """How a skill intent is offered in a clarification: its first example sentence, else its name."""
    examples = getattr(spec, "examples", ())
    return f"“{examples[0]}” ({skill_id})" if examples else f"{spec.name} ({skill_id})"


def normalize_example(text: str) -> str:
    """Skill examples compared in the same lower-case form as requests."""
    return re.sub(r"\s+", " ", text.lower()).strip(" ?!.")


def _prefer_longest(names: dict[str, float], toks: set[str], index: HomeIndex) -> dict[str, float]:
    """A name whose every word is said ('the battery of the robot vacuum') beats a shorter name it contains."""
    full: dict[str, frozenset[str]] = {}
    for eid, score in names.items():
        if score < 0.85:
            continue
        e = index.entities[eid]
        for n in (e.name, *e.aliases):
            nt = frozenset(_tokens(n))
            if len(nt) >= 2 and nt <= toks and len(nt) > len(full.get(eid, frozenset())):
                full[eid] = nt
    if len(full) < 2:
        return names
    out = dict(names)
    for eid, nt in full.items():
        if any(nt < other for o, other in full.items() if o != eid):
            out[eid] = min(out[eid], 0.9)  # said, but only as part of a longer name that is said whole
        else:
            out[eid] = max(out[eid], 0.99)
    return out


def _locative_areas(names: dict[str, float], text: str, index: HomeIndex) -> dict[str, float]:
    """'Is there movement in the garage': a name that is only said as a place ('in the garage') names the area,
    not the device that happens to share it ('Garage Door', alias 'garage')."""
    places = {
        n for n in index.area_names
        if n and re.search(rf"\b(in|at|inside|around|throughout|from) (the |my |our )?{re.escape(n)}\b", text)
    }  # fmt: skip
    if not places:
        return names
    out = dict(names)
    for eid, score in names.items():
        if score < 0.99:
            continue
        e = index.entities[eid]
        said = {
            c for c in (clean_name(n) for n in (e.name, *e.aliases)) if c and re.search(rf"\b{re.escape(c)}s?\b", text)
        }
        if said and said <= places:
            out[eid] = 0.6
    return out


def _said_whole(names: dict[str, float], text: str, index: HomeIndex) -> dict[str, float]:
    """'Shut down Curtain Left in the bedroom': a name said as a whole phrase beats one whose words are all said but
    apart ('Bedroom Curtain' from 'curtain' and 'bedroom'), or one cut off by the name said after it."""
    spans = [
        (m.start(), m.end(), n)
        for n in index.names if n and n in text for m in re.finditer(rf"\b{re.escape(n)}(?:s|es)?\b", text)
    ]  # fmt: skip
    # of two said names that overlap, the one that ends later holds the head noun ('kitchen ceiling fan' is the
    # Ceiling Fan, not the Kitchen Ceiling light); one inside a longer one is part of it
    phrases = {
        n
        for a, b, n in spans
        if not any((x <= a and b <= y and (x, y) != (a, b)) or a < x < b < y for x, y, _o in spans)
    }
    whole = {i for n in phrases for i in index.names.get(n, ())}
    if not whole:
        return names
    said = [frozenset(_tokens(n)) for n in phrases]

    def apart(eid: str) -> bool:  # said only word by word, and not as a longer name around a whole one
        e = index.entities[eid]
        toks = [frozenset(_tokens(n)) for n in (e.name, *e.aliases)]
        return eid not in whole and not any(p < t for p in said for t in toks)

    return {i: min(v, 0.9) if v >= 0.99 and apart(i) else v for i, v in names.items()}


def _generic_names(names: dict[str, float], index: HomeIndex) -> dict[str, float]:
    """'Is any gas detected in the kitchen': a sensor named after its own kind ('Gas') is not named; the question
    is about every sensor of that kind in the room."""
    out = dict(names)
    for eid, score in names.items():
        e = index.entities[eid]
        kind = (_device_class(e) or "").replace("_", " ")
        if score >= 0.99 and kind and singular(clean_name(e.name)) == kind:
            out[eid] = 0.9
    return out


@lru_cache(maxsize=1)
def _lexicon_stems() -> frozenset[str]:
    """Stems of every word the action lexicon knows ('charge' → 'charg', matching 'charging')."""
    return frozenset(stem(w) for w in lexicon_words())


def _tokens(name: str) -> list[str]:
    return [singular(t) for t in clean_name(name).split() if t not in _STOP]


def singular(word: str) -> str:
    """A plural name token's singular for exact token matching ('lights' → 'light'; 'glass' stays)."""
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _mentioned(text: str, names: Mapping[str, str]) -> set[str]:
    found = set()
    for name, ident in names.items():
        if name and re.search(rf"\b{re.escape(name)}\b", text):
            found.add(ident)
    return found


def _pct_of(entity: Entity, attr: str, scale: float) -> float:
    raw = entity.attributes.get(attr)
    try:
        return float(raw) * scale if raw is not None else 0.0
    except (TypeError, ValueError):
        return 0.0


def _action_slots(action: ActionDef, p: Params, text: str, entity: Entity) -> dict[str, Any] | None:
    """Parameters for an action on one entity, or None when the request lacks what the action needs."""
    step = 10 if p.small else 25
    key = action.key
    if p.percent is None and p.number is not None and 0 <= p.number <= 100 and key in _LEVEL_KEYS:
        p = replace(p, percent=int(p.number))  # 'volume to 30', 'the bathroom light down to 10': a level
    if key == "brightness":
        if p.percent is not None:
            return {"brightness": p.percent}
        if re.search(r"\b(cozy|cosy|romantic|mood|relax\w*|ambient|chill)\b", text):
            return {"brightness": 30}
        direction = p.relative
        if re.search(r"\btoo (dark|dim|gloomy)|can't see|pitch black\b", text):
            direction = 1
        elif re.search(r"\btoo bright|blinding\b", text):
            direction = -1
        if not direction:
            return None
        if direction < 0 and entity.state != "on":
            return None  # dimming a light that is off means nothing
        current = _pct_of(entity, "brightness", 100 / 255) if entity.state == "on" else 0.0
        return {"brightness": int(max(1, min(100, round(current + direction * step)))),
                "brightness_delta": direction * step}  # fmt: skip
    if key == "color":
        kelvin = kelvin_said(text)
        if kelvin is not None and light_supports(entity.attributes, "color_temp"):
            return {"temperature": kelvin}  # 'warm white', '2700 k': a white, by Home Assistant's names
        return {"color": p.color} if p.color else None
    if key == "temperature":
        if kelvin_said(text) is not None:
            return None  # a colour temperature is a light's, never a thermostat's
        target = p.degrees if p.degrees is not None else p.number
        if target is not None and 4 <= target <= 90:
            return {"temperature": target}
        direction = p.relative
        if re.search(r"\b(cold|chilly|freezing)\b", text) and not re.search(r"\b(colder|cooler)\b", text):
            direction = 1
        elif re.search(r"\b(hot|boiling|roasting|too warm)\b", text) and not re.search(r"\bhotter\b", text):
            direction = -1
        if not direction:
            return None
        current = entity.attributes.get("temperature") or entity.attributes.get("current_temperature") or 20
        delta = 0.5 if p.small else 1.0
        return {"temperature": float(current) + direction * delta, "temperature_delta": direction * delta}
    if key == "position":
        if p.percent is not None:
            return {"position": p.percent}
        move = _REL_MOVE.search(text)
        if move is None:
            return None
        direction = 1 if move.group(1) in ("open", "raise") else -1
        raw = entity.attributes.get("current_position")
        try:
            current = float(raw) if raw is not None else (100.0 if entity.state == "open" else 0.0)
        except (TypeError, ValueError):
            current = 100.0 if entity.state == "open" else 0.0
        return {"position": int(max(0, min(100, round(current + direction * _COVER_STEP)))),
                "position_delta": direction * _COVER_STEP}  # fmt: skip
    if key == "volume":
        if p.percent is not None:
            return {"volume_level": p.percent}
        direction = p.relative or (-1 if re.search(r"\btoo loud|blasting\b", text) else 0)
        if re.search(r"\bcan't hear\b", text):
            direction = 1
        if not direction:
            return None
        level = _pct_of(entity, "volume_level", 1.0)
        current = level * 100 if level <= 1.0 else level
        vstep = direction * (10 if p.small else 20)
        return {"volume_level": int(max(0, min(100, round(current + vstep)))), "volume_delta": vstep}
    if key == "fan_speed":
        if p.percent is not None:
            return {"percentage": p.percent}
        if not p.relative or (p.relative < 0 and entity.state != "on"):
            return None
        current = _pct_of(entity, "percentage", 1.0) if entity.state == "on" else 0.0
        raw_step = entity.attributes.get("percentage_step")
        fan_step = float(raw_step) if isinstance(raw_step, int | float) and raw_step > 1 else float(step)
        return {"percentage": int(max(0, min(100, round(current + p.relative * fan_step)))),
                "percentage_delta": int(p.relative * fan_step)}  # fmt: skip
    if key == "add_item":
        return {"item": p.item} if p.item else None
    if key == "on" and entity.domain == "climate":
        hvac = hvac_mode(text)
        return {"hvac_mode": hvac} if hvac else {}
    if key == "arm":
        mode = next((m for m, rx in _ALARM_MODE_WORDS if rx.search(text)), None)
        return {"alarm_mode": mode} if mode else {}
    if key == "get_temperature" and entity.domain == "sensor":
        return {} if _device_class(entity) == "temperature" else None
    if key == "get_state" and entity.domain == "binary_sensor":
        # the device class's own words ('is the door open'), else Home Assistant's for any binary sensor
        state = binary_state(_device_class(entity), text) or asked_state(text, "binary_sensor")
        return {"state": state} if state else {}
    if key == "get_state":
        state = asked_state(text, entity.domain)
        return {"state": state} if state else {}
    return {}


def _where(text: str, index: HomeIndex, named: set[str], here: str | None) -> dict[str, Any]:
    """The place slots the request said, outside the names of the devices it named ('the Kitchen Countertop in the
    living room' names the living room, not the kitchen)."""
    said = [n for n, ids in index.names.items() if n and named & set(ids)]
    for n in sorted(said, key=len, reverse=True):
        text = re.sub(rf"\b{re.escape(n)}\b", " ", text)
    return where_said(
        text, index, sorted(_mentioned(text, index.area_names)), sorted(_mentioned(text, index.floor_names)), here
    )


def _acts_on(action: ActionDef, kinds: set[str]) -> bool:
    return bool(action.domains & kinds) or action.implied_domain in kinds


def _other_kind(entity: Entity, nouns: set[str], classes: set[str]) -> bool:
    """Whether the request names kinds of device by their nouns ('the fan', 'the volume') and this entity is none of
    them: not of those domains or device classes, and no such noun in its own name ('Bathroom Fan' as a switch is a
    fan). A temperature, humidity or battery noun also fits a thermostat."""
    if not nouns or entity.domain in nouns or (_device_class(entity) or "") in classes:
        return False
    if entity.domain == "climate" and "sensor" in nouns:
        return False
    return not (kinds_in_name(entity) & nouns)


def _device_class(entity: Entity) -> str | None:
    return entity.device_class or entity.attributes.get("device_class")


def _said_slots(
    slots: dict[str, Any],
    targets: Sequence[str],
    where: Mapping[str, Any],
    index: HomeIndex,
    context: Context,
    named: bool,
    said_classes: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """A candidate's slots with how the request referred to its targets (``said.py``): the place it named, the kind
    of device, and for a request that names no device, the speaker's room when that is where the targets are (as
    Home Assistant fills the area from the satellite's)."""
    out = dict(slots)
    for key, value in where.items():
        out.setdefault(key, value)
    domains = {t.split(".", 1)[0] for t in targets}
    if len(domains) == 1:
        out.setdefault("domain", next(iter(domains)))
    kinds = {_device_class(index.entities[t]) for t in targets if t in index.entities}
    if len(kinds) == 1 and (kind := next(iter(kinds))) in said_classes:
        out.setdefault("device_class", kind)
    speaker = context.speaker_area
    if (
        not named and not where and speaker is not None and speaker in index.areas and targets
        and all(t in index.entities and index.entities[t].area_id == speaker for t in targets)
    ):  # fmt: skip
        out.setdefault("area", index.areas[speaker].name)
    return out


def _state_penalty(action: ActionDef, entity: Entity) -> float:
    """Asking for what already holds is less likely than the alternative."""
    already = {
        "on": ("on", "playing"),
        "off": ("off",),
        "open": ("open",),
        "close": ("closed",),
        "lock": ("locked",),
        "unlock": ("unlocked",),
        "pause": ("paused", "idle", "off"),
        "resume": ("playing",),
        "vacuum": ("cleaning",),
        "dock": ("docked",),
    }.get(action.key, ())
    if entity.domain == "media_player" and not _media_ready(action, entity):
        return 0.1  # 'pause', 'next', 'louder': the player that is playing, not one that is off
    return 0.04 if entity.state in already else 0.0


_MEDIA_READY: Mapping[str, tuple[str, ...]] = {
    "pause": ("playing",),
    "next": ("playing", "paused"),
    "previous": ("playing", "paused"),
    "volume": ("playing", "paused", "on", "idle"),
    "resume": ("paused", "idle", "on"),
}
"""The states in which a media action makes sense for a player."""


def _state_implied(
    action: ActionDef,
    index: HomeIndex,
    home: HomeApi,
    names: Mapping[str, float],
    scope: set[str],
    classes: set[str],
    context: Context,
) -> str | None:
    """The media player a media request that names no player means: among the players its words fit (a partial
    name, a device class, the named room), the only one in the state the intent acts on (playing for 'pause', paused
    for 'resume'); the speaker's room first. None for other actions, or when the state does not single one out."""
    if action.domains != frozenset({"media_player"}) or action.intent not in ACTIVE_STATES:
        return None
    players = [i for i, e in index.entities.items() if e.domain == "media_player"]
    said = [i for i in players if names.get(i, 0.0) >= 0.5]
    players = said or players
    kinds = [i for i in players if (index.entities[i].device_class or "") in classes]
    players = kinds or players
    if scope:
        players = [i for i in players if index.entities[i].area_id in scope]
    return implied_player(action.intent, players, home.entity, speaker_area=context.speaker_area)


def _lit_one(named_ids: Sequence[str], index: HomeIndex, home: HomeApi) -> str | None:
    """Of several lights the request names exactly ('dim the bedroom light' with three Bedroom Lights), the only one
    that is on: a brightness change acts on a lit light. None when none or several are on."""
    lit = [
        i for i in named_ids
        if index.entities[i].domain == "light" and (e := home.entity(i)) is not None and e.state == "on"
    ]  # fmt: skip
    return lit[0] if len(lit) == 1 else None


def _media_ready(action: ActionDef, entity: Entity) -> bool:
    """Whether a media action applies to the player as it is now (a playing player for 'pause')."""
    states = _MEDIA_READY.get(action.key)
    return states is None or entity.state in states


def _group(
    action: ActionDef,
    entity: Entity,
    index: HomeIndex,
    names: Mapping[str, float],
    scope: set[str],
    text: str,
    home: HomeApi,
    slots: Mapping[str, Any],
    floors: set[str] = frozenset(),  # type: ignore[assignment]
    params: Params | None = None,
) -> tuple[tuple[str, ...], dict[str, Any]]:
    """One entity (named) or every entity of its domain in the named area/floor ('the lights in the kitchen').

    Without an area, only an explicit whole-home phrase ('all the lights', 'every light in the house') groups.
    """
    single = (entity.entity_id,), {"name": entity.name}
    if names[entity.entity_id] >= 0.99:
        return single
    if action.key == "get_state":
        if not _QUANTIFIER.search(text):
            return single
        device_class = _device_class(entity)
        said = classes_said(text) if entity.domain == "cover" else frozenset()
        if said and device_class not in said and len(said) == 1:
            device_class = next(iter(said))  # 'are all the blinds shut': the blinds, whichever cover ranked first
        members = tuple(
            sorted(
                i
                for i, e in index.entities.items()
                if e.domain == entity.domain and _device_class(e) == device_class and (not scope or e.area_id in scope)
            )
        )
        if not members:
            return single
        q: dict[str, Any] = {"domain": entity.domain}
        if device_class:
            q["device_class"] = device_class
        if scope and len(scope) == 1 and next(iter(scope)) in index.areas:
            q["area"] = index.areas[next(iter(scope))].name
        return members, q
    if not scope and not (WHOLE_HOME.search(text) and _PLURAL_OR_ALL.search(text)) and not COLLECTIVE.search(text):
        return single
    group = tuple(
        sorted(
            i
            for i, e in index.entities.items()
            if e.domain == entity.domain
            and (not scope or e.area_id in scope)
            and entity_supports(action.intent, home.entity(i) or e, slots)
            and (params is None or _action_slots(action, params, text, home.entity(i) or e) is not None)
        )
    )
    kinds = classes_said(text) if entity.domain == "cover" else frozenset()
    of_kind = tuple(i for i in group if _device_class(index.entities[i]) in kinds)
    if len(of_kind) == 1:
        return of_kind, {"name": index.entities[of_kind[0]].name}
    if of_kind:  # 'close the blinds in the living room' leaves its curtains alone
        group = of_kind
    if entity.domain == "media_player":
        ready = tuple(i for i in group if _media_ready(action, home.entity(i) or index.entities[i]))
        # the players that can do it, the ones in the state it acts on first ('pause the music in the lounge')
        group = tuple(active_players(action.intent, group, home.entity)) or ready or group
    if len(group) <= 1 and scope:
        return single
    out: dict[str, Any] = {"domain": entity.domain}
    if floors and len(floors) == 1:
        out["floor"] = index.floors[next(iter(floors))].name
    elif scope:
        area_names = [index.areas[a].name for a in sorted(scope) if a in index.areas]
        if len(area_names) == 1:
            out["area"] = area_names[0]
    return group, out


def _dedupe(cands: list[RankedCandidate]) -> list[RankedCandidate]:
    seen: set[tuple[str, tuple[str, ...], str]] = set()
    out = []
    for c in cands:
        key = (c.intent, c.targets, repr(sorted(c.slots.items())))
        if key in seen:
            continue
        seen.add(key)
        out.append(c)
    return out
