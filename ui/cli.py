"""``assistant serve``: the web UI's command, registered through the ``assistant.commands`` entry-point group
(pyproject.toml), so the engine's CLI never imports ``ui``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["serve"]

# the same options as assistant.cli's; not imported from there, so importing this module first never meets a
# half-initialized assistant.cli (which loads this module while it is being imported)
ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="A YAML config file (over the defaults).")]
HomeOpt = Annotated[Path | None, typer.Option("--home", help="A home file (synthetic-home YAML or HA fixture JSON).")]


def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default from config: 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from config: 7860).")] = None,
    workers: Annotated[
        int,
        typer.Option(
            help="UI processes, on ports PORT, PORT+1, ...: put a sticky load balancer in front (docs/DEPLOY.md).",
            min=1,
            max=64,
        ),
    ] = 1,
    config: ConfigOpt = None,
    home: HomeOpt = None,
) -> None:
    """Serve the web UI, the JSON turn API (/api) and the OpenAI-compatible API (/v1) (binds to 127.0.0.1 unless
    configured; other addresses require auth)."""
    from assistant.cli import command_errors  # error [code]: message, status 2, no traceback

    command_errors(_serve)(host=host, port=port, workers=workers, config=config, home=home)


def _serve(*, host: str | None, port: int | None, workers: int, config: Path | None, home: Path | None) -> None:
    if workers > 1:
        _serve_processes(host=host, port=port, workers=workers, config=config, home=home)
        return
    import time

    from assistant.app import Assistant
    from ui.asgi import serve_asgi

    started = time.perf_counter()
    # the UI listens first; models load in the background after that and requests wait for them
    assistant = Assistant.create(config, home=home, defer_models=True)

    def loaded(status: dict[str, Any]) -> None:
        took = time.perf_counter() - started
        typer.echo(f"Assistant models {status['state']} {took:.1f} s after start: {status['message']}")

    def listening() -> None:
        assistant.start_loading(on_ready=loaded)
        assistant.watch_skills()

    serve_asgi(
        assistant,
        host=host or assistant.config.ui.host,
        port=port or assistant.config.ui.port,
        on_listening=listening,
    )


def _serve_processes(
    *, host: str | None, port: int | None, workers: int, config: Path | None, home: Path | None
) -> None:
    from assistant.config import load_config
    from ui.asgi import serve_processes

    cfg = load_config(config)
    if not cfg.store.url:
        typer.echo(
            "note: the UI processes share one SQLite file; use store.url (PostgreSQL) beyond a few.",
            err=True,
        )
    args: list[str] = []
    if config is not None:
        args += ["--config", str(config)]
    if home is not None:
        args += ["--home", str(home)]
    serve_processes(
        config=cfg,
        host=host or cfg.ui.host,
        port=port or cfg.ui.port,
        workers=workers,
        worker_args=args,
    )
