"""MQTT lights: the default schema (one topic per attribute) and the ``json`` schema (one JSON state and command)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from devices.adapters.mqtt.entity import EchoPlatform, MqttEntity, Predicate, close_to, need, on_off_state

__all__ = ["LIGHT", "LightPlatform"]


class LightPlatform(EchoPlatform):
    name = "light"

    def attributes(self, cfg: Mapping[str, Any]) -> dict[str, Any]:
        modes = cfg.get("supported_color_modes")
        if not isinstance(modes, list) or not modes:
            if cfg.get("schema") == "json":
                modes = ["brightness"] if cfg.get("brightness") else ["onoff"]
            else:
                modes = []
                if cfg.get("rgb_command_topic"):
                    modes.append("rgb")
                if cfg.get("color_temp_command_topic"):
                    modes.append("color_temp")
                if not modes:
                    modes = ["brightness"] if cfg.get("brightness_command_topic") else ["onoff"]
        attrs: dict[str, Any] = {"supported_color_modes": [str(m) for m in modes]}
        if cfg.get("effect_list"):
            attrs["effect_list"] = list(cfg["effect_list"])
            attrs["supported_features"] = 4
        else:
            attrs["supported_features"] = 0
        return attrs

    # ---- state ----------------------------------------------------------------------------------------------------

    def apply_state(self, ent: MqttEntity, topic: str, payload: str) -> None:
        cfg, attrs = ent.config, ent.attributes
        if ent.json_schema and topic == cfg.get("state_topic"):
            self._apply_json(ent, payload)
            return
        if topic == cfg.get("state_topic"):
            value = ent.render("state_value_template", payload, "value_template")
            if value is not None:
                ent.last_state = on_off_state(ent, value)
                if ent.last_state == "off":
                    attrs["brightness"] = None
        if topic == cfg.get("brightness_state_topic"):
            value = ent.render("brightness_value_template", payload)
            scale = float(ent.cfg("brightness_scale", 255))
            if value is not None and re.fullmatch(r"\d+(\.\d+)?", value.strip()):
                attrs["brightness"] = round(float(value) * 255 / scale)
        if topic == cfg.get("rgb_state_topic"):
            parts = payload.split(",")
            if len(parts) == 3 and all(p.strip().isdigit() for p in parts):
                attrs["rgb_color"] = [int(p) for p in parts]
                attrs["color_mode"] = "rgb"
        if topic == cfg.get("color_temp_state_topic") and payload.strip().isdigit():
            value_num = int(payload.strip())
            attrs["color_temp_kelvin"] = value_num if ent.cfg("color_temp_kelvin", False) else round(1e6 / value_num)
            attrs["color_mode"] = "color_temp"

    @staticmethod
    def _apply_json(ent: MqttEntity, payload: str) -> None:
        try:
            data = json.loads(payload)
        except ValueError:
            return
        if not isinstance(data, dict):
            return
        attrs = ent.attributes
        if data.get("state") in ("ON", "OFF"):
            ent.last_state = "on" if data["state"] == "ON" else "off"
        scale = float(ent.cfg("brightness_scale", 255))
        if isinstance(data.get("brightness"), int | float):
            attrs["brightness"] = round(float(data["brightness"]) * 255 / scale)
        if ent.last_state == "off":
            attrs["brightness"] = None
        color = data.get("color")
        if isinstance(color, dict) and all(k in color for k in ("r", "g", "b")):
            attrs["rgb_color"] = [int(color["r"]), int(color["g"]), int(color["b"])]
        if isinstance(data.get("color_temp"), int | float) and data["color_temp"]:
            ct = float(data["color_temp"])
            attrs["color_temp_kelvin"] = round(ct) if ent.cfg("color_temp_kelvin", False) else round(1e6 / ct)
        if isinstance(data.get("color_mode"), str):
            attrs["color_mode"] = data["color_mode"]
        if isinstance(data.get("effect"), str):
            attrs["effect"] = data["effect"]

    # ---- commands -------------------------------------------------------------------------------------------------

    def commands(self, ent: MqttEntity, name: str, data: Mapping[str, Any], state: str) -> list[tuple[str, str]]:
        if ent.json_schema:
            return [(need(ent.config.get("command_topic")), json.dumps(self._json_body(ent, name, data)))]
        cmd = ent.config.get("command_topic")
        if name == "turn_off":
            return [(need(cmd), str(ent.cfg("payload_off", "OFF")))]
        extra = self._attribute_commands(ent, data)
        on = (need(cmd), str(ent.cfg("payload_on", "ON")))
        order = ent.cfg("on_command_type", "last")
        if order == "brightness" and "brightness" in data:
            return extra
        return [on, *extra] if order == "first" else [*extra, on]

    @staticmethod
    def _json_body(ent: MqttEntity, name: str, data: Mapping[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {"state": "ON" if name == "turn_on" else "OFF"}
        scale = float(ent.cfg("brightness_scale", 255))
        if "brightness" in data:
            body["brightness"] = round(int(data["brightness"]) * scale / 255)
        if "rgb_color" in data:
            r, g, b = data["rgb_color"]
            body["color"] = {"r": r, "g": g, "b": b}
            body["color_mode"] = "rgb"
        if "color_temp_kelvin" in data:
            k = int(data["color_temp_kelvin"])
            body["color_temp"] = k if ent.cfg("color_temp_kelvin", False) else round(1e6 / k)
            body["color_mode"] = "color_temp"
        for key in ("transition", "effect", "flash"):
            if key in data:
                body[key] = data[key]
        return body

    @staticmethod
    def _attribute_commands(ent: MqttEntity, data: Mapping[str, Any]) -> list[tuple[str, str]]:
        cfg = ent.config
        extra: list[tuple[str, str]] = []
        if "brightness" in data:
            scale = float(ent.cfg("brightness_scale", 255))
            extra.append((need(cfg.get("brightness_command_topic")), str(round(int(data["brightness"]) * scale / 255))))
        if "rgb_color" in data:
            extra.append((need(cfg.get("rgb_command_topic")), ",".join(str(v) for v in data["rgb_color"])))
        if "color_temp_kelvin" in data:
            k = int(data["color_temp_kelvin"])
            value = k if ent.cfg("color_temp_kelvin", False) else round(1e6 / k)
            extra.append((need(cfg.get("color_temp_command_topic")), str(value)))
        return extra

    def predicate(self, ent: MqttEntity, name: str, data: Mapping[str, Any], state: str) -> Predicate:
        if name not in ("turn_on", "turn_off"):
            return lambda st, attrs: True
        want_on = name == "turn_on"
        reports_all = ent.json_schema
        cfg = ent.config
        check_bright = "brightness" in data and bool(reports_all or cfg.get("brightness_state_topic"))
        check_rgb = "rgb_color" in data and bool(reports_all or cfg.get("rgb_state_topic"))

        def check(st: str, attrs: Mapping[str, Any]) -> bool:
            if st != ("on" if want_on else "off"):
                return False
            if not want_on:
                return True
            bright_ok = not check_bright or close_to(attrs, "brightness", data["brightness"], 3)
            rgb_ok = not check_rgb or close_to(attrs, "rgb_color", list(data["rgb_color"]), 2)
            return bool(bright_ok and rgb_ok)

        return check

    def unreported(self, ent: MqttEntity, name: str, data: Mapping[str, Any]) -> bool:
        if name not in ("turn_on", "toggle"):
            return False
        checked = {"transition", "flash"}
        if ent.json_schema or ent.config.get("brightness_state_topic"):
            checked.add("brightness")
        if ent.json_schema or ent.config.get("rgb_state_topic"):
            checked.add("rgb_color")
        return bool(set(data) - checked)


LIGHT = LightPlatform()
