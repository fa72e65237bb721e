"""The skill registry: discovery (entry points + a local folder), conflicts, settings, permissions, safe calls.

Skills are found through the entry-point group ``assistant.skills`` (entry name = skill id; the built-ins register
the same way in ``pyproject.toml``) and a local folder of ``*.py`` files and packages. Duplicate skill or intent ids
are load errors naming both sources; the later skill is not loaded. ``handle`` never raises: a failing or hanging
handler becomes an error ``SkillResult`` and the registry keeps serving.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import importlib.util
import inspect
import logging
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from contracts.messages import AssistantError, ErrorCode, IntentMatch, SkillResult
from contracts.skills import IntentSpec, Permission, Skill, SkillContext, SkillHost

__all__ = [
    "ENTRY_POINT_GROUP",
    "FALLBACK_INTENT",
    "LoadedSkill",
    "SkillIntent",
    "SkillLoadError",
    "SkillRegistry",
    "load_skill_classes",
]

_log = logging.getLogger("assistant.skills")

ENTRY_POINT_GROUP = "assistant.skills"
"""The entry-point group skills register under."""
FALLBACK_INTENT = "Unknown"
MAX_STATES = 4096
"""Skills' per-conversation states the registry keeps itself (when the host keeps none)."""
"""The intent the understanding engine returns when nothing matched; a skill may handle it as the fallback."""
_LOCAL_PREFIX = "assistant_local_skills"

_SERVICE_PERMISSIONS: Mapping[str, frozenset[Permission]] = {
    "home": frozenset({Permission.READ_DEVICES, Permission.CONTROL_DEVICES}),
    "llm": frozenset({Permission.USE_LLM}),
    "retriever": frozenset({Permission.READ_KNOWLEDGE}),
}


@dataclass(frozen=True, slots=True)
class SkillIntent:
    """An intent and the skill that owns it (what the understanding engine is fed)."""

    skill_id: str
    """Owning skill."""
    spec: IntentSpec
    """The declared intent (templates from the skill's YAML file included)."""


@dataclass(frozen=True, slots=True)
class SkillLoadError:
    """A skill that could not be loaded (import failure, conflict, bad declaration)."""

    code: ErrorCode
    """skill-load-failed or skill-conflict."""
    source: str
    """Where the failing skill came from."""
    message: str
    """What went wrong (a conflict names both sources)."""
    skill_id: str | None = None
    """The skill id, when known."""
    other_source: str | None = None
    """For conflicts: the source of the skill that was loaded first."""

    def as_error(self) -> AssistantError:
        """As an exception with the same code."""
        return AssistantError(self.code, self.message, details={"source": self.source, "skill_id": self.skill_id})


@dataclass(frozen=True, slots=True)
class LoadedSkill:
    """A loaded skill instance and what the registry knows about it."""

    id: str
    """Skill id."""
    instance: Skill
    """The skill object."""
    source: str
    """'entry point NAME = module:Class (dist X)' or the file it was loaded from."""
    intents: tuple[IntentSpec, ...]
    """Declared intents (YAML templates merged)."""
    handlers: Mapping[str, str] = field(default_factory=dict)
    """Intent name → method name."""
    files: tuple[Path, ...] = ()
    """Files watched for hot reload (local folder skills)."""


@dataclass(frozen=True, slots=True)
class _Candidate:
    cls: type[Skill]
    source: str
    files: tuple[Path, ...] = ()


# --------------------------------------------------------------------------- discovery helpers


def _skill_classes(module: ModuleType) -> list[type[Skill]]:
    """Skill subclasses defined in a module (not imported into it), with an id."""
    found = []
    for _, obj in inspect.getmembers(module, inspect.isclass):
        if issubclass(obj, Skill) and obj is not Skill and obj.__module__.startswith(module.__name__) and obj.id:
            found.append(obj)
    return found


