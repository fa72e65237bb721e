"""Skill authoring tools: ``assistant skill new NAME`` (scaffold) and ``assistant skill test PATH`` (intent accuracy).

``skill test`` loads the skill from PATH, feeds its example sentences through the real understanding engine together
with every installed skill's intents, and reports intent accuracy, load conflicts and confusions with installed
skills. When the understanding engine cannot be built, it falls back to nearest-example embedding matching and says so.
"""

from __future__ import annotations

import inspect
import json
import keyword
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import typer

from assistant.config import Config, load_config
from contracts.skills import Skill
from skills.registry import FALLBACK_INTENT, SkillIntent, SkillRegistry, load_skill_classes

__all__ = [
    "ExampleResult",
    "ScaffoldReport",
    "SkillTestReport",
    "evaluate_skill",
    "scaffold_skill",
    "skill_app",
    "skill_names",
]

skill_app = typer.Typer(no_args_is_help=True, help="Scaffold and test skills.")


# --------------------------------------------------------------------------- scaffolding


@dataclass(frozen=True, slots=True)
class ScaffoldReport:
    """What ``skill new`` wrote."""

    root: Path
    """The project folder."""
    skill_id: str
    """Skill id (entry-point name)."""
    package: str
    """Python package name."""
    class_name: str
    """Skill class name."""
    files: tuple[Path, ...]
    """Files written."""


def skill_names(name: str) -> tuple[str, str, str]:
    """(skill id, package, class name) for a human name: 'My Timer' → ('my_timer', 'my_timer_skill', 'MyTimerSkill')."""
    words = [w for w in re.split(r"[^0-9a-zA-Z]+", name.strip()) if w]
    if not words:
        raise typer.BadParameter(f"'{name}' is not a usable skill name (use letters and digits).")
    skill_id = "_".join(w.lower() for w in words)
    if skill_id[0].isdigit() or keyword.iskeyword(skill_id):
        skill_id = f"skill_{skill_id}"
    camel = "".join(w[:1].upper() + w[1:].lower() for w in skill_id.split("_"))
    return skill_id, f"{skill_id}_skill", f"{camel}Skill"


_SKILL_PY = '''"""{title}: a skill for the assistant (see the assistant's skills/README.md)."""

from __future__ import annotations

from typing import Any, ClassVar

from contracts.messages import IntentMatch, SkillResult
from contracts.skills import Permission, Skill, SkillContext, intent

__all__ = ["{cls}"]


class {cls}(Skill):
    """{title}."""

    id: ClassVar[str] = "{sid}"
    description: ClassVar[str] = "{title}: says hello (replace with one line for 'what can you do?')."
    permissions: ClassVar[frozenset[Permission]] = frozenset()
    default_settings: ClassVar[dict[str, Any]] = {{"greeting": "Hello from {title}!"}}
    timeout_s: ClassVar[float] = 5.0
    templates_file: ClassVar[str | None] = "templates.yaml"

    @intent(
        "{intent}",
        examples=(
            "say hello from {spoken}",
            "{spoken} hello",
            "can {spoken} say hello",
        ),
        slots={{"name": "text"}},
    )
    def hello(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Greet (the person named in the request, if any)."""
        greeting = str(ctx.settings["greeting"])
        name = match.slots.get("name")
        return SkillResult(text=f"{{greeting}} Nice to meet you, {{name}}." if name else greeting)
'''

_TEMPLATES = """# hassil templates: merged into the skill's intents by the assistant's skill registry.
language: en
intents:
  {intent}:
    data:
      - sentences:
          - "[say] hello from {spoken}"
          - "{spoken} [say] hello [to {{name}}]"
lists:
  name:
    wildcard: true
"""

_PYPROJECT = """[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "assistant-skill-{dist}"
version = "0.1.0"
description = "{title}: a skill for the local home assistant"
requires-python = ">=3.11"
dependencies = []  # the assistant provides skills.api and assistant.messages

[project.entry-points."assistant.skills"]
{sid} = "{pkg}:{cls}"

[tool.setuptools]
packages = ["{pkg}"]

[tool.setuptools.package-data]
{pkg} = ["*.yaml", "py.typed"]

[tool.pytest.ini_options]
pythonpath = ["."]
"""

