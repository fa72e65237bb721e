"""How people say each device action: verb phrases (direct and indirect) and the nouns that name each domain."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

__all__ = [
    "ACTIONS",
    "BINARY_STATES",
    "COLLECTIVE",
    "DEVICE_NOUNS",
    "DOMAIN_WORDS",
    "GENERATE",
    "INFO_QUESTION",
    "QUESTION",
    "RELATIVE_AMOUNT",
    "ROOM_WORDS",
    "ActionDef",
    "action_evidence",
    "binary_state",
    "device_mentions",
    "domain_mentions",
    "hvac_mode",
    "lexicon_words",
    "state_classes",
]


@dataclass(frozen=True, slots=True)
class ActionDef:
    """One way to act on a device: an intent restricted to some domains, with the phrases that ask for it."""

    key: str
    """Short id ('on', 'open', 'brighter', ...)."""
    intent: str
    """Home Assistant intent name."""
    domains: frozenset[str]
    """Domains where the phrasing makes sense."""
    patterns: tuple[tuple[str, float], ...]
    """(regex, strength) pairs over the normalised text."""
    slots: Mapping[str, Any] = field(default_factory=dict)
    """Fixed slots the action adds."""
    verb: str = ""
    """A verb phrase for verbalising a candidate ('turn on')."""
    implied_domain: str | None = None
    """For indirect phrasings with no device named ('it's too dark' → lights)."""


RELATIVE_AMOUNT = (
    r"(a (little )?bit( more)?|a little( more)?|slightly|a touch|a tad|some more|"
    r"(a )?(bit |little |lot )?more|further)\b"
)
"""A relative amount said with a move ('close the blinds a bit', 'open it more'): relative to the current position."""

COLLECTIVE = re.compile(
    r"\block (it |everything |the (house|place|home|doors) |all )?up\b|\block (everything|all the doors|every door)\b|"
    r"\bsecure (the )?(house|home|place)\b"
)
"""Collective phrasings that name every entity of the action's domain without a quantifier ('lock up')."""

_ONOFF = frozenset(
    {"light", "switch", "fan", "media_player", "climate", "input_boolean", "humidifier", "scene", "script", "valve"}
)

ACTIONS: tuple[ActionDef, ...] = (
    ActionDef(
        "on",
        "HassTurnOn",
        _ONOFF,
        (
            (r"\b(turn|switch|flip|put|power|fire|start|boot) ((?:(?!\b(?:up|down|off|over)\b).){1,40}? )?on\b", 1.0),
            (r"\bmake sure .{1,40} on\b", 0.9),
            (r"\bon\b", 0.35),
            (r"\b(activate|enable|start)\b", 0.7),
            (r"\b(fire up|power up)\b", 0.9),
            (r"\b(brew|prepare)\b", 0.6),
            (r"\bmake (me |us )?(a|an|some|my)\b", 0.5),
            (
                r"^(i|we) (really )?(need|want|would like|'d like) (a|an|some|the|my|our)\b"
                r"(?!.*\b(off|out|closed|down)\b)",
                0.5,
            ),
            (
                r"^(i|we) (really )?(need|want|would like|'d like) "
                r"(?!(to|you|it|them|that|this|a|an|some|the|my|our)\b)\w",
                0.45,
            ),
            (r"^(please )?light (up )?(the|my|our)\b", 0.8),
            (r"\b(stuffy|muggy|no air|need (some )?(fresh )?air)\b", 0.6),
            (r"\b(run|play|begin)\b", 0.3),
            (r"\blights? (please|up)\b", 0.4),
            (r"\b(light up|illuminate)\b", 0.9),
            (r"\b(charge|start charging)\b", 0.6),
            (r"\b(get|make) .{0,20}(going|running)\b", 0.6),
            (r"\b(let|get|keep) (some )?(the )?air (move|moving|flowing|circulating)\b", 0.8),
        ),
        verb="turn on",
    ),
    ActionDef(
        "off",
        "HassTurnOff",
        _ONOFF - {"scene", "script"},
        (
            (r"\b(turn|switch|flip|shut|power|put) ((?:(?!\b(?:up|down|on)\b).){1,40}? )?off\b", 1.0),
            (r"\bmake sure .{1,40} off\b", 0.9),
            (r"\b(power|shut) (.{1,40}? )?down\b", 0.9),
            (r"\boff\b", 0.45),
            (r"\b(kill|cut|douse|extinguish|deactivate|disable|unplug)\b", 0.85),
            (r"\b(stop|quit|cease) (?!the\b)\w+ing (the|my|our)\b", 0.8),
            (r"\blights? out\b", 0.9),
            (r"\bstop\b", 0.4),
            (r"\bno longer need\b", 0.5),
            (r"\bdon't need .{0,20} anymore\b", 0.5),
            (r"\bstop (the )?(watering|sprinklers?|irrigation)\b", 1.0),
        ),
        verb="turn off",
    ),
    ActionDef("toggle", "HassToggle", _ONOFF, ((r"\btoggle\b", 1.0), (r"\bflip\b", 0.4)), verb="toggle"),
    ActionDef(
        "open",
        "HassTurnOn",
        frozenset({"cover", "valve"}),
        (
            (r"\b(open|raise|lift|roll up|pull up|draw back)\b", 1.0),
            (r"\bdraw .{1,30} back\b", 1.0),
            (r"\blet (some |the )?(light|sun|sunshine|daylight|fresh air|air) in\b", 0.9),
            (r"\b(up)\b", 0.3),
        ),
        verb="open",
        implied_domain="cover",
    ),
    ActionDef(
        "close",
        "HassTurnOff",
        frozenset({"cover", "valve"}),
        (
            (r"\b(close|shut|lower|roll down|pull down)\b", 1.0),
            (r"\bdraw\b", 0.8),
            (r"\b(block|keep) (out )?(the )?(sun|light)\b", 0.8),
            (r"\bprivacy\b", 0.5),
            (r"\bdown\b", 0.3),
        ),
        verb="close",
    ),
    ActionDef(
        "lock",
        "HassTurnOn",
        frozenset({"lock"}),
        (
            (r"\block\b", 1.0),
            (r"\b(secure|bolt|lock up)\b", 0.9),
        ),
        verb="lock",
    ),
    ActionDef(
        "unlock",
        "HassTurnOff",
        frozenset({"lock"}),
        (
            (r"\bunlock\b", 1.0),
            (r"\b(unbolt|let (me|them|him|her|us) in|open)\b", 0.7),
        ),
        verb="unlock",
    ),
    ActionDef(
        "arm",
        "HassTurnOn",
        frozenset({"alarm_control_panel"}),
        (
            (r"\barm\b", 1.0),
            (r"\b(turn on|switch on|activate|enable|set up) (the )?(burglar |house |home )?(alarm|security)\b", 0.9),
            (
                r"\b(set|put|switch) (the )?(burglar |house |home )?(alarm|security( system)?) (to|in|on|for) "
                r"(home|away|night|vacation|holiday|stay)\b",
                0.9,
            ),
        ),
        verb="arm",
        implied_domain="alarm_control_panel",
    ),
    ActionDef(
        "disarm",
        "HassTurnOff",
        frozenset({"alarm_control_panel"}),
        (
            (r"\bdisarm\b", 1.0),
            (
                r"\b(turn off|switch off|deactivate|disable|shut off) (the )?(burglar |house |home )?"
                r"(alarm|security)\b",
                0.9,
            ),
        ),
        verb="disarm",
        implied_domain="alarm_control_panel",
    ),
    ActionDef(
        "water",
        "HassTurnOn",
        frozenset({"valve"}),
        (
            (r"\b(water|irrigate) (the |my |our )?(garden|lawn|grass|plants|flowers|beds|yard|backyard|veg\w*)\b", 1.0),
            (r"\b(start|begin|run) (the )?(watering|sprinklers?|irrigation)\b", 0.9),
            (r"^(please )?(water|irrigate) (the|my|our|all the) \w+", 0.8),
        ),
        verb="water",
        implied_domain="valve",
    ),
    ActionDef(
        "brightness",
        "HassLightSet",
        frozenset({"light"}),
        (
            (r"\b(brightness|dim|bright|brighten|brighter|dimmer|darker|darken|lighter|intensity)\b", 0.9),
            (r"\b(set|put|turn|switch|make|bring|dim|raise|lower|change|adjust|drop|boost) .{0,40}\b\d{1,3}%", 0.7),
            (r"\b(turn|bring|put|set|knock) .{0,30}\b(lights?|lamps?|bulbs?) (up|down)\b", 0.9),
            (r"\b(at|to) (max|maximum|full|min|minimum|half)( brightness)?\b", 0.7),
            (
                r"\b(lower|raise|turn up|turn down|bring up|bring down|brighten|dim) "
                r"(the |my |all the )?(lights?|lamps?)\b",
                0.9,
            ),
            (r"\b(lights?|lamps?) (up|down)\b", 0.8),
            (r"\bmore light(s|ing)?\b", 0.8),
            (r"\bless light(s|ing)?\b", 0.8),
            (r"\b(cozy|cosy|romantic|mood|relax|relaxing|ambient|chill)\b", 0.6),
            (r"\b(too (dark|dim|bright|gloomy)|can't see|blinding|pitch black)\b", 0.8),
        ),
        verb="set the brightness of",
        implied_domain="light",
    ),
    ActionDef(
        "color",
        "HassLightSet",
        frozenset({"light"}),
        (
            (r"\b(colou?r|make .{0,30}(red|blue|green|yellow|purple|pink|orange|white))\b", 0.6),
            (
                r"\b(lights?|lamps?|bulbs?)\b.{0,25}\b(red|blue|green|yellow|purple|pink|orange|white|amber|turquoise|cyan|"
                r"magenta|violet|gold|lime|teal|indigo|lavender|natural|daylight)\b",
                0.9,
            ),
            (r"\b(turn|set|change|make|switch)\b", 0.3),
        ),
        verb="change the colour of",
    ),
    ActionDef(
        "temperature",
        "HassClimateSetTemperature",
        frozenset({"climate"}),
        (
            (
                r"\b(thermostat|heating|heat|temperature|temp|degrees|ac|air con(ditioning)?|"
                r"warmer|cooler|colder|hotter)\b",
                0.8,
            ),
            (
                r"\b(i'?m|i am|it'?s|it is|feels?) (so |too |really |a bit |kind of |freezing )?"
                r"(cold|chilly|freezing|hot|warm|boiling|roasting)\b",
                0.9,
            ),
            (r"\b(warm|cool|heat) (it |things |the (room|house|place) )?(up|down)\b", 0.9),
        ),
        verb="set the temperature of",
        implied_domain="climate",
    ),
    ActionDef(
        "position",
        "HassSetPosition",
        frozenset({"cover", "valve"}),
        (
            (r"\b\d{1,3}%", 0.5),
            (r"\bhalf ?way\b|\bhalf\b", 0.6),
            (r"\bposition\b", 0.8),
            (r"\b(open|close|raise|lower)\b.{0,40}\b(\d{1,3}%|half|partly|partially)", 1.0),
            (
                r"\b(half|halfway|partly|partially|part way|a quarter|(three|3) quarters?|fully|completely) ?"
                r"(open|opened|closed?|shut)\b",
                1.0,
            ),
            (r"\b(open|close|shut|raise|lower)\b.{0,40}\b" + RELATIVE_AMOUNT, 1.0),
        ),
        verb="set the position of",
    ),
    ActionDef(
        "pause",
        "HassMediaPause",
        frozenset({"media_player"}),
        (
            (r"\b(pause|hold on|freeze)\b", 1.0),
            (r"\bstop (the )?(music|song|movie|show|playback|video|tv)\b", 0.8),
            (r"\bstop playing\b", 0.9),
            (r"\b(shh|shush|silence|quiet)\b", 0.5),
        ),
        verb="pause",
    ),
    ActionDef(
        "resume",
        "HassMediaUnpause",
        frozenset({"media_player"}),
        (
            (r"\b(resume|unpause|continue|keep playing|play again)\b", 1.0),
            (r"\bplay\b", 0.4),
        ),
        verb="resume",
    ),
    ActionDef(
        "next",
        "HassMediaNext",
        frozenset({"media_player"}),
        (
            (r"\bnext\b", 1.0),
            (r"\bskip\b(?! ?back)", 1.0),
            (r"\bfast forward\b", 0.5),
        ),
        verb="skip to the next track on",
    ),
    ActionDef(
        "previous",
        "HassMediaPrevious",
        frozenset({"media_player"}),
        (
            (r"\b(previous|last|go back|back)\b.{0,20}\b(track|song|one|episode)\b", 1.0),
            (r"\b(replay|rewind)\b", 0.7),
            (r"\b(skip|jump|go) back(wards?)?\b", 0.9),
            (r"\bprevious\b", 0.8),
        ),
        verb="go back a track on",
    ),
    ActionDef(
        "volume",
        "HassSetVolume",
        frozenset({"media_player"}),
        (
            (r"\b(volume|louder|quieter|softer|turn (it |the .{1,30} )?(up|down))\b", 0.9),
            (r"\b(can't hear|too loud|blasting)\b", 0.8),
            (
                r"\b(set|put|turn|bring|change|adjust) .{0,40}\b(speakers?|tv|television|telly|radio|stereo|music)\b"
                r".{0,20}\b(\d{1,3}%|(to|at) \d{1,3}\b(?! degrees))",
                0.7,
            ),
        ),
        verb="set the volume of",
    ),
    ActionDef(
        "vacuum",
        "HassVacuumStart",
        frozenset({"vacuum"}),
        (
            (r"(?<!the )(?<!my )(?<!our )(?<!robot )\b(vacuum|hoover|clean|sweep|start cleaning|clean up|tidy)\b", 1.0),
            (
                r"\b(start|run|turn on|switch on|put on|activate|power on|fire up|enable)\b.{0,20}"
                r"\b(vacuum|hoover|roomba)\b",
                1.0,
            ),
            (r"\b(start|begin|go)\b", 0.4),
            (r"\b(dirty|crumbs|dusty|messy)\b", 0.6),
        ),
        verb="start",
        implied_domain="vacuum",
    ),
    ActionDef(
        "dock",
        "HassVacuumReturnToBase",
        frozenset({"vacuum"}),
        (
            (r"\b(dock|return|go home|go back|send .{0,30} (home|back)|base|charger|charging)\b", 1.0),
            (r"\b(stop|quit|finish) (vacuuming|hoovering|cleaning|sweeping)\b", 1.0),
            (r"\bstop\b", 0.6),
        ),
        verb="send home",
    ),
    ActionDef(
        "add_item",
        "HassListAddItem",
        frozenset({"todo"}),
        (
            (r"\b(add|put|append|include)\b.{1,60}\b(list|groceries|shopping)\b", 1.0),
            (r"\b(we need|we're out of|we are out of|buy|remind me to buy)\b", 0.6),
        ),
        verb="add to",
    ),
    ActionDef(
        "fan_speed",
        "HassFanSetSpeed",
        frozenset({"fan"}),
        (
            (r"\b(speed|faster|slower|spin)\b", 0.9),
            (r"\b(slow|speed) (it |them |the .{1,30} )?(down|up)\b", 1.0),
            (r"\b(turn|crank|bump|kick) (it |the .{1,30} )?(up|down)\b", 0.6),
            (r"\b\d{1,3}%", 0.3),
            (r"\b(set|put|turn|switch|bring|change|adjust|run) .{0,40}\b\d{1,3}%", 0.7),
            (r"\b(air (moving|flowing|circulating)|some air|breeze|stuffy)\b", 0.5),
        ),
        verb="set the speed of",
    ),
    ActionDef(
        "get_state",
        "HassGetState",
        frozenset(),
        (
            (r"^(is|are|was|were|does|do|did|has|have)\b", 1.0),
            (r"^will (it|there|the)\b", 0.9),
            (r"^(what|what's|whats|which|how|how's|tell me|check|show me|any|did i leave)\b", 0.9),
            (r"\b(status|state|level|open or closed|on or off|locked or unlocked)\b|\breadings? (of|on|from)\b", 0.6),
            (r"\?$", 0.6),
        ),
        verb="check",
    ),
    ActionDef(
        "get_temperature",
        "HassClimateGetTemperature",
        frozenset({"climate", "sensor", "weather"}),
        ((r"\b(what|what's|how) .{0,30}\b(temperature|temp|warm|cold|hot)\b", 1.0),),
        verb="read the temperature of",
    ),
)
"""Every action the semantic tier can propose."""

_HVAC_MODES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("heat", re.compile(r"\b(heat|heating|heater|warm (it |things |the \w+ )?up|warmth|warm)\b")),
    ("cool", re.compile(r"\b(cool|cooling|cooler|ac|a c|air ?con(ditioning|ditioner)?|cool (it |things )?down)\b")),
)
"""How a request names what a thermostat should do ('turn on the heating' heats, 'put the AC on' cools)."""


