"""An OpenAI-compatible chat endpoint: ``POST /v1/chat/completions`` (plain or SSE streaming) and ``GET /v1/models``.

Clients such as Open WebUI talk to the assistant as if it were a model. Only the **last user message** is new input:
it runs as one turn of an assistant conversation (``Assistant.handle_text`` / ``stream_text``), so it can control
the home, and a sensitive action (unlock, garage) still waits for a "yes" turn in the same conversation.

Which conversation (first match wins):

1. the ``X-Conversation-Id`` request header (or Open WebUI's forwarded ``X-OpenWebUI-Chat-Id``), used as the id;
2. the request's ``user`` field: one running conversation per user;
3. the message history: a request whose earlier messages are exactly a conversation this server answered (the
   client sends back our replies) continues it, so a chat client that resends the whole history keeps its context;
4. otherwise a new conversation.

The conversation id is returned in the ``X-Conversation-Id`` response header and the ``conversation_id`` field.
The owner is the signed-in user (``user:NAME``); without auth (loopback only) it is ``openai:USER`` for a request
with a ``user`` field, else ``api`` (the same shared owner as the web UI's ``/chat`` API).

``create_openai_router(assistant, auth_check=...)`` can be mounted beside the web UI; ``serve_openai`` serves it alone.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from assistant.interop.access import (
    Credentials,
    LoginThrottle,
    Verify,
    check_http_bind,
    configured_credentials,
    constant_time_verify,
)
from contracts.messages import AssistantError, ErrorCode, TurnResult

__all__ = [
    "API_OWNER",
    "MODEL_ID",
    "AuthCheck",
    "OpenAIServer",
    "auth_check_from_config",
    "create_openai_app",
    "create_openai_router",
    "http_auth_check",
    "serve_openai",
]

_log = logging.getLogger("assistant.openai_api")

AuthCheck = Callable[[Request], str | None]
"""Returns the signed-in username (None: open access, loopback without auth) or raises ``HTTPException(401)``."""

MODEL_ID = "assistant"
"""The one model ``/v1/models`` lists."""
API_OWNER = "api"
"""The owner of conversations without a signed-in user or a ``user`` field (as the web UI's /chat API)."""

_CONVERSATION_HEADERS = ("x-conversation-id", "x-openwebui-chat-id")
_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_HISTORY_KEYS = 4096
_STATUS = {
    ErrorCode.CONVERSATION_FORBIDDEN: 403,
    ErrorCode.AUTH_INVALID: 401,
    ErrorCode.AUTH_THROTTLED: 429,
    ErrorCode.MODEL_UNAVAILABLE: 503,
    ErrorCode.LLM_UNAVAILABLE: 503,
    ErrorCode.ASR_UNAVAILABLE: 503,
    ErrorCode.STORE_LOCKED: 503,
    ErrorCode.STORE_UNAVAILABLE: 503,
    ErrorCode.INTERNAL: 500,
}


class ChatMessage(BaseModel):
    """One message of the request (OpenAI shape; unknown fields are kept and ignored)."""

    model_config = ConfigDict(extra="allow")

    role: str
    """``system``, ``user``, ``assistant``, ``tool`` …"""
    content: str | list[dict[str, Any]] | None = None
    """Text, or a list of content parts (only ``text`` parts are read)."""

    def text(self) -> str:
        """The message's text."""
        if isinstance(self.content, str):
            return self.content
        if isinstance(self.content, list):
            return "\n".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return ""


class ChatRequest(BaseModel):
    """``POST /v1/chat/completions`` body (sampling options are accepted and ignored)."""

    model_config = ConfigDict(extra="allow")

    model: str = MODEL_ID
    """Any id (the assistant is the only model)."""
    messages: list[ChatMessage] = Field(min_length=1)
    """The chat so far; the last user message is the new turn."""
    stream: bool = False
    """Server-sent events, one chunk per reply piece."""
    user: str | None = Field(default=None, max_length=256)
    """Keys a conversation (and, without auth, its owner)."""


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    kind = {401: "authentication_error", 403: "permission_error", 429: "rate_limit_error"}.get(
        status, "invalid_request_error" if status < 500 else "server_error"
    )
    body = {"error": {"message": message, "type": kind, "code": code, "param": None}}
    return JSONResponse(body, status_code=status, headers=headers)


def _assistant_error(exc: AssistantError) -> JSONResponse:
    status = _STATUS.get(exc.code, 400 if exc.code.value.startswith("input-") else 500)
    return _error(status, exc.code.value, exc.message)


# ---------------------------------------------------------------------- auth


def http_auth_check(credentials: Credentials | None, *, verify: Verify | None = None) -> AuthCheck:
    """The web UI's rule for HTTP APIs.

    With credentials: HTTP Basic (username and password) or ``Authorization: Bearer PASSWORD``, checked by
    ``verify`` (pass a ``LoginThrottle`` to share its back-off; default: a constant-time comparison).
    Without: open (only ever served on loopback: ``check_http_bind`` and the UI's ``launch_options`` refuse more).
    """
    if credentials is None:
        return lambda request: None
    check = verify or constant_time_verify(credentials)
    challenge = {"WWW-Authenticate": 'Basic realm="assistant", charset="UTF-8"'}

    def auth(request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        scheme, value = scheme.lower(), value.strip()
        if scheme == "bearer" and value:
            if check(credentials.username, value):
                return credentials.username
        elif scheme == "basic" and value:
            try:
                user, sep, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user, sep, password = "", "", ""
            if sep and check(user, password):
                return user
        raise HTTPException(
            401, "Sign in: HTTP Basic with the UI's username and password, or Bearer PASSWORD.", challenge
        )

    return auth


def auth_check_from_config(config: Any, *, verify: Verify | None = None) -> AuthCheck:
    """``http_auth_check`` with ``ui.username`` / ``ui.password`` (or their environment variables).

    Without ``verify`` the check is a ``LoginThrottle`` (constant-time, with the web UI's back-off after failures).
    """
    credentials = configured_credentials(config)
    if verify is None and credentials is not None:
        verify = LoginThrottle(credentials.username, credentials.password)
    return http_auth_check(credentials, verify=verify)


# ---------------------------------------------------------------------- conversations


def _history_key(owner: str, messages: list[tuple[str, str]]) -> str:
    data = json.dumps([owner, messages], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()


def _dialogue(messages: list[ChatMessage]) -> list[tuple[str, str]]:
    """User and assistant messages, whitespace-trimmed (system prompts and tool messages do not key a chat)."""
    return [(m.role, m.text().strip()) for m in messages if m.role in ("user", "assistant")]


class _Conversations:
    """Maps a chat's history (what the client will send back next) to our conversation id; bounded, thread-safe."""

    def __init__(self, limit: int = _HISTORY_KEYS) -> None:
        self._keys: OrderedDict[str, str] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def find(self, key: str) -> str | None:
        with self._lock:
            cid = self._keys.get(key)
            if cid is not None:
                self._keys.move_to_end(key)
            return cid

    def remember(self, key: str, conversation_id: str) -> None:
        with self._lock:
            self._keys[key] = conversation_id
            self._keys.move_to_end(key)
            while len(self._keys) > self._limit:
                self._keys.popitem(last=False)


# ---------------------------------------------------------------------- the router


def create_openai_router(
    assistant: Any, *, auth_check: AuthCheck, model_id: str = MODEL_ID, prefix: str = "/v1"
) -> APIRouter:
    """``GET {prefix}/models`` and ``POST {prefix}/chat/completions`` over ``assistant``, guarded by ``auth_check``."""
    router = APIRouter(prefix=prefix)
    chats = _Conversations()
    started = int(time.time())

    def authenticate(request: Request) -> tuple[str | None, JSONResponse | None]:
        try:
            return auth_check(request), None
        except HTTPException as exc:
            headers = dict(exc.headers or {})
            code = ErrorCode.AUTH_THROTTLED.value if exc.status_code == 429 else ErrorCode.AUTH_INVALID.value
            return None, _error(exc.status_code, code, str(exc.detail), headers)

    @router.get("/models")
    def list_models(request: Request) -> Any:
        _, refused = authenticate(request)
        if refused is not None:
            return refused
        model = {"id": model_id, "object": "model", "created": started, "owned_by": "assistant"}
        return {"object": "list", "data": [model]}

    @router.post("/chat/completions")
    def chat_completions(request: Request, body: ChatRequest) -> Any:
        user, refused = authenticate(request)
        if refused is not None:
            return refused
        owner = f"user:{user}" if user else (f"openai:{body.user}" if body.user else API_OWNER)
        last = next((i for i in range(len(body.messages) - 1, -1, -1) if body.messages[i].role == "user"), None)
        if last is None:
            return _error(400, ErrorCode.INPUT_EMPTY.value, "There is no user message to answer.")
        text = body.messages[last].text()
        prior = _dialogue(body.messages[:last])
        header = next((request.headers[h] for h in _CONVERSATION_HEADERS if request.headers.get(h)), None)
        if header is not None:
            if not _ID.fullmatch(header.strip()):
                return _error(
                    400, ErrorCode.INPUT_INVALID.value, "X-Conversation-Id must be 1-64 letters, digits or _.:-"
                )
            conversation_id = header.strip()
        elif body.user:
            conversation_id = "openai-" + hashlib.sha256(f"{owner}\x00{body.user}".encode()).hexdigest()[:32]
        else:
            known = chats.find(_history_key(owner, prior)) if prior else None
            conversation_id = known or f"openai-{uuid.uuid4().hex}"
        owns = getattr(getattr(assistant, "pipeline", None), "owns", None)
        if callable(owns) and not owns(conversation_id, owner):
            return _error(403, ErrorCode.CONVERSATION_FORBIDDEN.value, "That conversation belongs to someone else.")

        def remember(result: TurnResult) -> None:
            chats.remember(
                _history_key(owner, [*prior, ("user", text.strip()), ("assistant", result.reply.strip())]),
                result.conversation_id,
            )

        headers = {"X-Conversation-Id": conversation_id}
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())
        if body.stream:
            return StreamingResponse(
                _sse(assistant, text, conversation_id, owner, completion_id, created, body.model, remember),
                media_type="text/event-stream",
                headers={**headers, "Cache-Control": "no-cache"},
            )
        try:
            result = assistant.handle_text(text, conversation_id=conversation_id, owner=owner)
        except AssistantError as exc:
            return _assistant_error(exc)
        if result.error == ErrorCode.CONVERSATION_FORBIDDEN.value:
            return _error(403, result.error, result.reply)
        remember(result)
        payload = {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": body.model,
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": result.reply}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            **_extras(result),
        }
        return JSONResponse(payload, headers=headers)

    return router


def _extras(result: TurnResult) -> dict[str, Any]:
    """Non-standard fields (OpenAI clients ignore them): what the turn did."""
    return {
        "conversation_id": result.conversation_id,
        "needs_confirmation": result.needs_confirmation,
        "error_code": result.error,
        "actions": [{"service": a.service, "entity_id": a.entity_id, "success": a.success} for a in result.actions],
    }


def _sse(
    assistant: Any,
    text: str,
    conversation_id: str,
    owner: str,
    completion_id: str,
    created: int,
    model: str,
    remember: Callable[[TurnResult], None],
) -> Iterator[str]:
    """Server-sent events: a role chunk, the reply pieces, a final chunk with finish_reason, then [DONE]."""

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        data = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    sent = ""
    try:
        for item in assistant.stream_text(text, conversation_id=conversation_id, owner=owner):
            if isinstance(item, TurnResult):
                rest = (
                    item.reply[len(sent) :]
                    if item.reply.startswith(sent)
                    else ("\n" + item.reply if sent else item.reply)
                )
                if rest:
                    yield chunk({"content": rest})
                remember(item)
                yield chunk({}, "stop", **_extras(item))
                break
            if item:
                sent += item
                yield chunk({"content": item})
    except AssistantError as exc:
        error = {"message": exc.message, "type": "server_error", "code": exc.code.value, "param": None}
        yield f"data: {json.dumps({'error': error}, ensure_ascii=False)}\n\n"
    except Exception:
        _log.exception("streamed turn failed")
        error = {"message": "Sorry, something went wrong.", "type": "server_error", "code": "internal-error"}
        yield f"data: {json.dumps({'error': error})}\n\n"
    yield "data: [DONE]\n\n"


# ---------------------------------------------------------------------- serving alone


def create_openai_app(assistant: Any, *, auth_check: AuthCheck) -> FastAPI:
    """A FastAPI app with only the OpenAI routes (no docs pages)."""
    app = FastAPI(title="assistant", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(create_openai_router(assistant, auth_check=auth_check))
    return app


class OpenAIServer:
    """A running uvicorn server (``serve_openai(..., block=False)``); ``port=0`` picks a free port."""

    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        import uvicorn

        self.host = host
        self.port = port
        self._server = uvicorn.Server(
            uvicorn.Config(app, host=host.strip("[]"), port=port, log_level="warning", access_log=False)
        )
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL clients use (``…/v1``)."""
        shown = f"[{self.host.strip('[]')}]" if ":" in self.host else self.host
        return f"http://{shown}:{self.port}/v1"

    def start(self, timeout_s: float = 15.0) -> OpenAIServer:
        """Serve in a background thread; returns once it listens."""
        self._thread = threading.Thread(target=self._server.run, name="openai-api", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise AssistantError(
                    ErrorCode.CONFIG_INVALID,
                    f"The OpenAI-compatible API could not listen on {self.host}:{self.port}.",
                    details={"key": "port"},
                )
            time.sleep(0.02)
        for server in getattr(self._server, "servers", []):
            for sock in server.sockets:
                self.port = int(sock.getsockname()[1])
                break
        return self

    def run(self) -> None:
        """Serve in this thread until interrupted."""
        self._server.run()

    def wait(self) -> None:
        """Block until the server stops (Ctrl-C stops it)."""
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(timeout=0.5)
        except KeyboardInterrupt:  # pragma: no cover - interactive stop
            self.stop()

    def stop(self) -> None:
        """Stop serving."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_openai(
    assistant: Any,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    verify: Verify | None = None,
    block: bool = True,
) -> OpenAIServer:
    """Serve the OpenAI-compatible API alone. Like the web UI: a non-loopback ``host`` needs ``ui.username`` and
    ``ui.password`` (config-invalid otherwise), and then every request must authenticate.

    ``block=False`` returns the started server (``.url``, ``.stop()``); otherwise serves until interrupted.
    """
    credentials = check_http_bind(assistant.config, host=host, port=port or 1)
    check = http_auth_check(credentials, verify=verify)
    server = OpenAIServer(create_openai_app(assistant, auth_check=check), host, port)
    if not block:
        return server.start()
    server.run()
    return server
