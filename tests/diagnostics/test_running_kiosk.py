"""`apm-kiosk diag` beside a running kiosk: it asks the kiosk over its local socket and
never opens the devices the kiosk owns."""

from __future__ import annotations

import contextlib
import json
import queue
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from kiosk.config import load_config
from kiosk.demo.embedded import runtime_options
from kiosk.diagnostics.report import Level
from kiosk.flow import Screen
from kiosk.runtime import KioskRuntime
from printer.escpos_text import decode_escpos
from tests.diagnostics.conftest import run_diag
from tests.harness import REPO, Host

SITI_UID = "04A3B2C1D0E1F2"


@pytest.fixture
def kiosk(config_for) -> Iterator[tuple[Host, Path]]:
    config = config_for()
    settings = load_config(config)
    host = Host(lambda post: KioskRuntime(settings, post, **runtime_options(settings)))
    host.runtime.start()
    host.pump_until(lambda: host.state.ready)
    host.pump_until(
        lambda: all(d.lifecycle.value == "enabled" for d in host.runtime.devices.values())
    )
    host.pump_until(lambda: (settings.state_dir / "diag.sock").exists())
    yield host, config
    host.runtime.shutdown()


def drain(host: Host, seconds: float) -> None:
    """Deliver whatever the runtime posts for a while (as the GUI thread would)."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        with contextlib.suppress(queue.Empty):
            host.runtime.dispatch(host.inbox.get(timeout=min(left, 0.1)))


def test_the_report_comes_from_the_running_kiosk(kiosk):
    host, config = kiosk

    run = run_diag("--config", str(config), "--json")

    assert run.code == 0, run.stdout + run.stderr
    assert run.report["devices_from"] == "running kiosk"
    app = run.check("kiosk", "app")
    assert app["details"]["screen"] == "attract" and app["details"]["link_up"] is True
    assert run.check("device", "receipt_printer")["details"]["owner"] == "kiosk"
    assert run.check("device", "card_reader")["details"]["lifecycle"] == "enabled"
    assert run.check("backend", "auth")["level"] == "ok"
    assert run.check("storage", "outbox")["details"]["counts"]["dead"] == 0
    # diag took nothing from the kiosk: its reader still delivers taps to citizens.
    host.simulator("card_reader").tap(SITI_UID)
    host.on(Screen.SERVICES)


def test_a_test_print_goes_through_the_kiosk(kiosk):
    host, config = kiosk

    run = run_diag("--config", str(config), "test-print", "receipt_printer", "--json")

    assert run.code == 0, run.stdout + run.stderr
    assert run.report["devices_from"] == "running kiosk"
    [printed] = host.simulator("receipt_printer").printed()
    assert "TEST" in decode_escpos(printed.data).upper()


def test_a_card_read_shows_the_masked_uid_and_starts_no_citizen_session(kiosk):
    host, config = kiosk
    reading = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kiosk.cli",
            "diag",
            "card-read",
            "--timeout",
            "20",
            "--json",
            "--config",
            str(config),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not host.runtime.citizen_input_held:
            assert time.monotonic() < deadline, "the kiosk never started waiting for a card"
            time.sleep(0.05)
        host.simulator("card_reader").tap(SITI_UID)
        out, err = reading.communicate(timeout=30)
    finally:
        reading.kill()

    assert reading.returncode == 0, out + err
    [check] = json.loads(out)["checks"]
    assert check["details"]["uid_masked"] == "04…F2 (7 bytes)"
    assert SITI_UID not in out
    drain(host, 1.0)
    assert host.state.screen is Screen.ATTRACT  # the technician's card was not a citizen's
    assert not host.runtime.citizen_input_held
    host.simulator("card_reader").remove()
    host.simulator("card_reader").tap(SITI_UID)
    host.on(Screen.SERVICES)  # and citizens' taps work again


def test_visible_actions_wait_while_a_citizen_uses_the_kiosk(kiosk):
    host, config = kiosk
    host.simulator("card_reader").tap(SITI_UID)
    host.on(Screen.SERVICES)

    run = run_diag("--config", str(config), "test-print", "receipt_printer", "--json")

    assert run.code == 1
    assert "a citizen is using the kiosk" in run.check("device", "receipt_printer")["summary"]
    assert host.simulator("receipt_printer").printed() == []


def test_the_socket_goes_with_the_kiosk(config_for, tmp_path: Path):
    settings = load_config(config_for())
    host = Host(lambda post: KioskRuntime(settings, post, **runtime_options(settings)))
    host.runtime.start()
    socket_path = tmp_path / "state" / "diag.sock"
    deadline = time.monotonic() + 10
    while not socket_path.exists():  # opened off the start path, in the background
        assert time.monotonic() < deadline, "no diagnostics socket"
        time.sleep(0.02)
    assert socket_path.stat().st_mode & 0o777 == 0o660
    host.runtime.shutdown()

    assert not socket_path.exists()
    run = run_diag("--config", str(config_for()), "--json")
    assert run.report["devices_from"] == "opened by diag"


def test_a_card_read_ends_at_once_when_cancelled(kiosk):
    host, _ = kiosk
    with ThreadPoolExecutor(1) as pool:
        reading = pool.submit(host.runtime.diagnostics.card_read, 20.0)
        deadline = time.monotonic() + 5
        while not host.runtime.citizen_input_held:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        host.runtime.cancel_card_read()
        check = reading.result(timeout=2)

    assert check.level is Level.SKIPPED and "cancelled" in check.summary
    assert not host.runtime.citizen_input_held


def test_a_technician_leaving_mid_read_gets_the_citizens_input_back(kiosk):
    """Technician mode holds the input; leaving releases it even while a read waits."""
    host, _ = kiosk
    host.runtime.hold_citizen_input(True)  # technician mode on
    with ThreadPoolExecutor(1) as pool:
        reading = pool.submit(host.runtime.diagnostics.card_read, 20.0)
        time.sleep(0.3)
        host.runtime.hold_citizen_input(False)  # the technician leaves ...
        host.runtime.cancel_card_read()  # ... and the read's wait ends
        reading.result(timeout=2)

    assert not host.runtime.citizen_input_held
    host.simulator("card_reader").tap(SITI_UID)
    host.on(Screen.SERVICES)
