"""A printer emulator on a real link: the far end of a TCP socket or of a serial cable.

`EscposPeer` runs a `VirtualEscposPrinter` on the bytes a driver sends through a real
link, writes its status answers back, and records every receipt. The driver under test
cannot tell it from a printer:

- TCP: it listens on 127.0.0.1 (a given port, or a free one), serves one client at a
  time like a network printer's raw port (a second client waits until the first leaves)
  and accepts reconnections;
- pty: it starts `socat -d -d pty,raw,echo=0,link=DIR/ttyPRN pty,raw,echo=0,link=DIR/ttyPEER`,
  waits until both links exist, and reads DIR/ttyPEER; the driver opens DIR/ttyPRN as a
  serial port. ptys ignore the baud rate, so `baud` makes the peer read no faster than
  such a line carries (10 bits a byte: start, 8 data, stop), and the sender waits as it
  would for a real printer.

Its state is scripted like the simulated transport's (`faults`, `fault_script`, the same
FaultPlan) and can be changed live: `inject`/`clear` a fault, `unplug` (the TCP listener
closes and connections are refused; the pty pair goes away, as a pulled cable or a
printer switched off) and `plug` back. `command()` takes the same as text lines, for a
console or the small control socket of `LineControlServer`.

One thread serves the link (it alone touches the sockets or the pty, so unplugging
from another thread is a request it carries out); a pty link has one more thread that
reads socat's messages. `stop()` ends both and socat.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import select
import shutil
import socket
import subprocess
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from drivers.sim.escpos_virtual import VirtualEscposPrinter, VirtualReceipt
from drivers.sim.faults import ESCPOS_PRINTER_FAULTS, Fault, FaultPlan, FaultSettings, ScriptedFault

logger = logging.getLogger(__name__)

BITS_PER_BYTE = 10  # start bit, 8 data bits, stop bit (8N1)
PACING_SLICE_S = 0.005  # with `baud`, read about this much of the line at a time
PACING_SLACK_S = 0.01  # bytes waiting this soon after the line's last one continue it
LINK_CHANGE_TIMEOUT_S = 5.0
SOCAT_START_TIMEOUT_S = 5.0
RECEIPT_FILE = re.compile(r"^(\d{4,})\.bin$")


class PeerError(Exception):
    """The emulator cannot do what was asked (port in use, socat missing, ...)."""


class PeerFaultSettings(FaultSettings):
    """`faults` and `fault_script` of the emulated printer, as in a simulated transport's
    table (and in the emulator's `--script` file)."""

    supported_faults: ClassVar[frozenset[Fault]] = ESCPOS_PRINTER_FAULTS


@dataclass(frozen=True)
class PeerReceipt:
    """A receipt the emulated printer cut: its bytes, when it was cut (time.monotonic(),
    i.e. when its last byte was printed) and its file, if the peer writes files."""

    number: int
    data: bytes
    at: float
    path: Path | None = None


ReceiptCallback = Callable[[PeerReceipt], None]


# --- links ---------------------------------------------------------------------------------


class _Link(ABC):
    """One kind of cable. Used by the peer's serving thread only (and by `start`)."""

    @abstractmethod
    def plug(self) -> None:
        """Make the link exist. Raises PeerError."""

    @abstractmethod
    def unplug(self) -> None:
        """Remove it; never raises."""

    @abstractmethod
    def read(self, limit: int, timeout_s: float, wake_fd: int) -> bytes:
        """Up to `limit` bytes from the host; b"" after `timeout_s` or when `wake_fd`
        becomes readable."""

    @abstractmethod
    def write(self, data: bytes) -> None:
        """Answer the host; lost if nobody is connected."""

    @property
    @abstractmethod
    def healthy(self) -> bool:
        """False when a plugged link died by itself (socat killed): plug it again."""

    @property
    @abstractmethod
    def connected(self) -> bool:
        """A host is there (TCP: a client; pty: always, while plugged)."""

    @abstractmethod
    def describe(self) -> str: ...


class _TcpLink(_Link):
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._listener: socket.socket | None = None
        self._client: socket.socket | None = None

    def plug(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((self.host, self.port))
            listener.listen(4)  # later clients wait their turn, as at a printer's raw port
        except OSError as error:
            listener.close()
            raise PeerError(f"cannot listen on {self.host}:{self.port}: {error.strerror}") from None
        self.port = listener.getsockname()[1]  # a free port chosen once stays the port
        self._listener = listener

    def unplug(self) -> None:
        self._drop_client()
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()  # connections not accepted yet are reset

    def read(self, limit: int, timeout_s: float, wake_fd: int) -> bytes:
        if self._client is None:
            if not _wait_readable(self._listener, timeout_s, wake_fd):
                return b""
            assert self._listener is not None
            try:
                client, _ = self._listener.accept()
            except OSError:
                return b""
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._client = client
            return b""
        if not _wait_readable(self._client, timeout_s, wake_fd):
            return b""
        try:
            data = self._client.recv(limit)
        except OSError:
            data = b""
        if not data:  # the client left: the next one may come
            self._drop_client()
        return data

    def write(self, data: bytes) -> None:
        if self._client is None:
            return
        try:
            self._client.sendall(data)
        except OSError:
            self._drop_client()

    @property
    def healthy(self) -> bool:
        return True

    @property
    def connected(self) -> bool:
        return self._client is not None

    def describe(self) -> str:
        return f"tcp {self.host}:{self.port}"

    def _drop_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(OSError):  # already gone
                client.shutdown(socket.SHUT_RDWR)
            client.close()


class _PtyLink(_Link):
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.printer_port = directory / "ttyPRN"  # the driver's end
        self.peer_port = directory / "ttyPEER"  # ours
        self._socat: subprocess.Popen[bytes] | None = None
        self._fd: int | None = None
        self._messages: threading.Thread | None = None
        self._last_messages: list[str] = []

    def plug(self) -> None:
        socat = shutil.which("socat")
        if socat is None:
            raise PeerError("socat is not installed (apt-get install socat): no pty pair")
        if not self.directory.is_dir():
            raise PeerError(f"no such directory: {self.directory}")
        process = subprocess.Popen(
            [
                socat,
                "-d",
                "-d",
                f"pty,raw,echo=0,link={self.printer_port}",
                f"pty,raw,echo=0,link={self.peer_port}",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._socat = process
        try:
            self._wait_for_socat(process)
            self._fd = os.open(self.peer_port, os.O_RDWR | os.O_NOCTTY)
        except (PeerError, OSError) as error:
            self.unplug()
            raise PeerError(f"pty pair in {self.directory}: {error}") from None
        self._messages = threading.Thread(
            target=self._keep_reading_messages, args=(process,), name="socat-messages"
        )
        self._messages.start()

    def unplug(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
        process, self._socat = self._socat, None
        if process is not None:
            if process.poll() is None:
                process.terminate()  # socat removes both links as it exits
            try:
                process.wait(LINK_CHANGE_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        messages, self._messages = self._messages, None
        if messages is not None:
            messages.join(LINK_CHANGE_TIMEOUT_S)
        elif process is not None and process.stderr is not None:
            process.stderr.close()

    def read(self, limit: int, timeout_s: float, wake_fd: int) -> bytes:
        if self._fd is None:
            _wait_readable(None, timeout_s, wake_fd)
            return b""
        if not _wait_readable(self._fd, timeout_s, wake_fd):
            return b""
        try:
            return os.read(self._fd, limit)
        except OSError:  # EIO: socat went away; the peer plugs the link again
            _wait_readable(None, min(timeout_s, 0.05), wake_fd)
            return b""

    def write(self, data: bytes) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            while data:
                data = data[os.write(self._fd, data) :]

    @property
    def healthy(self) -> bool:
        return self._socat is None or self._socat.poll() is None

    @property
    def connected(self) -> bool:
        return self._fd is not None and self.healthy

    def describe(self) -> str:
        return f"pty {self.printer_port}"

    def _wait_for_socat(self, process: subprocess.Popen[bytes]) -> None:
        """socat says when both ptys exist and it carries data between them. Read with
        os.read, not readline: a buffered reader may hold the line select waits for."""
        assert process.stderr is not None
        fd, said = process.stderr.fileno(), b""
        deadline = time.monotonic() + SOCAT_START_TIMEOUT_S
        while b"starting data transfer loop" not in said:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(remaining, 0))
            if not ready:
                self._remember(said)
                raise PeerError(
                    f"socat did not start within {SOCAT_START_TIMEOUT_S:g} s: {self._said()}"
                )
            chunk = os.read(fd, 4096)
            said += chunk
            if not chunk:
                self._remember(said)
                raise PeerError(f"socat exited with {process.wait()}: {self._said()}")
        self._remember(said)
        if not (self.printer_port.exists() and self.peer_port.exists()):
            raise PeerError("socat started but its links are missing")

    def _keep_reading_messages(self, process: subprocess.Popen[bytes]) -> None:
        """socat's stderr must be read, or it would block once the pipe is full."""
        assert process.stderr is not None
        with process.stderr as stream:
            for line in stream:
                self._remember(line)

    def _remember(self, said: bytes) -> None:
        lines = said.decode(errors="replace").splitlines()
        self._last_messages = [*self._last_messages, *(line.strip() for line in lines)][-5:]

    def _said(self) -> str:
        return " / ".join(self._last_messages) or "nothing"


def _wait_readable(source: socket.socket | int | None, timeout_s: float, wake_fd: int) -> bool:
    """Wait until `source` has data; False on timeout or when woken."""
    watched: list[Any] = [wake_fd] if source is None else [source, wake_fd]
    try:
        ready, _, _ = select.select(watched, [], [], max(timeout_s, 0.0))
    except (OSError, ValueError):  # closed under us
        return False
    return source is not None and source in ready


# --- the peer -------------------------------------------------------------------------------


class EscposPeer:
    """The emulated printer at the far end of a link. Build it with `tcp()` or `pty()`,
    then `start()` it (or use it as a context manager)."""

    def __init__(
        self,
        link: _Link,
        *,
        faults: FaultPlan | Iterable[Fault | str] = (),
        fault_script: Iterable[ScriptedFault | Mapping[str, Any]] = (),
        baud: int | None = None,
        out_dir: Path | None = None,
        on_receipt: ReceiptCallback | None = None,
    ) -> None:
        if baud is not None and baud <= 0:
            raise ValueError(f"baud must be positive, not {baud}")
        self._link = link
        self.printer = VirtualEscposPrinter(_fault_plan(faults, fault_script))
        self.baud = baud
        self.out_dir = out_dir
        self._on_receipt = on_receipt
        self._changed = threading.Condition()
        self._receipts: list[PeerReceipt] = []
        self._next_file_number = 1
        self._plugged = False  # what the link is now; the faults say what it should be
        self._link_error = ""
        self._stopping = threading.Event()
        self._wake_read, self._wake_write = -1, -1  # a pipe while started
        self._wake_lock = threading.Lock()  # a late listener never writes to a closed pipe
        self._thread: threading.Thread | None = None
        self._line_free_at = 0.0  # with `baud`: when the line has carried what was read
        self._unsubscribe: list[Callable[[], None]] = []

    @classmethod
    def tcp(cls, port: int = 0, host: str = "127.0.0.1", **options: Any) -> EscposPeer:
        """A network printer's raw port on `host:port` (0: a free port; see `.port`)."""
        return cls(_TcpLink(host, port), **options)

    @classmethod
    def pty(cls, directory: Path, **options: Any) -> EscposPeer:
        """A serial printer behind a socat pty pair in `directory`; the driver opens
        `.printer_port` (DIR/ttyPRN)."""
        return cls(_PtyLink(Path(directory)), **options)

    # --- life ------------------------------------------------------------------------------

    def start(self) -> EscposPeer:
        if self._thread is not None:
            return self
        if self.out_dir is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            self._next_file_number = _next_free_number(self.out_dir)
        if Fault.UNPLUGGED not in self.faults:
            self._link.plug()  # fails here, at once, if the port is taken or socat missing
            self._plugged = True
        self._stopping.clear()
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_write, False)
        self._unsubscribe = [
            self.printer.on_receipt(self._record),
            self.faults.subscribe(lambda _active: self._link_may_change()),
        ]
        self._thread = threading.Thread(target=self._serve, name="escpos-peer")
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the link (socat ends), end the threads. Safe to call twice."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._stopping.set()
        self._wake()
        thread.join()
        with self._wake_lock:
            os.close(self._wake_read)
            os.close(self._wake_write)
            self._wake_read, self._wake_write = -1, -1

    def __enter__(self) -> EscposPeer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # --- where it is ------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port (after `start`, when asked for a free one)."""
        if not isinstance(self._link, _TcpLink):
            raise AttributeError("a pty peer has no TCP port; see printer_port")
        return self._link.port

    @property
    def printer_port(self) -> Path:
        """The serial port the driver opens (DIR/ttyPRN)."""
        if not isinstance(self._link, _PtyLink):
            raise AttributeError("a TCP peer has no serial port; see port")
        return self._link.printer_port

    def describe(self) -> str:
        return self._link.describe()

    def transport_settings(self, baudrate: int = 115200) -> dict[str, Any]:
        """The `transport` table a kiosk config (or a test) points at this peer with."""
        if isinstance(self._link, _TcpLink):
            return {"type": "tcp", "host": self._link.host, "port": self._link.port}
        return {"type": "serial", "port": str(self.printer_port), "baudrate": self.baud or baudrate}

    # --- state and control ------------------------------------------------------------------

    @property
    def faults(self) -> FaultPlan:
        return self.printer.faults

    def inject(self, fault: Fault | str) -> None:
        self.faults.inject(fault)

    def clear(self, fault: Fault | str) -> None:
        self.faults.clear(fault)

    def unplug(self) -> None:
        """Pull the cable: TCP connections are refused, the pty pair goes away."""
        self.inject(Fault.UNPLUGGED)

    def plug(self) -> None:
        """Plug it back. Raises PeerError if the link cannot be made again."""
        self.clear(Fault.UNPLUGGED)
        if self._link_error:
            raise PeerError(self._link_error)

    @property
    def plugged(self) -> bool:
        with self._changed:
            return self._plugged

    @property
    def connected(self) -> bool:
        """A host is connected (TCP: a client; pty: the link is up)."""
        return self.plugged and self._link.connected

    def receipts(self) -> list[PeerReceipt]:
        with self._changed:
            return list(self._receipts)

    def wait_for_receipts(self, count: int, timeout_s: float = 5.0) -> list[PeerReceipt]:
        """The first `count` receipts, once there are that many; PeerError if not in time."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._receipts) >= count, timeout_s):
                raise PeerError(
                    f"{len(self._receipts)} receipt(s) within {timeout_s:g} s, not {count}"
                )
            return self._receipts[:count]

    def status_line(self) -> str:
        faults = ", ".join(sorted(self.faults.active - {Fault.UNPLUGGED})) or "none"
        if self.plugged:
            link = f"plugged, {self.describe()}, {'connected' if self.connected else 'idle'}"
        else:
            link = f"unplugged ({self.describe()})"
        return (
            f"{link}; faults: {faults}; receipts: {len(self.receipts())}; "
            f"held: {len(self.printer.held)} bytes; received: {self.printer.received_bytes} bytes"
        )

    COMMANDS = "inject FAULT, clear FAULT, unplug, plug, status, help"

    def command(self, line: str) -> str:
        """Carry out one control line ("inject paper_out", "unplug", ...); the answer
        starts with "ok" or "error"."""
        words = line.split()
        if not words:
            return "error: empty command; commands: " + self.COMMANDS
        verb, arguments = words[0].lower(), words[1:]
        if verb in ("inject", "clear") and arguments and arguments[0] not in self.faults.supported:
            known = ", ".join(sorted(self.faults.supported))
            return f"error: unknown fault {arguments[0]!r}; known: {known}"
        try:
            if verb in ("inject", "clear") and len(arguments) == 1:
                (self.inject if verb == "inject" else self.clear)(arguments[0])
            elif verb in ("unplug", "plug") and not arguments:
                (self.unplug if verb == "unplug" else self.plug)()
            elif verb in ("status", "help") and not arguments:
                pass
            else:
                return f"error: cannot read {line.strip()!r}; commands: {self.COMMANDS}"
        except (ValueError, PeerError) as error:
            return f"error: {error}"
        if verb == "help":
            return "ok: commands: " + self.COMMANDS
        return "ok: " + self.status_line()

    # --- the serving thread -----------------------------------------------------------------

    def _serve(self) -> None:
        try:
            while not self._stopping.is_set():
                self._follow_the_plug()
                asked_at = time.monotonic()
                data = self._link.read(self._read_limit(), 0.5, self._wake_read)
                self._drain_wake_pipe()
                if data:
                    self._pace(len(data), asked_at)
                    answer = self.printer.receive(data)
                    if answer:
                        self._link.write(answer)
        finally:
            self._link.unplug()

    def _follow_the_plug(self) -> None:
        """Unplug or plug the link when the `unplugged` fault says so (or socat died)."""
        wanted = Fault.UNPLUGGED not in self.faults
        if self._plugged and (not wanted or not self._link.healthy):
            self._link.unplug()
            self._set_plugged(False)
        if wanted and not self._plugged:
            try:
                self._link.plug()
            except PeerError as error:
                self._set_plugged(False, str(error))
                self._stopping.wait(0.5)  # try again soon (the port may be freed)
                return
            self._set_plugged(True)

    def _set_plugged(self, plugged: bool, error: str = "") -> None:
        with self._changed:
            self._plugged, self._link_error = plugged, error
            self._changed.notify_all()

    def _link_may_change(self) -> None:
        """A fault changed: if it was `unplugged`, wait until the link follows, so that
        after `unplug()` connections are refused (unless we are the serving thread)."""
        with self._changed:
            self._link_error = ""  # a new try: an old failure says nothing about it
        self._wake()
        if threading.current_thread() is self._thread or self._thread is None:
            return
        wanted = Fault.UNPLUGGED not in self.faults
        with self._changed:
            self._changed.wait_for(
                lambda: self._plugged == wanted or bool(self._link_error),
                LINK_CHANGE_TIMEOUT_S,
            )

    def _read_limit(self) -> int:
        if self.baud is None:
            return 65536
        return max(1, int(self.baud / BITS_PER_BYTE * PACING_SLICE_S))

    def _pace(self, count: int, asked_at: float) -> None:
        """With `baud`: the bytes just read are taken only when the line has carried them.
        `asked_at`: when the read began."""
        if self.baud is None:
            return
        now = time.monotonic()
        # Bytes that were already waiting when we asked (we were pacing the previous
        # ones, and woke a little late) queued behind the line's last byte: the line
        # carried them back to back, so time them from its end, or every late wake-up
        # would slow the line down. Bytes we had to wait for start now.
        waited = now - asked_at > PACING_SLACK_S / 10
        recent = asked_at - self._line_free_at < PACING_SLACK_S
        start = self._line_free_at if recent and not waited else now
        self._line_free_at = start + count * BITS_PER_BYTE / self.baud
        delay = self._line_free_at - now
        if delay > 0:
            self._stopping.wait(delay)

    def _wake(self) -> None:
        with self._wake_lock:
            if self._wake_write >= 0:
                with contextlib.suppress(BlockingIOError):  # full: the thread is woken anyway
                    os.write(self._wake_write, b"x")

    def _drain_wake_pipe(self) -> None:
        while _wait_readable(None, 0, self._wake_read):
            os.read(self._wake_read, 512)

    # --- receipts ---------------------------------------------------------------------------

    def _record(self, receipt: VirtualReceipt) -> None:
        at = time.monotonic()
        with self._changed:
            path = None
            if self.out_dir is not None:
                path = self.out_dir / f"{self._next_file_number:04d}.bin"
                self._next_file_number += 1
                path.write_bytes(receipt.data)
            recorded = PeerReceipt(len(self._receipts) + 1, receipt.data, at, path)
            self._receipts.append(recorded)
            self._changed.notify_all()
        if self._on_receipt is not None:
            try:
                self._on_receipt(recorded)
            except Exception:  # a faulty callback must not stop the printer
                logger.exception("receipt callback failed for receipt %d", recorded.number)


def _fault_plan(
    faults: FaultPlan | Iterable[Fault | str],
    fault_script: Iterable[ScriptedFault | Mapping[str, Any]],
) -> FaultPlan:
    if isinstance(faults, FaultPlan):
        if list(fault_script):
            raise ValueError("give fault_script inside the FaultPlan, not beside it")
        return faults
    settings = PeerFaultSettings.model_validate(
        {"faults": list(faults), "fault_script": list(fault_script)}
    )
    return settings.fault_plan()


def _next_free_number(directory: Path) -> int:
    """After the highest NNNN.bin already there: a second run never overwrites a first."""
    numbers = [int(m.group(1)) for p in directory.iterdir() if (m := RECEIPT_FILE.match(p.name))]
    return max(numbers, default=0) + 1


# --- a control socket -----------------------------------------------------------------------


class LineControlServer:
    """Text lines in, one answer line out, on a TCP port of 127.0.0.1: live control of
    an emulator run by another process (`printf 'inject paper_out\\n' | nc 127.0.0.1 PORT`).
    One connection at a time; `handle` is called on the server's thread."""

    def __init__(self, handle: Callable[[str], str], port: int = 0, host: str = "127.0.0.1"):
        self._handle = handle
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._listener.bind((host, port))
            self._listener.listen(4)
        except OSError as error:
            self._listener.close()
            raise PeerError(f"cannot listen on {host}:{port}: {error.strerror}") from None
        self.host, self.port = host, self._listener.getsockname()[1]
        self._wake_read, self._wake_write = os.pipe()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="escpos-peer-control")
        self._thread.start()

    def stop(self) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        os.write(self._wake_write, b"x")
        self._thread.join()
        self._listener.close()
        os.close(self._wake_read)
        os.close(self._wake_write)

    def _serve(self) -> None:
        while not self._stopping.is_set():
            if not _wait_readable(self._listener, 0.5, self._wake_read):
                continue
            try:
                connection, _ = self._listener.accept()
            except OSError:
                continue
            with connection:
                self._converse(connection)

    def _converse(self, connection: socket.socket) -> None:
        pending = b""
        while not self._stopping.is_set():
            if not _wait_readable(connection, 0.5, self._wake_read):
                continue
            try:
                data = connection.recv(4096)
            except OSError:
                return
            if not data:
                return
            pending += data
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                answer = self._handle(line.decode("utf-8", errors="replace"))
                try:
                    connection.sendall(answer.encode() + b"\n")
                except OSError as error:
                    if error.errno not in (errno.EPIPE, errno.ECONNRESET):
                        logger.warning("control connection failed: %s", error)
                    return
