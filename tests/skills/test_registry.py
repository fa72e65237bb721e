"""The skill registry: discovery, conflicts, settings, permissions, failures, timeouts, async handlers, hot reload."""

from __future__ import annotations

import importlib
import os
import sys
import time
from pathlib import Path
from typing import ClassVar

import pytest

from contracts.messages import IntentMatch
from contracts.skills import Permission, Skill, SkillContext, intent
from skills.registry import SkillRegistry
from tests.skills.conftest import make_ctx, write_module

ECHO = """
from contracts.messages import SkillResult
from contracts.skills import Skill, intent

class EchoSkill(Skill):
    id = "echo"
    description = "Repeats what you say."
    default_settings = {"prefix": "You said", "nested": {"a": 1, "b": 2}}

    @intent("EchoSay", examples=("say hello", "repeat after me"), templates=("(say|repeat) {words}",))
    def say(self, match, ctx):
        return SkillResult(text=f"{ctx.settings['prefix']}: {match.slots.get('words', ctx.text)}")
"""


class SpySkill(Skill):
    """Records the context it was given."""

    id = "spy"
    description = "Looks at its context."
    permissions = frozenset({Permission.READ_KNOWLEDGE})
    seen: ClassVar[list[SkillContext]] = []

    @intent("SpyLook")
    def look(self, match: IntentMatch, ctx: SkillContext) -> object:
        SpySkill.seen.append(ctx)
        from contracts.messages import SkillResult

        return SkillResult(text="looked")


class Sleepy(Skill):
    """Hangs far beyond its timeout."""

    id = "sleepy"
    timeout_s = 0.3

    @intent("SleepForever")
    def sleep(self, match: IntentMatch, ctx: SkillContext) -> object:
        time.sleep(30)
        raise AssertionError("unreachable")


class Broken(Skill):
    """Raises in its handler."""

    id = "broken"

    @intent("BreakThings")
    def boom(self, match: IntentMatch, ctx: SkillContext) -> object:
        raise RuntimeError("the flux capacitor is empty")


class AsyncSkill(Skill):
    """An async handler."""

    id = "asyncy"

    @intent("AsyncHello")
    async def hello(self, match: IntentMatch, ctx: SkillContext) -> object:
        import asyncio

        from contracts.messages import SkillResult

        await asyncio.sleep(0.01)
        return SkillResult(text=f"async hello in {ctx.conversation_id}")


def _registry(**kwargs: object) -> SkillRegistry:
    return SkillRegistry.load(entry_points=False, **kwargs)  # type: ignore[arg-type]


def test_builtins_are_discovered_through_entry_points() -> None:
    registry = SkillRegistry.load(folder=None, disabled=["home_control"])
    assert {"faq", "textgen", "smalltalk"} <= set(registry.skills)
    assert registry.owner("FaqAsk") == "faq"
    assert registry.owner("GenerateText") == "textgen"
    assert registry.owner("Unknown") == "smalltalk"
    assert "entry point faq = skills.faq:FaqSkill" in registry.loaded["faq"].source
    faq_templates = next(i.spec.templates for i in registry.intents() if i.spec.name == "FaqAsk")
    assert any("manual" in t for t in faq_templates)  # merged from skills/faq/templates.yaml
    assert not [e for e in registry.errors if e.skill_id in ("faq", "textgen", "smalltalk")]


def test_folder_skill_is_discovered_and_answers(skills_folder: Path) -> None:
    write_module(skills_folder / "echo.py", ECHO)
    registry = _registry(folder=skills_folder)
    assert list(registry.skills) == ["echo"]
    assert registry.intents()[0].spec.templates == ("(say|repeat) {words}",)
    result = registry.handle(IntentMatch(intent="EchoSay", slots={"words": "hi"}), make_ctx("say hi"))
    assert result.success and result.text == "You said: hi"


def test_folder_package_with_yaml_templates(skills_folder: Path) -> None:
    pkg = skills_folder / "greeter"
    write_module(pkg / "__init__.py", "from .impl import GreeterSkill\n")
    write_module(
        pkg / "impl.py",
        """
        from contracts.messages import SkillResult
        from contracts.skills import Skill, intent

        class GreeterSkill(Skill):
            id = "greeter"
            templates_file = "sentences.yaml"

            @intent("GreetPerson", templates=("greet {name}",))
            def greet(self, match, ctx):
                return SkillResult(text="hello " + match.slots["name"])
        """,
    )
    (pkg / "sentences.yaml").write_text(
        "language: en\nintents:\n  GreetPerson:\n    data:\n      - sentences:\n          - 'say hi to {name}'\n"
    )
    registry = _registry(folder=skills_folder)
    assert registry.intents()[0].spec.templates == ("greet {name}", "say hi to {name}")
    assert registry.handle(IntentMatch(intent="GreetPerson", slots={"name": "Bo"}), make_ctx()).text == "hello Bo"


