"""Load a home from a file: Home Assistant test fixtures (JSON/YAML) or synthetic-home inventory YAML."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from contracts.features import FEATURE_ENUMS, derive_services
from contracts.home import Area, Entity, Floor, RiskTier
from contracts.messages import AssistantError, ErrorCode

__all__ = [
    "DEFAULT_STATES",
    "Device",
    "HomeSpec",
    "expand_name",
    "load_home_data",
    "load_home_file",
    "make_entity",
    "slugify",
]

DEFAULT_STATES: dict[str, str] = {
    "light": "off",
    "switch": "off",
    "input_boolean": "off",
    "fan": "off",
    "cover": "closed",
    "valve": "closed",
    "lock": "locked",
    "climate": "off",
    "media_player": "off",
    "vacuum": "docked",
    "todo": "0",
    "script": "off",
    "binary_sensor": "off",
    "alarm_control_panel": "disarmed",
    "siren": "off",
    "humidifier": "off",
}
"""State of an entity the file gives no state for (other domains: 'unknown')."""

_NUMERIC_ATTRIBUTES = frozenset(
    {
        "brightness",
        "current_position",
        "current_tilt_position",
        "position",
        "volume_level",
        "temperature",
        "current_temperature",
        "target_temp_high",
        "target_temp_low",
        "target_temp_step",
        "min_temp",
        "max_temp",
        "humidity",
        "current_humidity",
        "percentage",
        "percentage_step",
        "color_temp_kelvin",
        "min_color_temp_kelvin",
        "max_color_temp_kelvin",
        "battery_level",
        "min",
        "max",
        "step",
    }
)
_ENUM_RE = re.compile(r"^(?:[a-z_]+\.)+(?P<cls>[A-Z][A-Za-z]+)\.(?P<member>[A-Z][A-Z0-9_]*)$")
_UNITS = {
    "CELSIUS": "°C",
    "FAHRENHEIT": "°F",
    "KELVIN": "K",
    "PERCENTAGE": "%",
}
_SPEC_KEYS = {"id", "name", "area", "device", "state", "attributes", "aliases", "risk", "domain", "floor"}


def slugify(text: str) -> str:
    """Home Assistant-style slug: ASCII, lower case, words joined by '_'."""
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    norm = re.sub(r"[^a-z0-9]+", "_", norm.lower().replace("'", "")).strip("_")
    return norm or "unnamed"


def expand_name(template: str) -> tuple[str, list[str]]:
    """Expand hassil-style ``[optional]`` and ``(a|b)`` parts of a name: (display name, every variant)."""
    variants = [""]
    display = ""
    pos = 0
    pattern = re.compile(r"\[([^\[\]]*)\]|\(([^()]*)\)")
    for m in pattern.finditer(template):
        literal = template[pos : m.start()]
        variants = [v + literal for v in variants]
        display += literal
        if m.group(1) is not None:
            variants = [v + opt for v in variants for opt in ("", m.group(1))]
            display += m.group(1)
        else:
            alts = m.group(2).split("|")
            variants = [v + alt for v in variants for alt in alts]
            display += alts[0]
        pos = m.end()
    variants = [v + template[pos:] for v in variants]
    display += template[pos:]
    clean = [" ".join(v.split()) for v in variants]
    return " ".join(display.split()), list(dict.fromkeys(c for c in clean if c))


@dataclass(frozen=True, slots=True)
class Device:
    """A physical device grouping entities."""

    id: str
    """Device id."""
    name: str
    """Display name."""
    area_id: str | None = None
    """Area it is in."""
    info: Mapping[str, Any] = field(default_factory=dict)
    """Manufacturer/model details, kept as given."""


@dataclass(frozen=True, slots=True)
class HomeSpec:
    """A home as described by a file: floors, areas, devices, entities (with initial state) and risk overrides."""

    floors: tuple[Floor, ...] = ()
    """Floors."""
    areas: tuple[Area, ...] = ()
    """Areas."""
    devices: tuple[Device, ...] = ()
    """Devices."""
    entities: tuple[Entity, ...] = ()
    """Entities with their initial state."""
    risk: Mapping[str, RiskTier | Mapping[str, RiskTier]] = field(default_factory=dict)
    """Per-entity risk from the file: entity_id -> tier, or entity_id -> {service: tier}."""
    source: str = ""
    """Where it was loaded from."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Top-level keys not about devices (timers, media, language...), kept as given."""


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that records the line of every mapping."""


class _LineDict(dict[str, Any]):
    line: int | None = None


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _LineDict:
    out = _LineDict({str(k): v for k, v in loader.construct_mapping(node, deep=True).items()})
    out.line = node.start_mark.line + 1
    return out


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class _Ctx:
    """Error context: the file and a key path, with the YAML line when known."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str, node: Any = None) -> AssistantError:
        line = getattr(node, "line", None)
        at = f"{where} (line {line})" if line else where
        return AssistantError(
            ErrorCode.HOME_INVALID,
            f"Home file {self.source}: {at}: {message}",
            details={"file": self.source, "key": where, "line": line},
        )


