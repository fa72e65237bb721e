"""Grounding by purpose: a request that names an activity ('stop watering the backyard') goes to the kind of device
whose purpose fits (the sprinklers), not to a device that shares a word of its name (the Backyard Light).
A small deterministic concept embedder stands in for the sentence model; homes and requests written for these tests."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from assistant.config import NluConfig
from assistant.nlu import create_understanding
from assistant.nlu.purpose import PURPOSES, PurposeFit, clear_purpose, misfits
from contracts.home import Area, Entity
from tests.nlu.fakes import FakeHome

_CONCEPTS = {
    "water": ("water", "watering", "sprinkler", "sprinklers", "irrigation", "valve", "tap", "lawn", "plants"),
    "light": ("light", "lights", "lamp", "lighting", "illuminating", "brightness"),
    "sound": ("music", "speaker", "tv", "sound", "radio"),
}


class ConceptEmbedder:
    """Counts concept words: texts about the same concept are similar, others orthogonal."""

    dim = len(_CONCEPTS) + 1

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for n, text in enumerate(texts):
            toks = re.findall(r"[a-z]+", text.lower())
            for k, words in enumerate(_CONCEPTS.values()):
                out[n, k] = sum(t in words for t in toks)
            out[n, -1] = 0.1  # every text a little alike
            out[n] /= np.linalg.norm(out[n])
        return out


def test_clear_purpose_and_misfits() -> None:
    fit = {"valve": 0.6, "light": 0.1, "switch": 0.2}
    assert clear_purpose(fit, floor=0.35, margin=0.2) == "valve"
    assert misfits(fit, floor=0.35, margin=0.2) == {"light", "switch"}
    assert clear_purpose({"valve": 0.5, "light": 0.4}, floor=0.35, margin=0.2) is None  # not clear
    assert clear_purpose({"valve": 0.2, "light": 0.1}, floor=0.35, margin=0.2) is None  # no purpose named
    assert misfits({"valve": 0.2, "light": 0.0}, floor=0.35, margin=0.2) == set()


def test_purpose_fit_needs_an_embedder() -> None:
    assert PurposeFit(None).scores("water the lawn", ["valve"]) == {}
    fit = PurposeFit(ConceptEmbedder()).scores("stop watering the lawn", ["valve", "light"])
    assert fit["valve"] > fit["light"]
    assert set(PURPOSES) >= {"valve", "light", "climate", "media_player"}


def _home() -> FakeHome:
    areas = [Area("backyard", "Backyard")]
    entities = [
        Entity("light.backyard_light", "Backyard Light", "on", {}, (), "backyard"),
        Entity("valve.backyard_sprinklers", "Garden Valve", "open", {}, (), "backyard"),
    ]
    return FakeHome(entities, areas)


def test_an_activity_goes_to_the_device_whose_purpose_fits() -> None:
    home = _home()
    engine = create_understanding(NluConfig(llm=False), home=home, intents=[], embedder=ConceptEmbedder(), llm=None)
    m = engine.recognize("stop watering the backyard", conversation_id="c")[0]
    assert (m.intent, m.targets) == ("HassTurnOff", ("valve.backyard_sprinklers",))  # not the Backyard Light


def test_a_named_device_keeps_its_request() -> None:
    home = _home()
    engine = create_understanding(NluConfig(llm=False), home=home, intents=[], embedder=ConceptEmbedder(), llm=None)
    m = engine.recognize("turn off the backyard light", conversation_id="c")[0]
    assert (m.intent, m.targets) == ("HassTurnOff", ("light.backyard_light",))


def test_water_anything_is_watering() -> None:
    from assistant.nlu.lexicon import action_evidence

    assert action_evidence("water the roses").get("water", 0.0) > 0
    assert action_evidence("water heater on").get("water", 0.0) == 0.0  # a device's name, not the verb
    home = _home()
    engine = create_understanding(NluConfig(llm=False), home=home, intents=[], embedder=ConceptEmbedder(), llm=None)
    m = engine.recognize("water the roses", conversation_id="c")[0]
    assert (m.intent, m.targets) == ("HassTurnOn", ("valve.backyard_sprinklers",))
