"""Understanding benchmark: HA dev intent+slot accuracy, end-state agreement, SLURP iot, the request set, latency.

Run: ``python benchmarks/intents_bench.py [--no-embeddings] [--llm | --llm-ab] [--limit N]`` (or ``assistant eval
intents``). ``--llm-ab`` loads the model once and evaluates every LLM scoring variant of ``benchmarks.llm_bench``
(the previous padded scoring without caches, and the current one) and the engine without the LLM, in one process.
Slots are scored as upstream's tests do: every expected slot must be present with the same value (a list of
expected values means any of them); extra slots (e.g. the domain of a named entity) are allowed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from assistant.config import load_config  # noqa: E402
from assistant.jsonl import read_jsonl  # noqa: E402
from assistant.nlu import Understanding, create_understanding  # noqa: E402
from assistant.nlu.catalog import build_index  # noqa: E402
from assistant.nlu.evaluate import check_case  # noqa: E402
from assistant.nlu.resolve import resolve_targets  # noqa: E402
from benchmarks.common import percentile  # noqa: E402
from contracts.engines import Embedder, LanguageModel  # noqa: E402
from contracts.home import HomeApi  # noqa: E402
from contracts.intents import WRITE_INTENTS  # noqa: E402
from contracts.messages import IntentMatch, Tier  # noqa: E402
from devices import create_home  # noqa: E402

__all__ = ["SLURP_MAP", "loto", "run"]

DEFAULT_EVAL = ROOT.parent / "shared" / "data" / "eval"
DEFAULT_HOME = ROOT / "config" / "homes" / "default.yaml"
REQUESTS = ROOT / "tests" / "data" / "home_requests.yaml"

SLURP_MAP: Mapping[str, str] = {
    "hue_lightoff": "HassTurnOff",
    "hue_lighton": "HassTurnOn",
    "hue_lightup": "HassLightSet",
    "hue_lightdim": "HassLightSet",
    "hue_lightchange": "HassLightSet",
    "wemo_on": "HassTurnOn",
    "wemo_off": "HassTurnOff",
    "cleaning": "HassVacuumStart",
    "coffee": "HassTurnOn",
}
"""SLURP iot intents that have a device-intent counterpart (the rest of iot is not a device action here)."""


def _intents_dir(data_dir: Path | None) -> Path:
    for candidate in (data_dir, (data_dir / "intents") if data_dir else None, DEFAULT_EVAL / "intents"):
        if candidate is not None and (candidate / "ha_intents_en.dev.jsonl").exists():
            return candidate
    raise FileNotFoundError("ha_intents_en.dev.jsonl not found (pass the eval data folder)")


def _slots_ok(got: Mapping[str, Any], want: Mapping[str, Any]) -> bool:
    for key, value in want.items():
        have = got.get(key)
        if isinstance(value, list):
            if have not in [v.strip() if isinstance(v, str) else v for v in value] and have != value:
                return False
        elif have != value and not (isinstance(have, str) and isinstance(value, str) and have.lower() == value.lower()):
            return False
    return True


def _home_for(folder: Path, fixtures: str) -> HomeApi:
    if fixtures == "fixtures.json":
        return create_home(file=folder / "ha_fixtures.json", adapter="simulated", data_dir=None, persist=False)
    section = fixtures[len("local_fixtures.json[") : -1]
    return create_home(file=folder / "ha_local_fixtures.json", adapter="simulated", data_dir=None, persist=False,
                       section=section)  # fmt: skip


def _states(home: HomeApi) -> dict[str, str]:
    return {e.entity_id: e.state for e in home.entities()}


def _end_state_agrees(folder: Path, row: Mapping[str, Any], match: IntentMatch) -> bool:
    """Executing the prediction leaves the home as executing the gold (intent, slots) would."""
    gold_home = _home_for(folder, row["fixtures"])
    area = (row.get("context") or {}).get("area")
    index = build_index(gold_home)
    gold = resolve_targets(index, row["intent"], row["slots"], text=row["text"].lower(), speaker_area=area)
    gold_match = IntentMatch(row["intent"], row["slots"], gold.targets)
    pred_home = _home_for(folder, row["fixtures"])
    _execute(gold_home, gold_match)
    _execute(pred_home, match)
    return _states(gold_home) == _states(pred_home)


def _execute(home: HomeApi, match: IntentMatch) -> None:
    from contracts.skills import SkillContext
    from skills.home_control import HomeControlSkill

    skill = HomeControlSkill()
    handlers = {spec.name: getattr(skill, attr) for spec, attr in skill.intent_handlers()}
    if match.intent in handlers and match.targets and not match.clarification:
        handlers[match.intent](match, SkillContext("b", "", {}, {}, home=home, confirmed=True))


def _tier_stats(latencies: Mapping[str, list[float]], counts: Counter[str]) -> dict[str, Any]:
    total = sum(counts.values()) or 1
    return {
        tier: {
            "share": round(counts[tier] / total, 4),
            "n": counts[tier],
            "p50_ms": round(percentile(latencies.get(tier, []), 50), 2),
            "p95_ms": round(percentile(latencies.get(tier, []), 95), 2),
        }
        for tier in sorted(counts)
    }


def run(
    data_dir: Path | None = None,
    *,
    limit: int | None = None,
    embeddings: bool = True,
    llm: bool = False,
    progress: Callable[[str], None] | None = None,
    llm_model: LanguageModel | None = None,
) -> dict[str, Any]:
    """Evaluate the understanding engine; returns the figures as a dict (``llm_model``: use this loaded model)."""
    say = progress or (lambda _m: None)
    folder = _intents_dir(data_dir)
    cfg = load_config()
    embedder: Embedder | None = None
    if embeddings:
        from assistant.embeddings import create_embedder

        embedder = create_embedder(cfg.embeddings)
    model: LanguageModel | None = llm_model if llm else None
    if llm and model is None:
        from assistant.llm import create_llm

        model = create_llm(cfg.llm, data_dir=Path(cfg.cache_dir).expanduser())
    nlu_cfg = cfg.nlu.model_copy(update={"llm": model is not None})
    report: dict[str, Any] = {"embeddings": embeddings, "llm": model is not None}

    # -- Home Assistant dev sentences
    rows = read_jsonl(folder / "ha_intents_en.dev.jsonl")
    rows = rows[:limit] if limit else rows
    engines: dict[str, Understanding] = {}
    latencies: dict[str, list[float]] = defaultdict(list)
    tiers: Counter[str] = Counter()
    correct = intent_ok = end_ok = end_n = 0
    misses: list[dict[str, Any]] = []
    say(f"intents: {len(rows)} HA dev sentences")
    for n, row in enumerate(rows):
        key = row["fixtures"]
        if key not in engines:
            engines[key] = create_understanding(nlu_cfg, home=_home_for(folder, key), intents=[], embedder=embedder,
                                                llm=model)  # fmt: skip
            report.setdefault("warmup_ms", engines[key].warmup())
        started = time.perf_counter()
        match = engines[key].recognize(
            row["text"], conversation_id=f"ha{n}", area=(row.get("context") or {}).get("area")
        )[0]
        elapsed = (time.perf_counter() - started) * 1000
        latencies[match.tier.value].append(elapsed)
        tiers[match.tier.value] += 1
        ok = match.intent == row["intent"] and _slots_ok(match.slots, row["slots"])
        correct += ok
        intent_ok += match.intent == row["intent"]
        if not ok:
            misses.append(
                {"text": row["text"], "want": [row["intent"], row["slots"]], "got": [match.intent, dict(match.slots)]}
            )
        if row["intent"] in WRITE_INTENTS:
            end_n += 1
            end_ok += _end_state_agrees(folder, row, match)
    report["ha_dev"] = {
        "n": len(rows),
        "intent_slot_accuracy": round(correct / max(1, len(rows)), 4),
        "intent_accuracy": round(intent_ok / max(1, len(rows)), 4),
        "end_state_agreement": round(end_ok / max(1, end_n), 4),
        "end_state_n": end_n,
        "tiers": _tier_stats(latencies, tiers),
        "misses": misses[:20],
    }

    # -- SLURP iot subset over the default home
    slurp_rows = read_jsonl(folder / "slurp_test.dev.jsonl")
    iot = [r for r in slurp_rows if r["scenario"] == "iot" and r["action"] in SLURP_MAP]
    home = create_home(file=DEFAULT_HOME, adapter="simulated", data_dir=None, persist=False)
    engine = create_understanding(nlu_cfg, home=home, intents=[], embedder=embedder, llm=model)
    engine.warmup()
    s_ok = s_asked = 0
    s_tiers: Counter[str] = Counter()
    s_lat: dict[str, list[float]] = defaultdict(list)
    for n, r in enumerate(iot):
        started = time.perf_counter()
        m = engine.recognize(r["text"], conversation_id=f"s{n}", area="living_room")[0]
        s_lat[m.tier.value].append((time.perf_counter() - started) * 1000)
        s_tiers[m.tier.value] += 1
        s_ok += m.intent == SLURP_MAP[r["action"]] and not m.clarification
        s_asked += bool(m.clarification)
    report["slurp_iot"] = {
        "n": len(iot),
        "intent_accuracy": round(s_ok / max(1, len(iot)), 4),
        "asked_instead": round(s_asked / max(1, len(iot)), 4),
        "tiers": _tier_stats(s_lat, s_tiers),
    }

    # -- our request set (end states on the default home)
    cases = yaml.safe_load(REQUESTS.read_text())["cases"]

    def make() -> tuple[Understanding, HomeApi]:
        h = create_home(file=DEFAULT_HOME, adapter="simulated", data_dir=None, persist=False)
        return create_understanding(nlu_cfg, home=h, intents=[], embedder=embedder, llm=model), h

    outcomes = [check_case(c, make) for c in cases]
    r_lat: dict[str, list[float]] = defaultdict(list)
    r_tiers: Counter[str] = Counter()
    for o in outcomes:
        for t in o.turns:
            for m in t.matches:
                r_tiers[m.tier.value] += 1
                r_lat[m.tier.value].append(t.latency_ms / max(1, len(t.matches)))
    report["requests"] = {
        "n": len(outcomes),
        "pass_rate": round(sum(o.passed for o in outcomes) / max(1, len(outcomes)), 4),
        "failed": [{"id": o.case_id, "problems": list(o.problems)} for o in outcomes if not o.passed],
        "tiers": _tier_stats(r_lat, r_tiers),
    }
    # -- spoken device commands in synthetic homes (end state, wrong actions, questions)
    da_folder = _device_actions_dir(data_dir)
    if da_folder is not None:
        report["device_actions"] = device_actions(da_folder, nlu_cfg, embedder=embedder, llm=model, limit=limit,
                                                  progress=say)  # fmt: skip
        # the learned scorer (off by default): on DEV, and each home scored by weights fitted without it
        learned = nlu_cfg.model_copy(update={"learned_scorer": True})
        held = device_actions(da_folder, learned, embedder=embedder, llm=model, limit=limit, progress=say,
                              held_out=True)  # fmt: skip
        if held:
            report["device_actions_learned"] = device_actions(da_folder, learned, embedder=embedder, llm=model,
                                                              limit=limit, progress=say)  # fmt: skip
            report["device_actions_learned_held_out_homes"] = held
    report["tier_names"] = [t.value for t in Tier]
    return report


def loto(
    data_dir: Path | None = None,
    *,
    per_template: int = 2,
    seed: int = 0,
    limit: int | None = None,
    embeddings: bool = True,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Leave-one-template-out on Home Assistant's sentences (``assistant.nlu.loto``): every template line of the
    intents the HA dev set uses, held out in turn from the template tier, ``per_template`` seeded sentences each over
    the HA fixture home, scored through templates → semantic (no LLM) on intent + slots."""
    from assistant.nlu.loto import evaluate_loto, loto_units

    folder = _intents_dir(data_dir)
    cfg = load_config()
    embedder: Embedder | None = None
    if embeddings:
        from assistant.embeddings import create_embedder

        embedder = create_embedder(cfg.embeddings)
    nlu_cfg = cfg.nlu.model_copy(update={"llm": False})
    home = _home_for(folder, "fixtures.json")
    engine = create_understanding(nlu_cfg, home=home, intents=_skill_intents(), embedder=embedder, llm=None)
    engine.warmup()
    dev_intents = sorted({r["intent"] for r in read_jsonl(folder / "ha_intents_en.dev.jsonl")})
    units = loto_units(dev_intents)
    units = units[:limit] if limit else units

    def end_state(sample: Any, match: IntentMatch) -> bool | None:
        if sample.intent not in WRITE_INTENTS:
            return None
        row = {"fixtures": "fixtures.json", "context": {"area": sample.area}, "intent": sample.intent,
               "slots": {k: v[0] if isinstance(v, list) else v for k, v in sample.slots.items()},
               "text": sample.text}  # fmt: skip
        return _end_state_agrees(folder, row, match)

    return evaluate_loto(engine, build_index(home), units, per_template=per_template, seed=seed, progress=progress,
                         end_state=end_state)  # fmt: skip