_TEST = '''"""Tests of the {title} skill, run through the assistant's own skill registry."""

from __future__ import annotations

from contracts.messages import IntentMatch
from contracts.skills import SkillContext
from skills.registry import SkillRegistry

from {pkg} import {cls}


def _registry(**settings: object) -> SkillRegistry:
    return SkillRegistry.load(folder=None, entry_points=False, extra=[{cls}], settings={{"{sid}": settings}})


def _ctx(text: str) -> SkillContext:
    return SkillContext(conversation_id="test", text=text, settings={{}}, state={{}})


def test_intent_is_declared_with_templates() -> None:
    registry = _registry()
    assert not registry.errors
    (declared,) = [i for i in registry.intents() if i.spec.name == "{intent}"]
    assert declared.skill_id == "{sid}"
    assert declared.spec.templates and declared.spec.examples


def test_hello_uses_settings() -> None:
    registry = _registry(greeting="Hi!")
    result = registry.handle(IntentMatch(intent="{intent}", slots={{"name": "Ada"}}), _ctx("{spoken} say hello to Ada"))
    assert result.success
    assert result.text == "Hi! Nice to meet you, Ada."
'''

_README = """# {title}

A skill for the local home assistant.

- `{pkg}/skill.py`: the skill class `{cls}` with one `@intent` handler per intent.
- `{pkg}/templates.yaml`: hassil sentence templates (merged into the declared intents).
- `tests/`: unit tests (`pytest`).

Install it next to the assistant (`pip install -e .`): it registers under the `assistant.skills` entry point as
`{sid}`. Or drop this folder into the configured skills folder (`skills.folder`), which is hot reloaded.

Check how well the understanding engine routes your example sentences:

    assistant skill test .
"""


