"""Score spoken device commands in synthetic homes (``device_actions/``): end state, wrong actions, questions.

The layout and the pass rule are those of ``data/eval/device_actions/README.md``: one task is one sentence said in a
freshly loaded home (``homes/<home>/_fixtures.yaml`` with the task's ``effective_setup`` applied); it passes iff the
target ends in the expected state and no other entity changed. A reply that asks for confirmation gets one "yes"; a
clarifying question gets no credit. Every task is put in exactly one outcome:

- ``pass``: the end state is the expected one;
- ``wrong``: something was acted on (a service ran or a state changed) and the end state is not the expected one
  (wrong service, wrong value, or another entity) — the costly failure;
- ``asked``: nothing changed and the assistant asked a question;
- ``declined``: nothing changed and nothing was asked (not understood, or another skill took the request).
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from contracts.intents import DEVICE_INTENTS
from contracts.messages import IntentMatch
from contracts.skills import SkillContext
from devices.adapters.simulated import SimulatedAdapter
from devices.home import Home
from devices.loader import load_home_data
from skills.home_control import HomeControlSkill

__all__ = [
    "OUTCOMES",
    "SwitchableHome",
    "TaskOutcome",
    "engine_recognizer",
    "home_folds",
    "load_tasks",
    "make_home",
    "run_tasks",
    "summarize",
]

OUTCOMES = ("pass", "wrong", "asked", "declined")
"""Every task ends in exactly one of these."""

WATCHED = (
    "brightness",
    "rgb_color",
    "current_position",
    "percentage",
    "volume_level",
    "temperature",
    "is_volume_muted",
    "media_track",
)
"""Attributes that, besides the state, count as a change of another entity."""

Recognizer = Callable[[Home, str, str, str], list[IntentMatch]]
"""(home, home key, text, conversation id) -> matches; builds or reuses an understanding engine over that home."""


class SwitchableHome:
    """A HomeApi that forwards to the current task's home: one engine per fixture serves every task of that home
    (the names are the same; only states differ), instead of building an engine per task."""

    def __init__(self, home: Home) -> None:
        self.inner = home

    def subscribe(self, callback: Callable[[Any], None]) -> Callable[[], None]:
        return lambda: None  # names never change within a fixture

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def engine_recognizer(make_engine: Callable[[Any, str], Any]) -> Recognizer:
    """A Recognizer that keeps one engine per home key over a SwitchableHome (``make_engine(home, key)``)."""
    engines: dict[str, tuple[Any, SwitchableHome]] = {}

    def recognize(home: Home, key: str, text: str, conversation_id: str) -> list[IntentMatch]:
        if key not in engines:
            proxy = SwitchableHome(home)
            engines[key] = (make_engine(proxy, key), proxy)
        engine, proxy = engines[key]
        proxy.inner = home
        return list(engine.recognize(text, conversation_id=conversation_id))

    return recognize


@dataclass(frozen=True, slots=True)
class TaskOutcome:
    """What one task did."""

    task_id: str
    """The task."""
    home: str
    """Home folder name."""
    action: str
    """Upstream action label ('Turn on', 'Set brightness', ...)."""
    outcome: str
    """One of OUTCOMES."""
    intent: str
    """The first match's intent."""
    confidence: float
    """The first match's confidence."""
    latency_ms: float
    """Recognition time of the first turn."""
    problems: tuple[str, ...] = ()
    """Why it did not pass."""
    sentence: str = ""
    """The request."""
    detail: Mapping[str, Any] = field(default_factory=dict)
    """Targets and slots of the first match."""


def load_tasks(folder: Path) -> list[dict[str, Any]]:
    """Every task row of ``folder/tasks*.jsonl`` (dev and, where present, held-out files)."""
    rows: list[dict[str, Any]] = []
    for path in sorted(folder.glob("tasks*.jsonl")):
        for line in path.read_text(encoding="utf-8").split("\n"):  # JSON Lines: lines end at a line feed only
            if line.strip():
                rows.append(json.loads(line))
    return rows


