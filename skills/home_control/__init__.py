"""The built-in home-control skill: device intents (Home Assistant's names) to services on the live home."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar

from contracts.home import Entity, HomeApi, RiskTier
from contracts.intents import service_call
from contracts.messages import Action, ErrorCode, IntentMatch, SkillResult
from contracts.skills import Permission, Skill, SkillContext, intent
from skills.home_control.replies import confirmation_question, join, state_sentence, summarize

__all__ = ["HomeControlSkill"]


class HomeControlSkill(Skill):
    """Turns lights on, sets thermostats, opens blinds, answers 'is the door locked?'."""

    id: ClassVar[str] = "home_control"
    description: ClassVar[str] = "Control and ask about the devices in your home."
    permissions: ClassVar[frozenset[Permission]] = frozenset({Permission.CONTROL_DEVICES, Permission.READ_DEVICES})

    # -- writes ------------------------------------------------------------------------------------------------
    @intent("HassTurnOn", examples=("turn on the kitchen light", "open the garage door", "lock the front door"))
    def turn_on(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Turn on / open / lock."""
        return self._act(match, ctx)

    @intent("HassTurnOff", examples=("turn off the bedroom light", "close the blinds", "unlock the back door"))
    def turn_off(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Turn off / close / unlock."""
        return self._act(match, ctx)

    @intent("HassToggle", examples=("toggle the desk lamp",))
    def toggle(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Toggle."""
        return self._act(match, ctx)

    @intent("HassLightSet", examples=("set the kitchen light to 50 percent", "make the lamp red"))
    def light_set(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Brightness / colour."""
        return self._act(match, ctx)

    @intent("HassClimateSetTemperature", examples=("set the thermostat to 21 degrees",))
    def set_temperature(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Target temperature."""
        return self._act(match, ctx)

    @intent("HassSetPosition", examples=("open the blinds halfway",))
    def set_position(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Cover / valve position."""
        return self._act(match, ctx)

    @intent("HassMediaPause", examples=("pause the tv",))
    def media_pause(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Pause."""
        return self._act(match, ctx)

    @intent("HassMediaUnpause", examples=("resume the music",))
    def media_unpause(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Resume."""
        return self._act(match, ctx)

    @intent("HassMediaNext", examples=("next song",))
    def media_next(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Next track."""
        return self._act(match, ctx)

    @intent("HassMediaPrevious", examples=("previous track",))
    def media_previous(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Previous track."""
        return self._act(match, ctx)

    @intent("HassSetVolume", examples=("set the volume to 30 percent",))
    def set_volume(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Volume."""
        return self._act(match, ctx)

    @intent("HassSetVolumeRelative", examples=("turn the volume up",))
    def set_volume_relative(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Volume up/down."""
        return self._act(match, ctx)

    @intent("HassMediaPlayerMute", examples=("mute the tv",))
    def mute(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Mute."""
        return self._act(match, ctx)

    @intent("HassMediaPlayerUnmute", examples=("unmute the tv",))
    def unmute(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Unmute."""
        return self._act(match, ctx)

    @intent("HassVacuumStart", examples=("start the vacuum",))
    def vacuum_start(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Start cleaning."""
        return self._act(match, ctx)

    @intent("HassVacuumReturnToBase", examples=("send the vacuum home",))
    def vacuum_dock(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Return to base."""
        return self._act(match, ctx)

    @intent("HassFanSetSpeed", examples=("set the fan to 50 percent",))
    def fan_speed(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Fan speed."""
        return self._act(match, ctx)

    @intent("HassListAddItem", examples=("add milk to the shopping list",))
    def list_add(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Add to a to-do list."""
        return self._act(match, ctx)

    @intent("HassShoppingListAddItem", examples=("add eggs to my shopping list",))
    def shopping_add(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Add to the shopping list."""
        return self._act(match, ctx)

    @intent("HassLawnMowerStartMowing", examples=("start mowing",))
    def mow(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Start mowing."""
        return self._act(match, ctx)

    @intent("HassLawnMowerDock", examples=("dock the mower",))
    def mower_dock(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Dock the mower."""
        return self._act(match, ctx)

    # -- reads -------------------------------------------------------------------------------------------------
    @intent("HassGetState", examples=("is the front door locked", "which lights are on"))
    def get_state(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Answer from the live states; never writes."""
        return self._read(match, ctx)

    @intent("HassClimateGetTemperature", examples=("what's the temperature in the living room",))
    def get_temperature(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Answer the temperature from the live states; never writes."""
        return self._read(match, ctx)

    @intent("HassGetWeather", examples=("what's the weather like", "what is the weather in London"))
    def get_weather(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Answer from the weather entities the request resolved to (the home's when none was named; the first
        of them when none came with the request); never writes."""
        return self._read(match, ctx)

    # -- machinery ---------------------------------------------------------------------------------------------
    def _act(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        home = ctx.home
        if home is None:
            return SkillResult("I can't reach the home right now.", False, error_code=ErrorCode.PERMISSION_DENIED)
        if not match.targets and match.slots.get("absent"):  # the request names something the home does not have
            return SkillResult(
                f"I couldn't find a device for \u201c{match.slots['absent']}\u201d in your home.", False,
                error_code=ErrorCode.DEVICE_UNKNOWN,
            )  # fmt: skip
        if not match.targets:  # never an implicit all-devices target
            return SkillResult("Which device do you mean?", False, error_code=ErrorCode.NLU_AMBIGUOUS)
        plan, missing = _plan(home, match)
        if not plan:
            return SkillResult(
                f"That doesn't work on {join(missing) or 'that device'}.", False,
                error_code=ErrorCode.DEVICE_UNSUPPORTED,
            )  # fmt: skip
        risky = [
            (svc, e) for (svc, data), ents in plan.items() for e in ents if home.risk(e.entity_id, svc) != "normal"
        ]
        blocked = [e for svc, e in risky if home.risk(e.entity_id, svc) == RiskTier.BLOCKED]
        if blocked:
            return SkillResult(
                f"For safety I can't do that to {join([e.name for e in blocked])} by voice.", False,
                error_code=ErrorCode.PERMISSION_DENIED,
            )  # fmt: skip
        if risky and not ctx.confirmed:
            service = risky[0][0]
            data = next((dict(d) for (svc, d), _ents in plan.items() if svc == service), {})
            return SkillResult(
                confirmation_question(service, [e for _s, e in risky], data),
                success=True,
                needs_confirmation=True,
                data={"pending": [e.entity_id for _s, e in risky], "service": service},
            )
        actions: list[Action] = []
        for (service, data_key), ents in plan.items():
            data = dict(data_key)
            try:
                results = home.call_service(service, [e.entity_id for e in ents], data)
            except Exception as exc:  # adapter errors become failed actions, named in the reply
                code = str(getattr(exc, "code", ErrorCode.DEVICE_UNAVAILABLE))
                results = [Action(e.entity_id, service, data, success=False, error_code=code) for e in ents]
            actions.extend(replace(a, confirmed_by_user=ctx.confirmed) for a in results)
        names = {e.entity_id: e.name for ents in plan.values() for e in ents}
        text, ok = summarize(actions, names)
        if missing:
            text += f" {join(missing)} can't do that."
        failed = next((a.error_code for a in actions if not a.success), None)
        return SkillResult(text, ok, tuple(actions), error_code=None if ok else failed or ErrorCode.DEVICE_UNAVAILABLE)

    def _read(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        home = ctx.home
        if home is None:
            return SkillResult("I can't reach the home right now.", False, error_code=ErrorCode.PERMISSION_DENIED)
        entities = [e for e in (home.entity(t) for t in match.targets) if e is not None]
        if not entities and match.intent == "HassGetWeather":  # 'what's the weather like': the home's forecast
            entities = sorted((e for e in home.entities() if e.domain == "weather"), key=lambda e: e.entity_id)[:1]
        if not entities:
            return SkillResult("I couldn't find that device.", False, error_code=ErrorCode.DEVICE_UNKNOWN)
        wanted = match.slots.get("state")
        if wanted is not None and len(entities) > 1:
            hits = [e for e in entities if e.state == str(wanted)]
            if not hits:
                return SkillResult(f"No, none of them are {wanted}.", data={"count": 0})
            return SkillResult(
                f"{len(hits)} of {len(entities)}: {join([e.name for e in hits])}.", data={"count": len(hits)}
            )
        if wanted is not None:
            e = entities[0]
            yes = e.state == str(wanted)
            return SkillResult(f"{'Yes' if yes else 'No'}, {state_sentence(e)[0].lower()}{state_sentence(e)[1:]}")
        if match.intent == "HassClimateGetTemperature":
            return SkillResult(" ".join(_temperature(e) for e in entities))
        return SkillResult(" ".join(state_sentence(e) for e in entities[:6]))


def _temperature(e: Entity) -> str:
    current = e.attributes.get("current_temperature")
    if current is None and e.domain == "sensor":
        current = e.state
    if current is None and e.domain == "weather":
        current = e.attributes.get("temperature")
        unit = e.attributes.get("temperature_unit", "degrees")
        return f"It is {current} {unit} outside ({e.name})." if current is not None else state_sentence(e)
    unit = e.attributes.get("unit_of_measurement", "degrees")
    return f"It is {current} {unit} at the {e.name}." if current is not None else state_sentence(e)


def _plan(home: HomeApi, match: IntentMatch) -> tuple[dict[tuple[str, Any], list[Entity]], list[str]]:
    """Group targets by (service, data); collect the names of targets the intent does not apply to."""
    plan: dict[tuple[str, Any], list[Entity]] = {}
    missing: list[str] = []
    slots: Mapping[str, Any] = match.slots
    for eid in match.targets:
        e = home.entity(eid)
        if e is None:
            missing.append(eid)
            continue
        call = service_call(match.intent, e, slots)
        if call is None or (e.services and call[0] not in e.services):
            missing.append(e.name)
            continue
        service, data = call
        plan.setdefault((service, tuple(sorted(data.items()))), []).append(e)
    return plan, missing
