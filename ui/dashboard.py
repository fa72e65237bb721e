"""The Home tab in Home Assistant's manner: every device on its own row, its state read the way Home Assistant reads
it (by domain and device class), its controls on the same row.

Pure formatting, no engine calls and no Gradio import. The HTML is built from escaped text only; the row's buttons
and sliders are plain ``<button>`` and ``<input type="range">`` elements carrying data attributes
(``data-service``, ``data-kind``) that the app's own script (``ui.app.DASHBOARD_JS``) turns into events. The
server checks every such event against the entity's supported services (``row_request``); nothing from the page is
trusted.

Entities, areas and floors are converted once, at each public function's entry, into the view records of
``ui.records`` (``EntityView``, ``AreaView``, ``FloorView``); everything below reads those records only.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from ui.records import AreaView, EntityView, FloorView

__all__ = [
    "ControlPlan",
    "SliderSpec",
    "dashboard_html",
    "device_class",
    "plan_controls",
    "row_request",
    "slider_service",
    "state_class",
    "state_text",
]


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _num(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


Entityish = Mapping[str, Any] | EntityView | Any
"""An entity as the engine hands it (``contracts.home.Entity``), as a mapping, or already a view record."""


def device_class(entity: Entityish) -> str:
    """The entity's device class, normalised: 'garage', 'door', 'motion' ... ('' when it has none).

    Home Assistant's enum spellings ('binary_sensor.BinarySensorDeviceClass.MOTION') read as their last part.
    """
    return EntityView.from_any(entity).device_class_raw.rsplit(".", 1)[-1].strip().lower()


# ---------------------------------------------------------------------------------------------- states

_BINARY: dict[str, tuple[str, str]] = {
    "battery": ("Low", "Normal"),
    "battery_charging": ("Charging", "Not charging"),
    "carbon_monoxide": ("Detected", "Clear"),
    "cold": ("Cold", "Normal"),
    "connectivity": ("Connected", "Disconnected"),
    "door": ("Open", "Closed"),
    "garage_door": ("Open", "Closed"),
    "gas": ("Detected", "Clear"),
    "heat": ("Hot", "Normal"),
    "light": ("Light detected", "No light"),
    "lock": ("Unlocked", "Locked"),
    "moisture": ("Wet", "Dry"),
    "motion": ("Detected", "Clear"),
    "moving": ("Moving", "Not moving"),
    "occupancy": ("Detected", "Clear"),
    "opening": ("Open", "Closed"),
    "plug": ("Plugged in", "Unplugged"),
    "power": ("Power", "No power"),
    "presence": ("Home", "Away"),
    "problem": ("Problem", "OK"),
    "running": ("Running", "Not running"),
    "safety": ("Unsafe", "Safe"),
    "smoke": ("Detected", "Clear"),
    "sound": ("Detected", "Clear"),
    "tamper": ("Tampering detected", "Clear"),
    "update": ("Update available", "Up to date"),
    "vibration": ("Detected", "Clear"),
    "window": ("Open", "Closed"),
}
"""binary_sensor device class → (text when 'on', text when 'off'), as Home Assistant shows them."""

_BINARY_ALERTS = frozenset(
    {"battery", "carbon_monoxide", "cold", "gas", "heat", "moisture", "problem", "safety", "smoke", "tamper"}
)
"""binary_sensor device classes whose 'on' is a warning (shown red rather than highlighted)."""

_WEATHER: dict[str, str] = {
    "clear-night": "Clear, night",
    "cloudy": "Cloudy",
    "exceptional": "Exceptional",
    "fog": "Fog",
    "hail": "Hail",
    "lightning": "Lightning",
    "lightning-rainy": "Lightning, rainy",
    "partlycloudy": "Partly cloudy",
    "pouring": "Pouring",
    "rainy": "Rainy",
    "snowy": "Snowy",
    "snowy-rainy": "Snowy, rainy",
    "sunny": "Sunny",
    "windy": "Windy",
    "windy-variant": "Windy, cloudy",
}

_WORDS: dict[str, dict[str, str]] = {
    "lock": {"locked": "Locked", "unlocked": "Unlocked", "jammed": "Jammed", "open": "Open", "opening": "Opening"},
    "climate": {"heat_cool": "Heat/Cool", "fan_only": "Fan only", "dry": "Dry"},
    "vacuum": {"returning": "Returning to dock"},
    "alarm_control_panel": {"armed_custom_bypass": "Armed (bypass)"},
    "person": {"home": "Home", "not_home": "Away"},
    "device_tracker": {"home": "Home", "not_home": "Away"},
}

_ACTIVE = frozenset(
    {
        "on", "open", "opening", "closing", "unlocked", "unlocking", "playing", "paused", "idle", "heat", "cool",
        "heat_cool", "auto", "dry", "fan_only", "home", "cleaning", "returning", "armed_home", "armed_away",
        "armed_night", "armed_vacation", "armed_custom_bypass", "arming", "pending",
    }
)  # fmt: skip
"""States shown highlighted (something is on, open or running)."""
_ALERTS = frozenset({"unavailable", "jammed", "problem", "triggered", "error"})
_NO_BADGE = frozenset({"scene", "button", "input_button"})
"""Domains whose state is no news (a scene's last activation): the row shows its button instead."""


def _humanise(state: str) -> str:
    text = state.replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else "—"


def _unit_join(value: Any, unit: str) -> str:
    """'21.4 °C', '46%' (Home Assistant puts no space before %)."""
    if not unit:
        return str(value)
    return f"{value}{unit}" if unit == "%" else f"{value} {unit}"


def _fmt(value: float) -> str:
    """A number without a pointless '.0'."""
    return str(int(value)) if float(value).is_integer() else f"{float(value):g}"


def _temp_unit(attrs: Mapping[str, Any]) -> str:
    unit = attrs.get("temperature_unit") or attrs.get("unit_of_measurement")
    return str(unit) if unit else "°"


def _live(kind: str, text: str) -> str:
    """A value the row's slider updates while it moves."""
    return f'<span class="live" data-kind="{_esc(kind)}">{_esc(text)}</span>'


def _state_parts(entity: EntityView) -> list[str]:
    """The state line as HTML fragments (escaped), joined with ' · '."""
    domain, state, attrs = entity.domain, entity.state, entity.attributes
    plain = _plain_state_parts(entity, domain, state, attrs)
    if plain is not None:
        return plain
    words = _WORDS.get(domain, {})
    return [_esc(words.get(state) or _humanise(state)), *_control_parts(entity, domain, state, attrs)]


def _plain_state_parts(entity: EntityView, domain: str, state: str, attrs: Mapping[str, Any]) -> list[str] | None:
    """The state line of a device without controls (a sensor, the weather, a script...); None for the others."""
    if state in ("unknown", "unavailable"):
        return [_esc(_humanise(state))]
    if domain == "binary_sensor":
        on, off = _BINARY.get(device_class(entity), ("On", "Off"))
        return [_esc(on if state == "on" else off if state == "off" else _humanise(state))]
    if domain == "weather":
        parts = [_esc(_WEATHER.get(state, _humanise(state)))]
        temp = attrs.get("temperature")
        if _num(temp):
            parts.append(_esc(_unit_join(_fmt(temp), _temp_unit(attrs))))
        return parts
    if domain in ("sensor", "number", "input_number"):
        unit = str(attrs.get("unit_of_measurement") or "")
        return [_esc(_unit_join(state, unit))]
    if domain == "todo":
        return [_esc(f"{state} to do" if state.isdigit() else _humanise(state))]
    if domain == "script":
        return [_esc("Running" if state == "on" else "Ready")]
    return None


def _control_parts(entity: EntityView, domain: str, state: str, attrs: Mapping[str, Any]) -> list[str]:
    """What a controllable device's state line adds: the live value of its slider, a climate's temperatures."""
    parts: list[str] = []
    plan = plan_controls(entity)
    if domain == "light" and state == "on" and plan.brightness is not None:
        parts.append(_live("brightness", f"{_fmt(plan.brightness)}%"))
    if domain == "fan" and state == "on" and plan.fan_speed is not None:
        parts.append(_live("fan", f"{_fmt(plan.fan_speed)}%"))
    if domain in ("cover", "valve") and plan.position is not None:
        parts.append(_live("position", f"{_fmt(plan.position)}%"))
    if domain == "climate":
        parts += _climate_parts(state, attrs, plan)
    if domain == "media_player" and state not in ("off", "standby") and plan.volume is not None:
        parts.append("volume " + _live("volume", f"{_fmt(plan.volume)}%"))
    if domain == "vacuum" and _num(attrs.get("battery_level")):
        parts.append(_esc(f"battery {_fmt(attrs['battery_level'])}%"))
    return parts


def _climate_parts(state: str, attrs: Mapping[str, Any], plan: ControlPlan) -> list[str]:
    """A climate's current temperature, and its target (live with the slider) while it runs."""
    unit = _temp_unit(attrs)
    current = attrs.get("current_temperature")
    now = _esc(_unit_join(_fmt(current), unit)) if _num(current) else ""
    if plan.temperature is not None and state != "off":
        target = _live("temperature", _unit_join(_fmt(plan.temperature), unit))
        return [f"{now} → {target}" if now else target]
    return [now] if now else []


def state_text(entity: Entityish) -> str:
    """The state as Home Assistant shows it: 'Open'/'Closed' for a door sensor, 'Detected'/'Clear' for motion,
    'On · 71%' for a dimmed light, 'Partly cloudy · 13 °C' for a weather entity, '21.4 °C' for a temperature."""
    return html.unescape(" · ".join(_strip_tags(p) for p in _state_parts(EntityView.from_any(entity))))


def _strip_tags(fragment: str) -> str:
    out, inside = [], False
    for ch in fragment:
        if ch == "<":
            inside = True
        elif ch == ">":
            inside = False
        elif not inside:
            out.append(ch)
    return "".join(out)


def state_class(entity: Entityish) -> str:
    """The badge style: 'on' (highlighted), 'off' (quiet), 'alert' (red) or 'value' (a reading)."""
    view = EntityView.from_any(entity)
    domain, state = view.domain, view.state
    if state in _ALERTS:
        return "alert"
    if state == "unknown":
        return "off"
    if domain == "binary_sensor":
        if state != "on":
            return "off"
        return "alert" if device_class(view) in _BINARY_ALERTS else "on"
    if domain in ("sensor", "number", "input_number", "weather", "todo"):
        return "value"
    return "on" if state in _ACTIVE else "off"


# ---------------------------------------------------------------------------------------------- controls


@dataclass(frozen=True, slots=True)
class SliderSpec:
    """One slider on a device's row."""

    kind: str
    """brightness, position, temperature, volume or fan."""
    label: str
    """What it sets, shown beside it."""
    value: float
    """Current value."""
    minimum: float = 0.0
    """Lowest value."""
    maximum: float = 100.0
    """Highest value."""
    step: float = 1.0
    """Step."""
    unit: str = "%"
    """Unit shown after the value."""


@dataclass(frozen=True, slots=True)
class ControlPlan:
    """The controls on one device's row, with their current values and the services they call."""

    entity_id: str
    """The entity."""
    buttons: tuple[tuple[str, str], ...] = ()
    """(label, 'domain.service') for the row's buttons, for the current state (Turn off when on, Unlock when
    locked, Activate for a scene ...)."""
    brightness: float | None = None
    """Current brightness % when the light supports brightness."""
    position: float | None = None
    """Current position % for covers and valves that can be positioned."""
    position_service: str = ""
    """'cover.set_cover_position' or 'valve.set_valve_position'."""
    temperature: float | None = None
    """Target temperature for climate entities."""
    temperature_range: tuple[float, float] = (7.0, 35.0)
    """min/max target temperature."""
    temperature_step: float = 0.5
    """Target temperature step."""
    temperature_unit: str = "°"
    """Unit of the target temperature."""
    volume: float | None = None
    """Volume % for media players."""
    fan_speed: float | None = None
    """Fan percentage."""
    fan_step: float = 1.0
    """Fan percentage step."""

    def sliders(self) -> tuple[SliderSpec, ...]:
        """The row's sliders, in display order."""
        out: list[SliderSpec] = []
        if self.brightness is not None:
            out.append(SliderSpec("brightness", "Brightness", self.brightness))
        if self.position is not None:
            out.append(SliderSpec("position", "Position", self.position))
        if self.temperature is not None:
            lo, hi = self.temperature_range
            unit = self.temperature_unit
            out.append(SliderSpec("temperature", "Set to", self.temperature, lo, hi, self.temperature_step, unit))
        if self.volume is not None:
            out.append(SliderSpec("volume", "Volume", self.volume))
        if self.fan_speed is not None:
            out.append(SliderSpec("fan", "Speed", self.fan_speed, step=self.fan_step))
        return tuple(out)


_OFF_LIKE = frozenset({"off", "standby", "unavailable", "unknown"})
_TOGGLES = frozenset(
    {"light", "switch", "fan", "input_boolean", "automation", "media_player", "climate", "humidifier", "siren"}
)


_FIXED_BUTTONS: dict[str, tuple[tuple[str, str], ...]] = {
    "cover": (("Open", "open_cover"), ("Stop", "stop_cover"), ("Close", "close_cover")),
    "valve": (("Open", "open_valve"), ("Stop", "stop_valve"), ("Close", "close_valve")),
    "scene": (("Activate", "turn_on"),),
    "button": (("Press", "press"),),
    "input_button": (("Press", "press"),),
}
"""Rows whose buttons do not depend on the state."""


def _row_buttons(domain: str, state: str, services: frozenset[str]) -> list[tuple[str, str]]:
    """The buttons a device's row offers in its current state (each only when the entity supports it)."""
    wanted = _wanted_buttons(domain, state, services)
    return [(label, f"{domain}.{svc}") for label, svc in wanted if f"{domain}.{svc}" in services]


def _wanted_buttons(domain: str, state: str, services: frozenset[str]) -> list[tuple[str, str]]:
    """The buttons a row of this domain would offer in this state (before the entity's services are checked)."""
    if domain in _TOGGLES:
        return _toggle_buttons(domain, state, services)
    if domain in _FIXED_BUTTONS:
        return list(_FIXED_BUTTONS[domain])
    if domain == "lock":
        return [("Unlock", "unlock") if state in ("locked", "locking", "jammed") else ("Lock", "lock")]
    if domain == "script":
        return [("Stop", "turn_off") if state == "on" else ("Run", "turn_on")]
    if domain == "vacuum":
        return _vacuum_buttons(state)
    if domain == "alarm_control_panel":
        if state == "disarmed":
            return [("Arm home", "alarm_arm_home"), ("Arm away", "alarm_arm_away")]
        return [("Disarm", "alarm_disarm")]
    return []


def _toggle_buttons(domain: str, state: str, services: frozenset[str]) -> list[tuple[str, str]]:
    """On/off (or Toggle when the entity has neither), and Play/Pause for a playing media player."""
    wanted = [("Turn on", "turn_on")] if state in _OFF_LIKE else [("Turn off", "turn_off")]
    if f"{domain}.turn_on" not in services and f"{domain}.turn_off" not in services:
        wanted = [("Toggle", "toggle")]
    if domain == "media_player" and state not in _OFF_LIKE:
        wanted.append(("Play/Pause", "media_play_pause"))
    return wanted


def _vacuum_buttons(state: str) -> list[tuple[str, str]]:
    if state == "cleaning":
        return [("Pause", "pause"), ("Dock", "return_to_base")]
    if state in ("docked", "returning"):
        return [("Start", "start")]
    return [("Start", "start"), ("Dock", "return_to_base")]


def plan_controls(entity: Entityish) -> ControlPlan:
    """The controls for one entity's row, from its supported services, state and attributes."""
    view = EntityView.from_any(entity)
    eid, domain, state = str(view.entity_id), view.domain, view.state
    services, attrs = view.services, view.attributes
    brightness = position = temperature = volume = fan = None
    position_service = ""
    t_range, t_step, f_step = (7.0, 35.0), 0.5, 1.0
    if domain == "light" and "light.turn_on" in services and _light_dims(attrs):
        raw = attrs.get("brightness")
        on = state == "on"
        brightness = float(round(float(raw) / 255 * 100)) if _num(raw) and on else (100.0 if on else 0.0)
    for svc in ("cover.set_cover_position", "valve.set_valve_position"):
        if svc in services:
            pos = attrs.get("current_position")
            position = float(pos) if _num(pos) else 0.0
            position_service = svc
    if "climate.set_temperature" in services:
        target = attrs.get("temperature")
        temperature = float(target) if _num(target) else 20.0
        lo, hi = attrs.get("min_temp"), attrs.get("max_temp")
        if _num(lo) and _num(hi) and lo < hi:
            t_range = (float(lo), float(hi))
        step = attrs.get("target_temp_step")
        if _num(step) and 0 < step <= 5:
            t_step = float(step)
    if "media_player.volume_set" in services:
        vol = attrs.get("volume_level")
        volume = float(round(float(vol) * 100)) if _num(vol) else 0.0
    if "fan.set_percentage" in services:
        pct = attrs.get("percentage")
        fan = float(pct) if _num(pct) else 0.0
        step = attrs.get("percentage_step")
        if _num(step) and 0 < step <= 50:
            f_step = float(step)
    return ControlPlan(
        entity_id=eid,
        buttons=tuple(_row_buttons(domain, state, services)),
        brightness=brightness,
        position=position,
        position_service=position_service,
        temperature=temperature,
        temperature_range=t_range,
        temperature_step=t_step,
        temperature_unit=_temp_unit(attrs),
        volume=volume,
        fan_speed=fan,
        fan_step=f_step,
    )


def slider_service(plan: ControlPlan, kind: str, value: float) -> tuple[str, dict[str, Any]]:
    """The service call for a slider: brightness, position, temperature, volume (0..100 %) or fan speed."""
    if kind == "brightness":
        return "light.turn_on", {"brightness_pct": round(value)}
    if kind == "position":
        return plan.position_service, {"position": round(value)}
    if kind == "temperature":
        return "climate.set_temperature", {"temperature": float(value)}
    if kind == "volume":
        return "media_player.volume_set", {"volume_level": round(float(value) / 100, 2)}
    if kind == "fan":
        return "fan.set_percentage", {"percentage": round(value)}
    raise ValueError(f"unknown control {kind!r}")


def row_request(entity: Entityish | None, payload: Any) -> tuple[str, dict[str, Any]] | None:
    """The (service, data) a row event asks for, or None when it is not one this entity's row offers.

    ``payload`` is what the page sent: ``{"entity": id, "service": "lock.unlock"}`` for a button, or
    ``{"entity": id, "kind": "brightness", "value": 40}`` for a slider. The service must be one the entity supports
    (in its domain), the slider one its row shows, and the value is clamped to the slider's range.
    """
    if entity is None or not isinstance(payload, Mapping):
        return None
    view = EntityView.from_any(entity)
    if str(payload.get("entity", "")) != str(view.entity_id):
        return None
    services = view.services
    service = payload.get("service")
    if service is not None:
        service = str(service)
        if service in services and service.split(".", 1)[0] == view.domain:
            return service, {}
        return None
    plan = plan_controls(view)
    kind = str(payload.get("kind", ""))
    spec = next((s for s in plan.sliders() if s.kind == kind), None)
    value = payload.get("value")
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if spec is None or not _num(value):
        return None
    clamped = min(spec.maximum, max(spec.minimum, float(value)))
    service, data = slider_service(plan, kind, clamped)
    return (service, data) if service in services else None


def _light_dims(attrs: Mapping[str, Any]) -> bool:
    modes = attrs.get("supported_color_modes")
    if modes is None:
        return True
    modes_set = {str(m).lower() for m in (modes if isinstance(modes, list | tuple | set | frozenset) else [modes])}
    return bool(modes_set - {"onoff", "unknown"})


# ---------------------------------------------------------------------------------------------- HTML


def _slider_html(name: str, spec: SliderSpec) -> str:
    shown = _unit_join(_fmt(spec.value), spec.unit)
    return (
        f'<label class="slider"><span class="what">{_esc(spec.label)}</span>'
        f'<input type="range" data-kind="{_esc(spec.kind)}" data-unit="{_esc(spec.unit)}" '
        f'min="{_fmt(spec.minimum)}" max="{_fmt(spec.maximum)}" step="{_fmt(spec.step)}" value="{_fmt(spec.value)}" '
        f'aria-label="{_esc(f"{name} {spec.label.lower()}")}">'
        f"{_live(spec.kind, shown).replace('<span', '<output', 1).replace('</span>', '</output>')}</label>"
    )


def _row_html(entity: EntityView, changed: bool) -> str:
    eid = str(entity.entity_id)
    name = str(entity.name or eid)
    domain, state = entity.domain, entity.state
    plan = plan_controls(entity)
    buttons = [
        f'<button type="button" class="act" data-service="{_esc(svc)}" aria-label="{_esc(f"{label} {name}")}">'
        f"{_esc(label)}</button>"
        for label, svc in plan.buttons
    ]
    shown = " · ".join(_state_parts(entity))
    badge = f'<span class="state {state_class(entity)}" data-state="{_esc(state)}">{shown}</span>'
    if (domain in _NO_BADGE or (domain == "script" and state != "on")) and buttons:
        right, buttons = f'<span class="lead">{buttons[0]}</span>', buttons[1:]
    else:
        right = badge
    sliders = [_slider_html(name, s) for s in plan.sliders()]
    controls = f'<div class="controls">{"".join(buttons)}{"".join(sliders)}</div>' if (buttons or sliders) else ""
    cls = "entity changed" if changed else "entity"
    return (
        f'<div class="{cls}" data-entity="{_esc(eid)}" data-domain="{_esc(domain)}">'
        f'<div class="head"><div class="name">{_esc(name)}<div class="eid">{_esc(eid)}</div></div>{right}</div>'
        f"{controls}</div>"
    )


_DOMAIN_ORDER = (
    "weather", "climate", "light", "switch", "fan", "cover", "valve", "lock", "alarm_control_panel", "media_player",
    "vacuum", "scene", "script", "button", "input_button", "input_boolean", "todo", "binary_sensor", "sensor",
)  # fmt: skip
"""Rows within an area: what people control first, readings last."""


def _row_key(entity: EntityView) -> tuple[int, str]:
    domain = entity.domain
    rank = _DOMAIN_ORDER.index(domain) if domain in _DOMAIN_ORDER else len(_DOMAIN_ORDER)
    return rank, str(entity.name).casefold()


def _area_card(name: str, entities: list[EntityView], marked: set[str]) -> str:
    if not entities:
        return ""
    rows = "".join(_row_html(e, str(e.entity_id) in marked) for e in sorted(entities, key=_row_key))
    return f'<div class="area-card"><h4>{_esc(name)}</h4>{rows}</div>'


def dashboard_html(
    entities: Iterable[Entityish],
    areas: Iterable[Mapping[str, Any] | AreaView | Any],
    floors: Iterable[Mapping[str, Any] | FloorView | Any],
    *,
    highlight: Iterable[str] = (),
) -> str:
    """Devices grouped by floor, then area, each row with its state and controls; ``highlight`` marks recently
    changed entities."""
    floor_views = [FloorView.from_any(f) for f in floors]
    area_views = [AreaView.from_any(a) for a in areas]
    marked = set(highlight)
    area_by_id = {a.id: a for a in area_views}
    by_area: dict[str | None, list[EntityView]] = {}
    for e in map(EntityView.from_any, entities):
        aid = e.area_id
        by_area.setdefault(aid if aid in area_by_id else None, []).append(e)

    def floor_key(f: FloorView) -> tuple[int, str]:
        level = f.level
        return (level if isinstance(level, int) else 999, str(f.name))

    groups: list[tuple[str, list[AreaView]]] = []
    for f in sorted(floor_views, key=floor_key):
        groups.append((str(f.name), [a for a in area_views if a.floor_id == f.id]))
    floor_ids = {f.id for f in floor_views}
    no_floor = [a for a in area_views if a.floor_id not in floor_ids]
    if no_floor:
        groups.append(("Other areas" if floor_views else "Areas", no_floor))

    parts = ['<div class="home-dashboard">']
    for floor_name, floor_areas in groups:
        cards = [_area_card(str(a.name), by_area.get(a.id, []), marked) for a in floor_areas]
        cards = [c for c in cards if c]
        if not cards:
            continue
        parts.append(f'<section class="floor"><h3>{_esc(floor_name)}</h3><div class="areas">{"".join(cards)}</div>')
        parts.append("</section>")
    unassigned = by_area.get(None, [])
    if unassigned:
        card = _area_card("No area", unassigned, marked)
        parts.append(f'<section class="floor"><h3>Unassigned</h3><div class="areas">{card}</div></section>')
    if len(parts) == 1:
        parts.append("<p>No devices in this home.</p>")
    parts.append("</div>")
    return "".join(parts)
