"""Whisper's CUDA path without a GPU: the cuBLAS 12 wheel files found and preloaded, missing ones named, auto → CPU."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, ClassVar

import pytest

from assistant.asr import cuda
from assistant.asr import whisper as whisper_module
from assistant.asr.models import ModelSource
from assistant.asr.whisper import WhisperRecognizer
from assistant.config import AsrConfig
from contracts.messages import AssistantError, ErrorCode


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cuda, "_loaded", None)


def _wheel_site(root: Path, *, nvrtc: bool = True) -> Path:
    """A fake site-packages with the files `pip install nvidia-cublas-cu12` lays out."""
    cublas = root / "nvidia" / "cublas" / "lib"
    cublas.mkdir(parents=True)
    for name in ("libcublasLt.so.12", "libcublas.so.12", "libnvblas.so.12"):
        (cublas / name).write_bytes(b"")
    if nvrtc:
        lib = root / "nvidia" / "cuda_nvrtc" / "lib"
        lib.mkdir(parents=True)
        (lib / "libnvrtc.so.12").write_bytes(b"")
    return root


class _Loader:
    """Records what would be dlopen'ed; names in ``fail`` raise OSError like ctypes does."""

    def __init__(self, fail: set[str] | None = None) -> None:
        self.calls: list[str] = []
        self.fail = fail or set()

    def __call__(self, name: str) -> object:
        self.calls.append(name)
        if name in self.fail or Path(name).name in self.fail:
            raise OSError(f"{name}: cannot open shared object file: No such file or directory")
        return object()


def test_wheel_libraries_are_preloaded_by_path_in_order(tmp_path: Path) -> None:
    site = _wheel_site(tmp_path / "site-packages")
    loader = _Loader()
    loaded = cuda.preload_cuda_libraries(search_paths=["", str(tmp_path / "empty"), str(site)], loader=loader)
    lib = site / "nvidia" / "cublas" / "lib"
    expected = [
        "libcuda.so.1",
        str(lib / "libcublasLt.so.12"),
        str(lib / "libcublas.so.12"),
        str(site / "nvidia" / "cuda_nvrtc" / "lib" / "libnvrtc.so.12"),
    ]
    assert loader.calls == expected
    assert loaded == expected


def test_preload_is_done_once(tmp_path: Path) -> None:
    site = _wheel_site(tmp_path / "site", nvrtc=False)
    loader = _Loader()
    first = cuda.preload_cuda_libraries(search_paths=[str(site)], loader=loader)
    again = cuda.preload_cuda_libraries(search_paths=[str(site)], loader=loader)
    assert first == again and len(loader.calls) == 3


def test_without_the_wheel_a_system_cublas_is_tried_by_soname(tmp_path: Path) -> None:
    loader = _Loader()
    loaded = cuda.preload_cuda_libraries(search_paths=[str(tmp_path)], loader=loader)
    assert loaded == ["libcuda.so.1", "libcublasLt.so.12", "libcublas.so.12"]


def test_missing_cublas_names_the_install_command(tmp_path: Path) -> None:
    loader = _Loader(fail={"libcublasLt.so.12", "libcublas.so.12"})
    with pytest.raises(AssistantError) as info:
        cuda.preload_cuda_libraries(search_paths=[str(tmp_path)], loader=loader)
    err = info.value
    assert err.code is ErrorCode.ASR_UNAVAILABLE
    assert "make gpu" in err.message and "libcublas.so.12" in err.message
    assert err.details["missing"] == ["libcublasLt.so.12", "libcublas.so.12"]
    assert cuda._loaded is None  # a later call tries again (e.g. after `make gpu` in a long-running server)


def test_missing_driver_is_its_own_error(tmp_path: Path) -> None:
    site = _wheel_site(tmp_path / "site")
    loader = _Loader(fail={"libcuda.so.1"})
    with pytest.raises(AssistantError) as info:
        cuda.preload_cuda_libraries(search_paths=[str(site)], loader=loader)
    assert info.value.code is ErrorCode.ASR_UNAVAILABLE
    assert "NVIDIA driver" in info.value.message
    assert loader.calls == ["libcuda.so.1"]


def test_real_loader_on_this_machine_fails_cleanly_or_loads(tmp_path: Path) -> None:
    """ctypes for real: on a machine without the driver the error is an AssistantError, never a bare OSError."""
    try:
        loaded = cuda.preload_cuda_libraries(search_paths=[str(tmp_path)])
    except AssistantError as err:
        assert err.code is ErrorCode.ASR_UNAVAILABLE
    else:
        assert loaded[0] == "libcuda.so.1"


