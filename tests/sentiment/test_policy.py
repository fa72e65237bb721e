"""The response policy: repair on frustration, acknowledgement of thanks, safety first."""

from __future__ import annotations

from assistant.config import SentimentConfig
from assistant.sentiment.policy import RecentTurn, ResponsePolicy
from contracts.messages import Action, Candidate, ErrorCode, IntentMatch, Sentiment, SentimentLabel, SkillResult, Tier

NEUTRAL = Sentiment(SentimentLabel.NEUTRAL, 0.0, 0.9)
ANGRY = Sentiment(SentimentLabel.NEGATIVE, -0.7, 0.8)
HAPPY = Sentiment(SentimentLabel.POSITIVE, 0.7, 0.8)

LIGHT_ON = IntentMatch(
    "HassTurnOn",
    targets=("light.kitchen",),
    tier=Tier.SEMANTIC,
    confidence=0.5,
    alternatives=(
        Candidate("HassTurnOn", ("light.kitchen",), description="Turn on Kitchen Light"),
        Candidate("HassTurnOn", ("light.kitchen_counter",), description="Turn on Kitchen Counter Light"),
        Candidate("HassTurnOn", ("light.pantry",), description="Turn on Pantry Light"),
        Candidate("HassTurnOn", ("light.hall",), description="Turn on Hall Light"),
    ),
)
DONE = SkillResult("Turned on the kitchen light.")
FAILED = SkillResult("I could not reach the kitchen light.", success=False, error_code=ErrorCode.DEVICE_UNAVAILABLE)
NO_MATCH = SkillResult("Sorry, I didn't understand.", success=False, error_code=ErrorCode.NLU_NO_MATCH)
UNKNOWN = IntentMatch("Unknown")


def _policy(**overrides: object) -> ResponsePolicy:
    return ResponsePolicy(SentimentConfig(**overrides))  # type: ignore[arg-type]


def test_calm_success_is_unchanged() -> None:
    out = _policy().apply(
        text="turn on the kitchen light", sentiment=NEUTRAL, matches=[LIGHT_ON], result=DONE, recent=()
    )
    assert out.reply == DONE.text and out.rule is None and not out.frustrated and not out.offer_ui


def test_negative_sentiment_on_success_gets_a_short_apology() -> None:
    out = _policy().apply(text="finally, ugh", sentiment=ANGRY, matches=[LIGHT_ON], result=DONE, recent=())
    assert out.frustrated and out.rule == "frustration-repair"
    assert out.reply == "Sorry about that. Turned on the kitchen light."
    assert not out.offer_ui


def test_correction_after_failure_clarifies_with_alternatives_and_offers_ui() -> None:
    recent = [RecentTurn("turn on the kitchen light", "HassTurnOn", False, ErrorCode.DEVICE_UNAVAILABLE, 0.0)]
    out = _policy().apply(
        text="that's not what I asked", sentiment=NEUTRAL, matches=[LIGHT_ON], result=FAILED, recent=recent
    )
    assert out.frustrated and out.offer_ui and out.rule == "frustration-clarify"
    assert FAILED.text in out.reply  # the error is never dropped
    assert "Did you mean turn on Kitchen Light, turn on Kitchen Counter Light or turn on Pantry Light?" in out.reply
    assert "Hall" not in out.reply  # max_alternatives = 3
    assert "device controls" in out.reply
    assert "correction phrase" in out.reasons


def test_repeating_a_request_that_failed_counts_as_frustration() -> None:
    recent = [RecentTurn("turn on the kitchen light", "HassTurnOn", False, ErrorCode.DEVICE_UNAVAILABLE, 0.0,
                         ("light.kitchen",))]  # fmt: skip
    out = _policy().apply(
        text="Turn on the kitchen light!", sentiment=NEUTRAL, matches=[LIGHT_ON], result=FAILED, recent=recent
    )
    assert out.frustrated and "repeated request" in out.reasons and out.offer_ui


DONE_ACTION = SkillResult(
    "Turned on the kitchen light.", actions=(Action("light.kitchen", "light.turn_on", success=True),)
)
LIGHT_OFF = IntentMatch("HassTurnOff", targets=("light.kitchen",), tier=Tier.TEMPLATE, confidence=1.0)


def test_a_plain_device_command_that_worked_is_never_repaired() -> None:
    recent = [
        RecentTurn("turn on the kitchen light", "HassTurnOn", True, None, 0.0, ("light.kitchen",)),
        RecentTurn("turn off the kitchen light", "HassTurnOff", True, None, 0.0, ("light.kitchen",)),
    ]
    for match, text in ((LIGHT_ON, "turn on the kitchen light"), (LIGHT_OFF, "turn off the kitchen light")):
        out = _policy().apply(text=text, sentiment=NEUTRAL, matches=[match], result=DONE_ACTION, recent=recent)
        assert not out.frustrated and out.rule is None and out.reply == DONE_ACTION.text


