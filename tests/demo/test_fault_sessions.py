"""Fault scripts run from the command line: `apm-kiosk demo --autoplay --script ...`.

The demo runs in a subprocess (offscreen Qt), as a developer or CI would run it: the
script signs as the village head, puts forged letters in the kiosk's way, and kills the
kiosk at a crashpoint so that a restart from the same --state-dir must carry on.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from apm_api.signature import validate_signed_pdf
from tests.harness import serving
from tests.server.conftest import SITI_CARD

pytestmark = [pytest.mark.qt, pytest.mark.slow]

# Siti chooses a Surat Keterangan Domisili and fills it in, up to the confirm screen.
UP_TO_CONFIRM: list[dict[str, Any]] = [
    {"expect": "attract"},
    {"do": "tap_card", "uid": SITI_CARD},
    {"expect": "services"},
    {"do": "press", "target": "service-SKD"},
    {"expect": "form"},
    {"do": "type", "target": "field-keperluan", "text": "Melamar pekerjaan"},
    {"do": "press", "target": "nextButton"},
    {"expect": "confirm"},
]
CONFIRM = {"do": "press", "target": "confirmButton"}


def script(folder: Path, steps: list[dict[str, Any]], name: str = "session.toml") -> Path:
    """The steps as a TOML script file (JSON's strings, numbers and booleans are TOML's)."""
    tables = [
        "[[step]]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in step.items())
        for step in steps
    ]
    path = folder / name
    path.write_text("\n".join(tables), encoding="utf-8")
    return path


def demo(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "demo", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def visited(out: Path) -> list[str]:
    return [p.stem.split("-", 1)[1] for p in sorted((out / "screens").glob("*.png"))]


def server_requests(server_state: Path) -> list[str]:
    """What the reference server holds, one line per request (`apm-server list`)."""
    listing = subprocess.run(
        [sys.executable, "-m", "apm_server.cli", "list", "--state-dir", str(server_state)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listing.returncode == 0, listing.stderr
    return [line for line in listing.stdout.splitlines() if line.strip()]


def test_the_script_signs_as_the_village_head(tmp_path: Path):
    steps = [
        *UP_TO_CONFIRM,
        CONFIRM,
        {"expect": "waiting"},
        {"do": "wait", "seconds": 4},
        {"expect": "waiting", "timeout_s": 1},  # with a `sign` step nobody else signs
        {"do": "sign"},
        {"expect": "done", "timeout_s": 60},
    ]
    out = tmp_path / "out"
    result = demo("--autoplay", "--out", str(out), "--script", str(script(tmp_path, steps)))
    assert result.returncode == 0, result.stderr
    [letter] = (out / "printed").glob("*.pdf")
    check = validate_signed_pdf(letter.read_bytes(), (out / "demo-ca.pem").read_bytes())
    assert check.ok, check.summary


def test_a_running_backend_behind_the_proxy_with_its_trust_anchor(tmp_path: Path):
    steps = [
        *UP_TO_CONFIRM,
        {"do": "backend", "fault": "ok"},  # the proxy goes in front of the URL backend
        CONFIRM,
        {"expect": "waiting"},
        {"do": "sign"},
        {"expect": "done", "timeout_s": 60},
    ]
    out = tmp_path / "out"
    with serving(tmp_path / "server", auto_sign_delay_s=None) as backend:
        result = demo(
            "--autoplay",
            "--out",
            str(out),
            "--script",
            str(script(tmp_path, steps)),
            "--backend-url",
            backend.url,
            "--trust-anchor",
            str(backend.ca_cert_path),
        )
        assert result.returncode == 0, result.stderr
        assert len(server_requests(tmp_path / "server")) == 1
    [letter] = (out / "printed").glob("*.pdf")
    assert (out / "demo-ca.pem").read_bytes() == backend.ca_cert_path.read_bytes()
    assert validate_signed_pdf(letter.read_bytes(), backend.ca_cert_path.read_bytes()).ok


@pytest.mark.parametrize(
    ("fault", "caught_as"),
    [
        ("tampered_pdf", "modified|bad_signature"),
        ("untrusted_signer", "untrusted"),
        ("unsigned_pdf", "unsigned"),
    ],
)
def test_a_forged_letter_is_never_printed(tmp_path: Path, fault: str, caught_as: str):
    steps = [
        *UP_TO_CONFIRM,
        {"do": "backend", "fault": fault},
        CONFIRM,
        {"expect": "notice", "timeout_s": 30},  # "Surat tidak dapat diverifikasi"
    ]
    out = tmp_path / "out"
    result = demo("--autoplay", "--out", str(out), "--script", str(script(tmp_path, steps)))
    assert not list((out / "printed").glob("*.pdf"))
    assert result.returncode == 0, result.stderr
    assert "printing" in visited(out)  # it got as far as the letter, which was refused
    # The technician's log names the check that caught it.
    assert re.search(rf"letter refused, never printed: ({caught_as})\b", result.stderr)


@pytest.mark.parametrize(
    ("crashpoint", "held_before_restart"), [("submit.queued", 0), ("submit.sent", 1)]
)
def test_killed_at_a_crashpoint_the_restarted_kiosk_sends_the_request_exactly_once(
    tmp_path: Path, crashpoint: str, held_before_restart: int
):
    state = tmp_path / "state"
    killing = [*UP_TO_CONFIRM, {"do": "kill_at", "at": crashpoint}, CONFIRM]
    killing += [{"expect": "waiting", "timeout_s": 20}, {"do": "wait", "seconds": 5}]
    killed = demo(
        "--autoplay", "--state-dir", str(state), "--script", str(script(tmp_path, killing))
    )
    assert f"crashpoint {crashpoint} armed" in killed.stderr
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert "session passed" not in killed.stdout
    server_state = state / "embedded-server"
    assert len(server_requests(server_state)) == held_before_restart

    resumed = [{"expect": "attract"}, {"do": "wait", "seconds": 10}]
    again = demo(
        "--autoplay",
        "--state-dir",
        str(state),
        "--script",
        str(script(tmp_path, resumed, "resume.toml")),
    )
    assert again.returncode == 0, again.stderr
    assert len(server_requests(server_state)) == 1  # nothing lost, nothing sent twice


def test_a_url_backend_without_a_trust_anchor_is_refused_before_anything_starts(tmp_path: Path):
    result = demo("--autoplay", "--backend-url", "http://127.0.0.1:9", timeout=60)
    assert result.returncode == 2
    assert "--backend-url needs --trust-anchor PEM" in result.stderr
    missing = tmp_path / "missing.pem"
    result = demo("--backend-url", "http://127.0.0.1:9", "--trust-anchor", str(missing))
    assert result.returncode == 2
    assert f"--trust-anchor {missing}: file not found" in result.stderr


def test_a_bad_fault_step_is_refused_before_anything_runs(tmp_path: Path):
    steps = [{"expect": "attract"}, {"do": "kill_at", "at": "submit.lunch"}]
    result = demo("--autoplay", "--script", str(script(tmp_path, steps)), timeout=60)
    assert result.returncode == 2
    assert "step 2: unknown crashpoint 'submit.lunch'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("printer", ["emulator", "emulator-pty"])
def test_the_demo_prints_through_the_printer_emulator_and_holds_the_receipt_for_paper(
    tmp_path: Path, printer: str
):
    """`--receipt-printer emulator(-pty)`: the real ESC/POS driver over a real link. The
    roll runs out before the receipt; the screen says it waits; paper is loaded and
    exactly one receipt comes out, with the village's time and the queue number."""
    steps = [
        {"do": "fault", "device": "receipt_printer", "fault": "paper_out"},
        *UP_TO_CONFIRM,
        CONFIRM,
        {"expect": "waiting"},
        {"do": "wait", "seconds": 1},
        {"do": "fault", "device": "receipt_printer", "fault": "paper_out", "active": False},
        {"expect": "done", "timeout_s": 60},
    ]
    out = tmp_path / "out"
    result = demo(
        "--autoplay",
        "--receipt-printer",
        printer,
        "--out",
        str(out),
        "--script",
        str(script(tmp_path, steps)),
    )
    assert result.returncode == 0, result.stderr
    [receipt] = (out / "printed").glob("*-receipt.txt")
    text = receipt.read_text(encoding="utf-8")
    assert text.count("[CUT]") == 1 and "[QR: APM1:AMBIL:" in text
    assert "No. antrean" in text and " WIB" in text


def test_a_bad_receipt_printer_choice_is_refused_before_anything_starts(tmp_path: Path):
    result = demo("--autoplay", "--receipt-printer", "lpt1", "--out", str(tmp_path / "out"))
    assert result.returncode != 0
    assert "expected one of simulated, emulator, emulator-pty, tcp:HOST:PORT" in result.stderr
