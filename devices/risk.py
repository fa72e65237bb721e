"""Risk tiers: which actions run directly, which need a confirmation turn, which never run by voice.

Keys (config ``home.risk`` and built-in defaults), most specific first:

- ``<entity_id>:<service>`` (service as ``domain.service`` or just ``service``), e.g. ``cover.garage:cover.open_cover``
- ``<entity_id>``, e.g. ``light.porch``
- ``<domain>.<service>@<device_class>``, e.g. ``cover.open_cover@garage``
- ``<domain>@<device_class>``, e.g. ``cover@gate``
- ``<domain>.<service>``, e.g. ``lock.unlock``
- ``<domain>``, e.g. ``alarm_control_panel``

A per-entity ``risk`` in the home file (a tier, or ``{service: tier}``) sits between the config's entity keys and
its service keys. Config beats the home file, which beats the defaults.
"""

from __future__ import annotations

from collections.abc import Mapping

from assistant.messages import AssistantError, ErrorCode
from devices.api import Entity, RiskTier

__all__ = ["DEFAULT_RISK", "RiskPolicy"]

_OPENINGS = ("garage", "gate", "door")
DEFAULT_RISK: dict[str, RiskTier] = {
    "lock.unlock": RiskTier.SENSITIVE,
    "lock.open": RiskTier.SENSITIVE,
    "alarm_control_panel.alarm_disarm": RiskTier.SENSITIVE,
    "valve.open_valve": RiskTier.SENSITIVE,
    "valve.set_valve_position": RiskTier.SENSITIVE,
    "valve.toggle": RiskTier.SENSITIVE,
    **{
        f"cover.{svc}@{cls}": RiskTier.SENSITIVE
        for svc in ("open_cover", "set_cover_position", "toggle")
        for cls in _OPENINGS
    },
}
"""Built-in tiers: unlocking, disarming, opening water valves and garage doors/gates/doors are sensitive."""


def _parse(mapping: Mapping[str, str | RiskTier], what: str) -> dict[str, RiskTier]:
    out: dict[str, RiskTier] = {}
    for key, value in mapping.items():
        try:
            out[str(key)] = RiskTier(str(value))
        except ValueError as exc:
            raise AssistantError(
                ErrorCode.CONFIG_INVALID,
                f"{what} '{key}': '{value}' is not one of {', '.join(t.value for t in RiskTier)}",
                details={"key": f"home.risk.{key}"},
            ) from exc
    return out


class RiskPolicy:
    """Decides the tier of a service call on an entity."""

    def __init__(
        self,
        overrides: Mapping[str, str | RiskTier] | None = None,
        *,
        entity_risk: Mapping[str, RiskTier | Mapping[str, RiskTier]] | None = None,
        defaults: Mapping[str, RiskTier] | None = None,
    ) -> None:
        self._overrides = _parse(overrides or {}, "Risk override")
        self._entity_risk = dict(entity_risk or {})
        self._defaults = dict(DEFAULT_RISK if defaults is None else defaults)

    def set(self, key: str, tier: RiskTier | str) -> None:
        """Add or change an override at run time (same key syntax as the config)."""
        self._overrides.update(_parse({key: tier}, "Risk override"))

    def overrides(self) -> dict[str, RiskTier]:
        """The current overrides."""
        return dict(self._overrides)

    def tier(self, entity: Entity | None, service: str, *, entity_id: str | None = None) -> RiskTier:
        """The tier of ``service`` ('domain.service') on ``entity`` (or an unknown ``entity_id``)."""
        domain, _, short = service.partition(".")
        eid = entity.entity_id if entity is not None else entity_id
        if eid:
            for key in (f"{eid}:{service}", f"{eid}:{short}"):
                if key in self._overrides:
                    return self._overrides[key]
            file_risk = self._entity_risk.get(eid)
            if isinstance(file_risk, Mapping):
                for key in (service, short):
                    if key in file_risk:
                        return RiskTier(file_risk[key])
            if eid in self._overrides:
                return self._overrides[eid]
            if isinstance(file_risk, RiskTier | str) and not isinstance(file_risk, Mapping):
                return RiskTier(file_risk)
        device_class = entity.device_class if entity is not None else None
        keys: list[str] = []
        if device_class:
            keys += [f"{service}@{device_class}", f"{domain}@{device_class}"]
        keys += [service, domain]
        for table in (self._overrides, self._defaults):
            for key in keys:
                if key in table:
                    return table[key]
        return RiskTier.NORMAL
