"""The CUDA 12 libraries CTranslate2 loads when Whisper runs on a GPU, found where `make gpu` installs them.

The CTranslate2 4.8.5 Linux wheel links the CUDA runtime statically and opens two things at run time by name: the
driver (``libcuda.so.1``, from the NVIDIA driver) and cuBLAS 12 (``libcublas.so.12``, which needs
``libcublasLt.so.12``). It has no cuDNN reference (CTranslate2 has its own CUDA Conv1D). pip puts cuBLAS under
``site-packages/nvidia/cublas/lib``, which the dynamic loader does not search; loading those files by path first
(RTLD_GLOBAL) makes CTranslate2's later ``dlopen("libcublas.so.12")`` find them without ``LD_LIBRARY_PATH``.
"""

from __future__ import annotations

import ctypes
import logging
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from contracts.messages import AssistantError, ErrorCode

__all__ = ["DRIVER", "INSTALL_COMMAND", "REQUIRED", "check", "find_library", "main", "preload_cuda_libraries"]

log = logging.getLogger(__name__)

INSTALL_COMMAND = "make gpu"
"""What installs the wheels (see the Makefile and docs/DEPLOY.md)."""
DRIVER = "libcuda.so.1"
REQUIRED: tuple[tuple[str, str], ...] = (
    ("cublas", "libcublasLt.so.12"),
    ("cublas", "libcublas.so.12"),
)
"""(folder under site-packages/nvidia, soname) in load order: cuBLASLt before cuBLAS, which needs it."""
OPTIONAL: tuple[tuple[str, str], ...] = (("cuda_nvrtc", "libnvrtc.so.12"),)
"""Loaded when present (a dependency of the cuBLAS wheel that cuBLASLt opens for some kernels)."""

Loader = Callable[[str], Any]

_lock = threading.Lock()
_loaded: list[str] | None = None


def _default_loader(name: str) -> Any:
    return ctypes.CDLL(name, mode=ctypes.RTLD_GLOBAL)


def find_library(folder: str, soname: str, search_paths: Sequence[str] | None = None) -> Path | None:
    """``<entry>/nvidia/<folder>/lib/<soname>`` for the first ``sys.path`` entry (or given path) that has it."""
    for entry in sys.path if search_paths is None else search_paths:
        if not entry:
            continue
        candidate = Path(entry) / "nvidia" / folder / "lib" / soname
        if candidate.is_file():
            return candidate
    return None


def preload_cuda_libraries(
    *, search_paths: Sequence[str] | None = None, loader: Loader | None = None, force: bool = False
) -> list[str]:
    """Load the driver and cuBLAS 12 (wheel files by path, else the system's by soname); what was loaded, in order.

    Raises ``AssistantError`` (asr-unavailable) naming ``make gpu`` when the driver or cuBLAS 12 cannot be loaded.
    Idempotent: after one success it returns the same list without loading again (unless ``force``).
    """
    global _loaded
    load = loader or _default_loader
    with _lock:
        if _loaded is not None and not force:
            return list(_loaded)
        loaded: list[str] = []
        try:
            load(DRIVER)
        except OSError as exc:
            raise AssistantError(
                ErrorCode.ASR_UNAVAILABLE,
                f"Speech recognition on CUDA needs the NVIDIA driver ({DRIVER}), which could not be loaded: {exc}",
                details={"device": "cuda", "library": DRIVER},
            ) from exc
        loaded.append(DRIVER)
        missing: list[str] = []
        for folder, soname in REQUIRED:
            path = find_library(folder, soname, search_paths)
            try:
                load(str(path) if path else soname)  # by soname: a system CUDA 12 or LD_LIBRARY_PATH still works
            except OSError as exc:
                log.debug("Could not load %s (%s): %s", soname, path, exc)
                missing.append(soname)
                continue
            loaded.append(str(path) if path else soname)
        if missing:
            raise AssistantError(
                ErrorCode.ASR_UNAVAILABLE,
                f"Speech recognition on CUDA needs the CUDA 12 library {', '.join(missing)} (cuBLAS 12), which "
                f"could not be loaded. Install it into the project's .venv with `{INSTALL_COMMAND}`, "
                "or set asr.device to cpu.",
                details={"device": "cuda", "missing": missing, "install": INSTALL_COMMAND},
            )
        for folder, soname in OPTIONAL:
            path = find_library(folder, soname, search_paths)
            if path is None:
                continue
            try:
                load(str(path))
            except OSError as exc:
                log.debug("Optional %s not loaded: %s", path, exc)
                continue
            loaded.append(str(path))
        _loaded = loaded
        log.info("CUDA libraries for CTranslate2: %s", ", ".join(loaded))
        return list(loaded)


def check(search_paths: Sequence[str] | None = None, loader: Loader | None = None) -> tuple[bool, list[str]]:
    """What ``make gpu`` prints: the wheel files found, whether they load here, and torch's build.

    True when every cuBLAS 12 file was found in a wheel folder (a machine without a GPU or driver still passes).
    """
    lines: list[str] = []
    found = True
    for folder, soname in REQUIRED + OPTIONAL:
        path = find_library(folder, soname, search_paths)
        lines.append(f"{soname}: {path or 'not found in site-packages/nvidia'}")
        found = found and (path is not None or (folder, soname) in OPTIONAL)
    try:
        preload_cuda_libraries(search_paths=search_paths, loader=loader, force=True)
        lines.append("Loaded: the NVIDIA driver and cuBLAS 12 load in this process.")
    except AssistantError as err:
        lines.append(f"Not loadable here: {err.message}")
    try:
        import torch

        if torch.version.cuda is None:
            lines.append(
                f"torch {torch.__version__} is a CPU build: the LLM and embeddings stay on the CPU. PyPI's "
                "torch==2.13.0 for Linux x86_64 is a CUDA 13 build (docs/DEPLOY.md, GPU)."
            )
        else:
            lines.append(
                f"torch {torch.__version__} (CUDA {torch.version.cuda}); GPU visible: {torch.cuda.is_available()}"
            )
    except ImportError:  # pragma: no cover - torch is in requirements.lock
        lines.append("torch is not installed.")
    return found, lines


def main() -> int:
    """Print ``check()``'s report; exit status 1 when the cuBLAS 12 wheel files are missing (`make gpu` runs this)."""
    ok, report = check()
    print("\n".join(report))
    return 0 if ok else 1