def test_similar_words_are_not_a_repeat_the_same_action_and_target_is() -> None:
    recent = [RecentTurn("turn on the kitchen light", "HassTurnOn", False, ErrorCode.DEVICE_UNAVAILABLE, 0.0,
                         ("light.kitchen",))]  # fmt: skip
    other = IntentMatch("HassTurnOn", targets=("light.hall",), tier=Tier.TEMPLATE, confidence=1.0)
    out = _policy().apply(text="turn on the hall light", sentiment=NEUTRAL, matches=[other], result=FAILED,
                          recent=recent)  # fmt: skip
    assert "repeated request" not in out.reasons


def test_answers_to_a_question_are_never_repaired() -> None:
    failures = [RecentTurn("x", "Unknown", False, ErrorCode.NLU_NO_MATCH, -0.5)] * 3
    for intent, text in (("Confirm", "yes"), ("Deny", "absolutely not"), ("HassNevermind", "ugh forget it")):
        out = _policy().apply(
            text=text, sentiment=ANGRY, matches=[IntentMatch(intent)], result=SkillResult("OK."), recent=failures
        )
        assert not out.frustrated and out.rule is None and out.reply == "OK."


def test_repeat_outside_window_is_not_frustration() -> None:
    recent = [RecentTurn("turn on the kitchen light", "HassTurnOn", True)] + [
        RecentTurn(f"what time is it {i}", "GetTime", True) for i in range(3)
    ]
    out = _policy().apply(
        text="turn on the kitchen light", sentiment=NEUTRAL, matches=[LIGHT_ON], result=DONE, recent=recent
    )
    assert not out.frustrated


def test_repeated_failures_trigger_repair() -> None:
    recent = [RecentTurn("blorp the flux", "Unknown", False, ErrorCode.NLU_NO_MATCH)]
    out = _policy().apply(text="zap the thing", sentiment=NEUTRAL, matches=[UNKNOWN], result=NO_MATCH, recent=recent)
    assert out.frustrated and "2 failed turns" in out.reasons
    assert out.reply.startswith(NO_MATCH.text) and out.reply.count("Sorry") == 1  # its own apology, not two
    assert out.offer_ui and "device controls" in out.reply


def test_single_failure_is_not_frustration() -> None:
    out = _policy().apply(text="zap the thing", sentiment=NEUTRAL, matches=[UNKNOWN], result=NO_MATCH, recent=())
    assert not out.frustrated and out.reply == NO_MATCH.text


def test_confirmation_question_is_never_turned_into_an_action() -> None:
    confirm = SkillResult("Unlock the front door? Say yes to confirm.", needs_confirmation=True)
    out = _policy().apply(text="ugh, just unlock it", sentiment=ANGRY, matches=[LIGHT_ON], result=confirm, recent=())
    assert out.frustrated
    assert out.reply.endswith(confirm.text)
    assert "Did you mean" not in out.reply and not out.offer_ui


def test_bare_thanks_gets_brief_acknowledgement() -> None:
    out = _policy().apply(text="perfect, thanks!", sentiment=HAPPY, matches=[UNKNOWN], result=NO_MATCH, recent=())
    assert out.reply == "You're welcome!" and out.rule == "acknowledge-thanks"


def test_thanks_with_command_keeps_the_reply() -> None:
    out = _policy().apply(
        text="thanks, and turn on the kitchen light", sentiment=HAPPY, matches=[LIGHT_ON], result=DONE, recent=()
    )
    assert out.reply == "You're welcome! Turned on the kitchen light." and out.rule == "acknowledge-thanks"


def test_thanks_never_hides_a_failure() -> None:
    out = _policy().apply(
        text="thanks, turn on the light", sentiment=HAPPY, matches=[LIGHT_ON], result=FAILED, recent=()
    )
    assert out.reply == FAILED.text and out.rule is None


def test_rules_can_be_switched_off() -> None:
    off = _policy(repair=False, acknowledge_thanks=False)
    angry = off.apply(text="you're useless", sentiment=ANGRY, matches=[LIGHT_ON], result=FAILED, recent=())
    assert angry.frustrated and angry.reply == FAILED.text and angry.rule is None
    thanks = off.apply(text="thanks!", sentiment=HAPPY, matches=[UNKNOWN], result=NO_MATCH, recent=())
    assert thanks.reply == NO_MATCH.text


def test_custom_wording_from_config() -> None:
    policy = _policy(apology="Oops.", thanks_reply="Any time.")
    assert policy.apply(text="thank you", sentiment=HAPPY, matches=[], result=None, recent=()).reply == "Any time."
    out = policy.apply(text="no, I said the kitchen", sentiment=NEUTRAL, matches=[LIGHT_ON], result=DONE, recent=())
    assert out.reply.startswith("Oops.")


def test_negative_words_about_the_home_on_a_confirmed_action_get_no_apology() -> None:
    from contracts.messages import Action

    done = SkillResult(
        "Turned off the Office Light.",
        actions=(Action(entity_id="light.office", service="light.turn_off", success=True),),
    )
    out = _policy().apply(text="kill the lights", sentiment=ANGRY, matches=[LIGHT_ON], result=done, recent=())
    assert out.reply == done.text and out.rule is None and not out.frustrated
    # a correction phrase is frustration even when the action succeeded
    fixed = _policy().apply(
        text="no, I said kill the lights", sentiment=ANGRY, matches=[LIGHT_ON], result=done, recent=()
    )
    assert fixed.frustrated and fixed.reply.startswith("Sorry")
