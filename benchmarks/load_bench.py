"""Load benchmark: N concurrent chat clients × T turns, then an audit of the conversation store.

Every client has its own conversation and sends unique texts in order. Afterwards the store must hold exactly the
sent turns, each in its client's conversation, in the order sent: no lost, duplicated or cross-wired turns.
Latency p50/p95 overall and per client (fairness: the spread of per-client medians and the slowest client's p95).

Transports:
* ``http``: ``assistant serve`` on a free loopback port, clients use ``gradio_client`` against the UI's chat API
  (``api_name="/chat"``); the audit opens the server's SQLite file after it stops.
* ``inprocess``: one ``Assistant``, clients are threads calling ``handle_text`` (no HTTP).

Run: ``python -m benchmarks.load_bench [--clients 50] [--turns 20] [--transport http|inprocess] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.common import machine_info, percentile, start_server, summarize

__all__ = [
    "ClientLog",
    "LoadAudit",
    "audit_store",
    "run",
    "run_http",
    "run_inprocess",
    "unique_commands",
]

Progress = Callable[[str], None]


@dataclass(slots=True)
class ClientLog:
    """What one client sent and how long each turn took."""

    client: int
    """Client number."""
    conversation_id: str | None = None
    """Its conversation."""
    texts: list[str] = field(default_factory=list)
    """Texts sent, in order."""
    latencies_ms: list[float] = field(default_factory=list)
    """Per-turn latency."""
    replies: list[str] = field(default_factory=list)
    """Replies received."""
    errors: list[str] = field(default_factory=list)
    """Transport errors (exceptions), if any."""


@dataclass(frozen=True, slots=True)
class LoadAudit:
    """What the store holds compared with what the clients sent."""

    expected_turns: int
    stored_turns: int
    lost: int
    """Sent texts missing from their conversation."""
    duplicated: int
    """Texts stored more than once."""
    cross_wired: int
    """Turns stored in another client's conversation."""
    out_of_order: int
    """Conversations whose stored order differs from the sent order."""
    foreign: int
    """Stored turns in the clients' conversations that no client sent."""
    problems: tuple[str, ...] = ()
    """The first few problems, for the report."""

    @property
    def ok(self) -> bool:
        """True when the store holds exactly what was sent."""
        return not (self.lost or self.duplicated or self.cross_wired or self.out_of_order or self.foreign)


def unique_commands(home: Any, count: int) -> list[str]:
    """``count`` distinct brightness commands over the home's dimmable lights (cheap, template-tier)."""
    lights = [
        e.name
        for e in sorted(home.entities(), key=lambda e: e.entity_id)
        if e.domain == "light" and "light.turn_on" in e.services and _resolves_uniquely(home, e)
    ]
    dimmable = [n for n in lights if _dimmable(home, n)] or lights
    phrasings = ("set {name} brightness to {p} percent", "set the brightness of the {name} to {p} percent")
    texts: list[str] = []
    for phrasing in phrasings:
        for p in range(1, 101):
            for name in dimmable:
                texts.append(phrasing.format(name=name, p=p))
                if len(texts) >= count:
                    return texts
    if len(texts) < count:
        raise ValueError(f"the home offers only {len(texts)} distinct load commands, {count} needed")
    return texts


def _resolves_uniquely(home: Any, entity: Any) -> bool:
    res = home.resolve(entity.name, domain=entity.domain)
    return bool(res.candidates) and not res.ambiguous and res.candidates[0].entity_id == entity.entity_id


def _dimmable(home: Any, name: str) -> bool:
    for entity in home.entities():
        if entity.name == name:
            modes = entity.attributes.get("supported_color_modes") or []
            return "brightness" in entity.attributes or any(m != "onoff" for m in modes)
    return False


def _assign(texts: Sequence[str], clients: int, turns: int) -> list[list[str]]:
    """Interleave so neighbouring clients do not send near-identical texts at the same moment."""
    return [[texts[t * clients + c] for t in range(turns)] for c in range(clients)]