def test_installed_third_party_package_is_discovered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    write_module(
        site / "acme_plants" / "__init__.py",
        """
        from contracts.messages import SkillResult
        from contracts.skills import Skill, intent

        class PlantSkill(Skill):
            id = "plants"
            description = "Knows when to water the plants."

            @intent("PlantsWaterWhen", examples=("when should I water the plants",))
            def when(self, match, ctx):
                return SkillResult(text="Water the plants on Sunday.")
        """,
    )
    dist = site / "acme_plants-1.0.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-plants\nVersion: 1.0.0\n")
    (dist / "entry_points.txt").write_text("[assistant.skills]\nplants = acme_plants:PlantSkill\n")
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    registry = SkillRegistry.load(folder=None, disabled=["home_control"])
    assert "plants" in registry.skills
    assert "distribution acme-plants" in registry.loaded["plants"].source
    result = registry.handle(IntentMatch(intent="PlantsWaterWhen"), make_ctx("when should I water the plants"))
    assert result.text == "Water the plants on Sunday."
    assert registry.catalog()["plants"] == "Knows when to water the plants."


def test_duplicate_skill_id_is_reported_with_both_sources(skills_folder: Path) -> None:
    write_module(skills_folder / "echo.py", ECHO)
    write_module(skills_folder / "zz_echo_copy.py", ECHO.replace("EchoSay", "EchoOther"))
    registry = _registry(folder=skills_folder)
    assert list(registry.skills) == ["echo"]
    (err,) = registry.errors
    assert err.code == "skill-conflict"
    assert "echo.py" in err.message and "zz_echo_copy.py" in err.message
    assert err.other_source is not None and "echo.py" in err.other_source


def test_duplicate_intent_id_is_reported_and_later_skill_skipped(skills_folder: Path) -> None:
    write_module(skills_folder / "echo.py", ECHO)
    write_module(skills_folder / "parrot.py", ECHO.replace('id = "echo"', 'id = "parrot"'))
    registry = _registry(folder=skills_folder)
    assert list(registry.skills) == ["echo"]
    (err,) = registry.errors
    assert err.code == "skill-conflict" and "EchoSay" in err.message
    assert "echo.py" in err.message and "parrot.py" in err.message
    assert registry.owner("EchoSay") == "echo"


def test_conflict_with_a_builtin_names_the_entry_point(skills_folder: Path) -> None:
    write_module(skills_folder / "faq2.py", ECHO.replace("EchoSay", "FaqAsk").replace('id = "echo"', 'id = "faq2"'))
    registry = SkillRegistry.load(folder=skills_folder, disabled=["home_control"])
    err = next(e for e in registry.errors if e.skill_id == "faq2")
    assert "entry point faq" in err.message and "faq2.py" in err.message
    assert registry.owner("FaqAsk") == "faq"


def test_import_failure_is_recorded_and_others_load(skills_folder: Path) -> None:
    write_module(skills_folder / "echo.py", ECHO)
    write_module(skills_folder / "bad.py", "import does_not_exist_anywhere\n")
    write_module(skills_folder / "syntax.py", "def broken(:\n")
    registry = _registry(folder=skills_folder)
    assert list(registry.skills) == ["echo"]
    codes = sorted((Path(e.source).name, e.code) for e in registry.errors)
    assert codes == [("bad.py", "skill-load-failed"), ("syntax.py", "skill-load-failed")]


def test_settings_defaults_merged_with_config(skills_folder: Path) -> None:
    write_module(skills_folder / "echo.py", ECHO)
    registry = _registry(folder=skills_folder, settings={"echo": {"prefix": "Heard", "nested": {"b": 3}}})
    assert registry.settings("echo") == {"prefix": "Heard", "nested": {"a": 1, "b": 3}}
    result = registry.handle(IntentMatch(intent="EchoSay", slots={"words": "x"}), make_ctx())
    assert result.text == "Heard: x"


def test_only_granted_services_reach_the_context() -> None:
    SpySkill.seen.clear()
    registry = _registry(extra=[SpySkill])
    home, llm, retriever = object(), object(), object()
    ctx = make_ctx("look", home=home, llm=llm, retriever=retriever)
    assert registry.handle(IntentMatch(intent="SpyLook"), ctx).text == "looked"
    (seen,) = SpySkill.seen
    assert seen.retriever is retriever
    assert seen.home is None and seen.llm is None
    assert registry.context_services("spy") == frozenset({"retriever"})
    assert seen.skills == {"spy": "Looks at its context."}


