"""`apm-kiosk technician hash-pin`: the hash for the config, asked twice on a terminal."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

from kiosk.config import PIN_HASH_PATTERN, load_config_text
from kiosk.technician.pin import verify_pin

COMMAND = [sys.executable, "-m", "kiosk.cli", "technician", "hash-pin"]
ROOT = Path(__file__).resolve().parents[2]


def run_stdin(text: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, "--stdin"], input=text, capture_output=True, text=True, cwd=ROOT, timeout=60
    )


def test_stdin_prints_a_hash_the_config_takes(tmp_path: Path):
    done = run_stdin("24681357\n")
    assert done.returncode == 0, done.stderr
    encoded = done.stdout.strip()
    assert re.fullmatch(PIN_HASH_PATTERN, encoded)
    assert verify_pin("24681357", encoded)
    assert "24681357" not in done.stdout + done.stderr
    config = f"""
[backend]
embedded = true
[technician]
pin_hash = "{encoded}"
[devices.receipt_printer]
type = "escpos"
transport = {{ type = "simulated" }}
[devices.document_printer]
type = "simulated"
[devices.card_reader]
type = "simulated"
"""
    assert (
        load_config_text(config, source="<test>", base_dir=tmp_path).technician.pin_hash == encoded
    )


def test_stdin_refuses_a_pin_that_is_not_6_to_8_digits():
    for bad in ("12345\n", "123456789\n", "12a456\n", ""):
        done = run_stdin(bad)
        assert done.returncode != 0
        assert done.stdout == ""
        assert "6 to 8 digits" in done.stderr or "no PIN" in done.stderr


def converse(answers: list[str]) -> tuple[int, str]:
    """Run the command on a terminal of its own, answering each prompt in turn."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the pty is its controlling terminal, as for a technician
        os.chdir(ROOT)
        os.execv(sys.executable, COMMAND)
    output, pending = b"", list(answers)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 1024)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
        asked = output.count(b"Technician PIN (") + output.count(b"same PIN again: ")
        # Answer each prompt once it is fully shown: getpass has switched echo off by then.
        if pending and len(answers) - len(pending) < asked and output.endswith(b": "):
            os.write(fd, pending.pop(0).encode() + b"\n")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def test_on_a_terminal_it_asks_twice_without_echo():
    code, shown = converse(["13572468", "13572468"])
    assert code == 0, shown
    assert "Technician PIN" in shown and "same PIN again" in shown
    assert "13572468" not in shown  # not echoed
    encoded = next(line for line in shown.splitlines() if line.startswith("scrypt$"))
    assert verify_pin("13572468", encoded.strip())


def test_two_different_pins_print_nothing():
    code, shown = converse(["13572468", "13572469"])
    assert code == 2
    assert "differ" in shown
    assert "scrypt$" not in shown
