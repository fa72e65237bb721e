"""The Settings tab: what the engine runs with (models, tiers, stores) and the UI's own address and limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from ui import views
from ui.ports import SettingsSource
from ui.tabs.common import Updates

__all__ = ["SettingsTab", "build", "settings_text"]


@dataclass(frozen=True)
class SettingsTab:
    """The Settings tab's components (redrawn on each page load)."""

    settings_md: gr.Markdown


def settings_text(engine: SettingsSource, ui_cfg: Any) -> str:
    """The engine's description, with the UI's host, port and upload limit."""
    extra = {"ui": f"{ui_cfg.host}:{ui_cfg.port}, uploads ≤ {ui_cfg.max_upload_mb} MB"}
    return views.settings_markdown(engine.describe(), extra)


def build(engine: SettingsSource, ui_cfg: Any) -> SettingsTab:
    """The Settings tab's components, in the current ``gr.Tab``."""
    return SettingsTab(settings_md=gr.Markdown(settings_text(engine, ui_cfg), elem_id="settings", latex_delimiters=[]))


def load_updates(tab: SettingsTab, engine: SettingsSource, ui_cfg: Any) -> Updates:
    return {tab.settings_md: settings_text(engine, ui_cfg)}
