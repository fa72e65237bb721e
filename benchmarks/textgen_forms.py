"""Does text generation follow the asked form? ``python benchmarks/textgen_forms.py [--json] [--limit N]``.

30 writing requests (haiku, limerick, poem, list, note, story) go through the text-generation skill with the
configured local LLM twice in one run: once with the plain prompt (``forms: false``, the baseline) and once with the
forms mechanism (few-shot prompt, shaping, check, one regeneration). A reply passes when ``skills.textgen.forms.check``
accepts it for the form its request names. Prints the pass rate per form and overall, and the time per request.
The prompts were written for this benchmark; none is a row of a public data set.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

__all__ = ["PROMPTS", "main"]

PROMPTS: tuple[str, ...] = (
    "write a haiku about rain",
    "write a haiku about the first snow",
    "compose a haiku about morning coffee",
    "tell me a haiku about a sleeping cat",
    "write a haiku about autumn leaves",
    "compose a limerick about coffee",
    "write a limerick about a forgetful robot",
    "write a limerick about our noisy neighbours",
    "write a short poem about autumn",
    "write a poem about the sea at night",
    "compose a short poem for my mother's birthday",
    "write a lullaby for a baby",
    "write a poem about a rainy Sunday",
    "draft a shopping list for a pasta dinner",
    "make a packing list for a beach holiday",
    "write a to-do list for cleaning the kitchen",
    "give me a list of ideas for a rainy afternoon with kids",
    "write a list of ingredients for pancakes",
    "draft a checklist for closing up the house before a trip",
    "write a note for the plumber",
    "draft a reminder note for the dentist appointment on Tuesday",
    "compose a birthday message for my sister",
    "write a thank you note to the neighbours for watering the plants",
    "write a text message telling my partner I'll be late",
    "write an invitation for a garden party on Saturday",
    "tell me a short story about a lost key",
    "write a short story about a dragon who is afraid of the dark",
    "tell me a joke about computers",
    "write a fable about a patient turtle",
    "tell me a short story about a robot learning to cook",
)


def _run(skill_settings: dict[str, Any], prompts: tuple[str, ...], llm: Any) -> dict[str, Any]:
    from contracts.messages import IntentMatch
    from contracts.skills import SkillContext
    from skills.textgen import TextGenerationSkill
    from skills.textgen.forms import check, detect

    skill = TextGenerationSkill()
    settings = {**TextGenerationSkill.default_settings, **skill_settings}
    rows: list[dict[str, Any]] = []
    for prompt in prompts:
        ctx = SkillContext(conversation_id="bench", text=prompt, settings=settings, state={}, llm=llm)
        started = time.perf_counter()
        result = skill.generate(IntentMatch(intent="GenerateText", text=prompt), ctx)
        seconds = time.perf_counter() - started
        form = detect(prompt)
        ok = bool(form and result.success and check(form, result.text))
        rows.append({"prompt": prompt, "form": form.name if form else None, "ok": ok, "s": round(seconds, 2),
                     "regenerated": bool(result.data.get("regenerated")), "text": result.text})  # fmt: skip
    by_form: dict[str, list[bool]] = {}
    for row in rows:
        by_form.setdefault(str(row["form"]), []).append(bool(row["ok"]))
    return {
        "pass_rate": round(100 * sum(r["ok"] for r in rows) / len(rows), 1),
        "per_form": {f: f"{sum(v)}/{len(v)}" for f, v in by_form.items()},
        "p50_s": round(statistics.median(r["s"] for r in rows), 2),
        "regenerated": sum(r["regenerated"] for r in rows),
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> int:
    """Print baseline and forms pass rates on the same prompts in one run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--limit", type=int, default=len(PROMPTS))
    parser.add_argument("--show", action="store_true", help="print every generated text")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from assistant import Assistant

    prompts = PROMPTS[: args.limit]
    with tempfile.TemporaryDirectory() as data:
        a = Assistant.create(data_dir=data)
        try:
            llm = a.llm
            report: dict[str, Any] = {
                "model": a.config.llm.model,
                "prompts": len(prompts),
                "baseline": _run({"forms": False}, prompts, llm),
                "forms": _run({"forms": True}, prompts, llm),
            }
        finally:
            a.close()
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"text generation forms ({report['model']}, {len(prompts)} prompts)")
    for name in ("baseline", "forms"):
        r = report[name]
        print(f"  {name:8s} pass {r['pass_rate']:5.1f} %  per form {r['per_form']}  p50 {r['p50_s']} s  "
              f"regenerated {r['regenerated']}")  # fmt: skip
    if args.show:
        for base, new in zip(report["baseline"]["rows"], report["forms"]["rows"], strict=True):
            print(f"\n## {base['prompt']}\n-- baseline ({base['ok']}):\n{base['text']}")
            print(f"-- forms ({new['ok']}):\n{new['text']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
