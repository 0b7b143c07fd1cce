"""Shared test harness: a host that plays the GUI thread for a KioskRuntime, a real
`apm-server` process that can be stopped and started again on the same port, and the
server's database: its SQLite file, or under APM_TEST_POSTGRES a PostgreSQL database of its
own for every test server."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from apm_server.app import RunningServer, start_server
from kiosk.flow import Screen
from kiosk.flow import events as ev
from kiosk.runtime import KioskRuntime
from tests.databases import database_url

REPO = Path(__file__).resolve().parents[1]

# The devices of a kiosk under test: all simulated, the A4 printer without page delay.
SIMULATED_DEVICES = """
[devices.receipt_printer]
type = "escpos"
transport = { type = "simulated" }
[devices.document_printer]
type = "simulated"
print_delay_s = 0.0
[devices.card_reader]
type = "simulated"
"""


class Host:
    """Plays the GUI thread: delivers posted events to dispatch, one at a time."""

    def __init__(self, runtime_factory: Callable[[Callable[[ev.Event], None]], KioskRuntime]):
        self.inbox: queue.Queue[ev.Event] = queue.Queue()
        self.runtime = runtime_factory(self.inbox.put)

    @property
    def state(self):
        return self.runtime.flow.state

    def send(self, event: ev.Event) -> None:
        self.runtime.dispatch(event)

    def pump_until(self, done: Callable[[], bool], timeout_s: float = 20.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not done():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"timed out on screen {self.state.screen.value}: {self.runtime.view()}"
                )
            try:
                self.runtime.dispatch(self.inbox.get(timeout=min(remaining, 0.5)))
            except queue.Empty:
                continue

    def on(self, screen: Screen, timeout_s: float = 20.0) -> None:
        self.pump_until(lambda: self.state.screen is screen, timeout_s)

    def simulator(self, role: str):
        return self.runtime.devices[role].simulator


def start_reference_server(state_dir: Path, **options: Any) -> RunningServer:
    """`apm_server.app.start_server` on the test's database (see `database_url`)."""
    url = database_url(state_dir)
    if url is not None:
        options.setdefault("database_url", url)
    return start_server(state_dir, **options)


@contextmanager
def serving(state_dir: Path, **options: Any) -> Iterator[RunningServer]:
    """The reference server in this process, stopped (connections and all) afterwards."""
    running = start_reference_server(state_dir, **options)
    try:
        yield running
    finally:
        running.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """`apm-server serve` in its own process, on a fixed port across restarts."""

    def __init__(
        self, state_dir: Path, *, port: int | None = None, auto_sign_delay_s: float | None = 0.0
    ) -> None:
        self.state_dir = state_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.auto_sign_delay_s = auto_sign_delay_s
        self.kiosk_token, self.admin_token = "demo-kiosk-token", "demo-admin-token"
        self._process: subprocess.Popen[str] | None = None

    @property
    def ca_cert_path(self) -> Path:
        return self.state_dir / "demo-ca" / "ca.pem"

    def start(self) -> ServerProcess:
        command = [
            sys.executable, "-m", "apm_server.cli", "serve",
            "--port", str(self.port), "--state-dir", str(self.state_dir),
        ]  # fmt: skip
        if self.auto_sign_delay_s is not None:
            command += ["--auto-sign-delay", str(self.auto_sign_delay_s)]
        url = database_url(self.state_dir)
        if url is not None:
            command += ["--database-url", url]
        self.state_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.state_dir / "server-output.log"
        # A file, not a pipe: nobody drains a pipe, and a full one would stall the server.
        with log_path.open("a") as output:
            start_at = log_path.stat().st_size
            self._process = subprocess.Popen(
                command, cwd=REPO, stdout=output, stderr=subprocess.STDOUT, text=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )  # fmt: skip
        deadline = time.monotonic() + 30
        while not re.search(r"listening on http://", log_path.read_text()[start_at:]):
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"apm-server did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def kill(self) -> None:
        """As a power cut: no goodbye to anyone."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=30)
        self._process = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None
