"""`apm-kiosk diag` on a PC/SC kiosk: a real pcscd with vpcd's reader and the virtual e-KTP."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from drivers.sim.virtual_card import VirtualCard
from tests.diagnostics.conftest import DiagRun, kiosk_config
from tests.harness import REPO, serving
from tests.pcsc.pcscd import Pcscd

SITI_UID = "04A3B2C1D0E1F2"
PCSC_DEVICES = """
[devices.receipt_printer]
type = "escpos"
transport = { type = "simulated" }
[devices.document_printer]
type = "simulated"
[devices.card_reader]
type = "pcsc"
reader = "Virtual PCD 00 00"
"""


def diag(config: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "diag", *args, "--json", "--config", str(config)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: subprocess.Popen[str], timeout_s: float = 60.0) -> DiagRun:
    out, err = process.communicate(timeout=timeout_s)
    return DiagRun(process.returncode, out, err)


def test_pcscd_its_readers_and_the_reader_are_reported(tmp_path: Path, running_pcscd: Pcscd):
    with serving(tmp_path / "server", auto_sign_delay_s=None) as backend:
        config = kiosk_config(tmp_path, url=backend.url, devices=PCSC_DEVICES)
        run = finished(diag(config))

    assert run.code == 0, run.stdout + run.stderr
    readers = run.check("pcscd", "readers")
    assert readers["level"] == "ok" and "Virtual PCD 00 00" in readers["details"]["readers"]
    reader = run.check("device", "card_reader")
    assert reader["level"] == "ok" and reader["details"]["type"] == "pcsc"
    assert {h["name"]: h["ok"] for h in reader["details"]["health"]}["pcscd"] is True


def test_a_card_read_through_pcscd_shows_the_masked_uid(tmp_path: Path, running_pcscd: Pcscd):
    config = kiosk_config(tmp_path, url="http://127.0.0.1:9", devices=PCSC_DEVICES)
    reading = diag(config, "card-read", "--timeout", "20")
    with VirtualCard(port=running_pcscd.port, uid=SITI_UID) as card:
        time.sleep(2.0)  # the reader opens in diag's own process first
        card.insert()
        run = finished(reading)

    assert run.code == 0, run.stdout + run.stderr
    [check] = run.report["checks"]
    assert check["details"]["uid_masked"] == "04…F2 (7 bytes)"
    assert check["details"]["uid_is_random"] is False
    assert SITI_UID not in run.stdout


def test_a_stopped_pcscd_is_a_fault(tmp_path: Path, running_pcscd: Pcscd):
    config = kiosk_config(tmp_path, url="http://127.0.0.1:9", devices=PCSC_DEVICES)
    running_pcscd.stop()

    run = finished(diag(config))

    assert run.code == 1
    assert run.check("pcscd", "service")["level"] == "fault"
    assert run.check("device", "card_reader")["level"] == "fault"