def load_home_file(path: str | Path, *, section: str | None = None) -> HomeSpec:
    """Load a home file (JSON or YAML, either format). ``section`` picks one home of a multi-home file.

    Files that map names to homes (Home Assistant's ``local_fixtures.json``) are merged when no section is given.
    Raises ``AssistantError(home-invalid)`` naming the file, the key and (YAML) the line.
    """
    p = Path(path)
    ctx = _Ctx(str(p))
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise AssistantError(
            ErrorCode.HOME_INVALID, f"Home file {p} cannot be read: {exc}", details={"file": str(p)}
        ) from exc
    try:
        data = json.loads(text) if p.suffix.lower() == ".json" else yaml.load(text, Loader=_LineLoader)
    except json.JSONDecodeError as exc:
        raise AssistantError(
            ErrorCode.HOME_INVALID,
            f"Home file {p} is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}",
            details={"file": str(p), "line": exc.lineno},
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise AssistantError(
            ErrorCode.HOME_INVALID,
            f"Home file {p} is not valid YAML (line {line}): {exc}",
            details={"file": str(p), "line": line},
        ) from exc
    return _load(data, ctx, section)


def load_home_data(data: Mapping[str, Any], *, source: str = "<data>", section: str | None = None) -> HomeSpec:
    """Build a ``HomeSpec`` from already-parsed data (either format)."""
    return _load(data, _Ctx(source), section)


def _load(data: Any, ctx: _Ctx, section: str | None) -> HomeSpec:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ctx.fail("(root)", "the top level must be a mapping")
    home_keys = {"areas", "floors", "entities", "devices"}
    if section is not None:
        if section not in data or not isinstance(data[section], dict):
            raise ctx.fail(section, f"no such home section (have: {', '.join(sorted(map(str, data)))})")
        return _parse(data[section], ctx, prefix=f"{section}.")
    if data and not (home_keys & set(data)) and all(isinstance(v, dict) for v in data.values()):
        # a file of homes (HA local fixtures): merge them, first definition of an id wins
        parts = [_parse(v, ctx, prefix=f"{k}.") for k, v in data.items()]
        return _merge_specs(parts, ctx.source)
    return _parse(data, ctx, prefix="")


def _merge_specs(parts: Sequence[HomeSpec], source: str) -> HomeSpec:
    floors: dict[str, Floor] = {}
    areas: dict[str, Area] = {}
    devices: dict[str, Device] = {}
    entities: dict[str, Entity] = {}
    risk: dict[str, Any] = {}
    for part in parts:
        for f in part.floors:
            floors.setdefault(f.id, f)
        for a in part.areas:
            areas.setdefault(a.id, a)
        for d in part.devices:
            devices.setdefault(d.id, d)
        for e in part.entities:
            entities.setdefault(e.entity_id, e)
        for k, v in part.risk.items():
            risk.setdefault(k, v)
    return HomeSpec(
        tuple(floors.values()),
        tuple(areas.values()),
        tuple(devices.values()),
        tuple(entities.values()),
        risk,
        source,
    )


def _str_list(value: Any, where: str, ctx: _Ctx, node: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return tuple(str(v) for v in value)
    raise ctx.fail(where, "must be a string or a list of strings", node)


def _items(data: Mapping[str, Any], key: str, ctx: _Ctx, prefix: str) -> Iterator[tuple[str, dict[str, Any]]]:
    value = data.get(key)
    if value is None:
        return
    if not isinstance(value, list):
        raise ctx.fail(f"{prefix}{key}", "must be a list", data)
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise ctx.fail(f"{prefix}{key}[{i}]", "must be a mapping", data)
        yield f"{prefix}{key}[{i}]", item


def _convert_enum(value: Any, where: str, ctx: _Ctx, node: Any) -> Any:
    """Turn synthetic-home enum strings ('cover.CoverDeviceClass.GARAGE') into HA values."""
    if isinstance(value, list):
        if value and all(isinstance(v, str) and _ENUM_RE.match(v.strip()) for v in value):
            converted = [_convert_enum(v, where, ctx, node) for v in value]
            if all(isinstance(c, int) for c in converted):
                total = 0
                for c in converted:
                    total |= c
                return total
            return converted
        return [_convert_enum(v, where, ctx, node) for v in value]
    if isinstance(value, dict):
        return {k: _convert_enum(v, f"{where}.{k}", ctx, node) for k, v in value.items()}
    if not isinstance(value, str):
        return value
    parts = [p.strip() for p in value.split("|")]
    if not all(_ENUM_RE.match(p) for p in parts):
        return value
    flags: list[int] = []
    for part in parts:
        m = _ENUM_RE.match(part)
        assert m is not None
        cls, member = m.group("cls"), m.group("member")
        if cls.endswith("EntityFeature"):
            enum = FEATURE_ENUMS.get(cls)
            if enum is None or member not in enum.__members__:
                raise ctx.fail(where, f"unknown feature flag '{part}'", node)
            flags.append(int(enum[member]))
        elif len(parts) == 1:
            if cls.startswith("UnitOf") or member in _UNITS:
                return _UNITS.get(member, member.lower())
            return member.lower()
        else:
            raise ctx.fail(where, f"'{value}': only feature flags can be combined with '|'", node)
    total = 0
    for f in flags:
        total |= f
    return total


def _coerce_numbers(attributes: dict[str, Any], domain: str) -> None:
    for key in list(attributes):
        value = attributes[key]
        if key in _NUMERIC_ATTRIBUTES and isinstance(value, str):
            try:
                num = float(value.strip())
            except ValueError:
                continue
            attributes[key] = int(num) if num.is_integer() else num
    if domain in ("cover", "valve") and "position" in attributes and "current_position" not in attributes:
        attributes["current_position"] = attributes["position"]
    vol = attributes.get("volume_level")
    if isinstance(vol, int | float) and 1 < vol <= 100:
        attributes["volume_level"] = round(vol / 100.0, 3)  # given in percent
    sf = attributes.get("supported_features")
    if isinstance(sf, str) and sf.strip().isdigit():
        attributes["supported_features"] = int(sf.strip())


def make_entity(
    entity_id: str,
    name: str,
    *,
    state: str | None = None,
    attributes: Mapping[str, Any] | None = None,
    aliases: Sequence[str] = (),
    area_id: str | None = None,
    device_id: str | None = None,
) -> Entity:
    """Build an ``Entity`` with derived device class, services and ``friendly_name``."""
    domain = entity_id.split(".", 1)[0]
    attrs = dict(attributes or {})
    attrs.setdefault("friendly_name", name)
    device_class = attrs.get("device_class")
    return Entity(
        entity_id=entity_id,
        name=name,
        state=state if state is not None else DEFAULT_STATES.get(domain, "unknown"),
        attributes=attrs,
        aliases=tuple(dict.fromkeys(a for a in aliases if a and a != name)),
        area_id=area_id,
        device_id=device_id,
        device_class=str(device_class) if device_class is not None else None,
        services=derive_services(domain, attrs),
    )


def _parse(data: Mapping[str, Any], ctx: _Ctx, *, prefix: str) -> HomeSpec:
    if not isinstance(data, dict):
        raise ctx.fail(prefix.rstrip(".") or "(root)", "must be a mapping")
    if "devices" in data and isinstance(data["devices"], dict):
        raise ctx.fail(
            f"{prefix}devices",
            "synthetic-home 'device_type' homes are not supported; use the inventory form "
            "(a list of devices with entities)",
            data,
        )
    floors: dict[str, Floor] = {}
    floor_by_name: dict[str, str] = {}
    for where, item in _items(data, "floors", ctx, prefix):
        name = item.get("name") or item.get("id")
        if not isinstance(name, str) or not name.strip():
            raise ctx.fail(f"{where}.name", "a floor needs a name or id", item)
        fid = str(item.get("id") or slugify(name))
        if fid in floors:
            raise ctx.fail(f"{where}.id", f"duplicate floor id '{fid}'", item)
        level = item.get("level")
        if level is not None and not isinstance(level, int):
            raise ctx.fail(f"{where}.level", "must be an integer", item)
        floors[fid] = Floor(fid, name, _str_list(item.get("aliases"), f"{where}.aliases", ctx, item), level)
        floor_by_name[name.casefold()] = fid

    def floor_ref(value: Any, where: str, node: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ctx.fail(where, "must be a floor id or name", node)
        if value in floors:
            return value
        if value.casefold() in floor_by_name:
            return floor_by_name[value.casefold()]
        fid = slugify(value)
        floors.setdefault(fid, Floor(fid, value))
        floor_by_name[value.casefold()] = fid
        return fid

    areas: dict[str, Area] = {}
    area_by_name: dict[str, str] = {}
    for where, item in _items(data, "areas", ctx, prefix):
        raw_name = item.get("name") or item.get("id")
        if not isinstance(raw_name, str) or not raw_name.strip():
            raise ctx.fail(f"{where}.name", "an area needs a name or id", item)
        name, variants = expand_name(raw_name)
        aid = str(item.get("id") or slugify(name))
        if aid in areas:
            raise ctx.fail(f"{where}.id", f"duplicate area id '{aid}'", item)
        aliases = [v for v in variants if v != name]
        aliases += list(_str_list(item.get("aliases"), f"{where}.aliases", ctx, item))
        floor_id = floor_ref(item.get("floor"), f"{where}.floor", item)
        areas[aid] = Area(aid, name, tuple(dict.fromkeys(aliases)), floor_id)
        area_by_name[name.casefold()] = aid

    def area_ref(value: Any, where: str, node: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ctx.fail(where, "must be an area id or name", node)
        if value in areas:
            return value
        if value.casefold() in area_by_name:
            return area_by_name[value.casefold()]
        raise ctx.fail(where, f"unknown area '{value}'", node)

    devices: dict[str, Device] = {}
    entity_items: list[tuple[str, dict[str, Any], Device | None]] = []
    for where, item in _items(data, "devices", ctx, prefix):
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ctx.fail(f"{where}.name", "a device needs a name", item)
        did = str(item.get("id") or slugify(name))
        if did in devices:
            raise ctx.fail(f"{where}.id", f"duplicate device id '{did}'", item)
        info = item.get("info") or {}
        if not isinstance(info, dict):
            raise ctx.fail(f"{where}.info", "must be a mapping", item)
        device = Device(did, name, area_ref(item.get("area"), f"{where}.area", item), _plain(info))
        devices[did] = device
        for ewhere, eitem in _items(item, "entities", ctx, f"{where}."):
            entity_items.append((ewhere, eitem, device))
    for where, item in _items(data, "entities", ctx, prefix):
        entity_items.append((where, item, None))

    entities: dict[str, Entity] = {}
    risk: dict[str, Any] = {}
    for where, item, parent in entity_items:
        entity = _parse_entity(where, item, parent, ctx, area_ref, devices, set(entities))
        entities[entity.entity_id] = entity
        if "risk" in item:
            risk[entity.entity_id] = _parse_entity_risk(item["risk"], f"{where}.risk", ctx, item)
    extra = {k: _plain(v) for k, v in data.items() if k not in {"areas", "floors", "entities", "devices"}}
    return HomeSpec(
        tuple(floors.values()),
        tuple(areas.values()),
        tuple(devices.values()),
        tuple(entities.values()),
        risk,
        ctx.source,
        extra,
    )


def _parse_entity_risk(value: Any, where: str, ctx: _Ctx, node: Any) -> RiskTier | dict[str, RiskTier]:
    try:
        if isinstance(value, str):
            return RiskTier(value)
        if isinstance(value, dict):
            return {str(k): RiskTier(str(v)) for k, v in value.items()}
    except ValueError as exc:
        raise ctx.fail(where, f"risk must be one of {', '.join(t.value for t in RiskTier)}", node) from exc
    raise ctx.fail(where, "must be a tier or a mapping of service -> tier", node)


def _parse_entity(
    where: str,
    item: dict[str, Any],
    parent: Device | None,
    ctx: _Ctx,
    area_ref: Any,
    devices: Mapping[str, Device],
    taken: set[str],
) -> Entity:
    raw_id = item.get("id", item.get("entity_id"))
    raw_name = item.get("name")
    domain = item.get("domain")
    if raw_name is not None and not isinstance(raw_name, str):
        raise ctx.fail(f"{where}.name", "must be a string", item)
    if raw_name is None and parent is not None:
        raw_name = parent.name
    if raw_id is None:
        if not isinstance(domain, str) or not raw_name:
            raise ctx.fail(where, "an entity needs an 'id' (domain.object_id), or a 'name' and a 'domain'", item)
        base = f"{domain}.{slugify(expand_name(raw_name)[0])}"
        raw_id, n = base, 2
        while raw_id in taken:
            raw_id, n = f"{base}_{n}", n + 1
    if not isinstance(raw_id, str) or "." not in raw_id or not all(raw_id.split(".", 1)):
        raise ctx.fail(f"{where}.id", f"'{raw_id}' is not an entity id of the form domain.object_id", item)
    entity_id = raw_id.strip()
    edomain = entity_id.split(".", 1)[0]
    if domain is not None and domain != edomain:
        raise ctx.fail(f"{where}.domain", f"'{domain}' does not match the entity id '{entity_id}'", item)
    if entity_id in taken:
        raise ctx.fail(f"{where}.id", f"duplicate entity id '{entity_id}'", item)
    if not raw_name:
        raw_name = entity_id.split(".", 1)[1].replace("_", " ").title()
    name, variants = expand_name(raw_name)
    aliases = [v for v in variants if v != name]
    aliases += list(_str_list(item.get("aliases"), f"{where}.aliases", ctx, item))

    attributes_raw = item.get("attributes") or {}
    if not isinstance(attributes_raw, dict):
        raise ctx.fail(f"{where}.attributes", "must be a mapping", item)
    attributes = {
        str(k): _convert_enum(_plain(v), f"{where}.attributes.{k}", ctx, item) for k, v in attributes_raw.items()
    }
    # keys beyond the known ones (HA local fixtures: light_supports_brightness, state_with_unit, ...) are kept
    for key, value in item.items():
        if key not in _SPEC_KEYS and key != "entity_id":
            attributes.setdefault(str(key), _plain(value))
    if edomain == "light" and "supported_color_modes" not in attributes:
        b, c = attributes.get("light_supports_brightness"), attributes.get("light_supports_color")
        if isinstance(b, bool) or isinstance(c, bool):
            modes = ["rgb"] if c else ["brightness"] if b else ["onoff"]
            attributes["supported_color_modes"] = modes
    _coerce_numbers(attributes, edomain)

    state = item.get("state")
    if isinstance(state, dict):
        # HA intent fixtures: {"in": spoken form, "out": the real state}
        if "out" not in state:
            raise ctx.fail(f"{where}.state", "a state mapping needs an 'out' value", item)
        if "in" in state:
            attributes.setdefault("spoken_state", str(state["in"]))
        state = state["out"]
    if state is None and "state_with_unit" in attributes:
        first = str(attributes["state_with_unit"]).split(" ", 1)[0]
        state = first if re.fullmatch(r"-?\d+(\.\d+)?", first) else None
    if state is not None and not isinstance(state, str | int | float | bool):
        raise ctx.fail(f"{where}.state", "must be a string", item)
    if isinstance(state, bool):
        state = "on" if state else "off"

    device_ref = item.get("device")
    device = parent
    if device_ref is not None:
        if not isinstance(device_ref, str) or device_ref not in devices:
            raise ctx.fail(f"{where}.device", f"unknown device '{device_ref}'", item)
        device = devices[device_ref]
    area_id = area_ref(item.get("area"), f"{where}.area", item)
    if area_id is None and device is not None:
        area_id = device.area_id
    return make_entity(
        entity_id,
        name,
        state=str(state) if state is not None else None,
        attributes=attributes,
        aliases=aliases,
        area_id=area_id,
        device_id=device.id if device else None,
    )