def hvac_mode(text: str) -> str | None:
    """The climate mode a request names ('heat' or 'cool'), or None when it names neither or both."""
    found = [mode for mode, rx in _HVAC_MODES if rx.search(text)]
    return found[0] if len(found) == 1 else None


QUESTION = re.compile(
    r"^(is|are|was|were|do|does|did|has|have|what|what's|whats|which|how|how's|hows|who|where|when|why|tell me|check|"
    r"show me|any|can you tell|will (it|there|the|we|i)|is it going to)\b|\?\s*$"
)
"""A request that asks rather than commands: it never maps to a write intent."""

INFO_QUESTION = re.compile(
    QUESTION.pattern + r"|^(should|can|could|may|shall|must|do|does) (i|we|one)\b(?! (please|turn|switch|set|put|"
    r"open|close|lock|unlock|start|stop|dim|make|have|get)\b)|^(explain|describe|remind me (how|what|when|where|why))\b"
)
"""A request for information ('should I ...', 'explain ...'): answered by a skill unless it names the home."""

GENERATE = re.compile(
    r"^(please )?((can|could|would|will) you (please )?)?(help me )?"
    r"(write|compose|draft|come up with|make up|think up|think of|invent|generate|create|rewrite|summari[sz]e|"
    r"give me (a|an|some|\d+) (\w+ )?(poem|story|stories|haiku|limerick|joke|name|names|idea|ideas|message|note|"
    r"caption|slogan|title|toast|speech|song|rhyme|riddle|list|letter|email|text)|"
    r"suggest (a|an|some) (\w+ )?(name|names|title|caption|idea|ideas|message|toast))\b"
)
"""A request to produce free text ('write a poem', 'come up with a name for ...')."""

