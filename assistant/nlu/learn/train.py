"""Train the learned scorer on generated requests; report held-out figures; write ``assistant/nlu/scorer.json``.

Run: ``python -m assistant.nlu.learn.train [--seed 13] [--random-homes 50] [--per-home 60] [--no-embeddings]``
(a few minutes on 2 cores). Every figure it prints is on requests of homes (or templates) the weights never saw:

- leave-homes-out: the homes are split in 5 folds; each fold is scored by weights fitted on the other four;
- leave-one-template-out: the templates are split in 5 folds the same way (whole templates held out);
- calibration: the isotonic map is fitted on the best candidates of the held-out homes' requests (out of fold).

The rule (hand-weighted) score is evaluated on the same rows, so the two are compared like for like.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import random
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.nlu.catalog import HomeIndex, build_index
from assistant.nlu.learn.generate import Example, SynthHome, examples, home_from_api, random_home
from assistant.nlu.learn.scorer import ARTEFACT, LearnedScorer, feature_vector, isotonic_table
from assistant.nlu.normalize import normalize, parse_params
from assistant.nlu.semantic import Context, RankedCandidate, SemanticRanker
from contracts.home import Area, Entity, Floor

__all__ = ["Rows", "featurize", "fit", "main", "training_homes"]

ROOT = Path(__file__).resolve().parents[3]
EVAL = ROOT.parent / "shared" / "data" / "eval"


class _StaticHome:
    """A read-only HomeApi over a generated home (what the ranker needs: the registry and live entities)."""

    def __init__(self, home: SynthHome) -> None:
        self._home = home
        self._by_id = {e.entity_id: e for e in home.entities}

    def entities(self) -> list[Entity]:
        return list(self._home.entities)

    def entity(self, entity_id: str) -> Entity | None:
        return self._by_id.get(entity_id)

    def areas(self) -> list[Area]:
        return list(self._home.areas)

    def floors(self) -> list[Floor]:
        return list(self._home.floors)


def training_homes(seed: int, n_random: int, *, eval_dir: Path = EVAL) -> list[SynthHome]:
    """The HA intent fixture, the device_actions DEV homes (devices and names only) and ``n_random`` random homes."""
    out: list[SynthHome] = []
    fixture = eval_dir / "intents" / "ha_fixtures.json"
    if fixture.exists():
        from devices import create_home

        h = create_home(file=fixture, adapter="simulated", data_dir=None, persist=False)
        out.append(home_from_api("ha-fixture", h.entities(), h.areas(), h.floors()))
    da = eval_dir / "device_actions" / "homes"
    if da.is_dir():
        import yaml

        from assistant.nlu.device_eval import make_home

        for folder in sorted(p for p in da.iterdir() if (p / "_fixtures.yaml").exists()):
            raw = yaml.safe_load((folder / "_fixtures.yaml").read_text(encoding="utf-8"))
            h = make_home(raw, key=folder.name)
            out.append(home_from_api(f"da:{folder.name}", h.entities(), h.areas(), h.floors()))
    rng = random.Random(seed)
    out += [random_home(rng, f"rand-{k}") for k in range(n_random)]
    return out


@dataclass
class Rows:
    """Candidate rows of generated requests: features, label, and what each row belongs to."""

    x: np.ndarray
    """Feature vectors."""
    y: np.ndarray
    """1 when the candidate is the gold action."""
    rule: np.ndarray
    """The hand-weighted score of the candidate."""
    group: np.ndarray
    """Request index of each row."""
    home: list[str]
    """Home name per request."""
    template: list[str]
    """Template id per request."""
    reachable: np.ndarray
    """Per request: whether any candidate is the gold action (the recall bound)."""


def _is_gold(c: RankedCandidate, ex: Example) -> bool:
    if c.skill_intent or c.intent != ex.intent or tuple(sorted(c.targets)) != tuple(sorted(ex.targets)):
        return False
    step = ex.slots.get("volume_step")
    if step is not None:
        sign = -1 if str(step) == "down" or (isinstance(step, int | float) and step < 0) else 1
        delta = c.slots.get("volume_delta")
        return isinstance(delta, int | float) and delta * sign > 0
    for key, want in ex.slots.items():
        slot = {"volume": "volume_level"}.get(key, key)
        got = c.slots.get(slot)
        if key in ("brightness", "position", "volume", "volume_level", "temperature"):
            try:
                if abs(float(got) - float(want)) > 1.0:  # type: ignore[arg-type]
                    return False
            except (TypeError, ValueError):
                return False
        elif key == "color" and got is not None and str(got).lower() != str(want).lower():
            return False
    return True


def featurize(
    items: Iterable[Example],
    ranker: SemanticRanker,
    *,
    progress: Callable[[str], None] | None = None,
    lexical: SemanticRanker | None = None,
    lexical_share: float = 0.3,
    seed: int = 0,
) -> Rows:
    """Rank every request's candidates with the rule scorer and turn them into rows. A share of the requests is
    ranked by ``lexical`` (a ranker without embedder), so the weights also fit an assistant without one."""
    rng = random.Random(seed)
    xs: list[list[float]] = []
    ys: list[int] = []
    rules: list[float] = []
    groups: list[int] = []
    homes: list[str] = []
    templates: list[str] = []
    reach: list[bool] = []
    indexes: dict[str, HomeIndex] = {}
    for n, ex in enumerate(items):
        if progress and n and n % 1000 == 0:
            progress(f"featurized {n}")
        home = _StaticHome(ex.home)
        if ex.home.name not in indexes:
            indexes[ex.home.name] = build_index(home)  # type: ignore[arg-type]
        index = indexes[ex.home.name]
        norm = normalize(ex.text)
        context = Context(last_targets=ex.last_targets, last_intent=ex.intent if ex.last_targets else None)
        use = lexical if lexical is not None and rng.random() < lexical_share else ranker
        ranked = use.rank(norm, parse_params(norm), index, home, context, limit=40)  # type: ignore[arg-type]
        has_embedder = 0.0 if use is lexical else 1.0
        found = False
        for c in ranked:
            if c.skill_intent:
                continue
            gold = _is_gold(c, ex)
            found |= gold
            feats = {**c.features, "rule": c.score, "embedder": has_embedder}
            xs.append(feature_vector(feats, c.action, len(c.targets)))
            ys.append(int(gold))
            rules.append(c.score)
            groups.append(len(homes))
        homes.append(ex.home.name)
        templates.append(ex.template)
        reach.append(found)
    return Rows(np.array(xs, dtype=np.float64), np.array(ys), np.array(rules), np.array(groups), homes, templates,
                np.array(reach))  # fmt: skip


def fit(x: np.ndarray, y: np.ndarray, *, seed: int) -> tuple[np.ndarray, float]:
    """Logistic regression weights (L2, balanced enough by the candidate lists themselves)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1.0, max_iter=2000, random_state=seed)
    model.fit(x, y)
    return model.coef_[0].astype(np.float64), float(model.intercept_[0])


