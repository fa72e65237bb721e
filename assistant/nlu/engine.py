"""The understanding engine: dialogue → templates → grounded ranking → constrained LLM, one IntentMatch per command."""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from typing import Any

from assistant.config import NluConfig
from assistant.dialogue.conversation import ConversationStates
from assistant.dialogue.followup import answer_clarification, follow_up, is_follow_up
from assistant.dialogue.state import DENY, NEVERMIND, DialogueStore, parse_confirmation
from assistant.nlu.absent import absent_device, absent_kind, longest_said, room_in_home
from assistant.nlu.catalog import HomeIndex, build_index, registry_signature
from assistant.nlu.learn.scorer import LearnedScorer, load_scorer
from assistant.nlu.lexicon import ACTIONS, ROOM_WORDS, action_evidence, device_mentions, domain_mentions
from assistant.nlu.media import active_players
from assistant.nlu.nearest import delexicalise, nearest_sentences, refill
from assistant.nlu.normalize import normalize, parse_params, split_commands, words
from assistant.nlu.polarity import action_polarity, opposite
from assistant.nlu.rerank import LlmReranker
from assistant.nlu.resolve import WHOLE_HOME, resolve_targets
from assistant.nlu.route import OpenIntent, OpenIntents, open_intents, request_kind
from assistant.nlu.said import area_context_domains, asks, asks_state_of, names_said
from assistant.nlu.semantic import Context, RankedCandidate, SemanticRanker, singular
from assistant.nlu.skill_slots import read_skill_slots, slot_readers
from assistant.nlu.templates import TemplateHit, TemplateMatcher
from assistant.nlu.trace import Trace
from contracts.engines import Embedder, LanguageModel
from contracts.home import HomeApi
from contracts.intents import DEVICE_INTENTS, READ_INTENTS, WRITE_INTENTS
from contracts.messages import AssistantError, Candidate, ErrorCode, IntentMatch, SkillResult, StateChange, Tier
from contracts.skills import SlotReader

__all__ = ["UNKNOWN", "Understanding", "calibrate"]

_log = logging.getLogger(__name__)

UNKNOWN = "Unknown"
NEAREST_FALLBACK = True
"""Whether a request nothing understood is read as the nearest generated template sentence (``nearest.py``)."""
NEAREST_MIN_SIMILARITY = 0.5
"""The least word/word-pair Jaccard similarity to the nearest generated sentence (fixed, not tuned on eval rows)."""
NEAREST_OVERRULE = 0.7
"""A generated sentence of another intent of the same skill this similar to the request (adding no word that tells
intents apart) overrules the similarity tier's choice of skill intent (``Understanding._tie_break``)."""
LEARNED_SURE = 0.9
"""How sure the intent odds learned from the generated sentences must be to decide among a skill's intents
(measured held out by template line over the timer intents: 405 of 407 right at or above 0.9, 93 % overall)."""
_OFFERED = 3
"""How many of the home's devices of a kind the place lacks are offered instead."""


def calibrate(score: float) -> float:
    """Raw ranker score → probability of being right (logistic fit checked on tests/data/home_requests.yaml)."""
    return 1.0 / (1.0 + math.exp(-14.0 * (score - 0.5)))


