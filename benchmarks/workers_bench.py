"""Scale-out benchmark: stateless workers on one shared store, requests routed at random, one worker killed.

For each phase (1 worker, then N workers) on a fresh database: start the workers (``assistant serve-api`` processes,
each with its own models and simulated home, all on the same ``store.url``), then run C clients × T turns over the
JSON turn API. Each request goes to a random live worker (a load balancer without sticky sessions). Every client has
its own conversation; its turns are unique brightness commands plus two sensitive requests ("unlock the front door")
each answered by "yes" -- usually on another worker than the one that asked. In the N-worker phase one worker is
killed with SIGKILL when about 40 % of the turns are done: requests in flight on it fail (a transport error), and the
client retries the same request id on a live worker, so a turn the dead worker had already stored is replaced, not
duplicated.

The audit reads the store: every request id exactly once, in its own conversation, in the order sent, with the
sent text (0 lost / duplicated / cross-wired / out of order), and every "yes" found its pending action (asked on one
worker, confirmed on another). Throughput of 1 vs N workers is reported side by side.

Run: ``python -m benchmarks.workers_bench [--workers 2] [--db postgresql|sqlite] [--clients 50] [--turns 20]`` or
``assistant eval load --workers 2 --db postgresql``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.common import free_port, machine_info, percentile, summarize, wait_http
from benchmarks.load_bench import _home_for, unique_commands

__all__ = ["main", "run"]

Progress = Callable[[str], None]
SENSITIVE = "unlock the front door"
FOLLOW_UP = "turn it off"


@dataclass(slots=True)
class _Worker:
    proc: subprocess.Popen[bytes]
    url: str
    log: Path
    alive: bool = True


@dataclass(slots=True)
class _Client:
    number: int
    conversation_id: str
    sent: list[tuple[str, str]] = field(default_factory=list)
    """(request id, text) of every turn that got an answer, in order."""
    latencies_ms: list[float] = field(default_factory=list)
    retries: int = 0
    failures: list[str] = field(default_factory=list)
    confirmations: int = 0
    """'yes' answers that ran the held unlock."""
    confirmations_asked: int = 0
    cross_worker_confirmations: int = 0
    follow_ups: int = 0
    """'turn it off' turns answered."""
    follow_ups_right: int = 0
    """...that acted on exactly what the previous command acted on (often on another worker)."""


def _plan(commands: Sequence[str], turns: int) -> list[str]:
    """The client's turns: unique commands, each of two followed by 'turn it off', and two 'unlock' + 'yes' pairs."""
    count = max(1, turns - 6)
    follow_at = {0, max(0, count - 2)}
    unlock_at = {i for i in (count // 3, (2 * count) // 3) if i not in follow_at}
    texts: list[str] = []
    for i, command in enumerate(commands[:count]):
        texts.append(command)
        if i in follow_at:
            texts.append(FOLLOW_UP)
        if i in unlock_at:
            texts += [SENSITIVE, "yes"]
    return texts


def _post(url: str, body: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        return dict(json.loads(response.read()))


def _start_workers(count: int, *, base: Path, env: dict[str, str], timeout_s: float) -> list[_Worker]:
    workers: list[_Worker] = []
    for k in range(count):
        port = free_port()
        data_dir = base / f"worker{k}-{uuid.uuid4().hex[:6]}"
        data_dir.mkdir(parents=True)
        run_env = {**os.environ, **env, "ASSISTANT_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
        log = data_dir / "worker.log"
        cmd = [sys.executable, "-m", "assistant", "serve-api", "--host", "127.0.0.1", "--port", str(port),
               "--workers", "1"]  # fmt: skip
        with open(log, "wb") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=run_env, start_new_session=True)
        workers.append(_Worker(proc, f"http://127.0.0.1:{port}", log))
    for worker in workers:
        try:
            wait_http(f"{worker.url}/api/health", timeout_s=timeout_s, proc=worker.proc)
        except (TimeoutError, RuntimeError) as exc:
            _stop(workers)
            tail = worker.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"worker did not start: {exc}\n{tail}") from exc
    return workers


def _stop(workers: Sequence[_Worker]) -> None:
    for worker in workers:
        if worker.proc.poll() is None:
            try:
                os.killpg(worker.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
    for worker in workers:
        try:
            worker.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.proc.pid, signal.SIGKILL)
            worker.proc.wait(timeout=10)


def _phase(
    count: int, *, url: str, base: Path, clients: int, turns: int, kill: bool, progress: Progress
) -> dict[str, Any]:
    env = {"ASSISTANT_STORE__URL": url, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    started = time.perf_counter()
    workers = _start_workers(count, base=base, env=env, timeout_s=300)
    progress(f"workers: {count} worker(s) ready in {time.perf_counter() - started:.1f} s")
    with _home_for(base) as home:
        commands = unique_commands(home, clients * turns)
    tag = uuid.uuid4().hex[:6]
    team = [_Client(c, f"load-{tag}-{c}") for c in range(clients)]
    plans = [_plan(commands[c::clients], turns) for c in range(clients)]
    total = sum(len(p) for p in plans)
    done = [0]
    lock = threading.Lock()
    killed: dict[str, Any] = {}
    rng = random.Random(1234)

    def live() -> list[_Worker]:
        return [w for w in workers if w.alive and w.proc.poll() is None]

    def maybe_kill() -> None:
        if not kill or killed or len(workers) < 2:
            return
        with lock:
            if killed or done[0] < 0.4 * total:
                return
            victim = workers[-1]
            victim.alive = False
            killed.update(at_turn=done[0], worker=victim.url)
        os.killpg(victim.proc.pid, signal.SIGKILL)
        progress(f"workers: SIGKILL {victim.url} after {done[0]} of {total} turns")

    def run_client(client: _Client, texts: list[str], barrier: threading.Barrier) -> None:
        local = random.Random(rng.random() + client.number)
        barrier.wait()
        asked_on: str | None = None
        last_acted: list[str] = []
        for text in texts:
            request_id = uuid.uuid4().hex
            body = {"text": text, "conversation_id": client.conversation_id, "request_id": request_id}
            t0 = time.perf_counter()
            reply: dict[str, Any] | None = None
            for _attempt in range(4):
                choices = live()
                if not choices:
                    break
                worker = local.choice(choices)
                try:
                    reply = _post(f"{worker.url}/api/turn", body, timeout_s=120)
                    break
                except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
                    client.retries += 1  # failed cleanly on a dead (or dying) worker: retry the same request id
                    client.failures.append(f"{type(exc).__name__}: {exc}"[:120])
                    time.sleep(0.05)
            if reply is None:
                continue
            client.latencies_ms.append((time.perf_counter() - t0) * 1000)
            client.sent.append((request_id, text))
            if text == SENSITIVE and reply.get("needs_confirmation"):
                client.confirmations_asked += 1
                asked_on = worker.url
            elif text == "yes":
                if any(a.get("confirmed_by_user") for a in reply.get("actions") or []):
                    client.confirmations += 1
                    client.cross_worker_confirmations += int(asked_on is not None and asked_on != worker.url)
                asked_on = None
            acted = [str(a.get("entity_id")) for a in reply.get("actions") or []]
            if text == FOLLOW_UP and last_acted:
                client.follow_ups += 1
                client.follow_ups_right += int(acted == last_acted)
            if acted and text not in (FOLLOW_UP, "yes"):
                last_acted = acted
            with lock:
                done[0] += 1
            maybe_kill()

    barrier = threading.Barrier(clients)
    threads = [
        threading.Thread(target=run_client, args=(c, p, barrier), daemon=True) for c, p in zip(team, plans, strict=True)
    ]
    t_start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - t_start
    _stop(workers)
    audit = _audit(url, team)
    latencies = [ms for c in team for ms in c.latencies_ms]
    return {
        "workers": count,
        "clients": clients,
        "turns_per_client": turns,
        "turns_answered": len(latencies),
        "turns_planned": total,
        "wall_s": round(wall, 2),
        "throughput_turns_per_s": round(len(latencies) / wall, 2) if wall else None,
        "latency_ms": summarize(latencies).as_dict(),
        "p95_ms": round(percentile(latencies, 95), 1) if latencies else None,
        "killed": killed or None,
        "retried_requests": sum(c.retries for c in team),
        "confirmations": {
            "asked": sum(c.confirmations_asked for c in team),
            "confirmed": sum(c.confirmations for c in team),
            "confirmed_on_another_worker": sum(c.cross_worker_confirmations for c in team),
        },
        "follow_ups": {
            "asked": sum(c.follow_ups for c in team),
            "right_target": sum(c.follow_ups_right for c in team),
        },
        "audit": audit,
    }


def _audit(url: str, team: Sequence[_Client]) -> dict[str, Any]:
    """Every answered request id is stored exactly once, in its conversation, in order, with its text."""
    from assistant.store import Database

    lost = duplicated = cross = disorder = wrong_text = 0
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(tmp, url=url)
        try:
            where: dict[str, str] = {}
            for client in team:
                rows = db.conversations.turns(client.conversation_id)
                ids = [r.id for r in rows]
                texts = {r.id: r.user_text for r in rows}
                for rid in ids:
                    if rid in where and where[rid] != client.conversation_id:
                        cross += 1
                    where[rid] = client.conversation_id
                duplicated += len(ids) - len(set(ids))
                sent_ids = [rid for rid, _ in client.sent]
                for rid, text in client.sent:
                    if rid not in texts:
                        lost += 1
                        problems.append(f"client {client.number}: lost {text!r}")
                    elif texts[rid] != text:
                        wrong_text += 1
                        problems.append(f"client {client.number}: {rid} holds {texts[rid]!r}, sent {text!r}")
                stored_sent = [rid for rid in ids if rid in set(sent_ids)]
                if stored_sent != [rid for rid in sent_ids if rid in texts]:
                    disorder += 1
                    problems.append(f"client {client.number}: stored order differs from sent order")
        finally:
            db.close()
    ok = not (lost or duplicated or cross or disorder or wrong_text)
    return {"ok": ok, "lost": lost, "duplicated": duplicated, "cross_wired": cross, "out_of_order": disorder,
            "wrong_text": wrong_text, "problems": problems[:10]}  # fmt: skip


def run(
    data_dir: Path | None = None,
    *,
    workers: int = 2,
    db: str = "postgresql",
    clients: int = 50,
    turns: int = 20,
    kill: bool = True,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """1 worker, then ``workers`` workers (one killed mid-run), on a fresh ``db`` database each; see the module doc."""
    from benchmarks.postgres import PostgresServer, missing_reason

    say = progress or (lambda _m: None)
    del data_dir
    with tempfile.TemporaryDirectory(prefix="assistant-workers-") as tmp:
        base = Path(tmp)
        server: PostgresServer | None = None
        if db == "postgresql":
            reason = missing_reason()
            if reason is not None:
                return {"skipped": reason}
            server = PostgresServer(base / "pg").start()
        try:
            phases = []
            for count in sorted({1, max(1, workers)}):
                url = server.database() if server else f"sqlite:///{base / f'store-{count}.sqlite'}"
                phases.append(
                    _phase(
                        count, url=url, base=base, clients=clients, turns=turns, kill=kill and count > 1, progress=say
                    )
                )
        finally:
            if server is not None:
                server.stop()
    one, many = phases[0], phases[-1]
    speedup = (
        round(many["throughput_turns_per_s"] / one["throughput_turns_per_s"], 2)
        if len(phases) > 1 and one["throughput_turns_per_s"]
        else None
    )
    return {
        "db": db,
        "phases": phases,
        "throughput_1_vs_n": {
            "1": one["throughput_turns_per_s"],
            str(many["workers"]): many["throughput_turns_per_s"],
            "speedup": speedup,
        },
        "ok": all(p["audit"]["ok"] for p in phases),
        "machine": machine_info(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Print the report (``--json`` for JSON)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--no-kill", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = run(workers=args.workers, db=args.db, clients=args.clients, turns=args.turns, kill=not args.no_kill,
                 progress=lambda m: print(m, file=sys.stderr, flush=True))  # fmt: skip
    if args.json:
        print(json.dumps(report, indent=2))
        return 0 if report.get("ok", True) else 1
    for phase in report.get("phases", []):
        audit = phase["audit"]
        print(
            f"{phase['workers']} worker(s): {phase['turns_answered']}/{phase['turns_planned']} turns, "
            f"{phase['throughput_turns_per_s']} turns/s, p50 {phase['latency_ms'].get('p50')} ms, "
            f"p95 {phase['p95_ms']} ms, killed {phase['killed']}, retried {phase['retried_requests']}, "
            f"confirmations {phase['confirmations']}, follow-ups {phase['follow_ups']}, audit ok={audit['ok']} "
            f"lost={audit['lost']} "
            f"dup={audit['duplicated']} cross={audit['cross_wired']} order={audit['out_of_order']}"
        )
    print(f"throughput 1 vs N: {report.get('throughput_1_vs_n')}")
    return 0 if report.get("ok", True) else 1


if __name__ == "__main__":
    raise SystemExit(main())
