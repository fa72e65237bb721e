"""The architecture holds: import-linter's layer contracts (pyproject.toml), and a skill needs only ``contracts``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ("assistant", "ui", "devices", "benchmarks", "torch", "gradio", "transformers", "faster_whisper", "sqlalchemy")


def _imported_after(code: str) -> set[str]:
    """Top-level packages a fresh interpreter has loaded after running ``code``."""
    probe = code + "\nimport json, sys\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_import_linter_contracts_are_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.skip("import-linter is not installed (pip install -e .[dev])")
    run = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "BROKEN" not in run.stdout


def test_contracts_import_nothing_of_ours_or_third_party() -> None:
    loaded = _imported_after("import contracts.messages, contracts.engines, contracts.home, contracts.features, "
                             "contracts.intents, contracts.skills")  # fmt: skip
    ours = {"assistant", "skills", "devices", "ui", "benchmarks"}
    assert not loaded & ours, loaded & ours
    assert not loaded & {"numpy", "torch", "yaml", "pydantic", "sqlalchemy"}, loaded


@pytest.mark.parametrize(
    "skill", ["skills.home_control", "skills.faq", "skills.timer", "skills.textgen", "skills.smalltalk"]
)
def test_a_builtin_skill_imports_with_the_engine_absent(skill: str) -> None:
    """What a skill author installs: the contracts package and the skill's own libraries, not the engine."""
    loaded = _imported_after(f"import {skill}")
    assert not loaded & set(ENGINE), sorted(loaded & set(ENGINE))
    assert "contracts" in loaded


def test_the_example_skill_imports_with_the_engine_absent() -> None:
    loaded = _imported_after(
        "import importlib.util, sys\n"
        "spec = importlib.util.spec_from_file_location('weather_skill', 'skills/examples/weather/skill.py')\n"
        "mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)"
    )
    assert not loaded & set(ENGINE), sorted(loaded & set(ENGINE))