def scaffold_skill(name: str, directory: Path | None = None, *, force: bool = False) -> ScaffoldReport:
    """Write a skill project (package, templates, tests, pyproject entry point) under ``directory``."""
    sid, pkg, cls = skill_names(name)
    title = " ".join(w.capitalize() for w in sid.split("_"))
    spoken = sid.replace("_", " ")
    root = Path(directory or Path.cwd()) / sid
    if root.exists() and any(root.iterdir()) and not force:
        raise FileExistsError(f"{root} exists and is not empty (use --force to overwrite)")
    values = {
        "sid": sid,
        "pkg": pkg,
        "cls": cls,
        "title": title,
        "spoken": spoken,
        "intent": cls.removesuffix("Skill") + "Hello",
        "dist": sid.replace("_", "-"),
    }
    files = {
        root / "pyproject.toml": _PYPROJECT.format(**values),
        root / "README.md": _README.format(**values),
        root / pkg / "__init__.py": f'"""{title} skill."""\n\nfrom .skill import {cls}\n\n__all__ = ["{cls}"]\n',
        root / pkg / "skill.py": _SKILL_PY.format(**values),
        root / pkg / "templates.yaml": _TEMPLATES.format(**values),
        root / pkg / "py.typed": "",
        root / "tests" / f"test_{sid}.py": _TEST.format(**values),
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return ScaffoldReport(root, sid, pkg, cls, tuple(files))


# --------------------------------------------------------------------------- testing


@dataclass(frozen=True, slots=True)
class ExampleResult:
    """One example sentence and where it was routed."""

    text: str
    """The example sentence."""
    expected: str
    """The intent that declared it."""
    predicted: str
    """The intent the engine chose ('Unknown' when none)."""
    predicted_skill: str | None
    """The skill owning the predicted intent."""
    confidence: float = 0.0
    """The engine's confidence."""

    @property
    def correct(self) -> bool:
        """Routed to the declaring intent."""
        return self.expected == self.predicted


@dataclass(frozen=True, slots=True)
class SkillTestReport:
    """The outcome of ``skill test``."""

    path: str
    """What was tested."""
    skills: tuple[str, ...]
    """Skill ids found at the path."""
    engine: str
    """'understanding' (the real engine) or 'embeddings' (fallback)."""
    note: str = ""
    """Why the fallback was used, if it was."""
    results: tuple[ExampleResult, ...] = ()
    """Per-example routing of the skill's own examples."""
    captured: tuple[ExampleResult, ...] = ()
    """Installed skills' examples that this skill's intents captured."""
    conflicts: tuple[str, ...] = ()
    """Skill/intent id conflicts with installed skills (load errors)."""
    errors: tuple[str, ...] = field(default_factory=tuple)
    """Other load errors of the tested skill."""

    @property
    def accuracy(self) -> float:
        """Share of the skill's examples routed to the declaring intent."""
        return sum(r.correct for r in self.results) / len(self.results) if self.results else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        data = asdict(self)
        data["accuracy"] = self.accuracy
        return data


def _same_skill(a: type[Skill], b: type[Skill]) -> bool:
    try:
        return Path(inspect.getfile(a)).resolve() == Path(inspect.getfile(b)).resolve() and a.__name__ == b.__name__
    except (TypeError, OSError):
        return False


class _Router:
    """Routes a sentence to an intent: the real understanding engine, or nearest-example embeddings."""

    def __init__(self, intents: Sequence[SkillIntent], cfg: Config) -> None:
        self.intents = list(intents)
        self.engine = "understanding"
        self.note = ""
        self._understanding: Any = None
        self._embedder: Any = None
        self._example_vectors: Any = None
        self._example_labels: list[str] = []
        self._example_texts: list[str] = []
        try:
            from assistant.embeddings import create_embedder

            self._embedder = create_embedder(cfg.embeddings)
        except Exception as exc:
            self.note = f"embeddings unavailable ({type(exc).__name__}: {exc}); "
        try:
            from assistant.nlu import create_understanding
            from devices import create_home

            home = create_home(file=cfg.resolve_path(cfg.home.file), data_dir=None, persist=False)
            self._understanding = create_understanding(
                cfg.nlu, home=home, intents=self.intents, embedder=self._embedder, llm=None
            )
        except Exception as exc:
            if self._embedder is None:
                raise RuntimeError(f"neither the understanding engine nor embeddings are usable: {exc}") from exc
            self.engine = "embeddings"
            self.note += (
                f"the understanding engine is not usable ({type(exc).__name__}: {exc}); "
                "used nearest-example embedding matching instead"
            )
            pairs = [(ex, i.spec.name) for i in self.intents for ex in i.spec.examples]
            self._example_texts = [p[0] for p in pairs]
            self._example_labels = [p[1] for p in pairs]
            self._example_vectors = self._embedder.embed(self._example_texts) if pairs else None

    def route(self, text: str, n: int) -> tuple[str, float]:
        """(intent, confidence) for one sentence; leave-one-out in the embedding fallback."""
        if self._understanding is not None:
            matches = self._understanding.recognize(text, conversation_id=f"skill-test-{n}")
            if not matches:
                return "Unknown", 0.0
            return str(matches[0].intent), float(matches[0].confidence)
        if self._example_vectors is None:
            return "Unknown", 0.0
        scores = self._example_vectors @ self._embedder.embed([text])[0]
        for i, t in enumerate(self._example_texts):
            if t == text:
                scores[i] = -1.0
        best = int(scores.argmax())
        return self._example_labels[best], float(scores[best])


def evaluate_skill(path: Path, *, config: Config | None = None, check_installed: bool = True) -> SkillTestReport:
    """Load the skill at ``path`` and route its examples (and installed skills' examples) through understanding."""
    cfg = config or load_config()
    classes = load_skill_classes(Path(path))
    if not classes:
        return SkillTestReport(str(path), (), "none", errors=(f"no Skill subclass with an id found in {path}",))
    tested = SkillRegistry.load(folder=None, entry_points=False, extra=classes)
    installed_intents: list[SkillIntent] = []
    conflicts: list[str] = []
    if check_installed:
        folder = Path(cfg.skills.folder).expanduser() if cfg.skills.folder else None
        if folder is not None and not folder.is_absolute():
            folder = cfg.data_dir / folder
        installed = SkillRegistry.load(folder=folder, disabled=cfg.skills.disabled, settings=cfg.skills.settings)
        own = {sid for sid, s in installed.loaded.items() if any(_same_skill(type(s.instance), c) for c in classes)}
        installed_intents = [i for i in installed.intents() if i.skill_id not in own]
        owners = {i.spec.name: (i.skill_id, installed.loaded[i.skill_id].source) for i in installed_intents}
        for sid, loaded in tested.loaded.items():
            if sid in installed.loaded and sid not in own:
                conflicts.append(f"skill id '{sid}' is already used by {installed.loaded[sid].source}")
            for spec in loaded.intents:
                if spec.name in owners:
                    other, source = owners[spec.name]
                    conflicts.append(f"intent '{spec.name}' is already declared by skill '{other}' ({source})")
    conflicts.extend(e.message for e in tested.errors if e.code == "skill-conflict")
    errors = tuple(e.message for e in tested.errors if e.code != "skill-conflict")
    own_intents = tested.intents()
    names = {i.spec.name for i in own_intents}
    router = _Router(installed_intents + own_intents, cfg)
    owner = {i.spec.name: i.skill_id for i in installed_intents + own_intents}
    results: list[ExampleResult] = []
    n = 0
    for item in own_intents:
        for example in item.spec.examples:
            predicted, conf = router.route(example, n := n + 1)
            results.append(ExampleResult(example, item.spec.name, predicted, owner.get(predicted), conf))
    captured: list[ExampleResult] = []
    for item in installed_intents:
        for example in item.spec.examples:
            predicted, conf = router.route(example, n := n + 1)
            if predicted in names and predicted != FALLBACK_INTENT:
                captured.append(ExampleResult(example, item.spec.name, predicted, owner.get(predicted), conf))
    return SkillTestReport(
        str(path),
        tuple(tested.loaded),
        router.engine,
        router.note,
        tuple(results),
        tuple(captured),
        tuple(conflicts),
        errors,
    )


# --------------------------------------------------------------------------- commands


@skill_app.command("new")
def new_command(
    name: str = typer.Argument(..., help="Skill name, e.g. 'timer' or 'garden helper'."),
    directory: Path = typer.Option(Path("."), "--dir", "-d", help="Where to create the project folder."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing folder."),
) -> None:
    """Scaffold a skill package: skill module, templates, tests and a pyproject entry point."""
    try:
        report = scaffold_skill(name, directory, force=force)
    except FileExistsError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Created skill '{report.skill_id}' ({report.class_name}) in {report.root}:")
    for file in report.files:
        typer.echo(f"  {file.relative_to(report.root)}")
    typer.echo(f"Next: cd {report.root} && pytest && assistant skill test .")


@skill_app.command("test")
def test_command(
    path: Path = typer.Argument(..., exists=True, help="A skill file, package folder or project folder."),
    config: Path | None = typer.Option(None, "--config", help="Assistant config file."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    min_accuracy: float = typer.Option(0.8, "--min-accuracy", help="Exit with 1 below this intent accuracy."),
) -> None:
    """Route the skill's example sentences through the understanding engine; report accuracy and conflicts."""
    report = evaluate_skill(path, config=load_config(config) if config else None)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
    else:
        typer.echo(f"Skills: {', '.join(report.skills) or '(none)'}   engine: {report.engine}")
        if report.note:
            typer.echo(f"Note: {report.note}")
        for r in report.results:
            mark = "ok  " if r.correct else "MISS"
            where = "" if r.correct else f" -> {r.predicted} ({r.predicted_skill or '-'})"
            typer.echo(f"  {mark} [{r.expected}] {r.text}{where}")
        typer.echo(
            f"Intent accuracy: {report.accuracy:.0%} ({sum(r.correct for r in report.results)}/{len(report.results)})"
        )
        for c in report.captured:
            typer.echo(f"  captures installed example of {c.expected}: '{c.text}' -> {c.predicted}")
        for conflict in report.conflicts:
            typer.echo(f"CONFLICT: {conflict}")
        for e in report.errors:
            typer.echo(f"ERROR: {e}")
    if report.errors or report.conflicts or report.accuracy < min_accuracy:
        raise typer.Exit(1)