def _device_actions_dir(data_dir: Path | None) -> Path | None:
    """``DIR/device_actions`` (or ``DIR`` itself, or the shared eval data's) when it holds tasks and homes."""
    for base in (data_dir, data_dir.parent if data_dir else None, DEFAULT_EVAL):
        if base is None:
            continue
        for candidate in (base / "device_actions", base):
            if (candidate / "homes").is_dir() and any(candidate.glob("tasks*.jsonl")):
                return candidate
    return None


def _skill_intents() -> list[Any]:
    """The installed skills' intents, as the assistant loads them (so skills compete for device requests)."""
    from skills.registry import SkillRegistry

    return list(SkillRegistry.load(folder=None, entry_points=True).intents())


def device_actions(
    folder: Path,
    nlu_cfg: Any,
    *,
    embedder: Embedder | None,
    llm: LanguageModel | None,
    limit: int | None = None,
    progress: Callable[[str], None] | None = None,
    held_out: bool = False,
) -> dict[str, Any]:
    """device_actions/: end-state pass rate, wrong-action rate and asked/declined shares, per action type and home.

    Every installed skill's intents compete, as in the assistant. ``limit`` takes an even sample across homes. With
    ``held_out``, each home is scored by the learned scorer's weights fitted without that home (leave-homes-out;
    ``{}`` when the scorer has no such folds).
    """
    from assistant.nlu.device_eval import engine_recognizer, load_tasks, run_tasks, summarize
    from assistant.nlu.learn.scorer import load_scorer

    scorer = load_scorer()
    if held_out and (scorer is None or not scorer.folds or not getattr(nlu_cfg, "learned_scorer", False)):
        return {}  # leave-homes-out only means something for weights fitted to homes

    def make(home: Any, key: str) -> Understanding:
        engine = create_understanding(nlu_cfg, home=home, intents=intents, embedder=embedder, llm=llm)
        if held_out and scorer is not None:
            engine.use_scorer(scorer.held_out(key.split("/", 1)[0]) or scorer)
        return engine

    tasks = load_tasks(folder)
    if limit:
        step = max(1, len(tasks) // limit)
        tasks = tasks[::step][:limit]
    intents = _skill_intents()
    recognize = engine_recognizer(make)
    (progress or (lambda _m: None))(f"intents: {len(tasks)} device_actions tasks")
    return summarize(run_tasks(folder, recognize, tasks=tasks, progress=progress))


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--no-embeddings", action="store_true")
    parser.add_argument("--llm", action="store_true")
    parser.add_argument("--llm-ab", action="store_true", help="every LLM scoring variant, then without the LLM")
    parser.add_argument("--loto", action="store_true", help="only leave-one-template-out on Home Assistant's sentences")
    parser.add_argument("--per-template", type=int, default=2, help="--loto: sentences drawn per template line")
    parser.add_argument("--seed", type=int, default=0, help="--loto: the draw's seed")
    args = parser.parse_args()

    def say(m: str) -> None:
        print(m, file=sys.stderr)

    if args.loto:
        figures = loto(args.data, per_template=args.per_template, seed=args.seed, limit=args.limit,
                       embeddings=not args.no_embeddings, progress=say)  # fmt: skip
        print(json.dumps(figures, indent=2, ensure_ascii=False))
        return
    if args.llm_ab:
        figures = llm_ab(args.data, limit=args.limit, embeddings=not args.no_embeddings, progress=say)
        print(json.dumps(figures, indent=2))
        return

    report = run(args.data, limit=args.limit, embeddings=not args.no_embeddings, llm=args.llm, progress=say)
    if args.llm:  # measure whether tier 3 helps: the same run without it
        say("again without the LLM, for comparison")
        report["llm_effect"] = llm_effect(
            run(args.data, limit=args.limit, embeddings=not args.no_embeddings, llm=False, progress=say), report
        )
    print(json.dumps(report, indent=2, ensure_ascii=False))


def llm_ab(
    data_dir: Path | None = None,
    *,
    limit: int | None = None,
    embeddings: bool = True,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The benchmark once per LLM scoring variant (one loaded model, settings switched) and once without the LLM."""
    from assistant.llm import TransformersLLM, create_llm
    from benchmarks.llm_bench import TIER3_VARIANTS

    cfg = load_config()
    model = create_llm(cfg.llm, data_dir=Path(cfg.cache_dir).expanduser())
    out: dict[str, Any] = {}
    without = run(data_dir, limit=limit, embeddings=embeddings, llm=False, progress=progress)
    for name, settings in TIER3_VARIANTS.items():
        if isinstance(model, TransformersLLM):
            for key, value in settings.items():
                setattr(model, key, value)
            model.clear_caches()
        (progress or (lambda _m: None))(f"LLM scoring variant: {name}")
        report = run(data_dir, limit=limit, embeddings=embeddings, llm=True, progress=progress, llm_model=model)
        out[name] = llm_effect(without, report)
    return out


def llm_effect(without: Mapping[str, Any], with_llm: Mapping[str, Any]) -> dict[str, Any]:
    """Accuracy without and with tier 3, and how often and how fast tier 3 decided."""
    pairs = {
        "ha_dev_intent_slot_accuracy": ("ha_dev", "intent_slot_accuracy"),
        "slurp_iot_intent_accuracy": ("slurp_iot", "intent_accuracy"),
        "requests_pass_rate": ("requests", "pass_rate"),
    }
    out: dict[str, Any] = {
        name: {"without": without[a][b], "with": with_llm[a][b], "delta": round(with_llm[a][b] - without[a][b], 4)}
        for name, (a, b) in pairs.items()
    }
    for part in ("ha_dev", "slurp_iot", "requests"):
        llm_tier = with_llm[part]["tiers"].get("llm")
        out[f"{part}_llm_tier"] = llm_tier or {"n": 0}
    return out


if __name__ == "__main__":
    main()
