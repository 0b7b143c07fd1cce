"""A real cupsd for the A4 printer and the CUPS raw-queue transport: queues of cups-pdf
(PDFs on disk), raw queues to TCP listeners of the test, and ippeveprinter (an IPP
Everywhere printer whose paper can run out). Nothing here is simulated.

cupsd is private to the test session (see tests/cups/cupsd.py); when it cannot run here
(not root, packages missing) every test of this folder is skipped with the reason.
"""

from __future__ import annotations

import itertools
import os
import re
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from drivers.device import Device
from drivers.ipp import Attributes, IppClient, first
from drivers.model import DeviceEvent, DeviceStatus, StatusChanged
from printer.cups_document import CupsDocumentPrinter, CupsDocumentPrinterSettings

from .cupsd import CupsUnavailable, IppEvePrinter, PrivateCups, why_cups_cannot_run
from .letters import signed_letter

OWNER = "kiosk"
WAIT_S = 20.0
_numbers = itertools.count(1)


def unique(prefix: str) -> str:
    """A queue or job name no other test (nor a parallel run) uses."""
    return f"{prefix}-{os.getpid()}-{next(_numbers)}"


# --- cupsd ------------------------------------------------------------------------------


def start_cups() -> PrivateCups:
    reason = why_cups_cannot_run()
    if reason is not None:
        pytest.skip(f"no private cupsd: {reason}")
    server = PrivateCups()
    try:
        return server.start()
    except Exception:
        server.destroy()
        raise


@pytest.fixture(scope="session")
def cups() -> Iterator[PrivateCups]:
    server = start_cups()
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture
def own_cups() -> Iterator[PrivateCups]:
    """A cupsd of this test only (to stop and restart it)."""
    server = start_cups()
    try:
        yield server
    finally:
        server.destroy()


@dataclass
class PdfQueue:
    """A cups-pdf queue and the folder its PDFs land in."""

    cups: PrivateCups
    name: str
    out_dir: Path

    def output_of(self, cups_job: int, timeout_s: float = 5.0) -> Path:
        """The PDF cups-pdf wrote for job `cups_job` (its file names end in job_N.pdf)."""
        pattern = re.compile(rf"job_{cups_job}\.pdf$")
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = [path for path in self.out_dir.iterdir() if pattern.search(path.name)]
            if found:
                return found[0]
            time.sleep(0.05)
        raise AssertionError(
            f"no output for job {cups_job} in {sorted(p.name for p in self.out_dir.iterdir())}\n"
            f"--- cupsd error_log ---\n{self.cups.error_log_tail()}"
        )


def add_pdf_queue(cups: PrivateCups) -> PdfQueue:
    name = unique("apm-pdf")
    queue = PdfQueue(cups, name, cups.root / "out" / name)
    cups.add_pdf_queue(name, queue.out_dir)
    return queue


@pytest.fixture
def pdf_queue(cups: PrivateCups) -> Iterator[PdfQueue]:
    queue = add_pdf_queue(cups)
    yield queue
    cups.lpadmin("-x", queue.name)


# --- the printer under test ----------------------------------------------------------------


def cups_printer(server: str, queue: str, **settings: Any) -> CupsDocumentPrinter:
    table = {"type": "cups", "queue": queue, "server": server, "poll_interval_s": None}
    return CupsDocumentPrinter("a4", CupsDocumentPrinterSettings.model_validate(table | settings))


@pytest.fixture
def started() -> Iterator[Callable[..., Any]]:
    """`started(device)`: open, claim and enable it for OWNER; closed after the test."""
    devices: list[Device] = []

    def start(device: Any) -> Any:
        devices.append(device)
        device.start(OWNER).result(WAIT_S)
        return device

    yield start
    for device in devices:
        device.close().future.exception(WAIT_S)