class _FakeWhisperModel:
    created: ClassVar[list[tuple[str, str]]] = []

    def __init__(self, path: str, *, device: str, compute_type: str, **_: Any) -> None:
        type(self).created.append((device, compute_type))
        self.model = type("M", (), {"is_multilingual": False})()

    def transcribe(self, *_: Any, **__: Any) -> tuple[list[Any], None]:
        return [], None


@pytest.fixture()
def fake_whisper(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> type[_FakeWhisperModel]:
    import faster_whisper

    _FakeWhisperModel.created = []
    monkeypatch.setattr(faster_whisper, "WhisperModel", _FakeWhisperModel)
    monkeypatch.setattr(
        whisper_module, "resolve_model", lambda *a, **k: ModelSource(path_or_id=str(tmp_path), local=True)
    )
    return _FakeWhisperModel


def _missing_cublas(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    loader = _Loader(fail={"libcublasLt.so.12", "libcublas.so.12"})
    real = cuda.preload_cuda_libraries

    def preload() -> list[str]:
        return real(search_paths=[str(tmp_path / "no-wheels")], loader=loader)

    monkeypatch.setattr(whisper_module, "preload_cuda_libraries", preload)


def test_auto_falls_back_to_cpu_int8_with_a_warning(
    fake_whisper: type[_FakeWhisperModel],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _missing_cublas(monkeypatch, tmp_path)
    rec = WhisperRecognizer(AsrConfig(device="auto"), data_dir=tmp_path, cuda_devices=lambda: 1)
    assert (rec.device, rec.compute_type) == ("cuda", "float16")
    with caplog.at_level(logging.WARNING, logger=whisper_module.__name__):
        rec.warmup()
    assert (rec.device, rec.compute_type) == ("cpu", "int8")
    assert fake_whisper.created == [("cpu", "int8")]  # the CUDA model was never built
    assert any("falling back to CPU int8" in r.getMessage() and "make gpu" in r.getMessage() for r in caplog.records)


def test_explicit_cuda_without_cublas_is_asr_unavailable(
    fake_whisper: type[_FakeWhisperModel], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _missing_cublas(monkeypatch, tmp_path)
    rec = WhisperRecognizer(AsrConfig(device="cuda"), data_dir=tmp_path, cuda_devices=lambda: 1)
    with pytest.raises(AssistantError) as info:
        rec.warmup()
    assert info.value.code is ErrorCode.ASR_UNAVAILABLE
    assert "make gpu" in info.value.message
    assert fake_whisper.created == []
    assert rec.device == "cuda"


def test_cuda_with_libraries_builds_the_float16_model_after_preloading(
    fake_whisper: type[_FakeWhisperModel], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    order: list[str] = []
    monkeypatch.setattr(whisper_module, "preload_cuda_libraries", lambda: order.append("preload") or [])
    real_init = _FakeWhisperModel.__init__

    def init(self: _FakeWhisperModel, path: str, **kwargs: Any) -> None:
        order.append("model")
        real_init(self, path, **kwargs)

    monkeypatch.setattr(_FakeWhisperModel, "__init__", init)
    rec = WhisperRecognizer(AsrConfig(device="cuda", load="start"), data_dir=tmp_path, cuda_devices=lambda: 1)
    assert (rec.device, rec.compute_type) == ("cuda", "float16")
    assert order == ["preload", "model"]
    assert fake_whisper.created == [("cuda", "float16")]


def test_cpu_never_preloads(
    fake_whisper: type[_FakeWhisperModel], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def boom() -> list[str]:
        raise AssertionError("CPU must not touch CUDA libraries")

    monkeypatch.setattr(whisper_module, "preload_cuda_libraries", boom)
    rec = WhisperRecognizer(AsrConfig(device="cpu", load="start"), data_dir=tmp_path, cuda_devices=lambda: 1)
    assert rec.device == "cpu" and fake_whisper.created == [("cpu", "int8")]


def test_check_reports_wheel_files_and_passes_without_a_driver(tmp_path: Path) -> None:
    site = _wheel_site(tmp_path / "site")
    ok, lines = cuda.check(search_paths=[str(site)], loader=_Loader(fail={"libcuda.so.1"}))
    assert ok
    assert any(line.startswith("libcublas.so.12: ") and str(site) in line for line in lines)
    assert any("NVIDIA driver" in line for line in lines)
    assert any(line.startswith("torch ") for line in lines)


def test_check_fails_when_the_wheel_files_are_missing(tmp_path: Path) -> None:
    ok, lines = cuda.check(search_paths=[str(tmp_path)], loader=_Loader())
    assert not ok
    assert "libcublas.so.12: not found in site-packages/nvidia" in lines
