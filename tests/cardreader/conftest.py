"""Fixtures for the card reader tests: a socat pty pair that can be unplugged and plugged
back (a USB-serial adapter standing in), and the device fixtures of tests/devices."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.devices.conftest import WAIT_S, started  # noqa: F401 (a fixture, used by name)


class PtyCable:
    """Two linked ptys: `reader_port` for the driver, the other end for the test's card
    reader, which `send`s frames. `unplug()` removes both; `plug()` makes them again."""

    def __init__(self, folder: Path) -> None:
        self.reader_port = folder / "ttyREADER"
        self._card_end = folder / "ttyCARD"
        self._process: subprocess.Popen[str] | None = None
        self._fd: int | None = None

    def plug(self) -> PtyCable:
        process = subprocess.Popen(
            ["socat", "-d", "-d", f"pty,raw,echo=0,link={self.reader_port}",
             f"pty,raw,echo=0,link={self._card_end}"],
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        assert process.stderr is not None
        for line in process.stderr:  # socat says when both ends exist
            if "starting data transfer loop" in line:
                break
        else:
            pytest.fail(f"socat exited with {process.wait()}")
        self._process = process
        self._fd = os.open(self._card_end, os.O_RDWR | os.O_NOCTTY)
        return self

    def send(self, data: bytes) -> None:
        assert self._fd is not None, "plugged in?"
        os.write(self._fd, data)

    def unplug(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._process is not None:
            self._process.terminate()
            self._process.wait(WAIT_S)
            assert self._process.stderr is not None
            self._process.stderr.close()
            self._process = None
        with contextlib.suppress(FileNotFoundError):  # socat removes its links itself
            self.reader_port.unlink()


@pytest.fixture
def cable(tmp_path: Path) -> Iterator[PtyCable]:
    """A pty cable, not yet plugged in."""
    if shutil.which("socat") is None:
        pytest.skip("socat is not installed (apt-get install socat): no pty pair for serial")
    made = PtyCable(tmp_path)
    yield made
    made.unplug()
