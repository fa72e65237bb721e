"""Serving rules: loopback by default, auth required elsewhere, upload limits, no sharing or analytics."""

from __future__ import annotations

import pytest

from assistant.config import load_config
from assistant.interop.access import LoginThrottle
from contracts.messages import AssistantError, ErrorCode
from ui.identity import owner_for, valid_token
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
    assert isinstance(opts["auth"], LoginThrottle) and opts["max_file_size"] == "5mb"
    assert opts["auth"]("ann", "s3cret") and not opts["auth"]("ann", "wrong")
    monkeypatch.setenv("ASSISTANT_UI__PASSWORD", "from-env")
    env_cfg = load_config(ui={"username": "bob"})
    env_auth = launch_options(env_cfg, host="192.168.1.5", port=8080)["auth"]
    assert env_auth("bob", "from-env") and not env_auth("ann", "s3cret")


def test_password_without_username_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSISTANT_UI__USERNAME", raising=False)
    monkeypatch.delenv("ASSISTANT_UI__PASSWORD", raising=False)
    with pytest.raises(AssistantError) as err:
        launch_options(load_config(ui={"password": "x"}), host="127.0.0.1", port=7860)
    assert err.value.details["key"] == "ui.username"


def test_invalid_port() -> None:
    with pytest.raises(AssistantError):
        launch_options(load_config(), host="127.0.0.1", port=70000)


@pytest.mark.parametrize(
    ("username", "password", "key"),
    [(" ", "s3cret", "ui.username"), ("ann", " ", "ui.password"), ("\t", "\n ", "ui.username")],
)
def test_blank_credentials_are_refused(monkeypatch: pytest.MonkeyPatch, username: str, password: str, key: str) -> None:
    monkeypatch.delenv("ASSISTANT_UI__PASSWORD", raising=False)
    monkeypatch.delenv("ASSISTANT_UI__USERNAME", raising=False)
    cfg = load_config(ui={"username": username, "password": password})
    for host in ("0.0.0.0", "127.0.0.1"):
        with pytest.raises(AssistantError) as err:
            launch_options(cfg, host=host, port=7860)
        assert err.value.code == ErrorCode.CONFIG_INVALID and err.value.details["key"] == key


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_login_throttle_backs_off_exponentially_per_username() -> None:
    clock = _Clock()
    auth = LoginThrottle("ann", "s3cret", clock=clock)
    # 50 wrong logins within 0.1 s: five are checked, the other 45 are refused unchecked
    for i in range(50):
        clock.now = 1000.0 + i * 0.002
        assert auth("ann", f"guess{i}") is False
    assert auth.refused == 45
    assert auth("ann", "s3cret") is False  # even the right password waits for the back-off
    assert auth.backoff_s("ann") == pytest.approx(1.0 - (0.098 - 0.008), abs=1e-6)  # 5th failure at +0.008 s
    clock.now += 1.0
    assert auth("ann", "nope") is False  # 6th failure: 2 s
    assert auth.backoff_s("ann") == pytest.approx(2.0)
    clock.now += 2.0
    assert auth("ann", "nope") is False  # 7th: 4 s
    assert auth.backoff_s("ann") == pytest.approx(4.0)
    for _ in range(10):  # doubling stops at 60 s
        clock.now += 61.0
        auth("ann", "nope")
    assert auth.backoff_s("ann") == pytest.approx(60.0)
    clock.now += 60.0
    assert auth("ann", "s3cret") is True  # a right login resets the counter
    assert auth.backoff_s("ann") == 0.0
    assert auth("ann", "wrong") is False and auth.backoff_s("ann") == 0.0


def test_login_throttle_has_a_global_counter_and_forgets_idle_failures() -> None:
    clock = _Clock()
    auth = LoginThrottle("ann", "s3cret", free_failures=5, global_free_failures=20, forget_s=900, clock=clock)
    for i in range(20):  # spread over usernames, so no single one is backed off
        assert auth(f"user{i}", "x") is False
    assert auth.backoff_s() == pytest.approx(1.0)
    assert auth("ann", "s3cret") is False  # everyone waits while the global back-off runs
    clock.now += 1.0
    assert auth("ann", "s3cret") is True
    # failures long ago do not count: four now, one more after 15 minutes idle is not a fifth
    for _ in range(4):
        auth("bob", "x")
    clock.now += 901.0
    assert auth("bob", "x") is False and auth.backoff_s("bob") == 0.0


def test_login_throttle_compares_exactly() -> None:
    auth = LoginThrottle("ann", "s3cret")
    assert auth("ann", "s3cret")
    assert not auth("ann ", "s3cret") and not auth("ann", "s3cret ") and not auth("", "") and not auth("Ann", "S3CRET")


def test_owner_ids_from_user_or_browser_token() -> None:
    owner, token = owner_for(username=None, token=None)
    assert owner.startswith("browser:") and valid_token(token) and token not in owner
    assert owner_for(username=None, token=token) == (owner, token)  # a reload keeps the owner
    other, other_token = owner_for(username=None, token="forged")  # a malformed token gets a fresh one
    assert other != owner and other_token != "forged" and valid_token(other_token)
    assert owner_for(username="ann", token=token)[0] == "user:ann"
    assert owner_for(username="  ", token=token)[0] == owner