DEVICE_NOUNS: Mapping[str, tuple[str, ...]] = {
    "light": (r"lights?", r"lamps?", r"lighting", r"bulbs?", r"chandelier", r"leds?", r"sconces?"),
    "cover": (r"blinds?", r"shades?", r"curtains?", r"shutters?", r"garage door", r"awnings?", r"drapes?", r"gate"),
    "lock": (r"locks?", r"doors?", r"deadbolt"),
    "fan": (r"fans?", r"ventilation", r"extractor"),
    "switch": (r"switches", r"(?<!^)(?<!please )(?<!and )(?<!you )(?<!to )switch", r"plugs?", r"sockets?", r"outlets?"),
    "climate": (r"thermostat", r"heating", r"heater", r"ac", r"air con\w*", r"furnace", r"climate"),
    "media_player": (r"tv", r"television", r"telly", r"speakers?", r"radio", r"stereo", r"music", r"volume"),
    "vacuum": (r"vacuum( cleaner)?", r"hoover", r"robot", r"roomba"),
    "todo": (r"(shopping|grocery|to-?do) list", r"groceries"),
    "valve": (r"valve", r"sprinklers?", r"irrigation"),
    "alarm_control_panel": (r"alarms?", r"security system", r"burglar alarm"),
    "sensor": (r"temperature", r"humidity", r"battery"),
    "binary_sensor": (r"motion", r"sensor"),
    "weather": (r"weather", r"forecast", r"rain(ing|y)?", r"snow(ing)?", r"sunny", r"windy"),
}  # fmt: skip
"""Nouns that name a kind of device outright (stronger than DOMAIN_WORDS' hints); 'switch' first is the verb."""

