"""Small talk and the fallback: greetings, thanks, goodbyes, 'what can you do?', and a helpful 'I didn't get that'."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, ClassVar

from contracts.messages import ErrorCode, IntentMatch, SkillResult
from contracts.skills import Skill, SkillContext, intent

__all__ = ["SmallTalkSkill"]


def _pick(options: Sequence[str], seed: str) -> str:
    return options[random.Random(seed).randrange(len(options))]


class SmallTalkSkill(Skill):
    """Greets, thanks, explains what the assistant can do, and handles what nobody understood."""

    id: ClassVar[str] = "smalltalk"
    description: ClassVar[str] = "Small talk: greetings, thanks, and help on what you can ask."
    default_settings: ClassVar[dict[str, Any]] = {
        "name": "your home assistant",
        "suggestions": [
            "turn on the kitchen light",
            "set the living room to 21 degrees",
            "what is the wifi password?",
            "write a short poem about autumn",
        ],
    }
    timeout_s: ClassVar[float] = 5.0

    @intent(
        "Greeting",
        templates=(
            "(hello|hi|hey|hiya|howdy|greetings|yo) [there] [assistant]",
            "good (morning|afternoon|evening|day) [assistant]",
        ),
        examples=("hello", "hi there", "good morning", "hey assistant"),
    )
    def greet(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Say hello."""
        options = ("Hello! How can I help?", "Hi there! What can I do for you?", "Hello! Ask me anything about home.")
        return SkillResult(text=_pick(options, ctx.text))

    @intent(
        "HowAreYou",
        templates=("how are you [doing] [today]", "how's it going", "how (is|are) (things|you)"),
        examples=("how are you", "how are you doing today"),
    )
    def how_are_you(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Answer 'how are you'."""
        return SkillResult(text="I'm doing well, thanks for asking! What can I do for you?")

    @intent(
        "Thanks",
        templates=("(thanks|thank you|cheers|ta) [a lot|so much|very much] [assistant]", "(great|perfect|nice) thanks"),
        examples=("thank you", "thanks a lot", "cheers"),
    )
    def thanks(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Acknowledge thanks."""
        return SkillResult(text=_pick(("You're welcome!", "Happy to help!", "Any time!"), ctx.text))

    @intent(
        "Goodbye",
        templates=("(bye|goodbye|good night|see you [later]|talk to you later)",),
        examples=("goodbye", "good night", "see you later"),
    )
    def goodbye(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Say goodbye."""
        return SkillResult(text="Goodbye! I'm here if you need me.")

    @intent(
        "Help",
        templates=(
            "what can you do",
            "what (can|do) you [know how to] do",
            "(help|help me)",
            "what (skills|abilities|features) do you have",
            "what can I (say|ask [you])",
            "how do you work",
        ),
        examples=("what can you do?", "help", "what can I ask you", "which skills do you have"),
    )
    def help(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """List the installed skills with their descriptions."""
        skills = {sid: desc for sid, desc in ctx.skills.items() if sid != self.id}
        lines = [f"- {desc}" for _, desc in sorted(skills.items())]
        name = str(ctx.settings.get("name", "your home assistant"))
        head = f"I'm {name}. Here is what I can do:" if lines else f"I'm {name}."
        text = "\n".join([head, *lines]) if lines else f"{head} No skills are installed right now."
        return SkillResult(text=text, data={"skills": sorted(ctx.skills)})

    @intent("Unknown")
    def fallback(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """What nobody understood: say so, offer the closest guess and example requests."""
        heard = (ctx.text or match.text).strip()
        guess = next((c.description for c in match.alternatives if c.description), None)
        parts = [f"Sorry, I didn't understand \u201c{heard}\u201d." if heard else "Sorry, I didn't catch that."]
        if match.clarification:
            parts.append(match.clarification)
        elif guess:
            parts.append(f"Did you mean: {guess}?")
        suggestions = [str(s) for s in ctx.settings.get("suggestions", [])][:4]
        if suggestions:
            parts.append("You can say things like: " + "; ".join(f"\u201c{s}\u201d" for s in suggestions) + ".")
        parts.append("Say \u201cwhat can you do?\u201d for more.")
        return SkillResult(
            text=" ".join(parts),
            success=False,
            error_code=ErrorCode.NLU_NO_MATCH.value,
            data={"suggestions": suggestions},
        )
