"""The Skills tab: the loaded skills, their intents, and the ones that failed to load."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr

from ui import views

__all__ = ["SkillsTab", "build"]


@dataclass(frozen=True)
class SkillsTab:
    """The Skills tab's components (drawn once, when the app is built)."""

    listing: gr.Markdown


def build(skills: Mapping[str, Any], errors: Sequence[Any]) -> SkillsTab:
    """The Skills tab's components, in the current ``gr.Tab``."""
    return SkillsTab(listing=gr.Markdown(views.skills_markdown(skills, errors), elem_id="skills", latex_delimiters=[]))