ROOM_WORDS: tuple[str, ...] = (
    "kitchen", "living room", "lounge", "dining room", "bedroom", "master bedroom", "guest room", "guest bedroom",
    "kids room", "kid's room", "nursery", "bathroom", "toilet", "office", "study", "hallway", "hall", "garage",
    "garden", "basement", "cellar", "attic", "loft", "balcony", "porch", "patio", "terrace", "laundry room",
    "utility room", "pantry", "den", "playroom", "gym", "conservatory", "driveway", "shed", "closet",
)  # fmt: skip
"""Common room names: a request naming one the home does not have gets a clear answer instead of a guess."""

DOMAIN_WORDS: Mapping[str, tuple[str, ...]] = {
    "light": (r"lights?", r"lamps?", r"lighting", r"illuminate", r"bulbs?", r"chandelier", r"leds?", r"sconces?",
              r"dark", r"bright", r"brightness", r"dim"),
    "cover": (r"blinds?", r"shades?", r"curtains?", r"shutters?", r"garage( door)?", r"awnings?", r"drapes?",
              r"covers?", r"windows?", r"gate"),
    "lock": (r"locks?", r"doors?", r"deadbolt", r"entrance", r"bolt"),
    "fan": (r"fans?", r"ventilat\w+", r"air", r"stuffy", r"muggy"),
    "switch": (r"switches", r"(?:the|a|my|our) switch", r"plugs?", r"sockets?", r"outlets?", r"machine", r"maker"),
    "climate": (r"thermostat", r"heating", r"heater", r"heat", r"temperature", r"temp", r"ac", r"air con\w*",
                r"cold", r"warm", r"hot", r"chilly", r"freezing", r"degrees", r"climate", r"furnace"),
    "media_player": (r"tv", r"television", r"telly", r"speakers?", r"music", r"songs?", r"tracks?", r"volume",
                     r"sound", r"radio", r"stereo", r"movie", r"show", r"playback", r"podcast", r"player"),
    "vacuum": (r"vacuum\w*", r"hoover\w*", r"robot", r"roomba", r"cleaner", r"clean\w*"),
    "todo": (r"list", r"groceries", r"shopping", r"to-?do"),
    "valve": (r"valve", r"water", r"sprinklers?", r"irrigation"),
    "scene": (r"scene", r"mode"),
    "weather": (r"weather", r"forecast", r"rain(ing|y)?", r"snow(ing)?", r"sunny", r"windy", r"umbrella"),
    "alarm_control_panel": (r"alarms?", r"security( system)?", r"burglar alarm"),
}  # fmt: skip
"""Nouns that point at a domain."""