def _import_path(path: Path) -> ModuleType:
    """Import a ``*.py`` file or a package folder under a private module name (fresh on every call)."""
    stem = path.stem if path.is_file() else path.name
    name = f"{_LOCAL_PREFIX}.{stem}"
    for mod in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[mod]
    if _LOCAL_PREFIX not in sys.modules:
        parent = ModuleType(_LOCAL_PREFIX)
        parent.__path__ = []
        sys.modules[_LOCAL_PREFIX] = parent
    if path.is_dir():
        spec = importlib.util.spec_from_file_location(
            name, path / "__init__.py", submodule_search_locations=[str(path)]
        )
    else:
        spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def load_skill_classes(path: Path) -> list[type[Skill]]:
    """The Skill classes of a ``*.py`` file, a package folder, or a project folder holding one package."""
    path = Path(path)
    if path.is_file() or (path / "__init__.py").exists():
        return _skill_classes_deep(_import_path(path))
    classes: list[type[Skill]] = []
    for child in sorted(path.iterdir()):
        if child.is_dir() and (child / "__init__.py").exists() and child.name not in ("tests", "test"):
            classes.extend(_skill_classes_deep(_import_path(child)))
    return classes


def _skill_classes_deep(module: ModuleType) -> list[type[Skill]]:
    """Skill classes of a module and, for a package, of its direct submodules."""
    classes = _skill_classes(module)
    folder = Path(module.__file__ or "").parent if getattr(module, "__path__", None) else None
    if folder is not None:
        for sub in sorted(folder.glob("*.py")):
            if sub.stem == "__init__" or sub.stem.startswith("test"):
                continue
            submodule = importlib.import_module(f"{module.__name__}.{sub.stem}")
            classes.extend(c for c in _skill_classes(submodule) if c not in classes)
    return classes


def _folder_entries(folder: Path) -> list[Path]:
    entries = []
    for child in sorted(folder.iterdir()):
        if child.name.startswith(("_", ".")):
            continue
        is_package = child.is_dir() and (child / "__init__.py").exists()
        is_project = child.is_dir() and (child / "pyproject.toml").exists()
        if (child.is_file() and child.suffix == ".py") or is_package or is_project:
            entries.append(child)
    return entries


def _watched_files(folder: Path) -> dict[Path, float]:
    """mtimes of every .py/.yaml/.yml/.json file under the folder."""
    stamps: dict[Path, float] = {}
    if folder.is_dir():
        for p in folder.rglob("*"):
            if p.suffix in (".py", ".yaml", ".yml", ".json") and "__pycache__" not in p.parts:
                try:
                    stamps[p] = p.stat().st_mtime_ns
                except OSError:
                    continue
    return stamps


def _manifest_error(cls: type[Skill], path: Path, problem: str, exc: BaseException | None = None) -> AssistantError:
    if exc is not None:
        _log.warning("skill %s: templates file %s: %r", cls.id, path, exc)
    return AssistantError(
        ErrorCode.SKILL_LOAD_FAILED,
        f"The templates file {path.name} of skill '{cls.id}' {problem}.",
        details={"skill_id": cls.id, "path": str(path)},
    )


def _templates_from_yaml(cls: type[Skill]) -> dict[str, list[str]]:
    """intent name → sentences from the skill's hassil YAML file (``templates_file``).

    The parser boundary of a skill's manifest: whatever reading or parsing raises becomes skill-load-failed naming
    the file (and the line, when the YAML parser knows it); the original is logged.
    """
    if not cls.templates_file:
        return {}
    module = sys.modules.get(cls.__module__)
    base = Path(module.__file__).parent if module and module.__file__ else Path.cwd()
    path = base / cls.templates_file
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise _manifest_error(cls, path, "is not UTF-8 text", exc) from exc
    except (OSError, ValueError) as exc:
        raise _manifest_error(cls, path, "cannot be read", exc) from exc
    try:
        data = yaml.safe_load(text) or {}
    except Exception as exc:  # yaml.YAMLError, RecursionError on deep nesting, ...
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise _manifest_error(cls, path, f"is not valid YAML{where}", exc) from exc
    out: dict[str, list[str]] = {}
    try:
        for name, body in (data.get("intents") or {}).items():
            for block in (body or {}).get("data") or []:
                out.setdefault(str(name), []).extend(str(s) for s in block.get("sentences") or [])
    except (AttributeError, TypeError) as exc:  # a list where a mapping belongs, and the like
        layout = "does not have the hassil layout (intents → name → data → sentences)"
        raise _manifest_error(cls, path, layout, exc) from exc
    return out


