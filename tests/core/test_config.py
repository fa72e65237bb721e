from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Config, load_config
from contracts.messages import AssistantError, ErrorCode


def test_defaults_load_unedited(data_dir: Path) -> None:
    cfg = load_config()
    assert isinstance(cfg, Config)
    assert cfg.asr.model == "tiny.en"
    assert cfg.ui.host == "127.0.0.1"
    assert cfg.data_dir == data_dir
    assert cfg.offline is True


def test_env_override_nested(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_UI__PORT", "7999")
    monkeypatch.setenv("ASSISTANT_ASR__DEVICE", "cpu")
    cfg = load_config()
    assert cfg.ui.port == 7999
    assert cfg.asr.device == "cpu"


def test_user_file_overrides_defaults(tmp_path: Path) -> None:
    user = tmp_path / "user.yaml"
    user.write_text("nlu:\n  semantic_threshold: 0.7\n")
    cfg = load_config(user)
    assert cfg.nlu.semantic_threshold == 0.7
    assert cfg.nlu.templates is True


def test_unknown_key_names_the_key(tmp_path: Path) -> None:
    user = tmp_path / "bad.yaml"
    user.write_text("asr:\n  modle: tiny.en\n")
    with pytest.raises(AssistantError) as info:
        load_config(user)
    assert info.value.code is ErrorCode.CONFIG_INVALID
    assert "asr.modle" in info.value.message


def test_bad_value_names_the_key(tmp_path: Path) -> None:
    user = tmp_path / "bad.yaml"
    user.write_text("ui:\n  port: not-a-port\n")
    with pytest.raises(AssistantError) as info:
        load_config(user)
    assert "ui.port" in info.value.message


def test_bad_yaml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("asr: [unclosed\n")
    with pytest.raises(AssistantError) as info:
        load_config(bad)
    assert info.value.code is ErrorCode.CONFIG_INVALID
    with pytest.raises(AssistantError) as info2:
        load_config(tmp_path / "nope.yaml")
    assert "not found" in info2.value.message


def test_bad_env_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_ASR__DEVICE", "tpu")
    with pytest.raises(AssistantError) as info:
        load_config()
    assert "asr.device" in info.value.message


def test_explicit_overrides_beat_the_environment(data_dir: Path, tmp_path: Path) -> None:
    from assistant.config import load_config

    assert load_config().data_dir == data_dir  # the environment beats config/default.yaml
    chosen = tmp_path / "chosen"
    assert load_config(data_dir=str(chosen)).data_dir == chosen  # and an explicit override beats the environment