class Understanding:
    """Recognises requests against the live home; keeps dialogue state per conversation."""

    def __init__(
        self,
        cfg: NluConfig,
        *,
        home: HomeApi,
        intents: Sequence[Any],
        embedder: Embedder | None,
        llm: LanguageModel | None,
    ) -> None:
        """Compile templates, index the home and subscribe to its changes."""
        self._cfg = cfg
        self._home = home
        self._lock = threading.RLock()
        self._dialogue = DialogueStore()
        self._artefact = load_scorer()
        scorer = self._artefact if getattr(cfg, "learned_scorer", False) else None
        self._scorer: LearnedScorer | None = scorer
        self._ranker = SemanticRanker(embedder if cfg.semantic else None, scorer)
        mode = str(getattr(cfg, "llm_mode", "score"))
        self._reranker = LlmReranker(llm, mode=mode) if (llm is not None and cfg.llm) else None
        self._templates: TemplateMatcher | None = None
        self._specs: list[Any] = []
        self._held_out: frozenset[str] = frozenset()
        self._owners: dict[str, str] = {}
        self._requires: dict[str, tuple[re.Pattern[str] | None, bool]] = {}
        self._readers: dict[str, SlotReader] = {}
        self._open = OpenIntents()
        self._last_norm = ""
        self._index: HomeIndex = build_index(home)
        self._dirty = False
        self.set_intents(intents)
        self._unsubscribe: Callable[[], None] | None = None
        try:
            self._unsubscribe = home.subscribe(self._on_change)
        except Exception:  # a home without events is still usable; names are re-checked per turn
            _log.debug("home has no subscribe()", exc_info=True)

    # -- public API --------------------------------------------------------------------------------------------
    def set_intents(self, intents: Sequence[Any]) -> None:
        """Skill intents changed (skills reloaded): recompile templates, re-embed examples."""
        specs = [(str(si.skill_id), si.spec) for si in intents]
        with self._lock:
            self._owners = {spec.name: sid for sid, spec in specs}
            self._requires = {
                spec.name: _compile_requires(spec.requires) for _sid, spec in specs if spec.name not in DEVICE_INTENTS
            }
            self._specs = [s for _sid, s in specs]
            self._readers = slot_readers(self._specs)
            self._templates = TemplateMatcher(self._specs, without=self._held_out) if self._cfg.templates else None
            if self._templates is not None:
                self._templates.update_lists(self._index)
            skill_only = [(sid, s) for sid, s in specs if s.name not in DEVICE_INTENTS]
            self._ranker.set_skill_intents(skill_only)
            self._open = open_intents(skill_only)

    def hold_out_templates(self, ids: Sequence[str]) -> None:
        """Recompile the template tier without these Home Assistant template lines (``templates.template_units``
        ids): a leave-one-template-out evaluation asks the other tiers for the phrasings of a held-out line."""
        with self._lock:
            self._held_out = frozenset(ids)
            if self._cfg.templates:
                self._templates = TemplateMatcher(self._specs, without=self._held_out)
                self._templates.update_lists(self._index)

    def use_scorer(self, scorer: LearnedScorer | None) -> None:
        """Score device candidates with this learned scorer (None: the hand weights), e.g. weights fitted without the
        homes being evaluated."""
        with self._lock:
            self._scorer = scorer
            self._ranker.set_scorer(scorer)

    def warmup(self) -> dict[str, float]:
        """Do the one-off work before the first request: compile templates, fill slot lists, embed the home's
        candidate descriptions and the skills' examples, run one request through every tier, and generate the
        nearest-sentence fallback's sentences.

        Returns milliseconds per step. Later turns rebuild nothing unless the home's names change.
        """
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        with self._lock:
            self._refresh()
            index = self._index
        timings["templates"] = (time.perf_counter() - t0) * 1000
        t1 = time.perf_counter()
        self._ranker.prepare(index)
        self._ranker.skill_scores("hello")
        timings["embeddings"] = (time.perf_counter() - t1) * 1000
        t2 = time.perf_counter()
        for probe in ("turn on the light", "could you make it a bit brighter"):
            self.recognize(probe, conversation_id="__warmup__")
        self._dialogue.forget("__warmup__")  # its trace goes with its state
        timings["probe"] = (time.perf_counter() - t2) * 1000
        if NEAREST_FALLBACK:  # built once per process (~1.5 s), not on a user's turn; the intent odds use it too
            t_near = time.perf_counter()
            nearest_sentences()
            timings["nearest"] = (time.perf_counter() - t_near) * 1000
        if self._reranker is not None:
            t3 = time.perf_counter()
            try:
                self._reranker.warmup()
            except Exception:  # the LLM is optional
                _log.warning("LLM warm-up failed", exc_info=True)
            timings["llm"] = (time.perf_counter() - t3) * 1000
        return {k: round(v, 1) for k, v in timings.items()}

    def observe(self, conversation_id: str, match: IntentMatch, result: SkillResult) -> None:
        """Update the dialogue state with what actually ran."""
        if match.intent not in ("Confirm", "Deny", "HassNevermind", UNKNOWN):  # '@followup' evidence, any skill
            self._dialogue.get(conversation_id).ran_intent = match.intent
        self._dialogue.observe(conversation_id, match, result)  # saves the conversation's state

    @property
    def dialogue(self) -> DialogueStore:
        """The per-conversation dialogue state (the host may back it with the shared store)."""
        return self._dialogue

    @property
    def conversations(self) -> ConversationStates:
        """Every conversation's state (dialogue, skills' state, language, last trace): the pipeline shares it."""
        return self._dialogue.states

    def last_trace(self, conversation_id: str) -> Trace | None:
        """The trace of the last recognition in a conversation (kept in its bounded conversation state)."""
        state = self._dialogue.states.peek(conversation_id)
        trace = state.trace if state is not None else None
        return trace if isinstance(trace, Trace) else None

    def close(self) -> None:
        """Stop listening to the home."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def recognize(self, text: str, *, conversation_id: str, area: str | None = None) -> list[IntentMatch]:
        """One IntentMatch per command in the request."""
        if not text or not text.strip():
            raise AssistantError(ErrorCode.INPUT_EMPTY, "I didn't catch anything to do.")
        if len(text) > self._cfg.max_text_chars:
            raise AssistantError(ErrorCode.INPUT_TOO_LONG, "That request is too long for me.")
        started = time.perf_counter()
        timings: dict[str, float] = {}
        considered: list[dict[str, Any]] = []
        with self._lock:
            self._refresh()
            index = self._index
        state = self._dialogue.get(conversation_id)
        speaker = index.area_of(area)
        state.area = speaker.id if speaker else None
        norm = normalize(text)
        matches = self._dialogue_turn(norm, conversation_id, index, timings)
        segments: tuple[str, ...] = (text,)
        if matches is None:
            matches, segments = self._commands(text, norm, conversation_id, index, timings, considered)
        ran = self._dialogue.get(conversation_id).ran_intent
        matches = [self._guard(replace(m, text=m.text or norm), index, ran) for m in matches]
        if self._readers:
            areas = [a.name for a in index.areas.values()]
            matches = [read_skill_slots(m, self._readers, areas) for m in matches]
        timings["total"] = (time.perf_counter() - started) * 1000
        for m in matches:
            if m.clarification and m.alternatives:
                self._dialogue.ask(conversation_id, m, m.alternatives)
        self._dialogue.states.get(conversation_id).trace = Trace(
            text=text,
            normalized=norm,
            segments=segments,
            tiers=tuple(m.tier.value for m in matches),
            timings_ms={k: round(v, 3) for k, v in timings.items()},
            candidates=tuple(considered[:10]),
        )
        return matches

    # -- internals ---------------------------------------------------------------------------------------------
    def _guard(self, match: IntentMatch, index: HomeIndex, last_intent: str | None) -> IntentMatch:
        """The last check before a skill runs, whatever tier proposed the match: a skill intent (or a choice offered)
        without its evidence is dropped, and a write in the direction opposite to the request's verb is refused; the
        question then offers only the choices that go the way the request says."""
        norm = match.text
        if match.tier != Tier.DIALOGUE:
            kept = tuple(c for c in match.alternatives if self._evidence(c.intent, norm, index, last_intent))
            if len(kept) != len(match.alternatives):
                match = replace(match, alternatives=kept)
            if not self._evidence(match.intent, norm, index, last_intent):
                return _ask(norm, [c for c in kept if c.intent in DEVICE_INTENTS], match.tier, 0.0)
        if match.intent not in WRITE_INTENTS or match.clarification or not match.targets:
            return match
        if not opposite(norm, match.intent, [self._home.entity(t) for t in match.targets], match.slots):
            return match
        keep = tuple(
            c for c in match.alternatives
            if c.intent in WRITE_INTENTS
            and not opposite(norm, c.intent, [self._home.entity(t) for t in c.targets], c.slots)
        )  # fmt: skip
        _log.info("refused an action opposite to the request: %s %s", match.intent, match.targets)
        return _ask(norm, keep, match.tier, match.confidence)

    def _on_change(self, change: StateChange) -> None:
        if self._index.entities.get(change.entity_id) is None:
            self._dirty = True

    def _refresh(self) -> None:
        home = self._home
        sig = registry_signature(home.entities(), home.areas(), home.floors())
        if self._dirty or sig != self._index.signature:
            self._index = build_index(home)
            self._dirty = False
        if self._templates is not None:
            self._templates.update_lists(self._index)

    def _dialogue_turn(
        self, norm: str, conversation_id: str, index: HomeIndex, timings: dict[str, float]
    ) -> list[IntentMatch] | None:
        t0 = time.perf_counter()
        state = self._dialogue.get(conversation_id)
        try:
            answer = parse_confirmation(norm)
            if answer is not None:
                intent, pin = answer
                if intent == NEVERMIND or (intent == DENY and state.pending is not None):
                    self._dialogue.clear_pending(conversation_id)
                slots = {"pin": pin} if pin else {}
                return [IntentMatch(intent=intent, slots=slots, tier=Tier.DIALOGUE, confidence=1.0, text=norm)]
            if state.pending is not None:
                pending, state.pending = state.pending, None
                if max(action_evidence(norm).values(), default=0.0) >= 0.9:
                    return None  # a full new command, not an answer
                chosen = answer_clarification(norm, pending, index, self._name_scorer(index))
                if chosen is not None:
                    return [chosen]
            return None
        finally:
            timings["dialogue"] = (time.perf_counter() - t0) * 1000

    def _name_scorer(self, index: HomeIndex) -> Callable[[str, str], float]:
        self._ranker.prepare(index)

        def score(text: str, entity_id: str) -> float:
            toks = {singular(w) for w in words(text)}
            return self._ranker.name_score(toks, text, index.entities[entity_id])

        return score

    def _commands(
        self,
        text: str,
        norm: str,
        conversation_id: str,
        index: HomeIndex,
        timings: dict[str, float],
        considered: list[dict[str, Any]],
    ) -> tuple[list[IntentMatch], tuple[str, ...]]:
        state = self._dialogue.get(conversation_id)
        whole = self._template(text, state.area, index, norm, timings, state.ran_intent)
        if whole is not None and not self._yields(whole, norm):
            return [whole], (text,)
        fu = follow_up(
            norm, state, index, self._home, self._name_scorer(index), skill_id=self._owner(state.last_intent)
        )
        if fu is not None:
            return [fu], (text,)
        parts = split_commands(norm)
        if len(parts) > 1:
            multi = self._multi(parts, conversation_id, index, timings, considered)
            if multi is not None:
                return multi, tuple(parts)
        single = self._single(text, norm, conversation_id, index, timings, considered, try_template=False)
        last = self._dialogue.get(conversation_id).ran_intent
        continues = last is not None and is_follow_up(norm) and single.intent != UNKNOWN
        if continues and self._owner(single.intent) != self._owner(last):
            # 'and the bedroom?' continues the last turn: never another skill's intent
            keep = [c for c in single.alternatives if self._owner(c.intent) == self._owner(last)]
            single = _ask(norm, keep, single.tier, single.confidence)
        return [single], (text,)

    def _multi(
        self,
        parts: list[str],
        conversation_id: str,
        index: HomeIndex,
        timings: dict[str, float],
        considered: list[dict[str, Any]],
    ) -> list[IntentMatch] | None:
        state = self._dialogue.get(conversation_id)
        saved = (state.last_intent, state.last_targets, dict(state.last_slots))
        out: list[IntentMatch] = []
        try:
            for k, part in enumerate(parts):
                verbless = k > 0 and max(action_evidence(part).values(), default=0.0) < 0.5
                match = (
                    IntentMatch(UNKNOWN, text=part)
                    if verbless
                    else self._single(part, part, conversation_id, index, timings, considered)
                )
                if k > 0 and (match.intent == UNKNOWN or match.confidence < self._cfg.semantic_threshold):
                    carried = follow_up("and " + part, state, index, self._home, self._name_scorer(index),
                                        skill_id=self._owner(state.last_intent))  # fmt: skip
                    if carried is not None:
                        match = carried
                if match.intent == UNKNOWN or match.intent in self._open_names():
                    return None
                if match.tier != Tier.DIALOGUE and match.intent in WRITE_INTENTS and not _says_target(part, index):
                    return None  # 'deactivate each | every fan ...' is one request cut at 'and', not two
                out.append(match)
                self._dialogue.remember_match(conversation_id, match)
        finally:
            state.last_intent, state.last_targets, state.last_slots = saved
        return out

    def _open_names(self) -> set[str]:
        return {o.name for o in (self._open.question, self._open.generate) if o is not None}

    def _owner(self, intent: str | None) -> str | None:
        if intent is None:
            return None
        return self._owners.get(intent)  # the registry says which skill declared it

    def _template(
        self,
        text: str,
        area_id: str | None,
        index: HomeIndex,
        norm: str,
        timings: dict[str, float],
        last_intent: str | None = None,
    ) -> IntentMatch | None:
        if self._templates is None:
            return None
        t0 = time.perf_counter()
        cleaned = re.sub(r"\s+", " ", text.replace("’", "'")).strip()
        hit = self._templates.match(cleaned, area_name=_area_name(index, area_id))
        timings["template"] = timings.get("template", 0.0) + (time.perf_counter() - t0) * 1000
        return None if hit is None else self._accepted(hit, index, norm, area_id, last_intent)

    def _accepted(
        self, hit: TemplateHit, index: HomeIndex, norm: str, area_id: str | None, last_intent: str | None
    ) -> IntentMatch | None:
        """A template hit as the match, unless no installed skill handles its intent or the request lacks the
        intent's evidence."""
        if self._owners and self._owner(hit.intent) is None:
            return None  # a sentence of Home Assistant's that no installed skill handles (timers, weather, ...)
        if not self._evidence(hit.intent, norm, index, last_intent):
            return None  # a skill template without its evidence: the other tiers decide
        return self._from_template(hit, index, norm, area_id)

    def _evidence(self, intent: str, norm: str, index: HomeIndex, last_intent: str | None) -> bool:
        """Whether a skill intent may win this request: its declared evidence is present (its words, or the previous
        turn went to the same skill); without declared evidence, never a device request. Device intents always."""
        if intent not in self._requires or intent == UNKNOWN:
            return True
        rx, followup = self._requires[intent]
        if rx is not None or followup:
            if rx is not None and rx.search(norm):
                return True
            return followup and last_intent is not None and self._owner(last_intent) == self._owner(intent)
        return not _device_request(norm, index)

    def _from_template(self, hit: TemplateHit, index: HomeIndex, norm: str, area_id: str | None) -> IntentMatch:
        slots = dict(hit.slots)
        confidence = 1.0 if hit.wildcards == 0 else 0.95
        owner = self._owner(hit.intent)
        if hit.intent not in DEVICE_INTENTS or hit.intent in ("HassListAddItem", "HassShoppingListAddItem"):
            targets = self._list_targets(index, slots) if hit.intent in ("HassListAddItem",
                                                                         "HassShoppingListAddItem") else ()  # fmt: skip
            return IntentMatch(hit.intent, slots, targets, Tier.TEMPLATE, confidence, skill_id=owner, text=norm)
        evidence = action_evidence(norm)
        prefer = frozenset(d for a in ACTIONS if evidence.get(a.key, 0.0) >= 0.9 for d in a.domains)
        resolved = resolve_targets(
            index, hit.intent, slots, text=norm, speaker_area=area_id, prefer_domains=prefer, live=self._home.entity
        )
        if len(resolved.targets) > 1 and not WHOLE_HOME.search(norm):
            # 'pause the music in the living room': the player there that is playing, not every player there
            active = active_players(hit.intent, resolved.targets, self._home.entity)
            resolved = replace(resolved, targets=tuple(active)) if active else resolved
        if "name" not in slots and slots.get("area") and resolved.targets and not _ALL.search(norm):
            # 'turn off the living room lamp': of the living room's lights, the one whose name the request says (its
            # name, as Home Assistant prefers a parse with a name: 'switch on Bedroom Lamp' names the lamp)
            said = [t for t in resolved.targets if _name_said(index, t, norm)]
            if len(said) == 1:
                resolved = replace(resolved, targets=(said[0],))
                slots["name"] = index.entities[said[0]].name
        _enrich(slots, resolved.targets, index)
        options = tuple(
            Candidate(hit.intent, (t,), {**slots, "name": index.entities[t].name}, 0.5, index.describe(t))
            for t in resolved.options
        )
        return IntentMatch(
            intent=hit.intent,
            slots=slots,
            targets=resolved.targets,
            tier=Tier.TEMPLATE,
            confidence=confidence if resolved.targets or hit.intent in READ_INTENTS else 0.5,
            alternatives=options,
            skill_id=owner,
            text=norm,
            clarification=resolved.clarification if not resolved.targets else None,
        )

    def _list_targets(self, index: HomeIndex, slots: dict[str, Any]) -> tuple[str, ...]:
        lists = [i for i, e in index.entities.items() if e.domain == "todo"]
        if slots.get("name"):
            named = [i for i in index.by_name(str(slots["name"])) if i in lists]
            if named:
                return (named[0],)
        shopping = [i for i in lists if "shop" in i or "grocer" in i]
        return tuple((shopping or lists)[:1])

    def _single(
        self,
        text: str,
        norm: str,
        conversation_id: str,
        index: HomeIndex,
        timings: dict[str, float],
        considered: list[dict[str, Any]],
        *,
        try_template: bool = True,
    ) -> IntentMatch:
        state = self._dialogue.get(conversation_id)
        match = self._ranked(text, norm, conversation_id, index, timings, considered, try_template=try_template)
        if match.intent != UNKNOWN or match.tier != Tier.NONE or match.clarification or match.alternatives:
            return _unless_negated(match, norm, index)
        nearest = self._nearest(norm, state, index, timings)
        return _unless_negated(nearest, norm, index) if nearest is not None else match

    def _nearest(
        self,
        norm: str,
        state: Any,
        index: HomeIndex,
        timings: dict[str, float],
        among: Collection[str] | None = None,
        min_similarity: float = 0.0,
    ) -> IntentMatch | None:
        """Nothing understood: the closest sentence the templates can say, re-filled with the request's names and
        numbers and parsed by the template tier (``nearest.py``); with ``among``, only a sentence of those intents."""
        if self._templates is None or not NEAREST_FALLBACK:
            return None
        t0 = time.perf_counter()
        try:
            tokens, fillers = delexicalise(norm, index)
            area = _area_name(index, state.area)
            found = nearest_sentences().nearest(tokens, exclude=self._held_out, adds=among is None, intents=among)
            for score, generated in found:
                if score < max(NEAREST_MIN_SIMILARITY, min_similarity):
                    break
                said = refill(generated, fillers)
                hit = self._templates.match(said, area_name=area) if said else None
                if hit is None or hit.wildcards or (among is not None and hit.intent not in among):
                    continue
                if hit.intent in WRITE_INTENTS and action_polarity(hit.intent, None, hit.slots) == -_lean(norm) != 0:
                    continue  # a generated sentence may add a verb the request lacks, never the opposite one
                match = self._accepted(hit, index, norm, state.area, state.ran_intent)
                if match is not None:
                    # a skill that reads its own slots reads them from the request, not from the generated sentence
                    slots = {} if match.intent in self._readers else match.slots
                    return replace(
                        match, slots=slots, tier=Tier.SEMANTIC, confidence=round(min(match.confidence, 0.9), 4)
                    )
            return None
        finally:
            timings["nearest"] = timings.get("nearest", 0.0) + (time.perf_counter() - t0) * 1000

    def _ranked(
        self,
        text: str,
        norm: str,
        conversation_id: str,
        index: HomeIndex,
        timings: dict[str, float],
        considered: list[dict[str, Any]],
        *,
        try_template: bool = True,
    ) -> IntentMatch:
        state = self._dialogue.get(conversation_id)
        if try_template:
            hit = self._template(text, state.area, index, norm, timings, state.ran_intent)
            if hit is not None:
                return hit
        if not self._cfg.semantic and self._reranker is None:
            return IntentMatch(UNKNOWN, tier=Tier.NONE, text=norm)
        t0 = time.perf_counter()
        context = Context(speaker_area=state.area, last_targets=state.last_targets, last_intent=state.last_intent)
        ranked = self._ranker.rank(norm, parse_params(norm), index, self._home, context)
        timings["semantic"] = timings.get("semantic", 0.0) + (time.perf_counter() - t0) * 1000
        considered.extend(
            {"description": c.description, "intent": c.intent, "targets": list(c.targets), "score": round(c.score, 4),
             "features": {k: round(v, 3) for k, v in c.features.items()}}
            for c in ranked[:6]
        )  # fmt: skip
        ran = self._dialogue.get(conversation_id).ran_intent
        ranked = [c for c in ranked if not c.skill_intent or self._evidence(c.intent, norm, index, ran)]
        ranked = _in_speakers_room(norm, ranked, index, state.area)
        kind = request_kind(norm)
        self._last_norm = norm
        ranked = self._damp_open(kind, ranked)
        routed = self._absent_kind(norm, index, state.area, kind, ranked) or self._route(
            text, norm, ranked, kind, index
        )
        if routed is not None:
            return routed
        absent = self._absent_name(norm, ranked, kind, index)
        if absent is not None:
            return absent
        if not ranked or ranked[0].score < 0.5:
            absent = absent_device(norm, index)
            if absent is not None:
                return replace(absent, skill_id=self._owner(absent.intent))
        if not ranked:
            return IntentMatch(UNKNOWN, tier=Tier.NONE, text=norm)
        best = ranked[0]
        confidence = self._p(best)
        tier = Tier.SEMANTIC
        order: list[tuple[RankedCandidate, float]] = [(c, self._p(c)) for c in ranked]
        close = [c for c in ranked[:5] if not c.skill_intent and c.score >= best.score - self._cfg.llm_margin]
        if (
            confidence < self._cfg.semantic_threshold
            and self._reranker is not None
            and not best.skill_intent
            and len(close) > 1
        ):
            t1 = time.perf_counter()
            try:  # a tie-breaker only: among close, valid device candidates
                order = self._reranker.rerank(norm, close)
                tier = Tier.LLM
                best = order[0][0]
                confidence = max(order[0][1], self._p(best))
            except Exception:  # the LLM is optional: keep the semantic decision
                _log.warning("LLM re-ranking failed", exc_info=True)
            timings["llm"] = timings.get("llm", 0.0) + (time.perf_counter() - t1) * 1000
        # a device the request named in full beats a close one it did not name, at its own confidence
        order = _named_first(best, order, self._cfg.ambiguity_margin)
        confidence = confidence if order[0][0] is best else order[0][1]
        return self._tie_break(best, ranked, norm, state, index, timings) or self._decide(
            order[0][0], order, confidence, tier, norm, index
        )

    def _tie_break(
        self,
        best: RankedCandidate,
        ranked: Sequence[RankedCandidate],
        norm: str,
        state: Any,
        index: HomeIndex,
        timings: dict[str, float],
    ) -> IntentMatch | None:
        """Skill intents whose examples the request resembles about equally ('timer for 32 minutes': start, or add
        to, a timer?) are told apart by the nearest sentence the templates can say, when it is one of them."""
        if not best.skill_intent:
            return None
        margin = self._cfg.ambiguity_margin
        close = {c.intent for c in ranked[:4] if c.skill_intent and c.score >= best.score - margin}
        owner = self._owner(best.intent)
        siblings = {i for i, o in self._owners.items() if o == owner and i != best.intent}
        # only intents whose declared evidence the request says may be chosen ('_evidence', as for the ranking)
        among = {i for i in close | siblings if self._evidence(i, norm, index, state.ran_intent)}
        learned = self._learned_intent(norm, index, best.intent, among)
        if learned is not None:
            if learned == best.intent:
                return None  # the words the skill's sentences say decide it: no nearer sentence overrules them
            chosen = next((c for c in ranked if c.skill_intent and c.intent == learned), None)
            chosen = chosen or replace(best, intent=learned, description=f"{learned} ({owner})")
            p = self._p(chosen)
            return self._decide(chosen, [(chosen, p)], p, Tier.SEMANTIC, norm, index)
        if len(close) > 1:
            near = self._nearest(norm, state, index, timings, among=close)
            if near is not None:
                return near
        # a sentence of another of the same skill's intents that says nearly all the request's words, including every
        # word that tells intents apart ('increase timer by 1/2 an hour' is an increase, however much it resembles
        # 'timer for half an hour')
        if not siblings:
            return None
        return self._nearest(norm, state, index, timings, among=siblings, min_similarity=NEAREST_OVERRULE)

    def _learned_intent(self, norm: str, index: HomeIndex, best: str, others: set[str]) -> str | None:
        """Of the best candidate's intent and ``others``, the one the generated template sentences say the request's
        words belong to, when that is clear (probability >= LEARNED_SURE, naive Bayes over the held-in lines:
        ``NearestSentences.intent_odds``); None when unclear, or when the best's intent has no sentences to learn
        from."""
        tokens, _fillers = delexicalise(norm, index)
        odds = nearest_sentences().intent_odds(tokens, {best} | others, exclude=self._held_out)
        if best not in odds or len(odds) < 2:
            return None  # the best candidate's intent has no sentences to weigh it against the others
        top = max(odds, key=lambda i: odds[i])
        return top if odds[top] >= LEARNED_SURE else None

    def _yields(self, hit: IntentMatch, norm: str) -> bool:
        """A template hit that matched only through a free-text slot ('create a {request}') yields to another skill's
        intent whose own evidence the request says and whose examples it resembles more ('create a 17 minute timer'
        is a timer, not a text to write)."""
        if hit.tier != Tier.TEMPLATE or hit.confidence >= 1.0 or hit.intent in DEVICE_INTENTS:
            return False
        return self._outdone(hit.intent, norm, {spec.name: sim for _sid, spec, sim in self._ranker.skill_scores(norm)})

    def _outdone(self, intent: str, norm: str, sims: Mapping[str, float]) -> bool:
        """Whether another skill intent, whose declared evidence the request says, resembles it more than ``intent``
        (by the ambiguity margin)."""
        own = sims.get(intent, 0.0)
        for name, sim in sorted(sims.items(), key=lambda kv: -kv[1]):
            rx = self._requires.get(name, (None, False))[0]
            if name != intent and rx is not None and rx.search(norm):
                return sim >= own + self._cfg.ambiguity_margin
        return False

    def _p(self, c: RankedCandidate) -> float:
        """The calibrated probability that a candidate is the requested action (the learned scorer's isotonic map
        for device candidates when it is in use; the logistic fit of the hand-weighted score otherwise)."""
        if not c.skill_intent and self._scorer is not None:
            return self._scorer.calibrate(c.score)
        if not c.skill_intent and self._artefact is not None:
            p = self._artefact.calibrate_rule(c.score)
            if p is not None:
                return p
        return calibrate(c.score)

    def _damp_open(self, kind: str, ranked: list[RankedCandidate]) -> list[RankedCandidate]:
        """An open intent matched only by similarity, without its cue ('write ...', 'how ...'), is less likely."""
        q, g = self._open.question, self._open.generate
        factor = 0.5 if kind == "command" and _write_evidence(self._last_norm) >= 0.9 else 0.85
        damped = {
            name
            for name, cue in (
                (q.name if q else None, ("question", "procedural")),
                (g.name if g else None, ("generate",)),
            )
            if name is not None and kind not in cue
        }
        if not damped:
            return ranked
        if kind == "command" and any(_grounded_imperative(c) for c in ranked):
            # an imperative whose verb and object ground in the home is a device request, never an open question
            return [c for c in ranked if not (c.skill_intent and c.intent in damped)]
        out = [replace(c, score=c.score * factor) if c.skill_intent and c.intent in damped else c for c in ranked]
        out.sort(key=lambda c: -c.score)
        return out

    def _absent_name(
        self, norm: str, ranked: Sequence[RankedCandidate], kind: str, index: HomeIndex
    ) -> IntentMatch | None:
        """'Turn on the dishwasher' in a home without one: say so (or ask what to act on) instead of guessing."""
        if kind != "command" or asks(norm):
            return None
        evidence = action_evidence(norm)
        write = [(v, a) for a in ACTIONS if a.intent in WRITE_INTENTS and (v := evidence.get(a.key, 0.0)) >= 0.5]
        if not write:
            return None
        strength, action = max(write, key=lambda x: x[0])
        device = next((c for c in ranked if not c.skill_intent), None)
        grounded = device is not None and device.features.get("grounding", 0.0) >= 0.5
        if device is not None and device.features.get("context", 0.0) > 0:
            return None
        skill_best = max((c.score for c in ranked if c.skill_intent), default=0.0)
        if skill_best >= 0.6 and ranked and ranked[0].skill_intent:
            return None
        if any(n and re.search(rf"\b{re.escape(n)}\b", norm) for n in (*index.area_names, *index.floor_names)):
            return None  # a known area: what is missing there is said by absent_device
        rooms = [r for r in ROOM_WORDS if re.search(rf"\b{r}\b", norm) and not room_in_home(index, r)]
        rooms = [r for r in rooms if not any(r in n for n in index.names)]
        # a word Home Assistant's own sentences say ('skip the item') is not the name of a missing device
        said = [] if grounded else [w for w in self._ranker.residual(norm) if w not in nearest_sentences().vocabulary]
        missing = rooms or said
        owner = self._owner(action.intent)
        if missing:
            phrase = rooms[0] if rooms else " ".join(missing)
            return IntentMatch(action.intent, {"absent": phrase}, (), Tier.SEMANTIC, 0.8, skill_id=owner, text=norm)
        if (device is None or device.features.get("grounding", 0.0) < 0.3) and strength >= 0.9:
            question = f"What would you like me to {action.verb}?"
            return IntentMatch(action.intent, {}, (), Tier.SEMANTIC, 0.5, skill_id=owner, text=norm,
                               clarification=question)  # fmt: skip
        return None

    def _absent_kind(
        self, norm: str, index: HomeIndex, here: str | None, kind: str, ranked: Sequence[RankedCandidate]
    ) -> IntentMatch | None:
        """'There is no media player in the Kitchen.' (``absent_kind``), with the same action on the home's others of
        that kind offered as choices."""
        if kind not in ("question", "command"):
            return None
        if any(rx is not None and rx.search(norm) for rx, _followup in self._requires.values()):
            return None  # a skill's own evidence ('pause the timer'): the skill's request, not a missing device
        missing = absent_kind(norm, index, here=here, question=asks(norm))
        if missing is None:
            return None
        offered = tuple(
            _offer(c, self._p(c)) for c in ranked if not c.skill_intent and c.intent == missing.intent and c.targets
        )[:_OFFERED]
        return replace(missing, skill_id=self._owner(missing.intent), alternatives=offered)

    def _route(
        self, text: str, norm: str, ranked: Sequence[RankedCandidate], kind: str, index: HomeIndex
    ) -> IntentMatch | None:
        """Open questions and writing requests that do not name the home go to the skills that take free text."""
        if kind == "command":
            return None
        device = next((c for c in ranked if not c.skill_intent), None)
        grounding = device.features.get("grounding", 0.0) if device else 0.0
        residual = device.features.get("residual", 0.0) if device else 0.0
        sims = {c.intent: c.score for c in ranked if c.skill_intent}
        if kind == "generate" and self._open.generate is not None:
            if self._outdone(self._open.generate.name, norm, sims):
                return None  # 'create a 17 minute timer': another skill's request, worded like a text to write
            return self._open_match(self._open.generate, text, norm, sims, ranked)
        # 'where can I find Ada' opens as Home Assistant's state questions do and names a device (a person) in full:
        # its state, not a how-to
        how_to = kind == "procedural" and not (
            grounding >= 0.99 and asks_state_of(norm, names_said(index, norm), (*index.area_names, *index.floor_names))
        )
        if how_to or grounding - 0.25 * residual < 0.5:
            target = self._open.question
            faq = sims.get(target.name, 0.0) if target else 0.0
            other = max(
                ((s, i) for i, s in sims.items() if not target or i != target.name),
                default=None,
            )
            if other is not None and other[0] >= 0.6 and other[0] >= faq + 0.1:
                sid = self._owner(other[1]) or ""
                return self._open_match(OpenIntent(other[1], sid, None), text, norm, sims, ranked)
            if target is not None:
                return self._open_match(target, text, norm, sims, ranked)
            if other is not None and other[0] >= 0.45 and grounding < 0.5:
                sid = self._owner(other[1]) or ""
                return self._open_match(OpenIntent(other[1], sid, None), text, norm, sims, ranked)
        return None

    def _open_match(
        self,
        target: OpenIntent,
        text: str,
        norm: str,
        sims: dict[str, float],
        ranked: Sequence[RankedCandidate],
    ) -> IntentMatch:
        slots = {target.slot: text.strip()} if target.slot else {}
        alternatives = tuple(_offer(c, self._p(c)) for c in ranked[:5] if c.intent != target.name)
        confidence = max(0.6, calibrate(sims.get(target.name, 0.0)))
        return IntentMatch(
            target.name, slots, (), Tier.SEMANTIC, round(confidence, 4), alternatives, target.skill_id, norm
        )

    def _decide(
        self,
        best: RankedCandidate,
        order: list[tuple[RankedCandidate, float]],
        confidence: float,
        tier: Tier,
        norm: str,
        index: HomeIndex,
    ) -> IntentMatch:
        alternatives = tuple(_offer(c, p) for c, p in order[:5])
        owner = self._owner(best.intent)
        slots = dict(best.slots)
        _enrich(slots, best.targets, index)
        if best.intent in WRITE_INTENTS and asks(norm) and not is_follow_up(norm):
            best = replace(best, intent="HassGetState")  # safety net: a question never writes
        floor = (
            self._cfg.llm_threshold if tier == Tier.LLM else min(self._cfg.llm_threshold, self._cfg.semantic_threshold)
        )
        if confidence < floor:
            if best.skill_intent or (best.score if self._scorer is None else confidence) < _SUGGEST_FLOOR:
                # not understood: only guesses that are plausible at all are offered as 'did you mean'
                plausible = tuple(c for c in alternatives if c.score >= _SUGGEST_FLOOR)
                return IntentMatch(UNKNOWN, tier=Tier.NONE, confidence=confidence, alternatives=plausible, text=norm)
            return IntentMatch(
                UNKNOWN,
                tier=tier,
                confidence=confidence,
                alternatives=alternatives,
                text=norm,
                clarification=f"Sorry, I'm not sure what you mean. Did you mean: {best.description[:-1].lower()}?",
            )
        if (
            tier != Tier.LLM and best.features.get("area", 0.5) < 1.0 and best.features.get("context", 0.0) < 1.0
            and best.features.get("name", 0.0) < 0.99
        ):  # fmt: skip
            # the speaker's (or the named) room wins a tie: one close candidate there beats the others elsewhere;
            # never over a device the request named
            local = [
                c for c, _p in order[:6]
                if c.intent == best.intent and c.features.get("area", 0.5) >= 1.0
                and c.score >= best.score - self._cfg.ambiguity_margin
            ]  # fmt: skip
            if len(local) == 1:
                best = local[0]
                owner = self._owner(best.intent)
                slots = dict(best.slots)
                _enrich(slots, best.targets, index)
                order = [(best, self._p(best)), *((c, p) for c, p in order if c is not best)]
        act = float(getattr(self._cfg, "act_threshold", 0.0))
        if tier != Tier.TEMPLATE and best.intent in WRITE_INTENTS and not best.skill_intent and confidence < act:
            # not sure enough to act: ask, offering the top two or three distinct actions (never a guess)
            seen: set[tuple[str, tuple[str, ...]]] = set()
            choices: list[Candidate] = []
            for c, p in order:
                if c.skill_intent or c.intent not in WRITE_INTENTS or (c.intent, c.targets) in seen:
                    continue
                seen.add((c.intent, c.targets))
                choices.append(_offer(c, p))
            return _ask(norm, choices, tier, confidence)
        rivals = [
            c
            for c, _p in order[1:4]
            if c.intent == best.intent
            and c.targets != best.targets
            and not set(c.targets) & set(best.targets)
            and c.score >= best.score - self._cfg.ambiguity_margin
            and c.features.get("area", 0.5) >= best.features.get("area", 0.5)  # the speaker's room wins a tie
            and not (_named_in_full(best) and c.features.get("name", 0.0) < 0.99)  # so does a name said in full
            and tier != Tier.LLM
        ]
        named_area = any(n and re.search(rf"\b{re.escape(n)}\b", norm) for n in index.area_names)
        if best.intent in ("HassTurnOn", "HassTurnOff") and named_area and _EVERYTHING.search(norm):
            merged = _everything_in_area(best, order)
            if merged is not None:
                targets, area = merged
                return IntentMatch(best.intent, {"area": area} if area else {}, targets, tier, round(confidence, 4),
                                   alternatives, owner, norm)  # fmt: skip
        if rivals and best.intent in WRITE_INTENTS:
            options = (best, *rivals)
            names = [o.description[:-1] for o in options]
            question = "Which do you mean: " + ", ".join(n[0].lower() + n[1:] for n in names[:-1])
            question += f" or {names[-1][0].lower() + names[-1][1:]}?"
            cands = tuple(Candidate(o.intent, o.targets, dict(o.slots), o.score, o.description) for o in options)
            return IntentMatch(best.intent, slots, (), tier, confidence, cands, owner, norm, question)
        return IntentMatch(best.intent, slots, best.targets, tier, round(confidence, 4), alternatives, owner, norm)