def _top1(rows: Rows, scores: np.ndarray, requests: Sequence[int]) -> tuple[float, list[float], list[bool]]:
    """Top-1 accuracy over the given requests, and (best score, correct) per request for calibration."""
    wanted = set(requests)
    best: dict[int, tuple[float, int]] = {}
    for i, g in enumerate(rows.group):
        g = int(g)
        if g in wanted and (g not in best or scores[i] > best[g][0]):
            best[g] = (float(scores[i]), int(rows.y[i]))
    ok = [bool(best[g][1]) if g in best else False for g in requests]
    return (sum(ok) / max(1, len(ok))), [best[g][0] if g in best else 0.0 for g in requests], ok


def _folds(keys: Sequence[str], k: int) -> dict[str, int]:
    names = sorted(set(keys), key=lambda h: hashlib.sha1(h.encode()).hexdigest())
    return {name: i % k for i, name in enumerate(names)}


def _cross(rows: Rows, keys: Sequence[str], k: int, seed: int) -> dict[str, Any]:
    """Out-of-fold top-1 of the rule and the learned scores, folds by ``keys`` (homes or templates)."""
    fold_of = _folds(keys, k)
    req_fold = np.array([fold_of[key] for key in keys])
    row_fold = req_fold[rows.group]
    learned = np.zeros(len(rows.y))
    for f in range(k):
        train = row_fold != f
        coef, b = fit(rows.x[train], rows.y[train], seed=seed)
        test = row_fold == f
        learned[test] = 1 / (1 + np.exp(-(rows.x[test] @ coef + b)))
    requests = list(range(len(keys)))
    rule_acc, _s, _o = _top1(rows, rows.rule, requests)
    learn_acc, scores, ok = _top1(rows, learned, requests)
    return {"rule_top1": round(rule_acc, 4), "learned_top1": round(learn_acc, 4), "scores": scores, "ok": ok}


