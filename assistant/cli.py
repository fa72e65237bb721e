"""The `assistant` command line (Typer)."""

from __future__ import annotations

import contextlib
import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from contracts.messages import AssistantError, ErrorCode

__all__ = ["COMMANDS_GROUP", "EXIT_ERROR", "ConfigOpt", "HomeOpt", "JsonOpt", "app", "command_errors", "main"]

app = typer.Typer(
    name="assistant",
    help="A local-first home voice assistant: serve the web UI, ask, transcribe, history, eval.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

_F = TypeVar("_F", bound=Callable[..., Any])

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="A YAML config file (over the defaults).")]
HomeOpt = Annotated[Path | None, typer.Option("--home", help="A home file (synthetic-home YAML or HA fixture JSON).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


EXIT_ERROR = 2
"""The exit status of every command that ends in an error (README: ``error [code]: message``, status 2)."""


def _safe_output() -> None:
    """Printing never fails: text the terminal cannot encode (the lone surrogates Python makes of undecodable argv
    bytes, e.g. ``assistant ask $'\\xff'``) is written escaped instead of raising UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if callable(reconfigure) and getattr(stream, "errors", None) in ("strict", None):
            with contextlib.suppress(Exception):
                reconfigure(errors="backslashreplace")


@app.callback()
def _root() -> None:
    """A local-first home voice assistant: serve the web UI, ask, transcribe, history, eval."""
    _safe_output()  # every command, the eval and skill ones included


def _fail(code: ErrorCode | str, message: str) -> typer.Exit:
    typer.echo(f"error [{code.value if isinstance(code, ErrorCode) else code}]: {message}", err=True)
    return typer.Exit(EXIT_ERROR)


def _errors(func: _F) -> _F:
    """Turn AssistantError into a one-line message with its code and exit status 2 (no traceback); never crash on
    printing, nor on text that is not valid Unicode."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _safe_output()
        try:
            return func(*args, **kwargs)
        except AssistantError as exc:
            raise _fail(exc.code, exc.message) from None
        except UnicodeError:  # undecodable argv bytes reaching a library (SQLite refuses lone surrogates)
            raise _fail(ErrorCode.INPUT_INVALID, "That text isn't valid UTF-8, so I did nothing.") from None

    return wrapper  # type: ignore[return-value]


command_errors = _errors
"""The error handling every command shares, for command plugins (``ui.cli.serve``): ``AssistantError`` becomes
``error [code]: message`` on stderr with exit status 2."""


def _assistant(config: Path | None, home: Path | None = None) -> Any:
    from assistant.app import Assistant

    return Assistant.create(config, home=home)


@app.command()
@_errors
def ask(
    text: Annotated[str, typer.Argument(help="The request, e.g. 'turn on the kitchen light'.")],
    home: HomeOpt = None,
    area: Annotated[str | None, typer.Option(help="The speaker's area (for 'in here').")] = None,
    conversation: Annotated[str | None, typer.Option("--conversation", help="Continue a conversation id.")] = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Ask one thing (typed) and print the reply."""
    from assistant.serialize import turn_to_dict

    with _assistant(config, home) as assistant:
        result = assistant.handle_text(text, conversation_id=conversation, area=area)
        if json_out:
            typer.echo(json.dumps(turn_to_dict(result), indent=2, ensure_ascii=False))
        else:
            typer.echo(result.reply)
    if result.error:  # the reply (or JSON) is printed; the status says the turn failed
        raise _fail(result.error, result.reply)


@app.command()
@_errors
def transcribe(
    file: Annotated[Path, typer.Argument(help="Audio file: wav, flac, mp3, ogg, webm ...")],
    json_out: JsonOpt = False,
    language: Annotated[str | None, typer.Option(help="Force a language (multilingual model).")] = None,
    config: ConfigOpt = None,
) -> None:
    """Transcribe an audio file with the configured recognizer."""
    from assistant.app import set_offline_environment
    from assistant.asr import create_recognizer
    from assistant.audio import read_audio
    from assistant.config import load_config
    from assistant.serialize import to_jsonable

    cfg = load_config(config)
    set_offline_environment(cfg.offline)
    data = read_audio(file)  # asr-unreadable-audio for a missing or unreadable path, asr-empty-audio
    recognizer = create_recognizer(cfg.asr, data_dir=Path(cfg.cache_dir), offline=cfg.offline)
    transcript = recognizer.transcribe(data, language=language)
    if json_out:
        typer.echo(json.dumps(to_jsonable(transcript), indent=2, ensure_ascii=False))
    else:
        typer.echo(transcript.text)


@app.command()
@_errors
def history(
    export: Annotated[str | None, typer.Option("--export", help="Print a conversation as JSON.")] = None,
    delete: Annotated[str | None, typer.Option("--delete", help="Delete a conversation ('all' deletes all).")] = None,
    search: Annotated[str | None, typer.Option("--search", help="Search past turns.")] = None,
    config: ConfigOpt = None,
) -> None:
    """List, search, export or delete conversations."""
    from assistant.config import load_config
    from assistant.serialize import to_jsonable
    from assistant.store import Database

    cfg = load_config(config)
    db = Database(Path(cfg.data_dir), url=cfg.store.url)
    try:
        repo = db.conversations
        if export:
            typer.echo(json.dumps(repo.export_conversation(export), indent=2, ensure_ascii=False, default=str))
        elif delete:
            if delete == "all":
                repo.delete_all()
                typer.echo("Deleted all conversations.")
            else:
                repo.delete_conversation(delete)
                typer.echo(f"Deleted conversation {delete}.")
        elif search:
            for turn in repo.search_turns(search):
                typer.echo(json.dumps(to_jsonable(turn), ensure_ascii=False, default=str))
        else:
            for conv in repo.list_conversations():
                typer.echo(json.dumps(to_jsonable(conv), ensure_ascii=False, default=str))
    finally:
        db.close()


@app.command()
@_errors
def home(
    config: ConfigOpt = None,
    home_file: HomeOpt = None,
) -> None:
    """Print the home's current states as JSON."""
    with _assistant(config, home_file) as assistant:
        typer.echo(json.dumps(assistant.home.states(), indent=2, ensure_ascii=False, default=str))


@app.command()
@_errors
def prepare(config: ConfigOpt = None) -> None:
    """Cache first-run model conversions (GGUF → safetensors) and check the embedded models (idempotent)."""
    from assistant.app import set_offline_environment
    from assistant.config import load_config
    from assistant.prepare import prepare_all

    cfg = load_config(config)
    set_offline_environment(cfg.offline)
    prepare_all(cfg, progress=lambda msg: typer.echo(msg, err=True))


@app.command(name="wyoming")
@_errors
def wyoming_server(
    uri: Annotated[str, typer.Option(help="tcp://HOST:PORT, unix://PATH or stdio://.")] = "tcp://127.0.0.1:10700",
    allow_remote: Annotated[
        bool,
        typer.Option(
            "--allow-remote",
            help="Allow a non-loopback host. Wyoming has no authentication: only on a trusted network.",
        ),
    ] = False,
    wake_word: Annotated[str, typer.Option(help="Default wake word (okay_nabu, hey_jarvis, alexa, ...).")] = (
        "okay_nabu"
    ),
    wake_engine: Annotated[str, typer.Option(help="micro (microWakeWord) or open (openWakeWord).")] = "micro",
    sensitivity: Annotated[float, typer.Option(help="Wake-word sensitivity 0..1 (0.5: the model's cut-off).")] = 0.5,
    area: Annotated[str | None, typer.Option(help="The satellite's area, for 'in here'.")] = None,
    config: ConfigOpt = None,
    home: HomeOpt = None,
) -> None:
    """Serve the Wyoming protocol for Home Assistant: speech to text, text to speech, wake word, conversation."""
    from assistant.app import Assistant
    from assistant.interop.access import check_wyoming_uri
    from assistant.interop.wyoming_server import WyomingOptions, serve_wyoming

    check_wyoming_uri(uri, allow_remote=allow_remote)  # refuse before loading anything
    if wake_engine not in ("micro", "open"):
        from contracts.messages import ErrorCode

        raise AssistantError(ErrorCode.CONFIG_INVALID, f"Unknown wake-word engine {wake_engine!r} (micro or open).")
    options = WyomingOptions(
        area=area,
        wake_engine="micro" if wake_engine == "micro" else "open",
        wake_word=wake_word,
        wake_sensitivity=sensitivity,
    )
    assistant = Assistant.create(config, home=home, defer_models=True)

    def listening() -> None:
        typer.echo(f"Wyoming server ready on {uri}", err=True)  # stderr: stdout may be the protocol (stdio://)
        assistant.start_loading()

    try:
        serve_wyoming(assistant, uri, allow_remote=allow_remote, options=options, on_listening=listening)
    finally:
        assistant.close()


@app.command(name="openai-api")
@_errors
def openai_api(
    host: Annotated[str, typer.Option(help="Bind address (another than loopback requires ui.username/password).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    config: ConfigOpt = None,
    home: HomeOpt = None,
) -> None:
    """Serve an OpenAI-compatible chat API (/v1/chat/completions, /v1/models) for Open WebUI and other clients."""
    from assistant.app import Assistant
    from assistant.interop.access import LoginThrottle, check_http_bind, configured_credentials
    from assistant.interop.openai_api import serve_openai

    assistant = Assistant.create(config, home=home, defer_models=True)
    try:
        check_http_bind(assistant.config, host=host, port=port)  # refuse before listening
        credentials = configured_credentials(assistant.config)
        verify = LoginThrottle(credentials.username, credentials.password) if credentials is not None else None
        server = serve_openai(assistant, host, port, verify=verify, block=False)
        typer.echo(f"OpenAI-compatible API ready on {server.url}", err=True)
        assistant.start_loading()
        server.wait()
    finally:
        assistant.close()


@app.command(name="serve-api")
@_errors
def serve_api(
    host: Annotated[str, typer.Option(help="Bind address (another than loopback requires ui.username/password).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port.")] = 8080,
    workers: Annotated[int, typer.Option(help="Worker processes (share the store: set store.url for PostgreSQL).")] = 2,
    config: ConfigOpt = None,
) -> None:
    """Serve the JSON turn API (/api/turn, /api/confirm) and the OpenAI-compatible API on N stateless workers."""
    from assistant.config import load_config
    from assistant.interop.access import check_http_bind
    from assistant.interop.turn_api import serve_workers

    cfg = load_config(config)
    check_http_bind(cfg, host=host, port=port, what="the turn API")  # refuse before listening
    if workers > 1 and not cfg.store.url:
        typer.echo("note: several workers on SQLite share one file; use store.url (PostgreSQL) beyond a few.", err=True)
    typer.echo(f"Serving the turn API on http://{host}:{port} with {workers} worker(s)", err=True)
    serve_workers(host=host, port=port, workers=workers, config=str(config) if config else None)


@app.command(name="llm-server")
@_errors
def llm_server(
    host: Annotated[str, typer.Option(help="Bind address: loopback only (the model server has no sign-in).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port.")] = 8001,
    config: ConfigOpt = None,
) -> None:
    """Serve the configured local LLM over an OpenAI-compatible API, for workers with llm.backend: openai."""
    import uvicorn

    from assistant.config import load_config
    from assistant.interop.access import is_loopback
    from assistant.llm import create_llm
    from assistant.llm.server import create_model_app

    cfg = load_config(config)
    if not is_loopback(host):
        raise AssistantError(
            ErrorCode.CONFIG_INVALID,
            f"Refusing to serve the model on {host}: the model server has no sign-in. Bind it to 127.0.0.1 and "
            "reach it through a private network or an authenticating proxy.",
            details={"host": host},
        )
    llm = create_llm(cfg.llm.model_copy(update={"backend": "local"}), data_dir=cfg.cache_dir)
    if llm is None:
        raise AssistantError(ErrorCode.CONFIG_INVALID, "No local language model is configured.")
    warm = getattr(llm, "warmup", None)
    if callable(warm):
        warm()
    typer.echo(f"Model server ready on http://{host}:{port}/v1", err=True)
    uvicorn.run(create_model_app(llm), host=host, port=port, log_level="warning")


def _mount_optional() -> None:
    try:
        from assistant.skill_cli import skill_app

        app.add_typer(skill_app, name="skill", help="Scaffold and test skills.")
    except ImportError:  # pragma: no cover - the skills platform ships with the package
        pass


_mount_optional()

COMMANDS_GROUP = "assistant.commands"
"""The entry-point group of command plugins: the entry name is the command name, the value a Typer command function
(``serve = "ui.cli:serve"`` in pyproject.toml: the web UI's command lives outside the engine)."""


def _broken_command(name: str, target: str, reason: str) -> Callable[..., None]:
    def broken() -> None:
        raise _fail(
            ErrorCode.CONFIG_INVALID,
            f"The command {name!r} ({target}) could not be loaded: {reason}. Reinstall the package "
            "(pip install -e .) or remove the plugin that provides it.",
        )

    broken.__doc__ = f"(unavailable: {reason})"
    return broken


def _load_command_plugins(group: str = COMMANDS_GROUP, *, target: typer.Typer = app) -> list[str]:
    """Register every command of the entry-point ``group`` on ``target``; returns the names registered.

    A plugin that fails to import (or is not a function) never breaks the other commands: its name is registered as a
    command that prints ``error [config-invalid]: The command 'NAME' (module:attr) could not be loaded: ...`` with
    status 2, no traceback. A plugin reusing an existing command's name is not registered (never a silent overwrite):
    a warning on stderr says so.
    """
    from importlib.metadata import entry_points

    taken = {info.name or getattr(info.callback, "__name__", "") for info in target.registered_commands}
    taken |= {info.name or "" for info in target.registered_groups}
    loaded: list[str] = []
    for entry in sorted(entry_points(group=group), key=lambda e: (e.name, e.value)):
        if entry.name in taken:
            typer.echo(
                f"warning: command plugin {entry.value} ignored: a command named {entry.name!r} already exists.",
                err=True,
            )
            continue
        broken: str | None = None
        try:
            command = entry.load()
        except Exception as exc:  # an ImportError, or whatever the plugin raises at import
            broken = f"{type(exc).__name__}: {exc}"
        else:
            if not callable(command):
                broken = f"{entry.value} is not a function"
        if broken is None:
            target.command(name=entry.name)(command)
        else:
            settings = {"allow_extra_args": True, "ignore_unknown_options": True}
            target.command(name=entry.name, context_settings=settings)(_broken_command(entry.name, entry.value, broken))
        taken.add(entry.name)
        loaded.append(entry.name)
    return loaded


_load_command_plugins()


def main() -> None:
    """Entry point."""
    app(sys.argv[1:])


if __name__ == "__main__":
    main()