_SUGGEST_FLOOR = 0.3
"""A choice below this calibrated probability is never offered as a suggestion ('did you mean ...')."""


def _area_name(index: HomeIndex, area_id: str | None) -> str | None:
    """The name of the speaker's area (what the templates' 'in here' context matches), None when unknown."""
    return index.areas[area_id].name if area_id and area_id in index.areas else None


def _compile_requires(requires: Sequence[str]) -> tuple[re.Pattern[str] | None, bool]:
    """A skill intent's declared evidence: (one regex of its words, whether '@followup' is accepted)."""
    words_ = [r for r in requires if not r.startswith("@")]
    rx = re.compile(r"\b(?:" + "|".join(f"(?:{w})" for w in words_) + r")\b") if words_ else None
    return rx, "@followup" in requires


def _device_request(norm: str, index: HomeIndex) -> bool:
    """A command with a device verb that names something of this home ('turn on the kitchen light', 'open the
    blinds'): never a skill's request unless the skill's own evidence is there too."""
    if request_kind(norm) != "command" or _write_evidence(norm) < 0.9:
        return False
    if device_mentions(norm):
        return True
    return any(len(n) >= 3 and re.search(rf"\b{re.escape(n)}\b", norm) for n in index.names)


def _ask(norm: str, options: Sequence[Candidate], tier: Tier, confidence: float) -> IntentMatch:
    """Not sure: a question with the top two or three choices (the pipeline turns it into a question), or, without
    choices, a plain 'not sure'."""
    options = tuple(options[:3])
    if not options:
        question = "Sorry, I'm not sure what you want me to do. Could you say it another way?"
        return IntentMatch(UNKNOWN, tier=Tier.NONE, confidence=round(confidence, 4), text=norm, clarification=question)
    names = [o.description.rstrip(".") for o in options]
    names = [n[:1].lower() + n[1:] for n in names]
    question = "Did you mean: " + (", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]) + "?"
    return IntentMatch(UNKNOWN, tier=tier, confidence=round(confidence, 4), alternatives=options, text=norm,
                       clarification=question)  # fmt: skip


def _named_first(
    best: RankedCandidate, order: list[tuple[RankedCandidate, float]], margin: float
) -> list[tuple[RankedCandidate, float]]:
    """The order with a candidate first whose device the request named in full (a name of two words or more), when
    the best is not named ('open Curtain Left in the bedroom' ranked the Bedroom Curtain, which is in the bedroom,
    above the Curtain Left it names, which is not: the name said is the stronger evidence)."""
    if best.features.get("name", 0.0) >= 0.99:
        return order
    for c, p in order[:6]:
        if (
            c is not best and c.intent == best.intent and c.targets != best.targets and _named_in_full(c)
            and c.score >= best.score - margin
        ):  # fmt: skip
            return [(c, p), *((x, q) for x, q in order if x is not c)]
    return order


def _named_in_full(c: RankedCandidate) -> bool:
    """A device candidate whose name (of two words or more) the request says whole."""
    return not c.skill_intent and c.features.get("name", 0.0) >= 0.99 and len(str(c.slots.get("name", "")).split()) > 1


def _enrich(slots: dict[str, Any], targets: Sequence[str], index: HomeIndex) -> None:
    """A named single target also tells its domain and device class (as Home Assistant's slots do)."""
    if not slots.get("name") or len(targets) != 1 or targets[0] not in index.entities:
        return
    e = index.entities[targets[0]]
    slots.setdefault("domain", e.domain)
    device_class = e.device_class or e.attributes.get("device_class")
    if device_class:
        slots.setdefault("device_class", device_class)


_EVERYTHING = re.compile(r"\b(everything|all (the )?(devices|things|stuff))\b")
"""'Turn everything off in the office': every device of the named area, never the whole home."""
_APPLIANCE_DOMAINS = frozenset({"light", "switch", "fan", "media_player", "humidifier"})
"""What 'everything' covers: appliances, not settings, scenes, scripts, heating or security."""


def _everything_in_area(
    best: RankedCandidate, order: Sequence[tuple[RankedCandidate, float]]
) -> tuple[tuple[str, ...], str | None] | None:
    """Every appliance target of the same intent in the named area, when the area is explicit."""
    if best.features.get("area", 0.0) < 1.0:
        return None
    picked = [
        c for c, _p in order
        if c.intent == best.intent and c.features.get("area", 0.0) >= 1.0
        and all(t.split(".", 1)[0] in _APPLIANCE_DOMAINS for t in c.targets)
    ]  # fmt: skip
    targets = tuple(sorted({t for c in picked for t in c.targets}))
    if len(targets) < 2:
        return None
    area = next((str(c.slots["area"]) for c in picked if c.slots.get("area")), None)
    return targets, area


def _grounded_imperative(c: RankedCandidate) -> bool:
    """A device write whose verb is clearly said and whose target is named or clearly implied by the request."""
    return (
        not c.skill_intent
        and c.intent in WRITE_INTENTS
        and c.features.get("action", 0.0) >= 0.7
        and c.features.get("grounding", 0.0) >= 0.5
    )


def _write_evidence(norm: str) -> float:
    """How strongly the text asks for a device write ('turn on', 'switch off', 'open')."""
    evidence = action_evidence(norm)
    return max((evidence.get(a.key, 0.0) for a in ACTIONS if a.intent in WRITE_INTENTS), default=0.0)


def _name_said(index: HomeIndex, entity_id: str, norm: str) -> bool:
    """Whether the request says this entity's whole name or one of its aliases, other than a place's name ('the
    lights in the kitchen' does not name a light called 'Kitchen')."""
    places = {*index.area_names, *index.floor_names}
    return any(entity_id in index.names.get(n, ()) for n in names_said(index, norm) if n not in places)


def _offer(c: RankedCandidate, p: float) -> Candidate:
    """A ranked candidate as a choice offered with its calibrated probability."""
    return Candidate(c.intent, c.targets, dict(c.slots), round(p, 4), c.description)


def _in_speakers_room(
    norm: str, ranked: Sequence[RankedCandidate], index: HomeIndex, here: str | None
) -> list[RankedCandidate]:
    """A command on a kind Home Assistant aims at the satellite's room (``area_context_domains``: lights, fans,
    covers) that names no place and no device acts only in the speaker's room when that room has the kind: 'dim'
    from the bedroom never dims the living room's lamp (the bedroom's is off, so none is left to dim)."""
    places = {*index.area_names, *index.floor_names}
    if here not in index.areas or asks(norm) or WHOLE_HOME.search(norm) or names_said(index, norm) - places:
        return list(ranked)
    if longest_said(index.area_names, norm) is not None or longest_said(index.floor_names, norm) is not None:
        return list(ranked)
    aimed = area_context_domains()
    out: list[RankedCandidate] = []
    for c in ranked:
        kinds = {index.entities[t].domain for t in c.targets if t in index.entities} & aimed
        elsewhere = c.intent in WRITE_INTENTS and kinds and all(index.entities[t].area_id != here for t in c.targets)
        if elsewhere and any(e.area_id == here and e.domain in kinds for e in index.entities.values()):
            continue
        out.append(c)
    return out


_NEGATED = re.compile(r"^(?:please )?(?:don't|dont|do not|never)\b")
"""A command said not to be done ('don't turn on the kitchen light')."""


def _unless_negated(match: IntentMatch, norm: str, index: HomeIndex) -> IntentMatch:
    """A device request said not to be done ('don't turn on the kitchen light', 'do not open the garage door') is
    neither done nor read as a question: acknowledged, with nothing acted on. A name that starts so ('Do Not
    Disturb') is a name."""
    if match.intent not in DEVICE_INTENTS or not _NEGATED.search(norm):
        return match
    if any(_NEGATED.match(n) for n in names_said(index, norm)):
        return match
    return IntentMatch(UNKNOWN, tier=match.tier, confidence=match.confidence, text=norm,
                       clarification="OK, I won't do that.")  # fmt: skip


_ALL = re.compile(r"\b(all|every|each|both|everything)\b")
_REFERENCE = re.compile(r"\b(it|them|that|those|this|these|they|everything|all)\b")


def _says_target(part: str, index: HomeIndex) -> bool:
    """Whether one part of a split request says what to act on: a kind of device, a name, a place or a reference."""
    if domain_mentions(part) or _REFERENCE.search(part) or names_said(index, part):
        return True
    return longest_said(index.area_names, part) is not None or longest_said(index.floor_names, part) is not None


def _lean(norm: str) -> int:
    """The direction the request's words lean to, however weakly ('each fan on outside' leans on): +1, -1 or 0."""
    evidence = action_evidence(norm)
    ways = [(v, action_polarity(a.intent, None, {})) for a in ACTIONS if (v := evidence.get(a.key, 0.0)) > 0]
    up = max((v for v, d in ways if d > 0), default=0.0)
    down = max((v for v, d in ways if d < 0), default=0.0)
    return 1 if up > down else -1 if down > up else 0
