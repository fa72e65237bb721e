"""The Home tab: the live dashboard (areas, devices, their buttons and sliders) and the Confirm row of a sensitive
control (with a PIN box when asked). A row's button or slider is checked against what that row offers
(``ui.dashboard.row_request``) before the engine is asked to run it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import gradio as gr

from contracts.messages import AssistantError, ErrorCode
from ui import dashboard as home_view
from ui import views
from ui.ports import ControlEngine, HomeReader
from ui.records import ControlOutcomeView, HeldControl
from ui.style import DASHBOARD_JS
from ui.tabs.common import Session, Shared, Updates, error_message, out, private

__all__ = ["HomeCallbacks", "HomeTab", "build", "wire", "wire_tick"]

_log = logging.getLogger("assistant.ui")

_RETRY_CODES = frozenset({ErrorCode.CONFIRM_WRONG_PIN.value, ErrorCode.CONFIRM_LOCKED.value})
"""Answers after which the engine still holds the action (a wrong PIN, a lock-out): the Confirm row stays."""


@dataclass(frozen=True)
class HomeTab:
    """The Home tab's components."""

    control_msg: gr.Markdown
    control_confirm: gr.Row
    control_pin: gr.Textbox
    confirm_btn: gr.Button
    cancel_btn: gr.Button
    dash: gr.HTML
    timer: gr.Timer
    dash_seen: gr.State
    """The change counter's version the dashboard was drawn at."""
    pending_control: gr.State
    """The held control (``HeldControl.state``), None when nothing waits for Confirm."""


def build(*, shared: Shared, poll_s: float, dash_seen: gr.State, pending_control: gr.State) -> HomeTab:
    """The Home tab's components, in the current ``gr.Tab`` (its states are made with the page's states)."""
    with gr.Column(elem_id="home-status"):
        control_msg = gr.Markdown(elem_id="control-result", latex_delimiters=[])
        with gr.Row(visible=False, elem_id="control-confirm") as control_confirm:
            control_pin = gr.Textbox(
                label="PIN", type="password", visible=False, max_lines=1, elem_id="control-pin", scale=0, min_width=120
            )
            confirm_btn = gr.Button("Confirm", variant="primary", elem_id="control-confirm-yes")
            cancel_btn = gr.Button("Cancel", elem_id="control-confirm-no")
    dash = gr.HTML(shared.dashboard(), elem_id="dashboard", js_on_load=DASHBOARD_JS)
    timer = gr.Timer(poll_s)
    return HomeTab(
        control_msg=control_msg,
        control_confirm=control_confirm,
        control_pin=control_pin,
        confirm_btn=confirm_btn,
        cancel_btn=cancel_btn,
        dash=dash,
        timer=timer,
        dash_seen=dash_seen,
        pending_control=pending_control,
    )


