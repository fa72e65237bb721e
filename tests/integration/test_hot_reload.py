"""A skill dropped into the local skills folder while the assistant runs is loaded and answers."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from assistant import Assistant

pytestmark = pytest.mark.slow

SKILL = """
from contracts.messages import IntentMatch, SkillResult
from contracts.skills import Skill, SkillContext, intent


class PlantSkill(Skill):
    id = "plants"
    description = "Says when the plants were last watered."

    @intent("PlantsLastWatered", templates=("when were the plants (watered|last watered)",))
    def last(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        return SkillResult(text="The plants were watered on Sunday.")
"""


def test_new_skill_is_hot_reloaded(tmp_path: Path) -> None:
    folder = tmp_path / "skills"
    folder.mkdir()
    a = Assistant.create(data_dir=str(tmp_path / "data"), skills={"folder": str(folder), "hot_reload": True})
    try:
        assert a.watch_skills(interval_s=0.2)
        before = a.handle_text("when were the plants watered")
        assert before.skill_id != "plants"
        (folder / "plants.py").write_text(SKILL)
        deadline = time.monotonic() + 30
        while "plants" not in a.skills.skills and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "plants" in a.skills.skills
        after = a.handle_text("when were the plants watered")
        assert after.skill_id == "plants"
        assert after.reply == "The plants were watered on Sunday."
    finally:
        a.close()