class StatusRecorder:
    """Every status the device went through; a test can wait for one."""

    def __init__(self, device: Device) -> None:
        self.statuses: list[DeviceStatus] = []
        self._changed = threading.Condition()
        device.subscribe(self._record)

    def wait_for(
        self, matches: Callable[[DeviceStatus], bool], timeout_s: float = WAIT_S
    ) -> DeviceStatus:
        with self._changed:
            if not self._changed.wait_for(lambda: any(map(matches, self.statuses)), timeout_s):
                raise AssertionError(f"no matching status within {timeout_s} s: {self.statuses}")
            return next(status for status in self.statuses if matches(status))

    def _record(self, event: DeviceEvent) -> None:
        if isinstance(event, StatusChanged):
            with self._changed:
                self.statuses.append(event.current)
                self._changed.notify_all()


def cups_jobs(server: str, queue: str, user: str = "apm-kiosk") -> list[Attributes]:
    """The queue's jobs, as the kiosk's user sees them."""
    client = IppClient(server, timeout_s=5, user_name=user)
    return client.queue(queue).jobs(
        ("job-id", "job-name", "job-state", "job-state-reasons"), which="all", my_jobs=False
    )


def cups_job_named(server: str, queue: str, job_name: str) -> Attributes:
    named = [job for job in cups_jobs(server, queue) if first(job, "job-name") == job_name]
    assert len(named) == 1, f"jobs named {job_name}: {named}"
    return named[0]


def pdf_text(path: Path) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return done.stdout


# --- letters ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def letter(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A one-page letter signed as the reference server signs (once per session)."""
    return signed_letter(tmp_path_factory.mktemp("letter"))


# --- a raw printer on TCP: what a CUPS raw queue's socket backend sends ---------------------


class RawPrinter:
    """A TCP listener on 127.0.0.1 keeping the bytes of each connection apart (CUPS's
    socket backend opens one connection per job). `silent`: accept, read nothing and
    never close, like a printer that hangs: the job then never completes."""

    def __init__(self, *, silent: bool = False) -> None:
        self.silent = silent
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._server.getsockname()[1])
        self._jobs: list[bytes] = []
        self._changed = threading.Condition()
        self._held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def uri(self) -> str:
        return f"socket://127.0.0.1:{self.port}"

    def jobs(self, count: int, timeout_s: float = WAIT_S) -> list[bytes]:
        """Wait until `count` connections ended; their bytes, in order."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._jobs) >= count, timeout_s):
                raise AssertionError(f"{len(self._jobs)} of {count} jobs arrived")
            return list(self._jobs)

    def received(self) -> list[bytes]:
        with self._changed:
            return list(self._jobs)

    def stop(self) -> None:
        self._server.close()
        for connection in self._held:
            connection.close()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return
            if self.silent:
                self._held.append(connection)
                continue
            threading.Thread(target=self._receive, args=(connection,), daemon=True).start()

    def _receive(self, connection: socket.socket) -> None:
        data = bytearray()
        with connection:
            while chunk := connection.recv(65536):
                data += chunk
        with self._changed:
            self._jobs.append(bytes(data))
            self._changed.notify_all()


@pytest.fixture
def raw_printer() -> Iterator[Callable[..., RawPrinter]]:
    made: list[RawPrinter] = []

    def make(**kwargs: Any) -> RawPrinter:
        printer = RawPrinter(**kwargs)
        made.append(printer)
        return printer

    yield make
    for printer in made:
        printer.stop()


# --- ippeveprinter -----------------------------------------------------------------------


@pytest.fixture
def eve() -> Iterator[IppEvePrinter]:
    """An ippeveprinter of this test only (it starts in a tenth of a second): a job one
    test left waiting for paper cannot delay the next test's job."""
    try:
        printer = IppEvePrinter().start()
    except CupsUnavailable as reason:
        pytest.skip(f"no ippeveprinter: {reason}")
    try:
        printer.set_paper(250)
        yield printer
    finally:
        printer.stop()
