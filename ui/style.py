"""Look and feel of the page: the theme, the app's CSS, the page-level style and the dashboard's script."""

from __future__ import annotations

import gradio as gr

__all__ = ["CSS", "DASHBOARD_JS", "HEAD", "MONO_FONTS", "SYSTEM_FONTS", "theme"]

SYSTEM_FONTS = ("system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif")
MONO_FONTS = ("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace")

CSS = """
.home-dashboard .areas { display: flex; flex-wrap: wrap; gap: 12px; }
.home-dashboard .area-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 12px;
  min-width: 260px; flex: 1 1 300px; overflow: hidden; }
.home-dashboard h4 { margin: 0 0 4px 0; }
.home-dashboard .entity { padding: 6px 2px; border-top: 1px solid var(--border-color-primary); }
.home-dashboard h4 + .entity { border-top: none; }
.home-dashboard .entity.changed { background: rgba(59, 130, 246, .12); border-radius: 6px; }
.home-dashboard .head { display: flex; align-items: flex-start; justify-content: space-between; gap: 8px; }
.home-dashboard .name { flex: 1 1 auto; min-width: 0; overflow-wrap: anywhere; line-height: 1.25; }
.home-dashboard .eid { font-size: 11px; opacity: .6; font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
.home-dashboard .state, .home-dashboard .lead { flex: 0 1 auto; max-width: 58%; text-align: right; }
.home-dashboard .state { border-radius: 10px; padding: 1px 8px; font-size: 13px; overflow-wrap: anywhere; }
.home-dashboard .state.on { background: #fde68a; color: #713f12; }
.home-dashboard .state.off { background: #e5e7eb; color: #374151; }
.home-dashboard .state.alert { background: #fecaca; color: #7f1d1d; }
.home-dashboard .state.value { background: #e0f2fe; color: #0c4a6e; }
.home-dashboard .controls { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 8px; margin-top: 4px; }
.home-dashboard button.act { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 2px 10px;
  font-size: 13px; background: var(--button-secondary-background-fill); color: var(--button-secondary-text-color);
  cursor: pointer; }
.home-dashboard button.act:hover { background: var(--button-secondary-background-fill-hover); }
.home-dashboard button.act:disabled { opacity: .5; cursor: progress; }
.home-dashboard .slider { display: flex; align-items: center; gap: 6px; flex: 1 1 200px; font-size: 13px; }
.home-dashboard .slider .what { white-space: nowrap; }
.home-dashboard .slider input { flex: 1 1 auto; min-width: 80px; }
.home-dashboard .slider output { min-width: 52px; text-align: right; font-variant-numeric: tabular-nums; }
#home-status { position: sticky; top: 0; z-index: 5; background: var(--background-fill-primary); }
.trace td { overflow-wrap: anywhere; }
.trace table.kv th { text-align: left; padding-right: 12px; vertical-align: top; white-space: nowrap; }
.trace table.actions { border-collapse: collapse; }
.trace table.actions td, .trace table.actions th { border: 1px solid var(--border-color-primary); padding: 2px 6px; }
.trace .err { color: #b91c1c; font-weight: 600; }
.latency svg text { fill: var(--body-text-color); }
#chatbot .placeholder-content { justify-content: flex-start !important; padding: 36px 24px 16px !important; }
#chatbot .placeholder { flex: 0 0 auto !important; height: auto !important; justify-content: flex-start !important;
  margin: 0 !important; text-align: left; }
#chatbot .placeholder-content .examples { margin: 8px 0 0 0 !important; padding: 0 !important; }
#chatbot .options { justify-content: flex-start; margin: 0 0 8px 0; padding-left: var(--spacing-xl, 12px); }
#chatbot button.option { border-style: solid; border-color: var(--color-accent); color: var(--color-accent);
  background: var(--background-fill-primary); }
#chatbot .examples { display: flex; flex-wrap: wrap; gap: 8px; }
#chatbot button.example { flex: 1 1 200px; padding: 8px 12px; min-height: 0; }
@media (max-width: 640px) {
  #app-title { display: none; }
  #chat-top { gap: 6px !important; }
  #chat-top > #conv-select { flex: 1 1 55% !important; min-width: 0 !important; }
  #chat-top > #new-conversation { flex: 0 0 auto !important; min-width: 0 !important; align-self: stretch; }
  #chat-top > #room-select { flex: 1 1 100% !important; min-width: 0 !important; }
  #chatbot { height: 44vh !important; max-height: 44vh !important; min-height: 260px !important; }
  #chatbot > .wrapper > label { display: none; }
  #chatbot .placeholder h3 { font-size: 1rem; margin: 0 0 4px 0; }
  #chatbot .placeholder p { margin: 4px 0; font-size: 13px; }
  #chatbot .placeholder h3 + p { display: none; }
  #chatbot .placeholder-content { padding: 8px 10px !important; }
  #chatbot .examples { gap: 5px; }
  #chatbot button.example { flex: 0 1 auto; width: auto; padding: 3px 9px; font-size: 13px; border-radius: 14px; }
  #chat-compose { flex-wrap: nowrap !important; gap: 6px !important; }
  #chat-compose > #chat-input { min-width: 0 !important; }
  #chat-compose > #chat-send { min-width: 64px !important; flex: 0 0 auto !important; }
  #chat-compose span[data-testid="block-info"] { display: none; }
}
"""
"""Styles for the dashboard, trace and chat (passed to ``launch``); narrow screens keep the message box and the
microphone on the first screen."""

HEAD = """<style>
@media (max-width: 640px) { .gradio-container .main.app { padding: 8px 10px !important; } }
</style>"""
"""Page-level style (``launch(head=...)``): Gradio scopes ``CSS`` inside the app, so the page's own side padding, which
a phone needs back, is set here."""

DASHBOARD_JS = """
if (!element.dataset.wired) {
  element.dataset.wired = "1";
  const rowOf = (el) => el.closest("[data-entity]");
  element.addEventListener("click", (ev) => {
    const button = ev.target.closest("button[data-service]");
    if (!button || !element.contains(button)) return;
    const row = rowOf(button);
    if (!row) return;
    button.disabled = true;
    trigger("select", {index: 0, value: {entity: row.dataset.entity, service: button.dataset.service}});
  });
  element.addEventListener("input", (ev) => {
    const slider = ev.target.closest("input[type=range][data-kind]");
    const row = slider && rowOf(slider);
    if (!row) return;
    const unit = slider.dataset.unit || "";
    const text = unit === "%" || unit === "" ? slider.value + unit : slider.value + " " + unit;
    row.querySelectorAll('.live[data-kind="' + slider.dataset.kind + '"]').forEach((n) => { n.textContent = text; });
  });
  element.addEventListener("change", (ev) => {
    const slider = ev.target.closest("input[type=range][data-kind]");
    const row = slider && rowOf(slider);
    if (!row) return;
    trigger("select", {index: 1, value: {entity: row.dataset.entity, kind: slider.dataset.kind,
                                          value: Number(slider.value)}});
  });
}
"""
"""The dashboard's only script (ours, never built from data): a row's button or slider release sends
``{entity, service}`` or ``{entity, kind, value}`` as a select event, which the server checks
(``dashboard.row_request``); a moving slider updates the row's shown value at once."""


def theme() -> gr.themes.Base:
    """The default theme with system fonts only (no web-font downloads)."""
    return gr.themes.Default(font=list(SYSTEM_FONTS), font_mono=list(MONO_FONTS))