def audit_store(db: Any, logs: Sequence[ClientLog]) -> LoadAudit:
    """Compare the store's turns with what each client sent."""
    owner: dict[str, int] = {}
    for log in logs:
        for text in log.texts:
            owner[text] = log.client
    expected = sum(len(log.texts) for log in logs)
    stored = lost = duplicated = cross = disorder = foreign = 0
    problems: list[str] = []
    for log in logs:
        if not log.conversation_id:
            lost += len(log.texts)
            problems.append(f"client {log.client}: no conversation id")
            continue
        rows = [t.user_text for t in db.conversations.turns(log.conversation_id)]
        stored += len(rows)
        counts: dict[str, int] = {}
        for text in rows:
            counts[text] = counts.get(text, 0) + 1
        for text in log.texts:
            if counts.get(text, 0) == 0:
                lost += 1
                problems.append(f"client {log.client}: lost {text!r}")
        for text, n in counts.items():
            if n > 1:
                duplicated += n - 1
                problems.append(f"client {log.client}: {text!r} stored {n} times")
            if text in owner and owner[text] != log.client:
                cross += n
                problems.append(f"client {log.client}: holds client {owner[text]}'s {text!r}")
            elif text not in owner:
                foreign += n
                problems.append(f"client {log.client}: unexpected turn {text!r}")
        mine = [t for t in rows if owner.get(t) == log.client]
        if mine != [t for t in log.texts if t in counts] and not any(v > 1 for v in counts.values()):
            disorder += 1
            problems.append(f"client {log.client}: stored order differs from sent order")
    return LoadAudit(expected, stored, lost, duplicated, cross, disorder, foreign, tuple(problems[:20]))


def _latency_report(logs: Sequence[ClientLog], wall_s: float) -> dict[str, Any]:
    all_ms = [ms for log in logs for ms in log.latencies_ms]
    medians = [percentile(log.latencies_ms, 50) for log in logs if log.latencies_ms]
    p95s = [percentile(log.latencies_ms, 95) for log in logs if log.latencies_ms]
    done = len(all_ms)
    return {
        "turns_completed": done,
        "wall_s": round(wall_s, 2),
        "throughput_turns_per_s": round(done / wall_s, 2) if wall_s > 0 else None,
        "latency_ms": summarize(all_ms).as_dict(),
        "fairness": {
            "client_p50_min_ms": round(min(medians), 1) if medians else None,
            "client_p50_max_ms": round(max(medians), 1) if medians else None,
            "client_p50_spread_ratio": round(max(medians) / min(medians), 2) if medians and min(medians) > 0 else None,
            "worst_client_p95_ms": round(max(p95s), 1) if p95s else None,
        },
        "transport_errors": sum(len(log.errors) for log in logs),
        "transport_error_sample": [e for log in logs for e in log.errors][:5],
    }