class HomeCallbacks:
    """The Home tab's callbacks: redraws, and controls run through the engine (held ones confirmed or cancelled)."""

    def __init__(self, tab: HomeTab, *, engine: ControlEngine, home: HomeReader, shared: Shared) -> None:
        self.tab, self.engine, self.home, self.shared = tab, engine, home, shared

    def _hidden(self, message: str) -> Updates:
        """The message, with the Confirm row hidden and nothing held."""
        t = self.tab
        return {
            t.control_msg: message,
            t.control_confirm: gr.update(visible=False),
            t.control_pin: gr.update(visible=False, value=""),
            t.pending_control: None,
        }

    def tick(self, seen: int, held: dict[str, Any] | None) -> Any:
        """Redraw the dashboard when a state changed; drop a Home-tab confirmation once it expired."""
        updates: Updates = {}
        version = self.shared.live.version
        if version != seen:
            updates.update({self.tab.dash: self.shared.dashboard(), self.tab.dash_seen: version})
        kept = HeldControl.of(held)
        if kept is not None and kept.expired():
            updates.update(self._hidden(views.format_error(ErrorCode.CONFIRM_EXPIRED.value)))
        return out(updates)

    def control_updates(self, outcome: ControlOutcomeView) -> Updates:
        """The Home tab after a control: what was done, or the Confirm row (with a PIN box when asked)."""
        t, pending = self.tab, outcome.pending
        return {
            t.control_msg: views.control_outcome_markdown(outcome, self.home.entity),
            t.dash: self.shared.dashboard(),
            t.control_confirm: gr.update(visible=pending is not None),
            t.control_pin: gr.update(visible=pending is not None and pending.needs_pin, value=""),
            t.pending_control: HeldControl.state(pending),
        }

    def control_failed(self, exc: BaseException) -> Updates:
        return {**self._hidden(error_message(exc)), self.tab.dash: self.shared.dashboard()}

    def request_service(self, who: str, entity_id: str | None, service: str, data: dict[str, Any]) -> Any:
        """Ask the engine to run a control; a sensitive one comes back waiting for Confirm (and the PIN)."""
        if not (who and entity_id and service):
            return gr.skip()
        try:
            outcome = self.engine.request_control(entity_id, service, data or None, owner=who)
        except Exception as exc:
            return self.control_failed(exc)
        return self.control_updates(ControlOutcomeView.of(outcome))

    def row_action(self, who: str, evt: gr.SelectData) -> Any:
        """A button or slider on a device's row: checked against what that row offers, then run as a control."""
        payload = evt.value if isinstance(evt.value, dict) else {}
        entity_id = str(payload.get("entity") or "")
        entity = self.home.entity(entity_id) if entity_id else None
        request = home_view.row_request(entity, payload)
        if request is None:
            return {self.tab.dash: self.shared.dashboard()}  # redraw (re-enables the pressed button); nothing is run
        service, data = request
        return self.request_service(who, entity_id, service, data)

    def confirm_held(self, held: dict[str, Any] | None, pin: str | None, who: str) -> Any:
        kept = HeldControl.of(held)
        if not (kept and who):
            return self._hidden(views.format_error(ErrorCode.CONFIRM_NOT_PENDING.value))
        try:
            outcome = ControlOutcomeView.of(self.engine.confirm_control(kept.id, pin=(pin or None), owner=who))
        except Exception as exc:
            return self.control_failed(exc)
        if outcome.error_code in _RETRY_CODES:  # still held: the PIN may be tried again
            return {
                self.tab.control_msg: views.control_outcome_markdown(outcome, self.home.entity),
                self.tab.control_pin: gr.update(value=""),
            }
        return self.control_updates(outcome)

    def cancel_held(self, held: dict[str, Any] | None, who: str) -> Updates:
        kept = HeldControl.of(held)
        if kept and who:
            try:
                self.engine.cancel_control(kept.id, owner=who)
            except AssistantError as exc:
                _log.info("cancel of a held control failed: %s", exc.code.value)
        return self._hidden("Cancelled.")

    def load_updates(self) -> Updates:
        return {self.tab.dash: self.shared.dashboard(), self.tab.dash_seen: self.shared.live.version}


def wire_tick(callbacks: HomeCallbacks) -> None:
    """The dashboard's poll: redrawn on a change, a held control dropped once expired."""
    t, cb = callbacks.tab, callbacks
    t.timer.tick(
        cb.tick,
        [t.dash_seen, t.pending_control],
        [t.dash, t.dash_seen, t.control_msg, t.control_confirm, t.control_pin, t.pending_control],
        **private(show_progress="hidden"),
    )


def wire(callbacks: HomeCallbacks, session: Session) -> None:
    """Connect the Home tab's controls (inside the ``gr.Blocks`` context)."""
    t, cb = callbacks.tab, callbacks
    ctl_out = [t.control_msg, t.dash, t.control_confirm, t.control_pin, t.pending_control]
    t.dash.select(cb.row_action, session.owner, ctl_out, **private())
    t.confirm_btn.click(cb.confirm_held, [t.pending_control, t.control_pin, session.owner], ctl_out, **private())
    t.cancel_btn.click(
        cb.cancel_held,
        [t.pending_control, session.owner],
        [t.control_msg, t.control_confirm, t.control_pin, t.pending_control],
        **private(),
    )