_DOMAIN_RX = {d: re.compile(r"\b(" + "|".join(ws) + r")\b") for d, ws in DOMAIN_WORDS.items()}
_COMPILED = {a.key: tuple((re.compile(p), w) for p, w in a.patterns) for a in ACTIONS}


def action_evidence(text: str) -> dict[str, float]:
    """Strength (0..1) with which the text asks for each action, from its verb phrases and Home Assistant's own
    phrasings (read from its data by ``said.ha_action_phrases``)."""
    from assistant.nlu.said import ha_action_phrases  # said.py reads Home Assistant's data (and imports this module)

    out: dict[str, float] = {}
    for action in ACTIONS:
        best = 0.0
        for rx, weight in (*_COMPILED[action.key], *ha_action_phrases().get(action.key, ())):
            if weight > best and rx.search(text):
                best = weight
        if best:
            out[action.key] = best
    return out


def domain_mentions(text: str) -> set[str]:
    """Domains the text names by a generic noun ('lights', 'blinds', 'tv')."""
    return {d for d, rx in _DOMAIN_RX.items() if rx.search(text)}


_EXTRA_WORDS = (
    "set setting turn make keep leave let put get give bring change adjust want need like love would please now "
    "again back more less little bit lot all everything everywhere nothing anything something still already right "
    "left off open opened closed shut locked unlocked running playing paused stopped idle home away level percent "
    "degrees brightness colour color temperature state status check tell show currently turned switched lights "
    "light room rooms house home inside outside upstairs downstairs here there today tonight entire whole every each "
    "area areas device devices thing things stuff too very really quite bit lot anymore anyone anybody someone "
    "somebody nobody today will"
)


