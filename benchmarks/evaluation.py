"""`assistant eval` (registered through the ``assistant.commands`` entry-point group, so the engine never imports
``benchmarks``): run the benchmark suites, print a table, write a Markdown or JSON report.

Each suite is a script ``benchmarks/<suite>_bench.py`` with ``run(data_dir, ...) -> dict``; a suite that is not
installed is reported as ``missing`` (never a made-up number), one that raises as ``failed`` with its error.
A suite's dict may carry ``summary`` ({metric: {"value", "target", "met"}} or {metric: value}) for the headline table.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import json
import math
import shlex
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from assistant.config import PROJECT_ROOT
from assistant.jsonl import jsonl_rows, read_jsonl

__all__ = [
    "NOTES_BEGIN",
    "NOTES_END",
    "Suite",
    "SuiteReport",
    "default_data_dir",
    "eval_command",
    "flatten_metrics",
    "headline_rows",
    "jsonl_rows",
    "read_jsonl",
    "render_markdown",
    "render_table",
    "run_suites",
]

NOTES_BEGIN = "<!-- notes: kept when the report is regenerated -->"
NOTES_END = "<!-- /notes -->"

SUITE_ORDER: tuple[str, ...] = ("asr", "intents", "rag", "sentiment", "e2e", "load")


class Suite(StrEnum):
    """Suites `assistant eval` can run."""

    ASR = "asr"
    INTENTS = "intents"
    RAG = "rag"
    SENTIMENT = "sentiment"
    E2E = "e2e"
    LOAD = "load"
    ALL = "all"


@dataclass(frozen=True, slots=True)
class SuiteReport:
    """The outcome of one suite."""

    name: str
    """Suite name."""
    status: str
    """'ok', 'missing' (no benchmark script) or 'failed' (it raised)."""
    seconds: float = 0.0
    """Wall time of the suite."""
    peak_rss_mb: float | None = None
    """Peak RSS of the eval process after the suite (MiB; cumulative over suites run in one process)."""
    result: Mapping[str, Any] = field(default_factory=dict)
    """What the suite's ``run`` returned."""
    error: str | None = None
    """Why it is missing or failed."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "status": self.status,
            "seconds": round(self.seconds, 2),
            "peak_rss_mb": None if self.peak_rss_mb is None else round(self.peak_rss_mb, 1),
            "error": self.error,
            "result": _jsonable(self.result),
        }


def default_data_dir() -> Path:
    """The shared evaluation data next to the project: ``<project>/../shared/data/eval``."""
    return PROJECT_ROOT.parent / "shared" / "data" / "eval"


def _call_suite(name: str, run: Callable[..., Any], data_dir: Path, options: Mapping[str, Any]) -> Any:
    """Call a suite's ``run`` with the data folder and options it understands (see ``_suite_kwargs``)."""
    try:
        params = dict(inspect.signature(run).parameters)
    except (TypeError, ValueError):
        return run(data_dir)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        # a thin wrapper forwarding **kwargs: the parameters of what it wraps count
        target = inspect.unwrap(getattr(inspect.getmodule(run), "_run", run))
        with contextlib.suppress(TypeError, ValueError):
            params.update(inspect.signature(target).parameters)
    folder, kwargs = _suite_kwargs(name, data_dir, options, set(params))
    return run(folder, **kwargs)


_DATA_SUBDIRS: Mapping[str, str] = {"asr": "speech"}
"""Suites whose ``run`` takes a sub-folder of the eval data rather than its root."""

_QUICK_LIMITS: Mapping[str, int] = {"asr": 12, "intents": 60, "rag": 150, "sentiment": 200}
"""How many items a suite with a ``limit`` parameter evaluates under ``--quick``."""