def test_failing_skill_gives_error_result_and_registry_keeps_working(skills_folder: Path) -> None:
    write_module(skills_folder / "echo.py", ECHO)
    registry = _registry(folder=skills_folder, extra=[Broken])
    result = registry.handle(IntentMatch(intent="BreakThings"), make_ctx())
    assert not result.success and result.error_code == "skill-failed"
    assert result.text.startswith("Sorry, the broken skill failed")
    assert "flux capacitor" not in result.text  # the crash text is for the log and trace, not the user
    assert "flux capacitor" in result.data["detail"]
    assert registry.handle(IntentMatch(intent="EchoSay", slots={"words": "ok"}), make_ctx()).success


def test_hanging_skill_times_out_without_blocking_next_turns(skills_folder: Path) -> None:
    write_module(skills_folder / "echo.py", ECHO)
    registry = _registry(folder=skills_folder, extra=[Sleepy])
    started = time.perf_counter()
    result = registry.handle(IntentMatch(intent="SleepForever"), make_ctx())
    assert time.perf_counter() - started < 5
    assert not result.success and result.error_code == "skill-timeout"
    for _ in range(3):
        assert registry.handle(IntentMatch(intent="EchoSay", slots={"words": "still here"}), make_ctx()).success


def test_async_handler() -> None:
    registry = _registry(extra=[AsyncSkill])
    result = registry.handle(IntentMatch(intent="AsyncHello"), make_ctx(conversation_id="c42"))
    assert result.text == "async hello in c42"


def test_unknown_intent_and_missing_skill() -> None:
    registry = _registry(extra=[AsyncSkill])
    result = registry.handle(IntentMatch(intent="NoSuchIntent"), make_ctx())
    assert not result.success and result.error_code == "skill-not-found"


def test_unknown_goes_to_the_fallback_skill() -> None:
    from skills.smalltalk import SmallTalkSkill

    registry = _registry(extra=[SmallTalkSkill])
    result = registry.handle(IntentMatch(intent="Unknown", text="flibber the jabberwock"), make_ctx("flibber"))
    assert result.error_code == "nlu-no-match" and "flibber" in result.text


def test_hot_reload_picks_up_new_and_changed_files(skills_folder: Path) -> None:
    registry = _registry(folder=skills_folder)
    assert registry.skills == {} and not registry.changed()
    path = write_module(skills_folder / "echo.py", ECHO)
    assert registry.reload_if_changed()
    assert registry.handle(IntentMatch(intent="EchoSay", slots={"words": "a"}), make_ctx()).text == "You said: a"
    write_module(path, ECHO.replace("You said", "Now you said"))
    os.utime(path, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    assert registry.changed() and registry.reload_if_changed()
    assert registry.handle(IntentMatch(intent="EchoSay", slots={"words": "b"}), make_ctx()).text == "Now you said: b"
    assert not registry.reload_if_changed()


def test_watch_thread_reloads_and_notifies(skills_folder: Path) -> None:
    registry = _registry(folder=skills_folder)
    reloaded: list[list[str]] = []
    registry.watch(0.05, on_reload=lambda r: reloaded.append(sorted(r.skills)))
    try:
        write_module(skills_folder / "echo.py", ECHO)
        deadline = time.time() + 5
        while not reloaded and time.time() < deadline:
            time.sleep(0.05)
    finally:
        registry.stop_watching()
    assert reloaded and reloaded[-1] == ["echo"]


def test_local_modules_are_private() -> None:
    assert not any(name == "echo" for name in sys.modules)


class Peeker(Skill):
    """May read devices, not control them."""

    id = "peeker"
    permissions = frozenset({Permission.READ_DEVICES})

    @intent("PeekAndPoke")
    def poke(self, match: IntentMatch, ctx: SkillContext) -> object:
        from contracts.messages import SkillResult

        assert ctx.home is not None
        states = ctx.home.states()
        ctx.home.call_service("lock", "unlock", {"entity_id": "lock.front_door"})
        return SkillResult(text=f"poked {len(states)}")


class _FakeHome:
    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []

    def states(self) -> dict[str, dict[str, object]]:
        return {"lock.front_door": {"state": "locked"}}

    def call_service(self, *args: object, **kwargs: object) -> None:
        self.calls.append(args)


def test_read_devices_without_control_gets_a_read_only_home() -> None:
    registry = _registry(extra=[Peeker])
    home = _FakeHome()
    result = registry.handle(IntentMatch(intent="PeekAndPoke"), make_ctx(home=home))
    assert not result.success and result.error_code == "permission-denied"
    assert home.calls == []