def _run_clients(
    logs: Sequence[ClientLog], plan: Sequence[Sequence[str]], turn: Callable[[ClientLog, str], None]
) -> float:
    """Start every client at once (barrier) and wait; returns the wall time."""
    barrier = threading.Barrier(len(logs))

    def client(log: ClientLog, texts: Sequence[str]) -> None:
        barrier.wait()
        for text in texts:
            started = time.perf_counter()
            try:
                turn(log, text)
            except Exception as exc:  # reported, and the audit will count the turn as lost
                log.errors.append(f"{type(exc).__name__}: {exc}"[:300])
                continue
            log.latencies_ms.append((time.perf_counter() - started) * 1000.0)
            log.texts.append(text)

    threads = [
        threading.Thread(target=client, args=(log, texts), daemon=True) for log, texts in zip(logs, plan, strict=True)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def run_inprocess(assistant: Any, *, clients: int, turns: int) -> dict[str, Any]:
    """Threads calling ``handle_text`` on one assistant (each client its own conversation)."""
    plan = _assign(unique_commands(assistant.home, clients * turns), clients, turns)
    logs = [ClientLog(client=c) for c in range(clients)]
    for log in logs:
        log.conversation_id = assistant.db.conversations.create_conversation(title=f"load client {log.client}")

    def turn(log: ClientLog, text: str) -> None:
        result = assistant.handle_text(text, conversation_id=log.conversation_id)
        if result.conversation_id != log.conversation_id:
            raise RuntimeError(f"reply for conversation {result.conversation_id}, sent {log.conversation_id}")
        log.replies.append(result.reply)

    wall = _run_clients(logs, plan, turn)
    audit = audit_store(assistant.db, logs)
    return {
        "transport": "inprocess",
        "clients": clients,
        "turns_per_client": turns,
        **_latency_report(logs, wall),
        "audit": _audit_dict(audit),
    }


def _audit_dict(audit: LoadAudit) -> dict[str, Any]:
    return {
        "ok": audit.ok,
        "expected_turns": audit.expected_turns,
        "stored_turns": audit.stored_turns,
        "lost": audit.lost,
        "duplicated": audit.duplicated,
        "cross_wired": audit.cross_wired,
        "out_of_order": audit.out_of_order,
        "foreign": audit.foreign,
        "problems": list(audit.problems),
    }


# ------------------------------------------------------------------------------------------------ HTTP transport


def chat_api_conversation(client: Any) -> Callable[[str, str | None], tuple[str, str]]:
    """A function (text, conversation id) → (reply, conversation id) over the UI's ``/chat`` endpoint."""

    def call(text: str, conversation_id: str | None) -> tuple[str, str]:
        result = client.predict(text, conversation_id or "", api_name="/chat")
        return _parse_chat_result(result, conversation_id)

    return call


def _parse_chat_result(result: Any, conversation_id: str | None) -> tuple[str, str]:
    """Accept the chat endpoint's answer as a dict, a (reply, conversation id, ...) tuple or a JSON string."""
    if isinstance(result, str):
        try:
            result = json.loads(result)
        except ValueError:
            return result, conversation_id or ""
    if isinstance(result, Mapping):
        reply = str(result.get("reply", ""))
        cid = str(result.get("conversation_id") or conversation_id or "")
        return reply, cid
    if isinstance(result, list | tuple) and result:
        reply = result[0] if isinstance(result[0], str) else json.dumps(result[0], default=str)
        second = result[1] if len(result) > 1 else None
        if isinstance(second, str) and second.strip().startswith("{"):
            with suppress(ValueError):
                second = json.loads(second)
        if isinstance(second, Mapping):  # (reply, turn_to_dict(result))
            return reply, str(second.get("conversation_id") or conversation_id or "")
        return reply, str(second) if second else (conversation_id or "")
    raise RuntimeError(f"unexpected chat API answer: {result!r}"[:300])


def run_http(
    *,
    clients: int,
    turns: int,
    data_dir: Path,
    timeout_s: float = 180.0,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """``assistant serve`` on a free port; gradio clients through ``/chat``; audit the store after stopping it."""
    from gradio_client import Client

    from assistant.store import Database

    say = progress or (lambda _m: None)
    server = start_server(data_dir=data_dir, timeout_s=timeout_s)
    say(f"load: server ready in {server.ready_s:.1f} s at {server.url}")
    try:
        with _home_for(data_dir) as home:
            texts = unique_commands(home, clients * turns)
        plan = _assign(texts, clients, turns)
        logs = [ClientLog(client=c) for c in range(clients)]
        local = threading.local()
        warm = chat_api_conversation(Client(server.url, verbose=False))
        warm("turn on the kitchen light", None)  # untimed: lazy model loads happen here, not in the clients' turns

        def turn(log: ClientLog, text: str) -> None:
            call = getattr(local, "call", None)
            if call is None:
                call = local.call = chat_api_conversation(Client(server.url, verbose=False))
            reply, cid = call(text, log.conversation_id)
            if log.conversation_id is None:
                log.conversation_id = cid
            elif cid and cid != log.conversation_id:
                raise RuntimeError(f"reply for conversation {cid}, sent {log.conversation_id}")
            log.replies.append(reply)

        wall = _run_clients(logs, plan, turn)
    finally:
        server.stop()
    db = Database(data_dir)
    try:
        audit = audit_store(db, logs)
    finally:
        db.close()
    return {
        "transport": "http",
        "clients": clients,
        "turns_per_client": turns,
        "server_ready_s": round(server.ready_s, 2),
        **_latency_report(logs, wall),
        "audit": _audit_dict(audit),
    }


@contextmanager
def _home_for(data_dir: Path) -> Iterator[Any]:
    """The configured home, in memory, to build the command texts (the server has its own copy)."""
    from assistant.config import load_config
    from devices import create_home

    del data_dir
    cfg = load_config()
    home = create_home(file=cfg.resolve_path(cfg.home.file), adapter="simulated", data_dir=None, persist=False)
    try:
        yield home
    finally:
        close = getattr(home, "close", None)
        if callable(close):
            close()


def _http_available() -> bool:
    try:
        import gradio_client  # noqa: F401

        from ui import app as ui_app
    except ImportError:
        return False
    source = Path(ui_app.__file__).read_text(encoding="utf-8") if ui_app.__file__ else ""
    return 'api_name="chat"' in source or "api_name='chat'" in source


def run(
    data_dir: Path | None = None,
    *,
    quick: bool = False,
    clients: int | None = None,
    turns: int | None = None,
    transport: str = "auto",
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The load suite (50 × 20 by default, 10 × 5 with ``quick``); ``data_dir`` is unused (self-generated load)."""
    from benchmarks.e2e_bench import default_cache_dir, fresh_data_dir, make_assistant

    del data_dir
    n_clients = clients or (10 if quick else 50)
    n_turns = turns or (5 if quick else 20)
    mode = transport
    if mode == "auto":
        mode = "http" if _http_available() else "inprocess"
    work = fresh_data_dir(default_cache_dir())
    try:
        if mode == "http":
            report = run_http(clients=n_clients, turns=n_turns, data_dir=work, progress=progress)
        else:
            assistant = make_assistant(work)
            try:
                assistant.handle_text("turn on the kitchen light")  # warm the lazy paths
                report = run_inprocess(assistant, clients=n_clients, turns=n_turns)
            finally:
                assistant.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report["machine"] = machine_info()
    audit = report["audit"]
    report["summary"] = {
        "clients × turns": {"value": f"{n_clients} × {n_turns} ({report['transport']})", "target": None, "met": None},
        "lost / duplicated / cross-wired turns": {
            "value": f"{audit['lost']} / {audit['duplicated']} / {audit['cross_wired']}",
            "target": "0 / 0 / 0",
            "met": audit["ok"],
        },
        "turn latency p50 (ms)": {"value": report["latency_ms"]["p50"], "target": None, "met": None},
        "turn latency p95 (ms)": {"value": report["latency_ms"]["p95"], "target": None, "met": None},
        "per-client p50 spread (max/min)": {
            "value": report["fairness"]["client_p50_spread_ratio"],
            "target": None,
            "met": None,
        },
        "throughput (turns/s)": {"value": report["throughput_turns_per_s"], "target": None, "met": None},
    }
    return report


def _iter_lines(report: Mapping[str, Any]) -> Iterator[str]:
    for name, row in report["summary"].items():
        yield f"{name}: {row['value']}" + (f" (target {row['target']})" if row.get("target") else "")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--transport", default="auto", choices=("auto", "http", "inprocess"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = run(
        clients=args.clients,
        turns=args.turns,
        transport=args.transport,
        progress=lambda m: print(m, file=sys.stderr),
    )
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        print("\n".join(_iter_lines(report)))
    return 0 if report["audit"]["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
