"""Authoring tools: `skill new` scaffolds a working package; `skill test` routes examples through understanding."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.config import PROJECT_ROOT, load_config
from assistant.skill_cli import evaluate_skill, scaffold_skill, skill_app, skill_names
from contracts.messages import IntentMatch
from skills.registry import SkillRegistry
from tests.skills.conftest import make_ctx

runner = CliRunner()


def test_skill_names() -> None:
    assert skill_names("Garden Helper") == ("garden_helper", "garden_helper_skill", "GardenHelperSkill")
    assert skill_names("3d-printer") == ("skill_3d_printer", "skill_3d_printer_skill", "Skill3dPrinterSkill")


def test_new_scaffolds_a_loadable_package(tmp_path: Path) -> None:
    result = runner.invoke(skill_app, ["new", "Kitchen Timer", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    root = tmp_path / "kitchen_timer"
    expected = {
        "pyproject.toml",
        "README.md",
        "kitchen_timer_skill/__init__.py",
        "kitchen_timer_skill/skill.py",
        "kitchen_timer_skill/templates.yaml",
        "kitchen_timer_skill/py.typed",
        "tests/test_kitchen_timer.py",
    }
    assert {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} == expected
    pyproject = (root / "pyproject.toml").read_text()
    assert '[project.entry-points."assistant.skills"]' in pyproject
    assert 'kitchen_timer = "kitchen_timer_skill:KitchenTimerSkill"' in pyproject
    # the scaffold is a working skill: a local skills folder holding the project loads it
    registry = SkillRegistry.load(folder=tmp_path, entry_points=False)
    assert not registry.errors and list(registry.skills) == ["kitchen_timer"]
    (item,) = registry.intents()
    assert item.spec.name == "KitchenTimerHello" and len(item.spec.templates) == 2
    reply = registry.handle(IntentMatch(intent="KitchenTimerHello"), make_ctx("kitchen timer hello"))
    assert reply.text == "Hello from Kitchen Timer!"
    again = runner.invoke(skill_app, ["new", "Kitchen Timer", "--dir", str(tmp_path)])
    assert again.exit_code == 1 and "exists" in again.output


@pytest.mark.slow
def test_scaffold_own_tests_pass(tmp_path: Path) -> None:
    report = scaffold_skill("porch light helper", tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(report.root / "tests")],
        cwd=report.root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout


@pytest.mark.slow
def test_scaffold_installed_with_pip_is_discovered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    report = scaffold_skill("doorbell", tmp_path / "src")
    target = tmp_path / "site"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--quiet",
            "--target",
            str(target),
            str(report.root),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert list(target.glob("assistant_skill_doorbell-*.dist-info"))
    monkeypatch.syspath_prepend(str(target))
    importlib.invalidate_caches()
    registry = SkillRegistry.load(folder=None, disabled=["home_control"])
    assert "doorbell" in registry.skills
    assert str(target) in str(Path(sys.modules["doorbell_skill"].__file__ or "").parent.parent)
    reply = registry.handle(IntentMatch(intent="DoorbellHello", slots={"name": "Sam"}), make_ctx())
    assert reply.text == "Hello from Doorbell! Nice to meet you, Sam."


@pytest.mark.slow
def test_skill_test_uses_the_real_understanding_engine() -> None:
    report = evaluate_skill(PROJECT_ROOT / "skills" / "examples" / "weather", config=load_config())
    assert report.engine == "understanding", report.note
    assert report.skills == ("weather",)
    assert len(report.results) == 6
    assert report.accuracy >= 0.8
    assert not report.conflicts and not report.errors


@pytest.mark.slow
def test_skill_test_reports_conflicts_with_installed_skills(tmp_path: Path) -> None:
    (tmp_path / "copycat.py").write_text(
        "from contracts.messages import SkillResult\n"
        "from contracts.skills import Skill, intent\n\n"
        "class Copycat(Skill):\n"
        "    id = 'copycat'\n\n"
        "    @intent('FaqAsk', examples=('what is the wifi password',))\n"
        "    def ask(self, match, ctx):\n"
        "        return SkillResult(text='meow')\n"
    )
    result = runner.invoke(skill_app, ["test", str(tmp_path / "copycat.py")])
    assert result.exit_code == 1
    assert "CONFLICT: intent 'FaqAsk' is already declared by skill 'faq'" in result.output