def _suite_kwargs(
    name: str, data_dir: Path, options: Mapping[str, Any], params: set[str]
) -> tuple[Path, dict[str, Any]]:
    """Map the eval options (quick, device, progress) onto the parameters a suite's ``run`` declares."""
    folder = data_dir
    sub = _DATA_SUBDIRS.get(name)
    if sub and (data_dir / sub).is_dir():
        folder = data_dir / sub
    quick = bool(options.get("quick"))
    device = str(options.get("device") or "auto")
    kwargs: dict[str, Any] = {}
    if "progress" in params and options.get("progress") is not None:
        kwargs["progress"] = options["progress"]
    if "quick" in params:
        kwargs["quick"] = quick
    elif quick and "limit" in params and name in _QUICK_LIMITS:
        kwargs["limit"] = _QUICK_LIMITS[name]
    if "device" in params:
        kwargs["device"] = device
    for key in ("workers", "db"):
        if key in params and options.get(key) is not None:
            kwargs[key] = options[key]
    if name == "intents" and "llm" in params:  # the full run measures the LLM tier too (the product default)
        kwargs["llm"] = not quick
    if name == "asr":
        from assistant.config import AsrConfig, load_config

        if "cfg" in params:
            base = load_config().asr
            kwargs["cfg"] = base if device == "auto" else base.model_copy(update={"device": device})
            if not isinstance(kwargs["cfg"], AsrConfig):  # pragma: no cover - defensive
                kwargs.pop("cfg")
        if "cache_dir" in params:  # model caches (the joined multilingual model) live in the data dir
            kwargs["cache_dir"] = Path(load_config().data_dir).expanduser()
        if quick and "bias_modes" in params:
            kwargs["bias_modes"] = ("none", "hotwords")
        if quick and "datasets" in params:
            kwargs["datasets"] = ("speech_stp_en_commands",)
        if quick and "tts" in params:
            kwargs["tts"] = False
    return folder, kwargs


def run_suite(name: str, data_dir: Path, *, options: Mapping[str, Any]) -> SuiteReport:
    """Import ``benchmarks.<name>_bench`` and run it; never raises."""
    from benchmarks.common import peak_rss_mb

    module_name = f"benchmarks.{name}_bench"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name in (module_name, "benchmarks"):
            return SuiteReport(name, "missing", error=f"{module_name.replace('.', '/')}.py is not there")
        return SuiteReport(name, "failed", error=f"import failed: {exc}")
    except Exception as exc:  # a broken suite must not stop the others
        return SuiteReport(name, "failed", error=f"import failed: {type(exc).__name__}: {exc}")
    run = getattr(module, "run", None)
    if not callable(run):
        return SuiteReport(name, "missing", error=f"{module_name} has no run(data_dir, ...) function")
    started = time.perf_counter()
    try:
        result = _call_suite(name, run, data_dir, options)
    except Exception as exc:
        tb = traceback.format_exc(limit=6)
        return SuiteReport(
            name,
            "failed",
            seconds=time.perf_counter() - started,
            peak_rss_mb=peak_rss_mb(),
            error=f"{type(exc).__name__}: {exc}\n{tb}",
        )
    if not isinstance(result, Mapping):
        result = {"value": result}
    return SuiteReport(name, "ok", seconds=time.perf_counter() - started, peak_rss_mb=peak_rss_mb(), result=result)


