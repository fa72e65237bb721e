"""The semantic tier with the real all-MiniLM-L6-v2 embedder on the default home (slow: loads the model once)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import EmbeddingsConfig, NluConfig
from assistant.nlu import create_understanding
from contracts.engines import Embedder
from contracts.intents import WRITE_INTENTS
from contracts.messages import Tier
from contracts.skills import IntentSpec
from devices import create_home

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    from assistant.embeddings import create_embedder

    return create_embedder(EmbeddingsConfig())


class _SI:
    def __init__(self, skill_id: str, spec: IntentSpec) -> None:
        self.skill_id = skill_id
        self.spec = spec


@pytest.mark.slow
def test_reworded_requests_with_embeddings(embedder: Embedder) -> None:
    home = create_home(file=ROOT / "config" / "homes" / "default.yaml", data_dir=None, persist=False)
    intents = [_SI("jokes", IntentSpec("TellJoke", examples=("tell me a joke", "make me laugh")))]
    engine = create_understanding(NluConfig(llm=False), home=home, intents=intents, embedder=embedder, llm=None)
    cases = {
        "kill the lights in the kitchen": ("HassTurnOff", "light.kitchen"),
        "could you get the coffee going": ("HassTurnOn", "switch.coffee_maker"),
        "open the garage door opener": ("HassTurnOn", "cover.garage_door_opener"),
    }
    for text, (intent, target) in cases.items():
        m = engine.recognize(text, conversation_id=text)[0]
        assert m.intent == intent and target in m.targets, (text, m)
    joke = engine.recognize("say something funny", conversation_id="j")[0]
    assert joke.intent == "TellJoke" and joke.tier == Tier.SEMANTIC
    for q in ("is the garage door open?", "are the kitchen lights on"):
        assert all(m.intent not in WRITE_INTENTS for m in engine.recognize(q, conversation_id=q))