class _Homes:
    """Raw fixture files, parsed once per home."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._raw: dict[str, dict[str, Any]] = {}

    def raw(self, rel: str) -> dict[str, Any]:
        if rel not in self._raw:
            path = self._folder / "homes" / rel
            self._raw[rel] = yaml.safe_load(path.read_text(encoding="utf-8"))
        return self._raw[rel]


def make_home(raw: Mapping[str, Any], setup: Mapping[str, Mapping[str, Any]] | None = None, *, key: str = "") -> Home:
    """A fresh simulated home from a fixture's raw data with a task's setup applied (state replaced, attributes
    merged, a null attribute cleared)."""
    data = copy.deepcopy(dict(raw))
    setup = setup or {}
    for item in data.get("entities") or []:
        eid = item.get("id") or item.get("entity_id")
        if eid not in setup:
            continue
        change = setup[eid]
        if "state" in change:
            item["state"] = change["state"]
        attrs = dict(item.get("attributes") or {})
        for k, v in (change.get("attributes") or {}).items():
            if v is None:
                attrs.pop(k, None)
            else:
                attrs[k] = v
        item["attributes"] = attrs
    spec = load_home_data(data, source=key or "<device_actions>")
    return Home(spec, SimulatedAdapter(spec.entities, db_path=None, home_key=key or "eval"))


def _snapshot(home: Home) -> dict[str, tuple[Any, ...]]:
    return {e.entity_id: (e.state, *(_norm(e.attributes.get(a)) for a in WATCHED)) for e in home.entities()}


def _norm(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(value)
    return value


def _value_ok(got: Any, want: Any, *, attr: str | None = None) -> bool:
    if isinstance(want, dict):
        if "in" in want:
            return any(_value_ok(got, w, attr=attr) for w in want["in"])
        try:
            g = float(got)
        except (TypeError, ValueError):
            return False
        if "gt" in want and not g > float(want["gt"]):
            return False
        return not ("lt" in want and not g < float(want["lt"]))
    if isinstance(want, int | float) and not isinstance(want, bool):
        try:
            g = float(got)
        except (TypeError, ValueError):
            return False
        tol = 1.0 if attr == "brightness" else 1e-3 + abs(float(want)) * 1e-3
        return abs(g - float(want)) <= tol
    return str(got).lower() == str(want).lower()


def _check(home: Home, before: Mapping[str, tuple[Any, ...]], expect: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    for eid, want in expect.items():
        e = home.entity(eid)
        if e is None:
            problems.append(f"{eid} missing")
            continue
        want_state = want.get("state")
        if want_state is not None:
            ok = _value_ok(e.state, want_state) or (
                e.state == "docked" and _value_ok("returning", want_state)
            )  # a simulator may dock at once
            if not ok:
                problems.append(f"{eid} is {e.state!r}, expected {want_state!r}")
        for attr, value in (want.get("attributes") or {}).items():
            if not _value_ok(e.attributes.get(attr), value, attr=attr):
                problems.append(f"{eid}.{attr} is {e.attributes.get(attr)!r}, expected {value!r}")
    after = _snapshot(home)
    for eid, snap in after.items():
        if eid not in expect and before.get(eid) != snap:
            problems.append(f"{eid} changed")
    return problems


def _run_task(home: Home, key: str, recognize: Recognizer, sentence: str, conversation_id: str) -> tuple[
    list[IntentMatch], bool, int, float
]:  # fmt: skip
    """Say the sentence (and one 'yes' to a confirmation question); (matches of the first turn, asked, writes, ms)."""
    skill = HomeControlSkill()
    handlers = {spec.name: getattr(skill, attr) for spec, attr in skill.intent_handlers()}
    first: list[IntentMatch] = []
    asked = False
    writes = 0
    latency = 0.0
    pending: IntentMatch | None = None
    for turn, text in enumerate((sentence, "yes")):
        if turn == 1 and pending is None:
            break
        started = time.perf_counter()
        matches = recognize(home, key, text, conversation_id)
        if turn == 0:
            latency = (time.perf_counter() - started) * 1000
            first = matches
        asked = False
        for match in matches:
            run: IntentMatch | None = None
            confirmed = False
            if match.intent == "Confirm":
                run, confirmed, pending = pending, True, None
            elif match.clarification:
                asked = True
            elif match.intent in DEVICE_INTENTS and match.intent in handlers:
                run = match
            if run is None:
                continue
            ctx = SkillContext(conversation_id, text, {}, {}, home=home, confirmed=confirmed)
            result = handlers[run.intent](run, ctx)
            writes += sum(1 for a in result.actions if a.success)
            if result.needs_confirmation:
                pending, asked = run, True
        if turn == 1:
            pending = None
    return first, asked, writes, latency


def run_tasks(
    folder: Path,
    recognize: Recognizer,
    *,
    tasks: Sequence[Mapping[str, Any]] | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[TaskOutcome]:
    """Run every task (or the given ones) on a fresh home each."""
    rows = list(tasks) if tasks is not None else load_tasks(folder)
    homes = _Homes(folder)
    out: list[TaskOutcome] = []
    for n, row in enumerate(rows):
        if progress and n and n % 250 == 0:
            progress(f"device_actions: {n}/{len(rows)}")
        rel = str(row["home"])
        home = make_home(homes.raw(rel), row.get("effective_setup") or {}, key=rel)
        before = _snapshot(home)
        matches, asked, writes, latency = _run_task(home, rel, recognize, str(row["sentence"]), f"da{n}")
        problems = _check(home, before, row.get("expect_changes") or {})
        changed = _snapshot(home) != before
        if not problems:
            outcome = "pass"
        elif writes or changed:
            outcome = "wrong"
        elif asked:
            outcome = "asked"
        else:
            outcome = "declined"
        m = matches[0] if matches else None
        out.append(
            TaskOutcome(
                task_id=str(row["task_id"]),
                home=rel.split("/", 1)[0],
                action=str(row.get("action", "")),
                outcome=outcome,
                intent=m.intent if m else "",
                confidence=float(m.confidence) if m else 0.0,
                latency_ms=latency,
                problems=tuple(problems),
                sentence=str(row["sentence"]),
                detail={"targets": list(m.targets), "slots": dict(m.slots)} if m else {},
            )
        )
        home.close()
    return out


def _rates(items: Iterable[TaskOutcome]) -> dict[str, Any]:
    items = list(items)
    counts = Counter(o.outcome for o in items)
    n = len(items) or 1
    return {
        "n": len(items),
        "pass_rate": round(counts["pass"] / n, 4),
        "wrong_rate": round(counts["wrong"] / n, 4),
        "asked_rate": round(counts["asked"] / n, 4),
        "declined_rate": round(counts["declined"] / n, 4),
    }


def summarize(outcomes: Sequence[TaskOutcome], *, misses: int = 25) -> dict[str, Any]:
    """Overall and per-action rates, per-home pass rates, and examples of wrong actions and misses."""
    by_action: dict[str, list[TaskOutcome]] = defaultdict(list)
    by_home: dict[str, list[TaskOutcome]] = defaultdict(list)
    for o in outcomes:
        by_action[o.action].append(o)
        by_home[o.home].append(o)
    lat = sorted(o.latency_ms for o in outcomes)
    report: dict[str, Any] = _rates(outcomes)
    report["p50_ms"] = round(lat[len(lat) // 2], 2) if lat else 0.0
    report["p95_ms"] = round(lat[min(len(lat) - 1, int(len(lat) * 0.95))], 2) if lat else 0.0
    acted = [o for o in outcomes if o.outcome in ("pass", "wrong")]
    report["acted_share"] = round(len(acted) / max(1, len(outcomes)), 4)
    report["reliability"] = reliability(acted)
    report["by_action"] = {a: _rates(v) for a, v in sorted(by_action.items())}
    home_pass = {h: _rates(v)["pass_rate"] for h, v in sorted(by_home.items())}
    report["by_home_pass"] = home_pass
    if home_pass:
        values = sorted(home_pass.values())
        report["worst_home_pass"] = values[0]
    wrong = [o for o in outcomes if o.outcome == "wrong"]
    report["wrong_examples"] = [
        {"text": o.sentence, "got": [o.intent, o.detail], "problems": list(o.problems[:2])} for o in wrong[:misses]
    ]
    other = [o for o in outcomes if o.outcome in ("asked", "declined")]
    report["miss_examples"] = [{"text": o.sentence, "outcome": o.outcome, "got": o.intent} for o in other[:misses]]
    return report


RELIABILITY_EDGES = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 1.01)
"""Confidence bins of the reliability table."""


def reliability(acted: Sequence[TaskOutcome]) -> list[dict[str, Any]]:
    """Confidence of the action taken (bins) → share of those actions that were right."""
    out = []
    for lo, hi in itertools.pairwise(RELIABILITY_EDGES):
        sel = [o for o in acted if lo <= o.confidence < hi]
        right = sum(o.outcome == "pass" for o in sel)
        out.append({"bin": f"{lo:.2f}-{min(hi, 1.0):.2f}", "n": len(sel),
                    "accuracy": round(right / len(sel), 4) if sel else None})  # fmt: skip
    return out


def home_folds(homes: Iterable[str], k: int) -> list[list[str]]:
    """Homes split into k folds by a stable hash of their names (leave-homes-out validation)."""
    names = sorted(set(homes), key=lambda h: hashlib.sha1(h.encode()).hexdigest())
    return [names[i::k] for i in range(k)]
