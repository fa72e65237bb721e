"""A small JSON API for turns and the app that stateless workers serve.

- ``POST /api/turn`` ``{"text", "conversation_id"?, "area"?, "request_id"?}`` → the turn as ``assistant ask --json``
  prints it. ``request_id`` (any client-chosen id) becomes the turn id: retrying a request after a worker died
  replaces the stored turn instead of adding a second one. Status 403 for another owner's conversation, 413 for a
  text too long, 409 (``conversation-busy`` / ``conversation-conflict``) while another worker runs a turn of it.
- ``POST /api/confirm`` ``{"conversation_id", "pending_id", "yes", "pin"?}`` answers one pending sensitive action.
- ``GET /api/pending/{conversation_id}`` → the pending action or null; ``GET /api/health`` → status and worker pid.

Every worker holds nothing a conversation needs between requests: turns, owners and pending confirmations are in
the store (``store.url`` for several workers), so a load balancer may send each request to any worker.
``create_worker_app`` is the uvicorn factory ``assistant serve-api --workers N`` runs (the OpenAI-compatible API on
``/v1`` too). The web UI (Gradio) keeps per-browser state in its process, so it is not served by these workers:
``assistant serve --workers N`` runs N processes of the UI app (which mounts ``create_turn_router`` too) on N ports
behind a sticky proxy (docs/DEPLOY.md).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from assistant.interop.openai_api import API_OWNER, AuthCheck, auth_check_from_config, create_openai_router
from contracts.messages import AssistantError, ErrorCode

__all__ = ["CONFIG_ENV", "create_turn_router", "create_worker_app", "serve_workers"]

CONFIG_ENV = "ASSISTANT_WORKER_CONFIG"
"""Environment variable naming the config file each worker loads (set by ``serve_workers``)."""

_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_STATUS = {
    ErrorCode.CONVERSATION_FORBIDDEN.value: 403,
    ErrorCode.INPUT_TOO_LONG.value: 413,
    ErrorCode.CONVERSATION_BUSY.value: 409,  # another turn of it runs on another worker: retry shortly
    ErrorCode.CONVERSATION_CONFLICT.value: 409,
}


class TurnRequest(BaseModel):
    """One typed turn."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(max_length=100_000)
    conversation_id: str | None = Field(default=None, pattern=_ID.pattern)
    area: str | None = Field(default=None, max_length=100)
    request_id: str | None = Field(default=None, pattern=_ID.pattern)


class ConfirmRequest(BaseModel):
    """An answer to one pending sensitive action."""

    model_config = ConfigDict(extra="forbid")
    conversation_id: str = Field(pattern=_ID.pattern)
    pending_id: str = Field(max_length=64)
    yes: bool
    pin: str | None = Field(default=None, max_length=32)
    request_id: str | None = Field(default=None, pattern=_ID.pattern)


def _owner(user: str | None) -> str:
    return f"user:{user}" if user else API_OWNER


def _reply(result: Any) -> JSONResponse:
    from assistant.serialize import turn_to_dict

    status = _STATUS.get(result.error or "", 200)
    return JSONResponse(turn_to_dict(result), status_code=status)


def create_turn_router(assistant: Any, *, auth_check: AuthCheck) -> APIRouter:
    """``/api/turn``, ``/api/confirm``, ``/api/pending/{id}`` and ``/api/health`` over ``assistant``."""
    router = APIRouter(prefix="/api")

    def user_of(request: Request) -> str | None:
        return auth_check(request)

    @router.get("/health")
    def health() -> Any:
        return {"status": "ok", "worker": os.getpid(), "models": assistant.models_status()}

    @router.post("/turn")
    def turn(request: Request, body: TurnRequest) -> Any:
        owner = _owner(user_of(request))
        try:
            result = assistant.handle_text(
                body.text,
                conversation_id=body.conversation_id,
                area=body.area,
                owner=owner,
                request_id=body.request_id,
            )
        except AssistantError as exc:
            raise HTTPException(400, {"code": exc.code.value, "message": exc.message}) from exc
        return _reply(result)

    @router.post("/confirm")
    def confirm(request: Request, body: ConfirmRequest) -> Any:
        owner = _owner(user_of(request))
        result = assistant.answer_confirmation(
            body.conversation_id, yes=body.yes, pending_id=body.pending_id, pin=body.pin, owner=owner
        )
        return _reply(result)

    @router.get("/pending/{conversation_id}")
    def pending(request: Request, conversation_id: str) -> Any:
        view = assistant.pending(conversation_id, owner=_owner(user_of(request)))
        if view is None:
            return None
        return {"id": view.id, "question": view.question, "needs_pin": view.needs_pin, "expires_at": view.expires_at}

    return router


def create_worker_app() -> FastAPI:
    """The app of one worker process: its own Assistant on the shared store, the turn and OpenAI APIs."""
    from assistant import Assistant

    assistant = Assistant.create(config=os.environ.get(CONFIG_ENV) or None)
    auth = auth_check_from_config(assistant.config)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        assistant.close()

    app = FastAPI(title="assistant worker", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.include_router(create_turn_router(assistant, auth_check=auth))
    app.include_router(create_openai_router(assistant, auth_check=auth))
    return app


def serve_workers(*, host: str, port: int, workers: int, config: str | None = None) -> None:
    """Run ``workers`` uvicorn worker processes of ``create_worker_app`` on one port (blocks)."""
    import uvicorn

    if config:
        os.environ[CONFIG_ENV] = str(config)
    uvicorn.run(
        "assistant.interop.turn_api:create_worker_app",
        factory=True,
        host=host,
        port=port,
        workers=max(1, workers),
        log_level="warning",
        timeout_graceful_shutdown=10,
    )
