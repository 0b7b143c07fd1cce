"""Fixtures for device tests: event recorders, started devices, and fake printers that
talk over real sockets and ptys. No Qt, no fixed sleeps: everything waits on events."""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from drivers.device import Device
from drivers.model import DataReceived, DeviceEvent, JobCompleted, StatusChanged
from drivers.sim.escpos_peer import EscposPeer
from printer.receipt import Receipt

OWNER = "kiosk"
WAIT_S = 5.0
OK_STATUS = 0x12  # a DLE EOT answer with no problem bits


def sample_receipt(tracking_code: str = "231126-0042") -> Receipt:
    return Receipt(
        header=["PEMERINTAH DESA SUKAMAJU", "Kec. Tambakboyo, Kabupaten Tuban"],
        title="TANDA TERIMA PERMOHONAN",
        rows=[
            ("Layanan", "Surat Keterangan Domisili"),
            ("Nama", "Siti Rahayu"),
            ("NIK", "3523********0001"),
        ],
        tracking_code=tracking_code,
        qr_payload=f"https://desa.example/lacak/{tracking_code}",
        footer=["Simpan struk ini sebagai tanda terima."],
    )


class EventRecorder:
    """Collects a device's events and lets a test wait for one."""

    def __init__(self, device: Device) -> None:
        self.events: list[DeviceEvent] = []
        self._changed = threading.Condition()
        device.subscribe(self._record)

    def _record(self, event: DeviceEvent) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def wait_for(
        self, matches: Callable[[DeviceEvent], bool], timeout_s: float = WAIT_S
    ) -> DeviceEvent:
        with self._changed:
            found: list[DeviceEvent] = []

            def seen() -> bool:
                found[:] = [e for e in self.events if matches(e)]
                return bool(found)

            if not self._changed.wait_for(seen, timeout_s):
                raise AssertionError(f"no matching event within {timeout_s} s: {self.events}")
            return found[0]

    def wait_status(self, timeout_s: float = WAIT_S, **fields: Any) -> StatusChanged:
        """The first StatusChanged whose new status has all `fields` (e.g. paper=OUT)."""

        def matches(event: DeviceEvent) -> bool:
            return isinstance(event, StatusChanged) and all(
                getattr(event.current, name) == value for name, value in fields.items()
            )

        event = self.wait_for(matches, timeout_s)
        assert isinstance(event, StatusChanged)
        return event

    def status_changes(self) -> list[StatusChanged]:
        with self._changed:
            return [e for e in self.events if isinstance(e, StatusChanged)]

    def data(self) -> list[Any]:
        with self._changed:
            return [e.data for e in self.events if isinstance(e, DataReceived)]

    def completions(self) -> list[JobCompleted]:
        with self._changed:
            return [e for e in self.events if isinstance(e, JobCompleted)]


@pytest.fixture
def started() -> Iterator[Callable[..., Any]]:
    """`started(device)`: open, claim and enable it for OWNER; closed after the test."""
    devices: list[Device] = []

    def start(device: Any, owner: str = OWNER, *, enable: bool = True) -> Any:
        devices.append(device)
        if enable:
            device.start(owner).result(WAIT_S)
        else:
            device.open().result(WAIT_S)
            device.claim(owner).result(WAIT_S)
        return device

    yield start
    for device in devices:
        device.close().future.exception(WAIT_S)  # already closed is fine


# --- a fake ESC/POS printer on the other end of a real link ------------------------------


