"""The response policy: frustration triggers repair, thanks get a brief acknowledgement; safety always wins.

Repair never fires on answers to a question (yes, no, cancel) nor on a plain device command that worked: those turns
carry no frustration whatever their words score. A repeated request is the same action on the same targets as a recent
turn (not similar words: "turn on the light" and "turn off the light" are two requests), and counts only when one of
the two failed. The outcome names the rule and the reasons, so the trace shows why a reply was shaped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.config import SentimentConfig
from assistant.sentiment.lexicon import conversational_signals
from contracts.messages import ErrorCode, IntentMatch, Sentiment, SkillResult

__all__ = ["PolicyOutcome", "RecentTurn", "ResponsePolicy"]

_NON_ACTIONS = {"Unknown", "", None}
_ANSWERS = {"Confirm", "Deny", "HassNevermind"}
"""Answers to a question: never a sign of frustration, whatever the words score ("absolutely not")."""
_WORD = re.compile(r"[a-z0-9']+")


@dataclass(frozen=True, slots=True)
class RecentTurn:
    """A previous turn of the conversation, as the policy needs it."""

    text: str
    """What the user said."""
    intent: str | None
    """The intent it was understood as."""
    success: bool
    """Whether the turn did what was asked."""
    error_code: str | None = None
    """Stable error code when it failed."""
    sentiment_score: float | None = None
    """Polarity of that user turn."""
    targets: tuple[str, ...] = ()
    """Entities the request was about."""


@dataclass(frozen=True, slots=True)
class PolicyOutcome:
    """The reply after the policy, and why."""

    reply: str
    """The reply to give."""
    rule: str | None
    """Rule that changed the reply (for the trace), or None."""
    frustrated: bool
    """True when the user seems frustrated."""
    offer_ui: bool
    """True when the UI should surface the device controls."""
    reasons: tuple[str, ...] = ()
    """Why frustration was detected (for the trace)."""


def _normalise(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def _failed(result: SkillResult | None, matches: Sequence[IntentMatch]) -> bool:
    if result is not None and not result.success:
        return True
    return bool(matches) and all(m.intent in _NON_ACTIONS for m in matches)


class ResponsePolicy:
    """Applies the configured tone rules to one turn's reply."""

    def __init__(self, cfg: SentimentConfig) -> None:
        self._cfg = cfg

    def frustration_reasons(
        self,
        *,
        text: str,
        sentiment: Sentiment | None,
        failed: bool,
        recent: Sequence[RecentTurn],
        action: tuple[str, tuple[str, ...]] | None = None,
    ) -> tuple[str, ...]:
        """Why this turn looks frustrated (empty when it does not). ``action``: this turn's (intent, targets)."""
        cfg = self._cfg
        window = list(recent)[-cfg.repeat_window :] if cfg.repeat_window > 0 else []
        reasons: list[str] = []
        if sentiment is not None and sentiment.score <= cfg.frustration_threshold:
            reasons.append(f"negative sentiment {sentiment.score:+.2f}")
        hits = conversational_signals(text).hits
        if any(p.kind == "correction" for p in hits):
            reasons.append("correction phrase")
        failures = sum(1 for turn in window if not turn.success) + (1 if failed else 0)
        if failures >= cfg.failed_turns and (failed or (window and not window[-1].success)):
            reasons.append(f"{failures} failed turns")
        if action is not None and action[1]:
            intent, targets = action[0], frozenset(action[1])
            for turn in window:
                same = turn.intent == intent and frozenset(turn.targets) == targets
                if same and (failed or not turn.success):
                    reasons.append("repeated request")
                    break
        return tuple(reasons)

    def apply(
        self,
        *,
        text: str,
        sentiment: Sentiment | None,
        matches: Sequence[IntentMatch],
        result: SkillResult | None,
        recent: Sequence[RecentTurn] = (),
    ) -> PolicyOutcome:
        """Return the reply to give; never turns a confirmation question into an action, never drops an error."""
        cfg = self._cfg
        reply = result.text if result is not None else ""
        if matches and all(m.intent in _ANSWERS for m in matches):
            return PolicyOutcome(reply, None, False, False, ("answer to a question",))
        failed = _failed(result, matches)
        action = _action_of(matches)
        reasons = self.frustration_reasons(text=text, sentiment=sentiment, failed=failed, recent=recent, action=action)
        if _plain_command(reasons, result):
            # "kill the lights", "it's freezing in here", the same light on again: words that describe the home,
            # not the assistant, on a device command that just worked -- no apology for a success
            reasons = ()
        frustrated = bool(reasons)
        if frustrated and cfg.repair:
            return self._repair(reply, matches, result, failed, reasons)
        hits = conversational_signals(text).hits
        thanked = any(p.kind in {"thanks", "praise"} for p in hits)
        positive = sentiment is None or sentiment.score > 0
        no_action = not matches or all(m.intent in _NON_ACTIONS for m in matches)
        if thanked and positive and cfg.acknowledge_thanks and not frustrated:
            if no_action and (result is None or result.error_code in {None, ErrorCode.NLU_NO_MATCH}):
                # a bare "thanks!": nothing was asked, so nothing (no error of a real request) is dropped
                return PolicyOutcome(cfg.thanks_reply, "acknowledge-thanks", False, False, ())
            if result is not None and result.success and not result.needs_confirmation and reply:
                return PolicyOutcome(f"{cfg.thanks_reply} {reply}", "acknowledge-thanks", False, False, ())
        return PolicyOutcome(reply, None, frustrated, False, reasons)

    def _repair(
        self,
        reply: str,
        matches: Sequence[IntentMatch],
        result: SkillResult | None,
        failed: bool,
        reasons: tuple[str, ...],
    ) -> PolicyOutcome:
        cfg = self._cfg
        parts = [] if reply.lstrip().lower().startswith("sorry") else [cfg.apology]  # never two apologies
        if reply:
            parts.append(reply)
        options = self._options(matches)
        confirming = result is not None and result.needs_confirmation
        offered = "did you mean" in reply.lower()  # the reply already offers its own suggestions
        clarifying = bool(failed and options and not confirming and not offered)
        if clarifying:
            parts.append(cfg.clarify_template.format(options=options))
        offer_ui = failed or "repeated request" in reasons
        if offer_ui and not confirming:
            parts.append(cfg.ui_hint)
        rule = "frustration-clarify" if clarifying else "frustration-repair"
        return PolicyOutcome(" ".join(p.strip() for p in parts if p.strip()), rule, True, offer_ui, reasons)

    def _options(self, matches: Sequence[IntentMatch]) -> str:
        seen: list[str] = []
        for match in matches:
            for candidate in match.alternatives:
                label = candidate.description.strip().rstrip(".")
                if label and label.lower() not in {s.lower() for s in seen}:
                    seen.append(label[0].lower() + label[1:] if len(label) > 1 else label)
                if len(seen) >= self._cfg.max_alternatives:
                    break
        if not seen:
            return ""
        if len(seen) == 1:
            return seen[0]
        return ", ".join(seen[:-1]) + " or " + seen[-1]


def _action_of(matches: Sequence[IntentMatch]) -> tuple[str, tuple[str, ...]] | None:
    acting = [m for m in matches if m.intent not in _NON_ACTIONS and m.targets]
    if not acting:
        return None
    return acting[0].intent, tuple(t for m in acting for t in m.targets)


def _plain_command(reasons: Sequence[str], result: SkillResult | None) -> bool:
    """True for a device command whose actions all succeeded and whose only signals are its wording or a repeat
    (a correction phrase — "no, I said the kitchen" — still counts)."""
    return (
        bool(reasons)
        and all(r.startswith("negative sentiment") or r == "repeated request" for r in reasons)
        and result is not None
        and result.success
        and bool(result.actions)
        and all(a.success for a in result.actions)
    )
