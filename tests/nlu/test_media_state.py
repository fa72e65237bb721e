"""State-aware media targeting: a media request that names no player acts on the one player in the state it acts on
(playing for 'pause', 'next', 'louder'; paused for 'resume'), and asks when the state does not single one out.
Homes and requests written for these tests, not taken from an evaluation set."""

from __future__ import annotations

import pytest

from assistant.config import NluConfig
from assistant.nlu import Understanding, create_understanding
from assistant.nlu.media import active_players, implied_player
from contracts.home import Area, Entity
from tests.nlu.fakes import FakeHome


def _home(states: dict[str, str]) -> FakeHome:
    areas = [Area("den", "Den"), Area("study", "Study"), Area("porch", "Porch")]
    players = {
        "media_player.den_tv": ("Den TV", "den", "tv"),
        "media_player.study_speaker": ("Study Speaker", "study", "speaker"),
        "media_player.porch_radio": ("Porch Radio", "porch", "speaker"),
    }
    entities = [
        Entity(eid, name, states.get(eid, "off"), {"volume_level": 0.4, "device_class": dc}, (), area,
               device_class=dc)
        for eid, (name, area, dc) in players.items()
    ]  # fmt: skip
    entities.append(Entity("light.den", "Den Lamp", "on", {"brightness": 100}, (), "den"))
    return FakeHome(entities, areas)


def _engine(home: FakeHome) -> Understanding:
    return create_understanding(NluConfig(llm=False), home=home, intents=[], embedder=None, llm=None)


def test_active_players_by_intent() -> None:
    home = _home({"media_player.den_tv": "playing", "media_player.study_speaker": "paused"})
    ids = [e.entity_id for e in home.entities()]
    assert active_players("HassMediaPause", ids, home.entity) == ["media_player.den_tv"]
    assert active_players("HassMediaUnpause", ids, home.entity) == ["media_player.study_speaker"]
    assert active_players("HassTurnOn", ids, home.entity) == []


def test_implied_player_needs_exactly_one() -> None:
    home = _home({"media_player.den_tv": "playing", "media_player.porch_radio": "playing"})
    ids = [e.entity_id for e in home.entities()]
    assert implied_player("HassMediaNext", ids, home.entity) is None  # two are playing: the state does not say
    assert implied_player("HassMediaNext", ids, home.entity, speaker_area="porch") == "media_player.porch_radio"
    assert implied_player("HassMediaUnpause", ids, home.entity) is None  # nothing is paused


@pytest.mark.parametrize(
    ("text", "intent"),
    [("pause", "HassMediaPause"), ("skip this song", "HassMediaNext"), ("skip back", "HassMediaPrevious")],
)
def test_bare_media_request_acts_on_the_playing_player(text: str, intent: str) -> None:
    home = _home({"media_player.study_speaker": "playing"})
    m = _engine(home).recognize(text, conversation_id="c")[0]
    assert m.intent == intent
    assert m.targets == ("media_player.study_speaker",)
    assert not m.clarification


def test_resume_acts_on_the_paused_player() -> None:
    home = _home({"media_player.den_tv": "paused", "media_player.study_speaker": "playing"})
    m = _engine(home).recognize("resume", conversation_id="c")[0]
    assert (m.intent, m.targets) == ("HassMediaUnpause", ("media_player.den_tv",))


def test_louder_raises_the_playing_players_volume() -> None:
    home = _home({"media_player.porch_radio": "playing"})
    m = _engine(home).recognize("make it louder", conversation_id="c")[0]
    assert m.targets == ("media_player.porch_radio",)
    assert m.intent in ("HassSetVolume", "HassSetVolumeRelative")
    assert float(m.slots.get("volume_level", 100)) > 40


def test_two_playing_players_are_not_guessed() -> None:
    home = _home({"media_player.den_tv": "playing", "media_player.study_speaker": "playing"})
    m = _engine(home).recognize("pause", conversation_id="c")[0]
    assert not m.targets or m.clarification


def test_a_named_device_of_another_kind_is_not_a_media_request() -> None:
    home = _home({"media_player.den_tv": "playing"})
    m = _engine(home).recognize("turn the den lamp up to 100%", conversation_id="c")[0]
    assert "media_player.den_tv" not in m.targets


def test_a_level_noun_before_a_bare_number_sets_that_level() -> None:
    from assistant.nlu.normalize import normalize, parse_params

    assert parse_params(normalize("volume 30")).number == 30
    assert parse_params(normalize("brightness 40 in the den")).number == 40
    home = _home({"media_player.den_tv": "playing"})
    m = _engine(home).recognize("volume 30", conversation_id="c")[0]
    assert (m.intent, m.targets, m.slots.get("volume_level")) == ("HassSetVolume", ("media_player.den_tv",), 30)


def test_of_two_players_with_one_name_the_playing_one_is_meant() -> None:
    from assistant.nlu.catalog import build_index
    from assistant.nlu.resolve import resolve_targets

    areas = [Area("den", "Den"), Area("study", "Study")]
    tvs = [
        Entity("media_player.tv", "TV", "off", {}, (), "den"),
        Entity("media_player.tv_2", "TV", "playing", {}, (), "study"),
    ]
    home = FakeHome(tvs, areas)
    index = build_index(home)
    assert resolve_targets(index, "HassMediaPause", {"name": "TV"}).clarification  # without live states: ask
    got = resolve_targets(index, "HassMediaPause", {"name": "TV"}, live=home.entity)
    assert got.targets == ("media_player.tv_2",)
    m = _engine(home).recognize("pause the tv", conversation_id="c")[0]
    assert (m.intent, m.targets) == ("HassMediaPause", ("media_player.tv_2",))
