"""Leave-one-template-out: a held-out template line is really absent from the matcher; the draw is deterministic."""

from __future__ import annotations

from assistant.config import NluConfig
from assistant.nlu import create_understanding
from assistant.nlu.catalog import build_index
from assistant.nlu.loto import evaluate_loto, loto_samples, loto_units, slots_agree
from assistant.nlu.templates import TemplateMatcher, ha_intents_data, select_templates, template_units
from tests.nlu.fakes import small_home

LOCK = "HassTurnOn/23/0"
"""'lock [<the>] {name}' (requires a lock): no other line of Home Assistant's says 'lock the Front Door'."""


def _line(unit: str) -> str:
    intent, k, j = unit.split("/")
    return str(ha_intents_data()["intents"][intent]["data"][int(k)]["sentences"][int(j)])


def _lines(data: dict[str, object]) -> list[str]:
    return [
        s
        for entry in data["intents"].values()  # type: ignore[attr-defined]
        for block in entry["data"]
        for s in block["sentences"]
    ]


def test_units_name_every_line_once() -> None:
    data = ha_intents_data()
    units = template_units(data)
    assert len(units) == len(set(units)) == len(_lines(data))
    assert _line(LOCK) == "lock [<the>] {name}"


def test_select_removes_exactly_the_held_out_line() -> None:
    full = ha_intents_data()
    held = select_templates(ha_intents_data(), without=[LOCK])
    assert len(_lines(held)) == len(_lines(full)) - 1
    lock_blocks = [
        b for b in held["intents"]["HassTurnOn"]["data"] if b.get("requires_context") == {"domain": ["lock"]}
    ]
    assert all("lock [<the>] {name}" not in b["sentences"] for b in lock_blocks)
    only = select_templates(ha_intents_data(), only=LOCK)
    assert _lines(only) == ["lock [<the>] {name}"]


def test_held_out_line_no_longer_matches() -> None:
    index = build_index(small_home())
    full = TemplateMatcher()
    full.update_lists(index)
    held = TemplateMatcher(without=[LOCK])
    held.update_lists(index)
    hit = full.match("lock the Front Door")
    assert hit is not None and hit.intent == "HassTurnOn" and hit.slots["name"] == "Front Door"
    assert held.match("lock the Front Door") is None
    assert held.match("turn on the Kitchen Light") is not None  # the other lines stay


def test_engine_holds_out_and_restores() -> None:
    home = small_home()
    engine = create_understanding(NluConfig(llm=False), home=home, intents=[], embedder=None, llm=None)
    assert engine.recognize("lock the Front Door", conversation_id="a")[0].tier.value == "template"
    engine.hold_out_templates([LOCK])
    assert engine.recognize("lock the Front Door", conversation_id="b")[0].tier.value != "template"
    engine.hold_out_templates([])
    assert engine.recognize("lock the Front Door", conversation_id="c")[0].tier.value == "template"


def test_draw_is_deterministic_and_parsed_by_the_line_alone() -> None:
    index = build_index(small_home())
    units = loto_units(["HassTurnOn", "HassLightSet"])
    first = [s for u in units[:40] for s in loto_samples(u, index, per_template=2, seed=3)]
    again = [s for u in units[:40] for s in loto_samples(u, index, per_template=2, seed=3)]
    other = [s for u in units[:40] for s in loto_samples(u, index, per_template=2, seed=4)]
    assert first and first == again
    assert [s.text for s in first] != [s.text for s in other]
    locks = loto_samples(LOCK, index, per_template=3, seed=0)
    assert locks and all(s.intent == "HassTurnOn" for s in locks)
    names = [s.slots["name"] for s in locks]
    assert all(n in ("Front Door", "Back Door") or n in (["Front Door", "main door"], ["Back Door", "back entrance"])
               for n in names)  # fmt: skip


def test_evaluate_reports_and_restores() -> None:
    home = small_home()
    engine = create_understanding(NluConfig(llm=False), home=home, intents=[], embedder=None, llm=None)
    index = build_index(home)
    report = evaluate_loto(engine, index, [LOCK, "HassTurnOn/19/0"], per_template=2, seed=0)
    assert report["n"] == 4 and report["templates"] == 2
    assert 0.0 <= report["intent_slot_accuracy"] <= 1.0
    assert engine.recognize("lock the Front Door", conversation_id="z")[0].tier.value == "template"


def test_slots_agree() -> None:
    assert slots_agree({"name": "front door", "domain": "lock"}, {"name": "Front Door"})
    assert not slots_agree({"name": "Front Door"}, {"name": "Front Door", "area": "Kitchen"})
    assert slots_agree({"name": "Front Door"}, {"name": ["Front Door", "main door"]})


def test_nearest_sentence_reads_a_held_out_rewording() -> None:
    from assistant.nlu.nearest import delexicalise, nearest_sentences, refill

    index = build_index(small_home())
    tokens, fillers = delexicalise("please lock the front door", index)
    assert tokens == ["please", "lock", "the", "<name>"] and fillers == [("<name>", "front door")]
    best = nearest_sentences().nearest(tokens)
    assert best and best[0][1] == ("lock", "the", "<name>")
    assert refill(best[0][1], fillers) == "lock the front door"
    assert nearest_sentences().nearest(tokens, exclude=[LOCK]) == []  # only the held-out line says it
    assert nearest_sentences().nearest(["kill", "zap", "the", "<name>"]) == []  # two words the templates never say


def test_neutral_words_are_learned_from_the_generated_sentences() -> None:
    from assistant.nlu.nearest import nearest_sentences

    neutral = nearest_sentences().neutral
    assert {"the", "my", "in"} <= neutral
    assert not {"off", "lock", "pause", "temp"} & neutral  # words that tell intents apart must be said


def test_choosing_between_intents_a_generated_sentence_adds_no_word_that_tells_them_apart() -> None:
    from assistant.nlu.nearest import nearest_sentences

    ns = nearest_sentences()
    held_out = ["HassStartTimer/11/3"]  # the line that says 'timer for <n> hour' word for word
    tokens = ["timer", "for", "<n>", "hour"]
    free = ns.nearest(tokens, exclude=held_out, top=12)
    assert any(set(toks) - ns.neutral - set(tokens) for _s, toks in free)  # e.g. 'cancel timer for <n> hour'
    strict = ns.nearest(tokens, exclude=held_out, top=12, adds=False)
    assert all(not (set(toks) - ns.neutral - set(tokens)) for _s, toks in strict)


def test_switch_first_is_the_verb_and_a_noun_elsewhere() -> None:
    from assistant.nlu.lexicon import device_mentions

    assert device_mentions("switch it off again") == set()
    assert device_mentions("could you switch off the fan") == {"fan"}
    assert device_mentions("is any switch on in the garage") == {"switch"}
    assert device_mentions("turn on the outlet") == {"switch"}