def run_suites(
    names: Sequence[str],
    data_dir: Path,
    *,
    quick: bool = False,
    device: str = "auto",
    progress: Callable[[str], None] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Run suites in order and return the whole report (JSON-able). ``extra``: more options for the suites that
    declare them (``workers``, ``db`` for the scale-out load suite)."""
    say = progress or (lambda _m: None)
    options: dict[str, Any] = {**(extra or {}), "quick": quick, "device": device, "progress": say}
    started = datetime.now(UTC)
    suites: dict[str, Any] = {}
    for name in names:
        say(f"== suite {name}")
        report = run_suite(name, data_dir, options=options)
        suites[name] = report.as_dict()
        say(f"== suite {name}: {report.status} in {report.seconds:.1f} s")
    from benchmarks.common import machine_info

    return {
        "command": _command_line(),
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_dir": str(data_dir),
        "quick": quick,
        "device": device,
        "machine": machine_info(),
        "models": _configured_models(device),
        "suites": suites,
    }


def _command_line() -> str:
    argv = list(sys.argv)
    if argv:
        argv[0] = Path(argv[0]).name
        if argv[0] in ("__main__.py", "-c"):
            argv[0] = "assistant"
    return " ".join(shlex.quote(a) for a in argv) or "assistant eval"


def _configured_models(device: str) -> dict[str, Any]:
    """The models and devices the configuration selects (the e2e suite reports the devices actually used)."""
    try:
        from assistant.config import load_config

        cfg = load_config()
    except Exception as exc:  # report, do not fail the run
        return {"error": str(exc)}
    pick = (lambda configured: device) if device not in ("", "auto") else (lambda configured: configured)
    return {
        "asr": f"{cfg.asr.model} ({pick(cfg.asr.device)}, {cfg.asr.compute_type})",
        "llm": f"{cfg.llm.backend}:{cfg.llm.model} ({pick(cfg.llm.device)})",
        "embeddings": f"{cfg.embeddings.model} ({pick(cfg.embeddings.device)})",
        "sentiment": cfg.sentiment.engine,
        "tts": cfg.tts.engine,
    }


# ---------------------------------------------------------------------------------------------- rendering


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, Path):
        return str(value)
    return str(value)


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        return f"{value:.4g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def flatten_metrics(
    result: Mapping[str, Any], *, max_depth: int = 4, skip: Sequence[str] = ()
) -> Iterator[tuple[str, Any]]:
    """(dotted key, scalar) pairs of a suite's result; lists are summarised by their length."""

    def walk(prefix: str, value: Any, depth: int) -> Iterator[tuple[str, Any]]:
        if isinstance(value, Mapping):
            if depth >= max_depth:
                yield prefix, f"{{{len(value)} keys}}"
                return
            for key, item in value.items():
                if str(key) in skip:
                    continue
                yield from walk(f"{prefix}.{key}" if prefix else str(key), item, depth + 1)
        elif isinstance(value, list | tuple):
            if value and all(isinstance(v, int | float | str) for v in value) and len(value) <= 6:
                yield prefix, ", ".join(_fmt(v) for v in value)
            else:
                yield prefix, f"[{len(value)} items]"
        else:
            yield prefix, value

    yield from walk("", result, 0)


def _get(result: Mapping[str, Any], *paths: str) -> Any:
    """The value at the first dotted path that exists in ``result`` (None if none does)."""
    for path in paths:
        node: Any = result
        for part in path.split("."):
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            else:
                node = None
                break
        if node is not None:
            return node
    return None


def _row(value: Any, target: float | None = None, *, higher_is_better: bool = False) -> dict[str, Any]:
    met: bool | None = None
    if target is not None and isinstance(value, int | float) and not isinstance(value, bool) and not math.isnan(value):
        met = value >= target if higher_is_better else value <= target
    return {
        "value": value,
        "target": (f"≥ {target:g}" if higher_is_better else f"≤ {target:g}") if target is not None else None,
        "met": met,
    }


def _asr_headline(result: Mapping[str, Any]) -> dict[str, Any]:
    modes = result.get("modes") or {}
    out: dict[str, Any] = {
        "model / device": {
            "value": f"{result.get('model')} / {result.get('device')} ({result.get('compute_type')})",
            "target": None,
            "met": None,
        }
    }
    for mode, figures in modes.items():
        biased = mode != "none"
        out[f"WER human commands, biasing={mode}"] = _row(_get(figures, "human_commands.wer"), 0.08 if biased else None)
        out[f"WER synthetic commands, biasing={mode}"] = _row(_get(figures, "synthetic_commands.wer"))
        out[f"RTF 2–5 s clips, biasing={mode}"] = _row(figures.get("rtf_2_5s"), 0.15)
        out[f"p50 latency 2–5 s clips (ms), biasing={mode}"] = _row(figures.get("p50_latency_2_5s_ms"))
    for source in ("human", "synthetic"):  # spoken commands through the whole pipeline: intent and the home's state
        sources = f"end_state.sources.{source}"
        out[f"spoken {source} commands: end-state pass"] = _row(_get(result, f"{sources}.end_state_pass_rate"))
        out[f"spoken {source} commands: intent accuracy"] = _row(_get(result, f"{sources}.intent_accuracy"))
        out[f"spoken {source} commands: wrong actions"] = _row(_get(result, f"{sources}.wrong_action_rate"), 0.0)
    return out


def _rag_headline(result: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "questions / chunks": {
            "value": f"{result.get('questions')} / {result.get('chunks')}",
            "target": None,
            "met": None,
        },
        "recall@1": _row(result.get("recall@1")),
        "recall@5": _row(result.get("recall@5"), 0.95, higher_is_better=True),
        "recall@10": _row(result.get("recall@10")),
        "answer in top passage": _row(result.get("answer_in_top_passage")),
        "query p50 (ms)": _row(result.get("p50_query_ms"), 100.0),
        "query p95 (ms)": _row(result.get("p95_query_ms")),
        "ingestion (chunks/s)": _row(result.get("ingest_chunks_per_s")),
    }


def _intents_headline(result: Mapping[str, Any]) -> dict[str, Any]:
    def tier_p50(tier: str) -> Any:
        return _get(
            result, f"ha_dev.tiers.{tier}.p50_ms", f"requests.tiers.{tier}.p50_ms", f"slurp_iot.tiers.{tier}.p50_ms"
        )

    return {
        "HA dev sentences (n)": _row(_get(result, "ha_dev.n")),
        "HA dev intent+slots accuracy": _row(_get(result, "ha_dev.intent_slot_accuracy"), 0.97, higher_is_better=True),
        "HA dev intent accuracy": _row(_get(result, "ha_dev.intent_accuracy")),
        "HA dev end-state agreement": _row(_get(result, "ha_dev.end_state_agreement")),
        "SLURP iot intent accuracy": _row(_get(result, "slurp_iot.intent_accuracy")),
        "own request set pass rate": _row(_get(result, "requests.pass_rate")),
        "device_actions DEV end-state pass": _row(
            _get(result, "device_actions.pass_rate"), 0.97, higher_is_better=True
        ),
        "device_actions DEV wrong actions": _row(_get(result, "device_actions.wrong_rate"), 0.005),
        "device_actions DEV asked / declined": _row(
            f"{_get(result, 'device_actions.asked_rate')} / {_get(result, 'device_actions.declined_rate')}"
        ),
        "device_actions DEV, learned scorer: pass / wrong": _row(
            f"{_get(result, 'device_actions_learned.pass_rate')} / {_get(result, 'device_actions_learned.wrong_rate')}"
        ),
        "device_actions held-out homes, learned scorer: pass / wrong": _row(
            f"{_get(result, 'device_actions_learned_held_out_homes.pass_rate')}"
            f" / {_get(result, 'device_actions_learned_held_out_homes.wrong_rate')}"
        ),
        "template tier p50 (ms)": _row(tier_p50("template"), 20.0),
        "semantic tier p50 (ms)": _row(tier_p50("semantic")),
        "LLM tier p50 (ms)": _row(tier_p50("llm"), 1500.0),
        "LLM tier used": {"value": result.get("llm"), "target": None, "met": None},
    }


def _sentiment_headline(result: Mapping[str, Any]) -> dict[str, Any]:
    engines = result.get("engines") or {}
    out: dict[str, Any] = {}
    for name, figures in engines.items():
        default = name == "hybrid"
        out[f"{name}: SST-2 accuracy"] = _row(
            figures.get("sst2_accuracy"), 0.85 if default else None, higher_is_better=True
        )
        out[f"{name}: UCI accuracy"] = _row(
            figures.get("uci_accuracy"), 0.88 if default else None, higher_is_better=True
        )
        out[f"{name}: latency p50, uncached (ms)"] = _row(
            _get(figures, "latency_ms_cold.p50"), 15.0 if default else None
        )
        out[f"{name}: conversational 3-class accuracy"] = _row(_get(figures, "conversational.accuracy"))
    return out


_HEADLINES: Mapping[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "asr": _asr_headline,
    "rag": _rag_headline,
    "intents": _intents_headline,
    "sentiment": _sentiment_headline,
}
"""Headline figures and targets (from the issues) for suites whose result carries no ``summary``."""


def headline_rows(suite: str, report: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    """(metric, value, target, met) rows for the headline table of one suite."""
    status = report.get("status")
    if status != "ok":
        first = str(report.get("error") or "").strip().splitlines()
        return [("status", str(status), "", first[0] if first else "")]
    result = report.get("result") or {}
    summary = result.get("summary")
    if not isinstance(summary, Mapping) and suite in _HEADLINES:
        try:
            summary = _HEADLINES[suite](result)
        except Exception:  # a changed result shape falls back to the generic figures
            summary = None
    rows: list[tuple[str, str, str, str]] = []
    if isinstance(summary, Mapping) and summary:
        for metric, row in summary.items():
            if isinstance(row, Mapping) and "value" in row:
                met = row.get("met")
                rows.append(
                    (
                        str(metric),
                        _fmt(row.get("value")),
                        _fmt(row.get("target")) if row.get("target") is not None else "",
                        "" if met is None else ("met" if met else "**MISSED**"),
                    )
                )
            else:
                rows.append((str(metric), _fmt(row), "", ""))
        return rows
    skip = ("machine", "turns", "rows", "errors_sample", "examples", "targets")
    for key, value in flatten_metrics(result, max_depth=2, skip=skip):
        if isinstance(value, int | float | bool) or (isinstance(value, str) and len(value) < 60):
            rows.append((key, _fmt(value), "", ""))
        if len(rows) >= 30:
            break
    return rows


def render_table(report: Mapping[str, Any]) -> str:
    """A plain-text table for the terminal."""
    lines: list[tuple[str, str, str, str, str]] = []
    for suite, sreport in report["suites"].items():
        for metric, value, target, met in headline_rows(suite, sreport):
            lines.append((suite, metric, value, target, met.replace("*", "")))
    headers = ("suite", "metric", "value", "target", "")
    widths = [max(len(h), *(len(row[i]) for row in lines)) if lines else len(h) for i, h in enumerate(headers)]
    widths = [min(w, 70) for w in widths]

    def fmt_row(row: Sequence[str]) -> str:
        return "  ".join(str(c)[: widths[i]].ljust(widths[i]) for i, c in enumerate(row)).rstrip()

    out = [fmt_row(headers), fmt_row(["-" * w for w in widths])]
    out += [fmt_row(row) for row in lines]
    return "\n".join(out)


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Mapping[str, Any], *, notes: str | None = None) -> str:
    """The Markdown report (docs/BENCHMARKS.md): command, machine, models, headline table, per-suite figures."""
    machine = report.get("machine", {})
    out: list[str] = ["# Benchmarks", ""]
    out.append("Generated by `assistant eval` (the benchmark scripts are in `benchmarks/`). Reproduce with:")
    out += ["", "```", str(report.get("command", "assistant eval all")), "```", ""]
    gpu = machine.get("gpu") or "none"
    out.append(
        f"Run {report.get('started')} → {report.get('finished')} on {machine.get('cpu')}, "
        f"{machine.get('cores')} cores, GPU: {gpu}, Python {machine.get('python')} ({machine.get('platform')}); "
        f"data: `{report.get('data_dir')}`; quick: {_fmt(report.get('quick'))}; device: {report.get('device')}; "
        f"load average (1/5/15 min) at the end: {', '.join(str(x) for x in machine.get('load_average') or []) or '–'}."
    )
    out.append("")
    models = report.get("models") or {}
    if models:
        out += ["Models (as configured): " + "; ".join(f"{k}: {v}" for k, v in models.items()) + ".", ""]
    if notes:
        out += [NOTES_BEGIN, notes.strip("\n"), NOTES_END, ""]
    out += ["## Headline figures against targets", "", "| suite | metric | value | target | |", "|---|---|---|---|---|"]
    for suite, sreport in report["suites"].items():
        for metric, value, target, met in headline_rows(suite, sreport):
            out.append(f"| {suite} | {_md(metric)} | {_md(value)} | {_md(target)} | {_md(met)} |")
    out.append("")
    for suite, sreport in report["suites"].items():
        out += [f"## {suite}", ""]
        out.append(
            f"Status: {sreport.get('status')}; {sreport.get('seconds')} s; "
            f"eval process peak RSS so far: {_fmt(sreport.get('peak_rss_mb'))} MiB."
        )
        out.append("")
        if sreport.get("status") != "ok":
            out += ["```", str(sreport.get("error") or "").strip()[:2000], "```", ""]
            continue
        result = sreport.get("result") or {}
        rows = [(k, v) for k, v in flatten_metrics(result, max_depth=5, skip=("summary", "machine", "targets")) if k]
        if rows:
            out += ["| figure | value |", "|---|---|"]
            out += [f"| {_md(k)} | {_md(_fmt(v))} |" for k, v in rows[:400]]
            out.append("")
        turns = result.get("voice", {}).get("turns") if isinstance(result.get("voice"), Mapping) else None
        if isinstance(turns, list) and turns:
            out += ["Voice turns:", "", "| source | said | heard | intent | error | changed | action ms | turn ms |"]
            out.append("|---|---|---|---|---|---|---|---|")
            for t in turns:
                out.append(
                    f"| {_md(t.get('source'))} | {_md(t.get('said'))} | {_md(t.get('heard'))} | {_md(t.get('intent'))} "
                    f"| {_md(_fmt(t.get('error')))} | {_md(_fmt(t.get('state_changed')))} "
                    f"| {_md(_fmt(t.get('action_ms')))} | {_md(_fmt(t.get('turn_ms')))} |"
                )
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def _existing_notes(path: Path) -> str | None:
    """The hand-written notes block of an existing report, kept across regenerations."""
    with contextlib.suppress(OSError):
        text = path.read_text(encoding="utf-8")
        if NOTES_BEGIN in text and NOTES_END in text:
            return text.split(NOTES_BEGIN, 1)[1].split(NOTES_END, 1)[0].strip("\n")
    return None


# ---------------------------------------------------------------------------------------------- CLI


def eval_command(
    suite: Annotated[
        Suite, typer.Argument(help="Which suite: asr, intents, rag, sentiment, e2e, load or all.")
    ] = Suite.ALL,
    json_out: Annotated[bool, typer.Option("--json", help="Print (and with --out, write) JSON.")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Write the report here (.md Markdown, .json JSON).")] = None,
    data: Annotated[Path | None, typer.Option("--data", help="Eval data folder (default ../shared/data/eval).")] = None,
    quick: Annotated[bool, typer.Option("--quick", help="A short version of each suite (CI).")] = False,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda for the models.")] = "auto",
    workers: Annotated[
        int, typer.Option("--workers", help="load: N stateless worker processes on a shared store (scale-out).")
    ] = 0,
    db: Annotated[str, typer.Option("--db", help="load with --workers: postgresql (default) or sqlite.")] = (
        "postgresql"
    ),
) -> None:
    """Run the evaluation suites on the eval data and report accuracy, latency p50/p95, memory and models."""
    from assistant.app import set_offline_environment

    set_offline_environment(True)
    if device not in ("auto", "cpu", "cuda"):
        raise typer.BadParameter("--device must be auto, cpu or cuda")
    data_dir = (data or default_data_dir()).expanduser()
    if not data_dir.is_dir():
        typer.echo(f"error: the eval data folder {data_dir} does not exist (pass --data DIR)", err=True)
        raise typer.Exit(2)
    names = list(SUITE_ORDER) if suite is Suite.ALL else [suite.value]
    extra: dict[str, Any] = {}
    if workers > 0:  # the scale-out load test: workers on a shared store, one of them killed mid-run
        if suite is not Suite.LOAD:
            raise typer.BadParameter("--workers goes with the load suite: assistant eval load --workers 2")
        if db not in ("postgresql", "sqlite"):
            raise typer.BadParameter("--db must be postgresql or sqlite")
        names, extra = ["workers"], {"workers": workers, "db": db}
    report = run_suites(
        names, data_dir, quick=quick, device=device, progress=lambda m: typer.echo(m, err=True), extra=extra
    )
    typer.echo(render_table(report), err=json_out)
    if json_out:
        typer.echo(json.dumps(_jsonable(report), indent=2, ensure_ascii=False))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix.lower() == ".json" or (json_out and out.suffix.lower() != ".md"):
            out.write_text(json.dumps(_jsonable(report), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        else:
            out.write_text(render_markdown(_jsonable(report), notes=_existing_notes(out)), encoding="utf-8")
        typer.echo(f"report written to {out}", err=True)
    if any(s["status"] == "failed" for s in report["suites"].values()):
        raise typer.Exit(1)
