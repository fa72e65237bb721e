"""Timers that ring: a thread-safe table of timers per conversation and one scheduler thread that fires them.

With a ``SkillStore`` (the host's durable records) every timer is also a record: a restart restores running timers,
every worker on the same store sees every timer (a periodic sync), and a timer rings on exactly one worker — the one
whose ``claim`` gets its lease row (then rings it and removes its record), or with a store without leases the one whose
``take`` removes its record.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from contracts.skills import SkillStore

__all__ = ["Timer", "TimerService", "format_duration"]

_log = logging.getLogger("skills.timer")


def format_duration(seconds: float, *, adjective: bool = False) -> str:
    """12 → '12 seconds', 90 → '1 minute and 30 seconds'; as an adjective 300 → '5-minute'."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{n}-{unit}" if adjective else f"{n} {unit}{'' if n == 1 else 's'}"
        for n, unit in ((hours, "hour"), (minutes, "minute"), (secs, "second"))
        if n
    ]
    if not parts:
        return "0 seconds"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


@dataclass(frozen=True, slots=True)
class Timer:
    """One timer. ``remaining_s`` is frozen while paused; ``ends_at`` (monotonic) is set while running."""

    id: int
    conversation_id: str
    duration_s: float
    """The duration the timer was started with (how people name it: 'the 10-minute timer')."""
    name: str | None = None
    area: str | None = None
    command: str | None = None
    """A request to run when the timer rings ('turn off the lights in 5 minutes')."""
    ends_at: float | None = None
    remaining_s: float = 0.0
    created_at: float = field(default=0.0, compare=False)
    announce: Callable[[str], None] | None = field(default=None, compare=False, repr=False)
    """Says something in the timer's conversation when it rings (None: nobody to tell)."""
    uid: str = field(default="", compare=False)
    """The timer's durable id (its record key in the store)."""
    submit: Callable[[str], None] | None = field(default=None, compare=False, repr=False)
    """Runs ``command`` as a turn of the timer's conversation when it rings."""

    @property
    def paused(self) -> bool:
        """True while paused."""
        return self.ends_at is None

    def left(self, now: float) -> float:
        """Seconds left at ``now``."""
        return max(0.0, self.ends_at - now) if self.ends_at is not None else self.remaining_s

    def describe(self) -> str:
        """'the pasta timer', 'the 5 minute timer', 'the kitchen timer'."""
        if self.command:
            return f"the timer for “{self.command}”"
        if self.name:
            return f"the {self.name} timer"
        where = f" {self.area}" if self.area else ""
        return f"the {format_duration(self.duration_s, adjective=True)}{where} timer"


Ring = Callable[[Timer], None]
Hooks = Callable[[str], tuple[Callable[[str], None] | None, Callable[[str], None] | None]]
"""conversation id -> (announce, submit) for a timer restored from the store."""