def _action_counts(rows: Rows) -> dict[str, int]:
    """Gold rows per kind of action (an action with too few is left to the hand weights)."""
    from assistant.nlu.learn.scorer import ACTION_KEYS, BASE_FEATURES

    first = len(BASE_FEATURES) + 4
    return {k: int(rows.y[rows.x[:, first + i] == 1.0].sum()) for i, k in enumerate(ACTION_KEYS)}


def _home_fold_models(
    rows: Rows, seed: int, k: int = 4
) -> tuple[tuple[tuple[str, ...], tuple[float, ...], float], ...]:
    """Weights fitted without each fold of the device_actions DEV homes (for their leave-homes-out evaluation)."""
    from assistant.nlu.device_eval import home_folds

    da = sorted({h for h in rows.home if h.startswith("da:")})
    out = []
    for fold in home_folds([h[3:] for h in da], k):
        left = {f"da:{h}" for h in fold}
        keep = np.array([rows.home[int(g)] not in left for g in rows.group])
        coef, b = fit(rows.x[keep], rows.y[keep], seed=seed)
        out.append((tuple(sorted(fold)), tuple(float(c) for c in coef), b))
    return tuple(out)


RELIABILITY_EDGES = (0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 1.01)
"""Confidence bins of the reliability table."""


def reliability(
    scores: Sequence[float], ok: Sequence[bool], edges: Sequence[float] = RELIABILITY_EDGES
) -> list[dict[str, Any]]:
    """Confidence bins → accuracy (and count)."""
    out = []
    for lo, hi in itertools.pairwise(edges):
        sel = [o for s, o in zip(scores, ok, strict=True) if lo <= s < hi]
        out.append({"bin": f"{lo:.2f}-{min(hi, 1.0):.2f}", "n": len(sel),
                    "accuracy": round(sum(sel) / len(sel), 4) if sel else None})  # fmt: skip
    return out


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Generate, featurize, cross-validate, fit, calibrate, write the artefact; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--random-homes", type=int, default=50)
    parser.add_argument("--per-home", type=int, default=60)
    parser.add_argument("--no-embeddings", action="store_true")
    parser.add_argument("--out", type=Path, default=ARTEFACT)
    args = parser.parse_args(argv)

    def say(m: str) -> None:
        print(m, file=sys.stderr)

    t0 = time.perf_counter()
    embedder = None
    if not args.no_embeddings:
        from assistant.config import load_config
        from assistant.embeddings import create_embedder

        embedder = create_embedder(load_config().embeddings)
    homes = training_homes(args.seed, args.random_homes)
    say(f"{len(homes)} homes")
    data = list(examples(homes, per_home=args.per_home, seed=args.seed))
    say(f"{len(data)} generated requests")
    rows = featurize(data, SemanticRanker(embedder), progress=say, lexical=SemanticRanker(None), seed=args.seed)
    say(f"{len(rows.y)} candidate rows; gold reachable in {rows.reachable.mean():.3f} of requests")
    by_home = _cross(rows, rows.home, 5, args.seed)
    by_template = _cross(rows, rows.template, 5, args.seed)
    coef, b = fit(rows.x, rows.y, seed=args.seed)
    folds = _home_fold_models(rows, args.seed)
    xs, ys = isotonic_table(by_home["scores"], by_home["ok"])
    calibrated = [float(np.interp(s, xs, ys)) for s in by_home["scores"]]
    _acc, rule_scores, rule_ok = _top1(rows, rows.rule, list(range(len(rows.home))))
    rule_cal = isotonic_table(rule_scores, rule_ok)
    report = {
        "seed": args.seed,
        "homes": len(homes),
        "requests": len(data),
        "rows": len(rows.y),
        "reachable": round(float(rows.reachable.mean()), 4),
        "leave_homes_out": {k: v for k, v in by_home.items() if k not in ("scores", "ok")},
        "leave_templates_out": {k: v for k, v in by_template.items() if k not in ("scores", "ok")},
        "reliability_leave_homes_out": reliability(calibrated, by_home["ok"]),
        "reliability_rule": reliability([float(np.interp(v, *rule_cal)) for v in rule_scores], rule_ok),
        "actions": sorted({a for a, n in _action_counts(rows).items() if n >= 20}),
        "seconds": round(time.perf_counter() - t0, 1),
        "embeddings": embedder is not None,
    }
    scorer = LearnedScorer(tuple(float(c) for c in coef), b, tuple(xs), tuple(ys), report, folds,
                           (tuple(rule_cal[0]), tuple(rule_cal[1])))  # fmt: skip
    args.out.write_text(json.dumps(scorer.to_json(), indent=1) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))
    return report

    return None


if __name__ == "__main__":
    main()
