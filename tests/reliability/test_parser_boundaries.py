"""Parser boundaries: whatever a third-party parser raises on a bad input becomes that input's stable error code, the
original logged and never shown.

Documents are covered in tests/rag/test_loaders.py, audio in tests/asr/test_audio.py; here: config files and the
environment (config-invalid) and skill manifests (skill-load-failed). No models.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from assistant.config import load_config
from contracts.messages import AssistantError, ErrorCode
from skills.registry import SkillRegistry

BAD_YAML = {
    "syntax": ("asr: [\n", "line 2"),
    "tabs": ("asr:\n\tmodel: x\n", "line 2"),
    "deep": ("[" * 50_000, ""),
    "not-utf8": (b"\xff\xfe asr: 1".decode("latin-1"), ""),
    "binary": ("\x00\x01\x02", ""),
}


@pytest.mark.parametrize("case", sorted(BAD_YAML))
def test_a_config_file_that_does_not_parse_is_config_invalid(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    text, where = BAD_YAML[case]
    path = tmp_path / "user.yaml"
    path.write_bytes(text.encode("latin-1") if case == "not-utf8" else text.encode("utf-8"))
    with caplog.at_level(logging.WARNING, logger="assistant.config"), pytest.raises(AssistantError) as info:
        load_config(path)
    assert info.value.code == ErrorCode.CONFIG_INVALID
    assert str(path) in info.value.message and where in info.value.message
    assert "expected" not in info.value.message and "Error" not in info.value.message  # the parser's text: logged


@pytest.mark.parametrize("kind", ["missing", "folder", "nul"])
def test_a_config_path_that_cannot_be_read_is_config_invalid(tmp_path: Path, kind: str) -> None:
    path = {"missing": str(tmp_path / "nope.yaml"), "folder": str(tmp_path), "nul": str(tmp_path / "a\x00.yaml")}[kind]
    with pytest.raises(AssistantError) as info:
        load_config(path)
    assert info.value.code == ErrorCode.CONFIG_INVALID


def test_an_environment_value_that_does_not_parse_is_config_invalid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_UI", "{not json")
    with pytest.raises(AssistantError) as info:
        load_config()
    assert info.value.code == ErrorCode.CONFIG_INVALID
    assert info.value.details["key"] == "ui" and "ASSISTANT_UI" in info.value.message


SKILL = """
from contracts.messages import SkillResult
from contracts.skills import Skill, intent


class PoolSkill(Skill):
    id = "pool"
    description = "The pool."
    templates_file = "templates.yaml"

    @intent("PoolStatus", templates=("how is the pool",), examples=("how is the pool",))
    def status(self, match, ctx):
        return SkillResult(text="The pool is fine.")
"""

BAD_MANIFESTS = {
    "syntax": "intents:\n  PoolStatus: [\n",
    "layout": "intents:\n  - PoolStatus\n",
    "sentences": "intents:\n  PoolStatus:\n    data:\n      - sentences: 5\n",
    "scalar": "just a string",
    "deep": "[" * 50_000,
    "not-utf8": None,
}


@pytest.mark.parametrize("case", sorted(BAD_MANIFESTS))
def test_a_skill_manifest_that_does_not_parse_is_skill_load_failed(tmp_path: Path, case: str) -> None:
    folder = tmp_path / "skills" / "pool"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text(SKILL)
    manifest = BAD_MANIFESTS[case]
    (folder / "templates.yaml").write_bytes(b"\xff\xfe\x00bad" if manifest is None else manifest.encode())
    registry = SkillRegistry.load(folder=tmp_path / "skills", entry_points=False)
    assert "pool" not in registry.skills
    (error,) = registry.errors
    assert error.code == ErrorCode.SKILL_LOAD_FAILED
    assert "templates.yaml" in error.message and "pool" in error.message
    assert "Traceback" not in error.message and "Error:" not in error.message
    registry.close()


def test_a_good_manifest_still_loads(tmp_path: Path) -> None:
    folder = tmp_path / "skills" / "pool"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text(SKILL)
    manifest = "intents:\n  PoolStatus:\n    data:\n      - sentences:\n          - pool ok\n"
    (folder / "templates.yaml").write_text(manifest)
    registry = SkillRegistry.load(folder=tmp_path / "skills", entry_points=False)
    try:
        assert not registry.errors and "pool" in registry.skills
        (intent,) = [i for i in registry.intents() if i.skill_id == "pool"]
        assert "pool ok" in intent.spec.templates
    finally:
        registry.close()
