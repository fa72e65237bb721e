"""The home: a Home Assistant-compatible device model, a persistent simulated home, MQTT and HA REST adapters.

``create_home(file=..., adapter="simulated")`` is the entry point; ``devices.api`` is the contract the rest of the
product uses. This package depends only on ``assistant.messages`` (never on ``assistant.config``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contracts.messages import AssistantError, ErrorCode
from devices.adapters.base import Adapter
from devices.adapters.simulated import STATE_FILE, SimulatedAdapter
from devices.home import Home
from devices.loader import HomeSpec, load_home_data, load_home_file

if TYPE_CHECKING:
    from devices.adapters.homeassistant import HaSettings
    from devices.adapters.mqtt import MqttSettings

__all__ = [
    "STATE_FILE",
    "Home",
    "HomeSpec",
    "create_home",
    "create_home_from_config",
    "load_home_data",
    "load_home_file",
]

ADAPTERS = ("simulated", "mqtt", "homeassistant")


def create_home(
    *,
    file: Path | str,
    adapter: str = "simulated",
    data_dir: Path | None = None,
    persist: bool = True,
    risk: Mapping[str, str] | None = None,
    mqtt: MqttSettings | None = None,
    ha: HaSettings | None = None,
    section: str | None = None,
) -> Home:
    """Load the home file and start it on an adapter.

    - ``simulated``: state in ``data_dir/home_state.sqlite`` when ``persist`` (and ``data_dir``) are set.
    - ``mqtt``: entities come from Home Assistant MQTT discovery on the broker in ``mqtt``; the file adds names,
      aliases and areas for the entity ids it lists.
    - ``homeassistant``: entities and state from a Home Assistant instance's REST API (``ha``), same overlay.
    """
    path = Path(file)
    spec = load_home_file(path, section=section)
    impl: Adapter
    if adapter == "simulated":
        db = Path(data_dir) / STATE_FILE if persist and data_dir is not None else None
        key = path.name if section is None else f"{path.name}#{section}"
        impl = SimulatedAdapter(spec.entities, db_path=db, home_key=key)
    elif adapter == "mqtt":
        from devices.adapters.mqtt import MqttAdapter, MqttSettings

        impl = MqttAdapter(mqtt or MqttSettings())
    elif adapter == "homeassistant":
        from devices.adapters.homeassistant import HaRestAdapter

        if ha is None:
            raise AssistantError(
                ErrorCode.CONFIG_INVALID,
                "The homeassistant adapter needs home.ha_url and a token",
                details={"key": "home.ha_url"},
            )
        impl = HaRestAdapter(ha)
    else:
        raise AssistantError(
            ErrorCode.CONFIG_INVALID,
            f"Unknown home adapter '{adapter}' (use one of {', '.join(ADAPTERS)})",
            details={"key": "home.adapter"},
        )
    return Home(spec, impl, risk=risk, file=path)


def create_home_from_config(section: Any, *, data_dir: Path, project_root: Path | None = None) -> Home:
    """Build a home from a ``HomeConfig``-like object (duck-typed: this package does not import the config)."""
    import os

    from devices.adapters.homeassistant import HaSettings
    from devices.adapters.mqtt import MqttSettings

    file = Path(section.file).expanduser()
    if not file.is_absolute() and project_root is not None:
        file = project_root / file
    mqtt = MqttSettings(
        host=section.mqtt_host,
        port=section.mqtt_port,
        username=section.mqtt_username,
        password=section.mqtt_password,
        discovery_prefix=section.mqtt_discovery_prefix,
        command_timeout_s=getattr(section, "mqtt_command_timeout_s", 3.0),
    )
    ha = None
    if section.adapter == "homeassistant":
        token = os.environ.get(section.ha_token_env, "")
        if not section.ha_url or not token:
            raise AssistantError(
                ErrorCode.CONFIG_INVALID,
                f"The homeassistant adapter needs home.ha_url and a token in ${section.ha_token_env}",
                details={"key": "home.ha_url"},
            )
        ha = HaSettings(
            url=section.ha_url,
            token=token,
            poll_interval_s=getattr(section, "ha_poll_interval_s", 5.0),
            follow=getattr(section, "ha_follow", "websocket"),
        )
    return create_home(
        file=file,
        adapter=section.adapter,
        data_dir=data_dir,
        persist=section.persist,
        risk=dict(section.risk),
        mqtt=mqtt,
        ha=ha,
    )