@lru_cache(maxsize=1)
def lexicon_words() -> frozenset[str]:
    """Every word the action lexicon and domain nouns know (what a home request may say besides names)."""
    texts = [p for a in ACTIONS for p, _w in a.patterns]
    texts += [w for ws in DOMAIN_WORDS.values() for w in ws] + [w for ws in DEVICE_NOUNS.values() for w in ws]
    texts += [x for pair in BINARY_STATES.values() for x in pair] + [_EXTRA_WORDS]
    return frozenset(w for t in texts for w in re.findall(r"[a-z]{2,}", t.replace("\\b", " ")))


_DEVICE_RX = {d: re.compile(r"\b(" + "|".join(ws) + r")\b") for d, ws in DEVICE_NOUNS.items()}


def device_mentions(text: str) -> set[str]:
    """Domains the text names by a device noun ('lights', 'thermostat'), not by a hint ('dark', 'clean')."""
    return {d for d, rx in _DEVICE_RX.items() if rx.search(text)}


BINARY_STATES: Mapping[str, tuple[str, str]] = {
    "battery": (r"low|empty", r"normal|ok|charged"),
    "battery_charging": (r"charging", r"not charging"),
    "carbon_monoxide": (r"detected|triggered|on", r"clear"),
    "cold": (r"cold|freezing|frozen", r"normal"),
    "connectivity": (r"connected|online", r"disconnected|offline"),
    "gas": (r"detected|triggered|on", r"clear"),
    "heat": (r"hot|overheating", r"normal"),
    "light": (r"detected|on", r"no light"),
    "lock": (r"unlocked", r"locked"),
    "moisture": (r"wet|leaking|detected", r"dry"),
    "motion": (r"detected|triggered|moving|movement|on|anyone|anybody|someone|somebody", r"clear|nobody|no one"),
    "occupancy": (r"occupied|detected|triggered|on|anyone|anybody|someone|somebody", r"empty|clear|unoccupied|nobody"),
    "plug": (r"plugged in|connected", r"unplugged"),
    "power": (r"powered( on)?|detected|on", r"not powered|off"),
    "presence": (r"home|present|detected", r"away|not home"),
    "problem": (r"problems?|issues?|faults?", r"ok|fine"),
    "running": (r"running|on", r"not running|off"),
    "safety": (r"unsafe|dangerous", r"safe"),
    "smoke": (r"detected|triggered|on", r"clear"),
    "sound": (r"detected|triggered|on", r"clear"),
    "tamper": (r"tampered|triggered", r"clear"),
    "update": (r"updates? available|outdated", r"up to date|up-to-date"),
    "vibration": (r"vibrating|detected", r"not vibrating|still"),
}
"""Binary-sensor state names per device class: (phrases for 'on', for 'off'); open/closed are Home Assistant's lists."""

_BS_RX = {k: (re.compile(rf"\b({on})\b"), re.compile(rf"\b({off})\b")) for k, (on, off) in BINARY_STATES.items()}


def binary_state(device_class: str | None, text: str) -> str | None:
    """'on'/'off' when the text asks about a binary sensor's state by its state name ('is the door open')."""
    rx = _BS_RX.get(device_class or "")
    if rx is None:
        return None
    on, off = rx
    off_m, on_m = off.search(text), on.search(text)
    if off_m and (not on_m or len(off_m.group(0)) >= len(on_m.group(0))):
        return "off"
    return "on" if on_m else None


def state_classes(text: str) -> set[str]:
    """Binary-sensor device classes whose state names the text uses ('plugged in' → plug)."""
    out = set()
    for k, (on, off) in _BS_RX.items():
        m = on.search(text) or off.search(text)
        if (
            m
            and len(m.group(0)) > 4
            and m.group(0) not in ("detected", "triggered", "clear", "normal", "closed", "running")
        ):
            out.add(k)
    return out