class StatusAnsweringPeer:
    """Records every byte and answers DLE EOT n from `answers` (unless silent).

    Deliberately naive and independent of the project's own ESC/POS code: it looks for
    the three bytes 10 04 n, which our receipts never contain elsewhere."""

    def __init__(self, answers: dict[int, int] | None = None, *, silent: bool = False) -> None:
        self.answers = {1: OK_STATUS, 2: OK_STATUS, 3: OK_STATUS, 4: OK_STATUS, **(answers or {})}
        self.silent = silent
        self._lock = threading.Lock()
        self._received = bytearray()
        self._unscanned = b""
        self.got_bytes = threading.Event()

    def feed(self, data: bytes) -> bytes:
        with self._lock:
            self._received += data
            buffer, answer = self._unscanned + data, bytearray()
            position = buffer.find(b"\x10\x04")
            while position >= 0 and position + 2 < len(buffer):
                if not self.silent:
                    answer.append(self.answers.get(buffer[position + 2], OK_STATUS))
                buffer = buffer[position + 3 :]
                position = buffer.find(b"\x10\x04")
            self._unscanned = buffer[-2:] if position < 0 else buffer
        self.got_bytes.set()
        return bytes(answer)

    @property
    def received(self) -> bytes:
        with self._lock:
            return bytes(self._received)

    def printed(self) -> bytes:
        """What was received, without the status requests."""
        data, out = self.received, bytearray()
        index = 0
        while index < len(data):
            if data[index : index + 2] == b"\x10\x04":
                index += 3
                continue
            out.append(data[index])
            index += 1
        return bytes(out)


class FakeNetworkPrinter(StatusAnsweringPeer):
    """A listener on 127.0.0.1 (a network printer's raw port), one thread per connection."""

    def __init__(self, port: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", port))
        self._server.listen()
        self.port = self._server.getsockname()[1]
        self.connections: list[socket.socket] = []
        self._stopping = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return  # closed
            self.connections.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            while True:
                try:
                    data = connection.recv(4096)
                except OSError:
                    return
                if not data:
                    return
                answer = self.feed(data)
                if answer:
                    connection.sendall(answer)

    def drop_connections(self) -> None:
        """Close every connection, as a printer that restarts would."""
        for connection in self.connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()

    def stop(self) -> None:
        self._server.close()
        self.drop_connections()


@pytest.fixture
def network_printer() -> Iterator[Callable[..., FakeNetworkPrinter]]:
    made: list[FakeNetworkPrinter] = []

    def make(**kwargs: Any) -> FakeNetworkPrinter:
        printer = FakeNetworkPrinter(**kwargs)
        made.append(printer)
        return printer

    yield make
    for printer in made:
        printer.stop()


class PtyPeer(StatusAnsweringPeer):
    """The far end of a socat pty pair, answering like a serial printer."""

    def __init__(self, path: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._fd], [], [], 0.05)
            if ready:
                answer = self.feed(os.read(self._fd, 4096))
                if answer:
                    os.write(self._fd, answer)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(WAIT_S)
        os.close(self._fd)


@pytest.fixture
def pty_pair(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """Two linked ptys made by socat: (the printer's port, the peer's port)."""
    if shutil.which("socat") is None:
        pytest.skip("socat is not installed (apt-get install socat): no pty pair for serial")
    ours, theirs = tmp_path / "ttyPRN", tmp_path / "ttyPEER"
    process = subprocess.Popen(
        ["socat", "-d", "-d", f"pty,raw,echo=0,link={ours}", f"pty,raw,echo=0,link={theirs}"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        for line in process.stderr:  # socat says when both ends exist
            if "starting data transfer loop" in line:
                break
        else:
            pytest.fail(f"socat exited with {process.wait()}")
        yield ours, theirs
    finally:
        process.terminate()
        process.wait(WAIT_S)


@pytest.fixture
def serial_peer(pty_pair: tuple[Path, Path]) -> Iterator[Callable[..., PtyPeer]]:
    peers: list[PtyPeer] = []

    def make(**kwargs: Any) -> PtyPeer:
        peer = PtyPeer(pty_pair[1], **kwargs)
        peers.append(peer)
        return peer

    yield make
    for peer in peers:
        peer.stop()


# --- the printer emulator (drivers.sim.escpos_peer) on a real link ---------------------


@pytest.fixture
def peers(tmp_path: Path) -> Iterator[Callable[..., EscposPeer]]:
    """`peers("tcp" | "pty", **options)`: a started peer, stopped after the test."""
    made: list[EscposPeer] = []

    def make(link: str, **options: Any) -> EscposPeer:
        if link == "tcp":
            peer = EscposPeer.tcp(**options)
        else:
            if shutil.which("socat") is None:
                pytest.skip("socat is not installed (apt-get install socat)")
            directory = tmp_path / f"pty{len(made)}"
            directory.mkdir()
            peer = EscposPeer.pty(directory, **options)
        made.append(peer.start())
        return peer

    yield make
    for peer in made:
        peer.stop()