class TimerService:
    """Holds timers and fires ``on_ring`` for each when it ends. ``clock`` is injectable for tests."""

    def __init__(
        self,
        on_ring: Ring,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_timers: int = 50,
        thread: bool = True,
        store: SkillStore | None = None,
        hooks: Hooks | None = None,
        wall: Callable[[], float] = time.time,
        sync_s: float = 5.0,
        lease_s: float = 60.0,
    ) -> None:
        """``store``: keep timers as durable records (restored by ``sync``, shared by workers); ``hooks`` give a
        restored timer its announce/submit; ``wall`` is the shared clock of the records; ``lease_s``: how long a
        worker holds a due timer (a store with ``claim``) before another may ring it instead."""
        self._on_ring = on_ring
        self._clock = clock
        self._store = store
        self._hooks = hooks
        self._wall = wall
        self._sync_s = sync_s
        self._lease_s = lease_s
        self._synced = -1e18
        self._max = max_timers
        self._timers: dict[int, Timer] = {}
        self._heap: list[tuple[float, int]] = []
        self._ids = itertools.count(1)
        self._cond = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None
        if thread:
            self._thread = threading.Thread(target=self._run, name="timer-skill", daemon=True)
            self._thread.start()

    # ------------------------------------------------------------------ queries

    def now(self) -> float:
        """The service's clock."""
        return self._clock()

    def timers(self, conversation_id: str) -> list[Timer]:
        """The conversation's timers, oldest first."""
        with self._cond:
            return sorted(
                (t for t in self._timers.values() if t.conversation_id == conversation_id), key=lambda t: t.id
            )

    # ------------------------------------------------------------------ changes

    def start(
        self,
        conversation_id: str,
        duration_s: float,
        *,
        name: str | None = None,
        area: str | None = None,
        command: str | None = None,
        announce: Callable[[str], None] | None = None,
        submit: Callable[[str], None] | None = None,
    ) -> Timer:
        """Start a timer; raises ValueError on a non-positive duration or when too many timers run."""
        if duration_s <= 0:
            raise ValueError("a timer needs a positive duration")
        with self._cond:
            if len(self._timers) >= self._max:
                raise ValueError(f"at most {self._max} timers can run at once")
            now = self._clock()
            timer = Timer(
                id=next(self._ids),
                conversation_id=conversation_id,
                duration_s=float(duration_s),
                name=name,
                area=area,
                command=command,
                ends_at=now + duration_s,
                remaining_s=float(duration_s),
                created_at=now,
                announce=announce,
                submit=submit,
                uid=uuid.uuid4().hex,
            )
            self._put(timer)
        self._persist(timer)
        return timer

    def cancel(self, timer_id: int) -> Timer | None:
        """Remove a timer; returns it, or None if it already rang or was cancelled."""
        with self._cond:
            timer = self._timers.pop(timer_id, None)
        if timer is not None and self._store is not None:
            self._store.take(timer.uid)
        return timer

    def pause(self, timer_id: int) -> Timer | None:
        """Freeze a running timer."""
        with self._cond:
            timer = self._timers.get(timer_id)
            if timer is None or timer.paused:
                return timer
            paused = replace(timer, ends_at=None, remaining_s=timer.left(self._clock()))
            self._timers[timer_id] = paused
        self._persist(paused)
        return paused

    def resume(self, timer_id: int) -> Timer | None:
        """Restart a paused timer from where it stopped."""
        with self._cond:
            timer = self._timers.get(timer_id)
            if timer is None or not timer.paused:
                return timer
            resumed = replace(timer, ends_at=self._clock() + timer.remaining_s)
            self._put(resumed)
        self._persist(resumed)
        return resumed

    def adjust(self, timer_id: int, delta_s: float) -> Timer | None:
        """Add (or with a negative delta, remove) time; raises ValueError if that would leave no time."""
        with self._cond:
            timer = self._timers.get(timer_id)
            if timer is None:
                return None
            left = timer.left(self._clock()) + delta_s
            if left <= 0:
                raise ValueError("that would leave no time on the timer")
            changed = replace(
                timer,
                remaining_s=left,
                ends_at=None if timer.paused else self._clock() + left,
            )
            self._put(changed)
        self._persist(changed)
        return changed

    def tick(self) -> list[Timer]:
        """Fire every timer that has ended (the thread calls this; tests call it with a fake clock)."""
        due: list[Timer] = []
        with self._cond:
            now = self._clock()
            while self._heap and self._heap[0][0] <= now:
                ends_at, timer_id = heapq.heappop(self._heap)
                timer = self._timers.get(timer_id)
                if timer is not None and timer.ends_at == ends_at:  # stale heap entries are skipped
                    del self._timers[timer_id]
                    due.append(timer)
        for timer in due:
            claim = getattr(self._store, "claim", None) if self._store is not None and timer.uid else None
            if callable(claim):  # a lease row: exactly one worker rings it; one that dies first leaves it to another
                if not claim(timer.uid, self._lease_s):
                    continue  # another worker is ringing it (or rang it, or it was cancelled there)
            elif self._store is not None and timer.uid and not self._store.take(timer.uid):
                continue  # another worker rang it (or it was cancelled there)
            try:
                self._on_ring(timer)
            except Exception:  # a failing announcement must not stop the other timers
                _log.exception("announcing the end of timer %s failed", timer.id)
            finally:
                if callable(claim) and self._store is not None:
                    self._store.take(timer.uid)
        return due

    def close(self) -> None:
        """Stop the scheduler thread (pending timers are dropped)."""
        with self._cond:
            self._closed = True
            self._timers.clear()
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)

    def sync(self) -> None:
        """Bring the table in line with the store: add timers set elsewhere (or before a restart), apply changes made
        elsewhere (pause, add time), and drop timers cancelled or rung elsewhere. A no-op without a store."""
        if self._store is None:
            return
        read_at = self._clock()
        try:
            records = dict(self._store.items())
        except Exception:  # the store is down: keep ringing what is known here
            _log.warning("timer sync failed", exc_info=True)
            return
        with self._cond:
            self._synced = self._clock()
            by_uid = {t.uid: t for t in self._timers.values() if t.uid}
            for uid, timer in by_uid.items():
                if uid not in records and timer.created_at <= read_at:  # not one started since the read
                    self._timers.pop(timer.id, None)
            for uid, record in records.items():
                known = by_uid.get(uid)
                restored = self._from_record(uid, record, known)
                if restored is not None and (known is None or _moved(known, restored)):
                    self._put(restored)

    # ------------------------------------------------------------------ internals

    def _persist(self, timer: Timer) -> None:
        if self._store is None or not timer.uid:
            return
        ends_wall = None if timer.ends_at is None else self._wall() + (timer.ends_at - self._clock())
        self._store.put(
            timer.uid,
            {
                "conversation_id": timer.conversation_id,
                "duration_s": timer.duration_s,
                "name": timer.name,
                "area": timer.area,
                "command": timer.command,
                "ends_at_wall": ends_wall,
                "remaining_s": timer.remaining_s if timer.ends_at is None else None,
            },
        )

    def _from_record(self, uid: str, record: dict[str, Any], known: Timer | None) -> Timer | None:
        try:
            conversation_id = str(record["conversation_id"])
            ends_wall = record.get("ends_at_wall")
            ends_at = None if ends_wall is None else self._clock() + (float(ends_wall) - self._wall())
            remaining = float(record.get("remaining_s") or 0.0) if ends_at is None else 0.0
        except (KeyError, TypeError, ValueError):
            _log.warning("ignoring a malformed timer record %s", uid)
            return None
        if known is not None:
            return replace(known, ends_at=ends_at, remaining_s=remaining or known.remaining_s)
        announce, submit = self._hooks(conversation_id) if self._hooks is not None else (None, None)
        return Timer(
            id=next(self._ids),
            conversation_id=conversation_id,
            duration_s=float(record.get("duration_s") or 0.0),
            name=record.get("name"),
            area=record.get("area"),
            command=record.get("command"),
            ends_at=ends_at,
            remaining_s=remaining,
            created_at=self._clock(),
            announce=announce,
            submit=submit,
            uid=uid,
        )

    def _put(self, timer: Timer) -> None:
        self._timers[timer.id] = timer
        if timer.ends_at is not None:
            heapq.heappush(self._heap, (timer.ends_at, timer.id))
        self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._closed:
                    return
                wait = (self._heap[0][0] - self._clock()) if self._heap else 60.0
                if self._store is not None:
                    wait = min(wait, self._synced + self._sync_s - self._clock())
                if wait > 0:
                    self._cond.wait(timeout=min(wait, 60.0))
                if self._closed:
                    return
                due_sync = self._store is not None and self._clock() - self._synced >= self._sync_s
            if due_sync:
                self.sync()
            self.tick()


def _moved(old: Timer, new: Timer) -> bool:
    """True when a record changed a timer by more than clock noise (paused, resumed or given more time elsewhere)."""
    if (old.ends_at is None) != (new.ends_at is None):
        return True
    if old.ends_at is not None and new.ends_at is not None:
        return abs(old.ends_at - new.ends_at) > 0.5
    return abs(old.remaining_s - new.remaining_s) > 0.5
