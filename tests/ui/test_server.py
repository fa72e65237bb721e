"""Serving rules: loopback by default, auth required elsewhere, upload limits, no sharing or analytics."""

from __future__ import annotations

import pytest

from assistant.config import load_config
from assistant.messages import AssistantError, ErrorCode
from ui.server import is_loopback, launch_options


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("127.0.1.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.168.1.20", False),
        ("::", False),
        ("myhost.lan", False),
    ],
)
def test_is_loopback(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected


def test_loopback_needs_no_auth_and_never_shares(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSISTANT_UI__PASSWORD", raising=False)
    monkeypatch.delenv("ASSISTANT_UI__USERNAME", raising=False)
    opts = launch_options(load_config(), host="127.0.0.1", port=7860)
    assert opts["auth"] is None and opts["share"] is False
    assert opts["server_name"] == "127.0.0.1" and opts["server_port"] == 7860
    assert opts["max_file_size"] == "25mb"
    assert opts["enable_monitoring"] is False and opts["mcp_server"] is False


def test_non_loopback_without_auth_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSISTANT_UI__PASSWORD", raising=False)
    monkeypatch.delenv("ASSISTANT_UI__USERNAME", raising=False)
    with pytest.raises(AssistantError) as err:
        launch_options(load_config(), host="0.0.0.0", port=7860)
    assert err.value.code == ErrorCode.CONFIG_INVALID
    assert "requires ui.username and ui.password" in err.value.message


def test_non_loopback_with_auth_from_config_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = load_config(ui={"username": "ann", "password": "s3cret", "max_upload_mb": 5})
    opts = launch_options(cfg, host="0.0.0.0", port=8080)
    assert opts["auth"] == ("ann", "s3cret") and opts["max_file_size"] == "5mb"
    monkeypatch.setenv("ASSISTANT_UI__PASSWORD", "from-env")
    env_cfg = load_config(ui={"username": "bob"})
    assert launch_options(env_cfg, host="192.168.1.5", port=8080)["auth"] == ("bob", "from-env")


def test_password_without_username_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSISTANT_UI__USERNAME", raising=False)
    monkeypatch.delenv("ASSISTANT_UI__PASSWORD", raising=False)
    with pytest.raises(AssistantError) as err:
        launch_options(load_config(ui={"password": "x"}), host="127.0.0.1", port=7860)
    assert err.value.details["key"] == "ui.username"


def test_invalid_port() -> None:
    with pytest.raises(AssistantError):
        launch_options(load_config(), host="127.0.0.1", port=70000)
