"""The `apm-kiosk` command, run as a real process (and in-process with fake drivers)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk import cli
from tests.kiosk.conftest import fake_registries

REPO = Path(__file__).resolve().parents[2]

GOOD = """
[backend]
url = "http://127.0.0.1:8080"
token = "device-token"
[signature]
trust_anchors = ["root.pem"]
[devices.receipt_printer]
type = "escpos"
transport = { type = "simulated" }
[devices.document_printer]
type = "simulated"
[devices.card_reader]
type = "simulated"
"""


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        env=env,
    )


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == "apm-kiosk 0.1.0"


def test_check_bad_config_exits_2_with_the_message(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(GOOD.replace("token =", "tokn ="), encoding="utf-8")
    result = run("config", "check", str(path))
    assert result.returncode == 2
    assert f"{path}: backend.tokn: unknown key 'tokn' (did you mean 'token'?)" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_check_missing_file(tmp_path: Path) -> None:
    result = run("config", "check", str(tmp_path / "nope.toml"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"{tmp_path / 'nope.toml'}: file not found"


def test_check_toml_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text("[backend\n", encoding="utf-8")
    result = run("config", "check", str(path))
    assert result.returncode == 2
    assert "not valid TOML" in result.stderr and "line 1" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_with_bad_config_exits_2_before_starting_the_ui(tmp_path: Path) -> None:
    result = run("run", "--config", str(tmp_path / "missing.toml"))
    assert result.returncode == 2
    assert "file not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_uses_the_environment_variable(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "APM_KIOSK_CONFIG": str(tmp_path / "from-env.toml")}
    result = run("run", env=env)
    assert result.returncode == 2
    assert f"{tmp_path / 'from-env.toml'}: file not found" in result.stderr


def test_usage_errors_exit_2() -> None:
    result = run("config")
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_cli_imports_no_qt_and_no_requests() -> None:
    heavy = "('PySide6', 'requests', 'pydantic')"
    code = f"import sys, kiosk.cli; print(sorted(m for m in {heavy} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.stdout.strip() == "[]"


# --- in process, with fake drivers ------------------------------------------------------------


@pytest.fixture
def fake_drivers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("kiosk.config.default_registries", fake_registries)


@pytest.fixture(autouse=True)
def offscreen(monkeypatch: pytest.MonkeyPatch) -> None:
    """The in-process runs draw offscreen, so they pass on a machine with no display
    (run and demo refuse to start without one; tests/ui/test_display.py covers that)."""
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """`run` and `demo` set up logging in this process: undo it after each test."""
    import logging

    from kiosk.logs import reset_logging

    level = logging.getLogger().level
    yield
    reset_logging()
    logging.getLogger().setLevel(level)


def test_check_good_config(
    tmp_path: Path, fake_drivers: None, root_pem: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(GOOD, encoding="utf-8")
    assert cli.main(["config", "check", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.strip() == (
        f"{path}: OK (receipt_printer: escpos, document_printer: simulated, card_reader: simulated)"
    )


def test_run_hands_the_settings_to_the_ui(
    tmp_path: Path, fake_drivers: None, root_pem: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import logging
    import types

    monkeypatch.setenv("APM_KIOSK_STATE_DIR", str(tmp_path / "state"))

    seen: list[Any] = []
    fake_app = types.ModuleType("kiosk.ui.app")

    def run_kiosk(settings: Any) -> int:
        seen.append(settings)
        logging.getLogger("kiosk.ui").info("the UI starts for card %s", "04A3B2C1D0E1F2")
        return 7

    fake_app.run_kiosk = run_kiosk  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kiosk.ui.app", fake_app)
    path = tmp_path / "kiosk.toml"
    path.write_text(GOOD, encoding="utf-8")
    assert cli.main(["run", "--config", str(path)]) == 7
    assert seen[0].backend_token() == "device-token"
    assert seen[0].trust_anchor_paths() == [root_pem]
    # Logging was set up before the UI started: the kiosk's own file, masked.
    log_file = tmp_path / "state" / "logs" / "kiosk.log"
    assert log_file.stat().st_mode & 0o777 == 0o600
    assert "the UI starts for card UID…F2" in log_file.read_text(encoding="utf-8")


def test_check_refuses_a_backend_without_trust_anchor(
    tmp_path: Path, fake_drivers: None, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(GOOD.replace('["root.pem"]', "[]"), encoding="utf-8")
    assert cli.main(["config", "check", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"{path}: signature.trust_anchors: expected at least one CA certificate file (PEM), "
        "found none (required unless backend.embedded = true)\n"
    )


def test_unexpected_error_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import types

    def broken(args: Any) -> int:
        raise RuntimeError("the demo broke")

    fake_demo = types.ModuleType("kiosk.ui.demo")
    fake_demo.run_demo = broken  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kiosk.ui.demo", fake_demo)
    assert cli.main(["demo", "--autoplay"]) == 1
    err = capsys.readouterr().err
    assert err == "apm-kiosk: error: RuntimeError: the demo broke\n"
    assert cli.main(["--debug", "demo"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_demo_passes_its_options(monkeypatch: pytest.MonkeyPatch) -> None:
    import logging
    import types

    seen: list[Any] = []
    fake_demo = types.ModuleType("kiosk.ui.demo")

    def run_demo(args: Any) -> int:
        seen.append(args)
        logging.getLogger("kiosk.test").debug("not at the default level")
        return 0

    fake_demo.run_demo = run_demo  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kiosk.ui.demo", fake_demo)
    argv = ["demo", "--autoplay", "--out", "shots", "--script", "s.toml", "--exit-after-start"]
    assert cli.main(argv) == 0
    args = seen[0]
    assert (args.autoplay, args.out, args.script, args.exit_after_start) == (
        True,
        "shots",
        "s.toml",
        True,
    )
    assert (args.log_file, args.log_level) == (None, "info")


def test_demo_logs_to_a_file_at_the_level_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import logging
    import types

    fake_demo = types.ModuleType("kiosk.ui.demo")

    def run_demo(args: Any) -> int:
        logging.getLogger("kiosk.test").debug("resident %s identified", "3523014708900001")
        return 0

    fake_demo.run_demo = run_demo  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kiosk.ui.demo", fake_demo)
    log_file = tmp_path / "demo.log"
    assert cli.main(["demo", "--log-file", str(log_file), "--log-level", "debug"]) == 0
    expected = "DEBUG kiosk.test: resident 3523••••••••0001 identified"
    assert expected in capsys.readouterr().err
    assert "resident 3523••••••••0001 identified" in log_file.read_text(encoding="utf-8")


def test_demo_refuses_an_unknown_log_level() -> None:
    result = run("demo", "--log-level", "loud")
    assert result.returncode == 2
    assert "invalid choice: 'loud'" in result.stderr


@pytest.mark.parametrize(
    "name",
    [
        "simulated.toml",
        "escpos-serial.toml",
        "escpos-network.toml",
        "escpos-usb.toml",
        "cups-a4.toml",
    ],
)
def test_shipped_configs_pass_the_check(name: str, tmp_path: Path, ca_pem: bytes) -> None:
    from kiosk.config import default_registries

    missing = [role for role, registry in default_registries().items() if registry is None]
    if missing:
        pytest.skip(f"driver layers not installed yet: {missing}")
    # Installed as documented: the national CA root at trust/bsre-root.pem next to the file.
    path = tmp_path / name
    shutil.copyfile(REPO / "config" / name, path)
    (tmp_path / "trust").mkdir()
    (tmp_path / "trust" / "bsre-root.pem").write_bytes(ca_pem)
    result = run("config", "check", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{path}: OK (receipt_printer: escpos,")