def _describe_entry_point(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    dist_name = f" (distribution {dist.name})" if dist is not None else ""
    return f"entry point {ep.name} = {ep.value}{dist_name}"


# --------------------------------------------------------------------------- the registry


class SkillRegistry:
    """Installed skills: intents for the understanding engine, settings, permissions, and safe handler calls."""

    def __init__(
        self,
        *,
        folder: Path | None = None,
        disabled: Iterable[str] = (),
        settings: Mapping[str, Mapping[str, Any]] | None = None,
        entry_points: bool = True,
        default_timeout_s: float | None = None,
        extra: Sequence[type[Skill]] = (),
        host: Callable[[str], SkillHost] | None = None,
    ) -> None:
        self._host = host
        self.folder = Path(folder) if folder is not None else None
        """The local skills folder (hot reloaded)."""
        self.disabled = frozenset(disabled)
        """Skill ids not to load."""
        self.config_settings: dict[str, dict[str, Any]] = {k: dict(v) for k, v in (settings or {}).items()}
        """Config overrides per skill id."""
        self.use_entry_points = entry_points
        """Whether the entry-point group is scanned."""
        self.default_timeout_s = default_timeout_s
        """Overrides a skill's ``timeout_s`` when it keeps the base class default."""
        self._extra = tuple(extra)
        self._lock = threading.RLock()
        self._skills: dict[str, LoadedSkill] = {}
        self._owners: dict[str, str] = {}
        self._errors: list[SkillLoadError] = []
        self._stamps: dict[Path, float] = {}
        self._watcher: threading.Thread | None = None
        self._stop = threading.Event()
        self._states: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        self._state_source: Callable[[str, str], dict[str, Any]] | None = None

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(
        cls,
        *,
        folder: Path | str | None = None,
        disabled: Iterable[str] = (),
        settings: Mapping[str, Mapping[str, Any]] | None = None,
        entry_points: bool = True,
        default_timeout_s: float | None = None,
        extra: Sequence[type[Skill]] = (),
        host: Callable[[str], SkillHost] | None = None,
    ) -> SkillRegistry:
        """Discover and load skills; load problems are collected in ``.errors`` (never raised). ``host`` gives each
        newly loaded skill its ``SkillHost`` (``Skill.attach``)."""
        registry = cls(
            folder=Path(folder) if folder is not None else None,
            disabled=disabled,
            settings=settings,
            entry_points=entry_points,
            default_timeout_s=default_timeout_s,
            extra=extra,
            host=host,
        )
        registry.reload()
        return registry

    def _candidates(self, errors: list[SkillLoadError]) -> list[_Candidate]:
        candidates: list[_Candidate] = [_Candidate(c, f"class {c.__module__}.{c.__qualname__}") for c in self._extra]
        if self.use_entry_points:
            try:
                installed = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)
            except Exception:  # a broken distribution's metadata (entry_points.txt) must not stop start-up
                _log.warning("reading the %s entry points failed", ENTRY_POINT_GROUP, exc_info=True)
                message = "The installed skills' entry points could not be read (the log has the details)."
                errors.append(SkillLoadError(ErrorCode.SKILL_LOAD_FAILED, f"entry points {ENTRY_POINT_GROUP}", message))
                installed = []
            for ep in installed:
                if ep.name in self.disabled:
                    continue
                source = _describe_entry_point(ep)
                try:
                    obj = ep.load()
                except Exception as exc:
                    errors.append(_load_failed(source, ep.name, exc))
                    continue
                if not (inspect.isclass(obj) and issubclass(obj, Skill)):
                    errors.append(
                        SkillLoadError(
                            ErrorCode.SKILL_LOAD_FAILED, source, f"{source} is not a Skill subclass", ep.name
                        )
                    )
                    continue
                if obj.id and obj.id != ep.name:
                    _log.warning("%s: entry name differs from the skill id %r", source, obj.id)
                candidates.append(_Candidate(obj, source))
        if self.folder is not None and self.folder.is_dir():
            for entry in _folder_entries(self.folder):
                files = tuple(sorted(_watched_files(entry).keys())) if entry.is_dir() else (entry,)
                try:
                    classes = load_skill_classes(entry)
                except Exception as exc:
                    errors.append(_load_failed(str(entry), None, exc))
                    continue
                candidates.extend(_Candidate(c, f"{entry} ({c.__qualname__})", files) for c in classes)
        return candidates

    def reload(self) -> None:
        """(Re)load every skill: entry points and the local folder. Safe to call while serving."""
        errors: list[SkillLoadError] = []
        stamps = _watched_files(self.folder) if self.folder is not None else {}
        with self._lock:
            previous = dict(self._skills)
        loaded: dict[str, LoadedSkill] = {}
        owners: dict[str, str] = {}
        for cand in self._candidates(errors):
            skill_id = cand.cls.id
            if skill_id in self.disabled:
                continue
            if skill_id in loaded:
                first = loaded[skill_id].source
                errors.append(
                    SkillLoadError(
                        ErrorCode.SKILL_CONFLICT,
                        cand.source,
                        f"Duplicate skill id '{skill_id}': {cand.source} conflicts with {first} (loaded first).",
                        skill_id,
                        first,
                    )
                )
                continue
            try:
                handlers = cand.cls.intent_handlers()
                yaml_templates = _templates_from_yaml(cand.cls)
                if not handlers:
                    raise ValueError("the skill declares no @intent handler")
                specs = []
                for spec, _ in handlers:
                    extra_templates = tuple(t for t in yaml_templates.get(spec.name, ()) if t not in spec.templates)
                    specs.append(dataclasses.replace(spec, templates=spec.templates + extra_templates))
                old = previous.get(skill_id)  # an unchanged class keeps its instance (and its state: running timers)
                reused = old is not None and type(old.instance) is cand.cls
                instance = old.instance if old is not None and reused else cand.cls()
                if not reused and self._host is not None:
                    instance.attach(self._host(skill_id))
            except Exception as exc:
                errors.append(_load_failed(cand.source, skill_id, exc))
                continue
            clash = next((s.name for s in specs if s.name in owners), None)
            if clash is not None:
                if not reused:
                    _close_quietly(instance)
                first = loaded[owners[clash]].source
                errors.append(
                    SkillLoadError(
                        ErrorCode.SKILL_CONFLICT,
                        cand.source,
                        f"Duplicate intent '{clash}': skill '{skill_id}' from {cand.source} conflicts with skill "
                        f"'{owners[clash]}' from {first} (loaded first).",
                        skill_id,
                        first,
                    )
                )
                continue
            loaded[skill_id] = LoadedSkill(
                skill_id, instance, cand.source, tuple(specs), {s.name: m for s, m in handlers}, cand.files
            )
            owners.update({s.name: skill_id for s in specs})
        for err in errors:
            _log.warning("skill load error [%s] %s", err.code, err.message)
        with self._lock:
            self._skills, self._owners, self._errors, self._stamps = loaded, owners, errors, stamps
        kept = {id(s.instance) for s in loaded.values()}
        for old in previous.values():
            if id(old.instance) not in kept:
                _close_quietly(old.instance)

    def close(self) -> None:
        """Stop hot reload and let every skill release what it holds (threads, files)."""
        self.stop_watching()
        with self._lock:
            instances = [s.instance for s in self._skills.values()]
        for instance in instances:
            _close_quietly(instance)

    # ------------------------------------------------------------------ hot reload
    def changed(self) -> bool:
        """True when a file of the local folder was added, removed or modified since the last load."""
        if self.folder is None:
            return False
        return _watched_files(self.folder) != self._stamps

    def reload_if_changed(self) -> bool:
        """Reload when the local folder changed; returns whether it did."""
        if self.changed():
            _log.info("skills folder changed: reloading")
            self.reload()
            return True
        return False

    def watch(self, interval: float = 1.0, on_reload: Callable[[SkillRegistry], None] | None = None) -> None:
        """Poll the local folder in a daemon thread; reload (and call ``on_reload``) when it changes."""
        if self._watcher is not None and self._watcher.is_alive():
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    if self.reload_if_changed() and on_reload is not None:
                        on_reload(self)
                except Exception:
                    _log.exception("skill hot reload failed")

        self._watcher = threading.Thread(target=loop, name="skills-watch", daemon=True)
        self._watcher.start()

    def stop_watching(self) -> None:
        """Stop the hot-reload thread."""
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
            self._watcher = None

    # ------------------------------------------------------------------ queries
    @property
    def skills(self) -> dict[str, Skill]:
        """Skill id → instance."""
        with self._lock:
            return {sid: s.instance for sid, s in self._skills.items()}

    @property
    def loaded(self) -> dict[str, LoadedSkill]:
        """Skill id → loaded skill with its source and intents."""
        with self._lock:
            return dict(self._skills)

    @property
    def errors(self) -> list[SkillLoadError]:
        """Load errors of the last (re)load."""
        with self._lock:
            return list(self._errors)

    def intents(self) -> list[SkillIntent]:
        """Every declared intent with its owning skill (feeds the understanding engine)."""
        with self._lock:
            return [SkillIntent(s.id, spec) for s in self._skills.values() for spec in s.intents]

    def owner(self, intent: str) -> str | None:
        """The skill id that handles an intent."""
        with self._lock:
            return self._owners.get(intent)

    def catalog(self) -> dict[str, str]:
        """Skill id → one-line description, for 'what can you do?'."""
        with self._lock:
            return {sid: s.instance.description or sid for sid, s in self._skills.items()}

    def settings(self, skill_id: str) -> dict[str, Any]:
        """A skill's settings: its defaults, overridden by config ``skills.settings.<id>`` (nested maps merged)."""
        with self._lock:
            loaded = self._skills.get(skill_id)
        defaults = dict(loaded.instance.default_settings) if loaded else {}
        return _merge(defaults, self.config_settings.get(skill_id, {}))

    def settings_for(self, skill_id: str) -> dict[str, Any]:
        """Alias of ``settings``."""
        return self.settings(skill_id)

    def permissions(self, skill_id: str) -> frozenset[Permission]:
        """What a skill was granted."""
        with self._lock:
            loaded = self._skills.get(skill_id)
        return frozenset(loaded.instance.permissions) if loaded else frozenset()

    def context_services(self, skill_id: str) -> frozenset[str]:
        """The SkillContext services ('home', 'llm', 'retriever') the skill's permissions grant."""
        granted = self.permissions(skill_id)
        return frozenset(name for name, perms in _SERVICE_PERMISSIONS.items() if granted & perms)

    def use_states(self, source: Callable[[str, str], dict[str, Any]] | None) -> None:
        """Keep skills' scratch state where the host keeps each conversation's state (``source(conversation_id,
        skill_id)``, e.g. ``assistant.dialogue.ConversationStates.skill_state``) instead of in the registry."""
        with self._lock:
            self._state_source = source
            self._states.clear()

    def state(self, conversation_id: str, skill_id: str) -> dict[str, Any]:
        """The per-conversation, per-skill scratch state (the host's, or the registry's own: the most recently used
        ``MAX_STATES``)."""
        source = self._state_source
        if source is not None:
            return source(conversation_id, skill_id)
        key = (conversation_id, skill_id)
        with self._lock:
            state = self._states.get(key)
            if state is None:
                state = self._states[key] = {}
            self._states.move_to_end(key)
            while len(self._states) > MAX_STATES:
                self._states.popitem(last=False)
            return state

    def timeout(self, skill_id: str) -> float:
        """The handler timeout of a skill in seconds."""
        with self._lock:
            loaded = self._skills.get(skill_id)
        if loaded is None:
            return self.default_timeout_s or Skill.timeout_s
        own = type(loaded.instance).timeout_s
        if self.default_timeout_s is not None and own == Skill.timeout_s:
            return self.default_timeout_s
        return own

    # ------------------------------------------------------------------ calls
    def prepare_context(self, skill_id: str, ctx: SkillContext) -> SkillContext:
        """The context a skill may see: only granted services, its own settings, state and the skill catalogue."""
        services = self.context_services(skill_id)
        permissions = self.permissions(skill_id)
        home = ctx.home if "home" in services else None
        if home is not None and Permission.CONTROL_DEVICES not in permissions:
            home = _ReadOnlyHome(home)
        return dataclasses.replace(
            ctx,
            settings=self.settings(skill_id),
            state=ctx.state if ctx.state or type(ctx.state) is not dict else self.state(ctx.conversation_id, skill_id),
            home=home,
            llm=ctx.llm if "llm" in services else None,
            retriever=ctx.retriever if "retriever" in services else None,
            skills=ctx.skills or self.catalog(),
        )

    def handle(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Run the handler of ``match.intent``; never raises (failures and timeouts become error results)."""
        skill_id = match.skill_id if match.skill_id in self._skills else self.owner(match.intent)
        if skill_id is None and match.intent != FALLBACK_INTENT:
            skill_id = self.owner(FALLBACK_INTENT)
        with self._lock:
            loaded = self._skills.get(skill_id) if skill_id else None
        if loaded is None:
            return SkillResult(
                text="Sorry, I don't know how to do that yet.",
                success=False,
                error_code=ErrorCode.SKILL_NOT_FOUND.value,
            )
        method_name = loaded.handlers.get(match.intent) or loaded.handlers.get(FALLBACK_INTENT)
        if method_name is None:
            return SkillResult(
                text=f"Sorry, the {loaded.id} skill can't handle that.",
                success=False,
                error_code=ErrorCode.SKILL_NOT_FOUND.value,
            )
        try:
            skill_ctx = self.prepare_context(loaded.id, ctx)
        except Exception as exc:
            return _failed(loaded.id, exc)
        handler = getattr(loaded.instance, method_name)
        return _run_guarded(loaded.id, handler, match, skill_ctx, self.timeout(loaded.id))


# --------------------------------------------------------------------------- helpers


def _close_quietly(instance: Skill) -> None:
    try:
        instance.close()
    except Exception:  # a skill's clean-up failing must not stop the others'
        _log.exception("closing skill %s failed", getattr(instance, "id", instance))


class _ReadOnlyHome:
    """A HomeApi view without ``call_service`` (READ_DEVICES without CONTROL_DEVICES)."""

    def __init__(self, home: Any) -> None:
        self._home = home

    def __getattr__(self, name: str) -> Any:
        if name == "call_service" or name.startswith(("turn_", "set_", "execute")):
            raise AssistantError(ErrorCode.PERMISSION_DENIED, "This skill may read devices but not control them.")
        return getattr(self._home, name)


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _load_failed(source: str, skill_id: str | None, exc: BaseException) -> SkillLoadError:
    if isinstance(exc, AssistantError):  # already a sentence for people (a manifest that does not parse)
        return SkillLoadError(ErrorCode.SKILL_LOAD_FAILED, source, f"Could not load {source}: {exc.message}", skill_id)
    return SkillLoadError(
        ErrorCode.SKILL_LOAD_FAILED, source, f"Could not load {source}: {type(exc).__name__}: {exc}", skill_id
    )


def _failed(skill_id: str, exc: BaseException) -> SkillResult:
    _log.error("skill %s failed: %s", skill_id, exc, exc_info=(type(exc), exc, exc.__traceback__))
    code = exc.code.value if isinstance(exc, AssistantError) else ErrorCode.SKILL_FAILED.value
    # an AssistantError's message is written for users; a crash's text is internal (it goes to the log and trace)
    text = (
        f"Sorry, the {skill_id} skill failed: {exc.message}"
        if isinstance(exc, AssistantError)
        else f"Sorry, the {skill_id} skill failed, so I couldn't do that."
    )
    return SkillResult(
        text=text,
        success=False,
        error_code=code if code == ErrorCode.PERMISSION_DENIED.value else ErrorCode.SKILL_FAILED.value,
        data={"skill_id": skill_id, "exception": type(exc).__name__, "detail": str(exc)[:500]},
    )


def _run_guarded(
    skill_id: str,
    handler: Callable[[IntentMatch, SkillContext], Any],
    match: IntentMatch,
    ctx: SkillContext,
    timeout: float,
) -> SkillResult:
    """Run a sync or async handler in a daemon thread; abandon it after ``timeout`` seconds."""
    box: dict[str, Any] = {}
    done = threading.Event()

    def target() -> None:
        try:
            value = handler(match, ctx)
            if inspect.isawaitable(value):
                value = asyncio.run(_await(value))
            box["value"] = value
        except BaseException as exc:
            box["error"] = exc
        finally:
            done.set()

    started = time.perf_counter()
    thread = threading.Thread(target=target, name=f"skill-{skill_id}", daemon=True)
    thread.start()
    if not done.wait(timeout):
        _log.error("skill %s timed out after %.1f s (abandoned)", skill_id, timeout)
        return SkillResult(
            text=f"Sorry, the {skill_id} skill took too long to answer.",
            success=False,
            error_code=ErrorCode.SKILL_TIMEOUT.value,
            data={"skill_id": skill_id, "timeout_s": timeout},
        )
    if "error" in box:
        return _failed(skill_id, box["error"])
    value = box.get("value")
    if not isinstance(value, SkillResult):
        return _failed(skill_id, TypeError(f"handler returned {type(value).__name__}, not SkillResult"))
    _log.debug("skill %s answered in %.1f ms", skill_id, (time.perf_counter() - started) * 1000)
    return value


async def _await(value: Any) -> Any:
    return await value
