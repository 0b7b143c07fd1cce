"""The printer emulator (drivers.sim.escpos_peer, printer.emulator) with the real ESC/POS
driver at the other end of a real link: a TCP socket on 127.0.0.1 and a socat pty pair
standing in for a serial cable at 115200 baud.

The driver's own hold-and-resume is tested in test_escpos.py; here the peer's buffer is
tested with raw transports, so it does not depend on what the driver does."""

from __future__ import annotations

import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from drivers.model import Availability, CoverState, PaperLevel
from drivers.sim.escpos_peer import EscposPeer, LineControlServer, PeerError, PeerFaultSettings
from drivers.sim.escpos_virtual import VirtualEscposPrinter
from drivers.sim.faults import Fault, FaultPlan
from drivers.transports.serial import SerialTransport
from drivers.transports.settings import SerialTransportSettings, TcpTransportSettings
from drivers.transports.tcp import TcpTransport
from printer.escpos_render import render_receipt
from printer.escpos_text import decode_escpos
from tests.devices.conftest import OWNER, WAIT_S, EventRecorder, sample_receipt
from tests.devices.helpers import escpos_printer

ROOT = Path(__file__).resolve().parents[2]
BAUD = 115200
STATUS_REQUEST = b"\x10\x04"

needs_socat = pytest.mark.skipif(shutil.which("socat") is None, reason="socat is not installed")


def driver_for(peer: EscposPeer, **settings: Any):
    """The real driver pointed at the peer, as a kiosk config would point it."""
    transport = peer.transport_settings(BAUD)
    if transport["type"] == "tcp":
        transport["connect_timeout_s"] = 1.0
    settings.setdefault("reconnect_max_s", 0.2)
    return escpos_printer(transport, **settings)


def raw_transport(peer: EscposPeer) -> TcpTransport | SerialTransport:
    """The project's own transport, without the driver: bytes in, answers out."""
    settings = peer.transport_settings(BAUD)
    if settings["type"] == "tcp":
        return TcpTransport(TcpTransportSettings.model_validate(settings))
    return SerialTransport(SerialTransportSettings.model_validate(settings))


def ask_status(transport: TcpTransport | SerialTransport, n: int) -> int:
    transport.write(STATUS_REQUEST + bytes([n]))
    return transport.read(1, WAIT_S)[0]


# --- receipts through real links ----------------------------------------------------------


@pytest.mark.parametrize("link", ["tcp", "pty"])
def test_a_receipt_printed_by_the_driver_decodes_back_to_its_text_and_qr(started, peers, link):
    peer = peers(link, baud=BAUD if link == "pty" else None)
    printer = started(driver_for(peer))
    assert printer.status.availability is Availability.ONLINE
    printed = printer.print_receipt(sample_receipt("231126-0042"), OWNER).result(WAIT_S)
    [receipt] = peer.wait_for_receipts(1)
    assert receipt.data == printed.data  # intact, and without the status requests
    text = decode_escpos(receipt.data)
    assert "[QR: https://desa.example/lacak/231126-0042]" in text
    assert "231126-0042" in text and "Siti Rahayu" in text and "PEMERINTAH DESA SUKAMAJU" in text
    assert text.rstrip().endswith("[CUT]")
    assert peer.printer.received_bytes > len(receipt.data)  # the status requests came too


def test_receipts_are_kept_apart_and_written_as_numbered_files(started, peers, tmp_path):
    out = tmp_path / "receipts"
    peer = peers("tcp", out_dir=out)
    printer = started(driver_for(peer))
    for code in ("A-1", "B-2"):
        printer.print_receipt(sample_receipt(code), OWNER).result(WAIT_S)
    first, second = peer.wait_for_receipts(2)
    assert (first.path, second.path) == (out / "0001.bin", out / "0002.bin")
    assert "A-1" in decode_escpos(first.path.read_bytes())
    assert "B-2" in decode_escpos(second.path.read_bytes())
    later = peers("tcp", out_dir=out)  # a second run in the same folder adds, never overwrites
    with raw_transport(later) as transport:
        transport.write(render_receipt(sample_receipt("C-3")))
    [third] = later.wait_for_receipts(1)
    assert third.path == out / "0003.bin" and first.path.read_bytes() == first.data


# --- status through the link ----------------------------------------------------------------


@pytest.mark.parametrize("link", ["tcp", "pty"])
@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("paper_out", {"paper": PaperLevel.OUT, "availability": Availability.OFFLINE}),
        ("cover_open", {"cover": CoverState.OPEN, "availability": Availability.OFFLINE}),
        ("paper_low", {"paper": PaperLevel.LOW, "availability": Availability.ONLINE}),
    ],
)
def test_a_fault_is_seen_by_the_driver_through_the_link(started, peers, link, fault, expected):
    peer = peers(link)
    printer = started(driver_for(peer))
    events = EventRecorder(printer)
    assert printer.status.paper is PaperLevel.FULL
    peer.inject(fault)
    printer.refresh_status().result(WAIT_S)
    events.wait_status(**expected)
    peer.clear(fault)
    printer.refresh_status().result(WAIT_S)
    events.wait_status(
        paper=PaperLevel.FULL, cover=CoverState.CLOSED, availability=Availability.ONLINE
    )


@pytest.mark.parametrize("link", ["tcp", "pty"])
def test_paper_low_still_prints(started, peers, link):
    peer = peers(link, faults=["paper_low"])
    printer = started(driver_for(peer))
    assert printer.status.paper is PaperLevel.LOW
    printer.print_receipt(sample_receipt("A-1"), OWNER).result(WAIT_S)
    [receipt] = peer.wait_for_receipts(1)
    assert "A-1" in decode_escpos(receipt.data)


@pytest.mark.parametrize("link", ["tcp", "pty"])
def test_a_printer_that_never_answers_status_still_prints(started, peers, link):
    peer = peers(link, faults=["no_status"])
    printer = started(driver_for(peer, status_timeout_s=0.2))
    printer.refresh_status().result(WAIT_S)
    assert printer.status.availability is Availability.ONLINE
    assert printer.status.paper is not PaperLevel.FULL  # it cannot know: never "ok"
    printer.print_receipt(sample_receipt("A-1"), OWNER).result(WAIT_S)
    [receipt] = peer.wait_for_receipts(1)
    assert "A-1" in decode_escpos(receipt.data)


@pytest.mark.parametrize("link", ["tcp", "pty"])
def test_unplugged_is_no_device_and_recovers_when_plugged_back(started, peers, link):
    peer = peers(link)
    printer = started(driver_for(peer))
    events = EventRecorder(printer)
    peer.unplug()
    assert not peer.plugged and not peer.connected
    printer.refresh_status().result(WAIT_S)
    events.wait_status(availability=Availability.NO_DEVICE)
    if link == "tcp":
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", peer.port), timeout=1.0).close()
    else:
        assert not peer.printer_port.exists()  # the cable is gone
    peer.plug()
    deadline = time.monotonic() + WAIT_S
    while printer.status.availability is not Availability.ONLINE:
        assert time.monotonic() < deadline, printer.status
        printer.refresh_status().result(WAIT_S)  # reconnects after its backoff
        time.sleep(0.05)
    printer.print_receipt(sample_receipt("A-1"), OWNER).result(WAIT_S)
    [receipt] = peer.wait_for_receipts(1)
    assert "A-1" in decode_escpos(receipt.data)


def test_a_printer_unplugged_at_start_can_be_plugged_in_later(peers):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    peer = peers("tcp", port=port, faults=["unplugged"])
    assert not peer.plugged
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1.0).close()
    peer.plug()
    with raw_transport(peer) as transport:
        assert ask_status(transport, 1) == 0x12


# --- the peer's receive buffer --------------------------------------------------------------


@pytest.mark.parametrize("link", ["tcp", "pty"])
def test_bytes_sent_while_stopped_come_out_as_one_receipt_after_clear_exactly_once(peers, link):
    script = [{"at_job": 2, "after_bytes": 120, "fault": "paper_out"}]
    peer = peers(link, fault_script=script)
    first, second = (render_receipt(sample_receipt(code)) for code in ("A-1", "B-2"))
    with raw_transport(peer) as transport:
        transport.write(first + second)
        peer.wait_for_receipts(1)
        assert ask_status(transport, 4) & 0x60  # paper out, said at once while stopped
        assert ask_status(transport, 1) & 0x08  # offline
        held = peer.printer.held
        assert 0 < len(held) < len(second) and second.endswith(held)  # kept, not printed
        assert peer.printer.pending == second[: len(second) - len(held)]
        assert len(peer.receipts()) == 1
        peer.clear("paper_out")  # paper loaded
        _, resumed = peer.wait_for_receipts(2)
        assert resumed.data == second  # the same receipt, whole
        assert ask_status(transport, 4) == 0x12
    assert [r.data for r in peer.receipts()] == [first, second]  # once
    assert peer.printer.held == b"" and peer.printer.pending == b""


def test_a_receipt_sent_with_the_cover_open_waits_whole_and_prints_once_closed(peers):
    peer = peers("tcp", faults=["cover_open"])
    data = render_receipt(sample_receipt("A-1"))
    with raw_transport(peer) as transport:
        transport.write(data)
        assert ask_status(transport, 2) & 0x04  # the answer comes back past the held bytes
        assert peer.printer.held == data and peer.receipts() == []
        peer.clear("cover_open")
        [receipt] = peer.wait_for_receipts(1)
        assert receipt.data == data
        transport.write(data)
        assert len(peer.wait_for_receipts(2)) == 2  # the next one prints at once


def test_the_virtual_printer_applies_a_mid_job_fault_once_per_job():
    plan = FaultPlan(
        script=PeerFaultSettings.model_validate(
            {"fault_script": [{"at_job": 1, "after_bytes": 10, "fault": "cover_open"}]}
        ).fault_script
    )
    printer = VirtualEscposPrinter(plan)
    data = render_receipt(sample_receipt())
    printer.receive(data)
    assert Fault.COVER_OPEN in printer.active_faults() and printer.printed() == []
    printer.clear("cover_open")
    assert [r.data for r in printer.printed()] == [data]  # not struck again in job 1
    printer.receive(data)
    assert len(printer.printed()) == 2  # job 2 has no step


def test_after_bytes_needs_a_job():
    with pytest.raises(ValidationError, match="give at_job with it"):
        PeerFaultSettings.model_validate(
            {"fault_script": [{"at_read": 1, "after_bytes": 10, "fault": "paper_out"}]}
        )
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        PeerFaultSettings.model_validate(
            {"fault_script": [{"at_job": 1, "after_bytes": 0, "fault": "paper_out"}]}
        )


# --- the link itself --------------------------------------------------------------------------


def test_one_tcp_client_at_a_time_and_the_next_one_is_served_after(peers):
    peer = peers("tcp")
    first, second = (render_receipt(sample_receipt(code)) for code in ("A-1", "B-2"))
    with socket.create_connection(("127.0.0.1", peer.port)) as one:
        one.sendall(first)
        peer.wait_for_receipts(1)
        two = socket.create_connection(("127.0.0.1", peer.port))
        two.sendall(second)  # waits in the queue while the first client is connected
        time.sleep(0.3)
        assert len(peer.receipts()) == 1
    _, served = peer.wait_for_receipts(2)  # the first left: the second is served
    two.close()
    assert served.data == second


@needs_socat
def test_baud_pacing_makes_the_sender_wait_as_a_real_line_would(peers):
    slow = peers("pty", baud=38400)
    data = render_receipt(sample_receipt()) * 3  # ~1.5 kB: 0.4 s at 38400 baud
    line_time = len(data) * 10 / 38400
    with raw_transport(slow) as transport:
        started_at = time.monotonic()
        transport.write(data)
        last = slow.wait_for_receipts(3)[-1]
    assert line_time <= last.at - started_at < line_time + 1.0
    fast = peers("pty")  # no pacing: a pty is as fast as memory
    with raw_transport(fast) as transport:
        started_at = time.monotonic()
        transport.write(data)
        last = fast.wait_for_receipts(3)[-1]
    assert last.at - started_at < line_time / 2


@needs_socat
def test_stop_ends_socat_threads_and_links(tmp_path):
    before = set(threading.enumerate())
    peer = EscposPeer.pty(tmp_path, baud=BAUD).start()
    assert peer.printer_port.exists() and peer.connected
    peer.unplug()
    peer.plug()  # a second socat
    peer.stop()
    peer.stop()  # twice is fine
    assert not peer.printer_port.exists() and not (tmp_path / "ttyPEER").exists()
    assert set(threading.enumerate()) == before
    assert (
        b"socat"
        not in subprocess.run(
            ["ps", "-o", "comm=", "--ppid", str(os.getpid())], capture_output=True, check=False
        ).stdout
    )


def test_stop_closes_the_tcp_port():
    before = set(threading.enumerate())
    peer = EscposPeer.tcp().start()
    with socket.create_connection(("127.0.0.1", peer.port)):
        peer.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", peer.port), timeout=1.0).close()
    assert set(threading.enumerate()) == before


def test_a_port_in_use_is_a_clear_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        peer = EscposPeer.tcp(taken.getsockname()[1])
        with pytest.raises(PeerError, match=r"cannot listen on 127\.0\.0\.1:"):
            peer.start()


# --- live control -----------------------------------------------------------------------------


def test_control_lines_change_the_state_the_link_reports(peers):
    peer = peers("tcp")
    with raw_transport(peer) as transport:
        assert peer.command("inject paper_out").startswith("ok: ")
        assert ask_status(transport, 4) & 0x60
        assert peer.command("clear paper_out").startswith("ok: ")
        assert ask_status(transport, 4) == 0x12
    assert "faults: none" in peer.command("status")
    assert peer.command("inject toner_low").startswith("error: unknown fault 'toner_low'")
    assert peer.command("unplug sideways").startswith("error: cannot read")
    assert peer.command("unplug").startswith("ok: unplugged")
    assert peer.command("plug").startswith("ok: plugged")


def test_a_control_socket_takes_the_same_lines(peers):
    peer = peers("tcp")
    control = LineControlServer(peer.command)
    try:
        with socket.create_connection(("127.0.0.1", control.port), timeout=WAIT_S) as link:
            replies = link.makefile("r")
            link.sendall(b"inject cover_open\nstatus\n")
            assert replies.readline().startswith("ok: ")
            assert "faults: cover_open" in replies.readline()
    finally:
        control.stop()
    assert Fault.COVER_OPEN in peer.faults


# --- the command-line emulator ----------------------------------------------------------------


class EmulatorProcess:
    """`python -m printer.emulator ...` with its stdout read line by line."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "printer.emulator", *args],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._lines: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))

    def next_line(self, timeout_s: float = WAIT_S) -> str:
        try:
            return self._lines.get(timeout=timeout_s)
        except queue.Empty:
            raise AssertionError("the emulator said nothing in time") from None

    def send(self, line: str) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return self.next_line()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(WAIT_S)


@pytest.fixture
def emulator() -> Iterator[Callable[..., EmulatorProcess]]:
    made: list[EmulatorProcess] = []

    def start(*args: str) -> EmulatorProcess:
        made.append(EmulatorProcess(*args))
        return made[-1]

    yield start
    for process in made:
        process.stop()


def kiosk_transport(ready_line: str) -> dict[str, Any]:
    """The `transport = {...}` the emulator's first line gives, as a dict."""
    import tomllib

    assert ready_line.startswith("emulator ready: "), ready_line
    return tomllib.loads(ready_line.split("kiosk config: ", 1)[1])["transport"]


def test_the_emulator_prints_writes_files_and_takes_control_lines(started, emulator, tmp_path):
    out = tmp_path / "out"
    run = emulator("--tcp", "127.0.0.1:0", "--out", str(out), "--columns", "48")
    transport = kiosk_transport(run.next_line())
    printer = started(escpos_printer({**transport, "connect_timeout_s": 1.0}))
    printer.print_receipt(sample_receipt("231126-0042"), OWNER).result(WAIT_S)
    line = run.next_line()
    assert line.startswith("receipt 1: ") and "[QR: https://desa.example/lacak/231126-0042]" in line
    assert (out / "0001.bin").read_bytes().startswith(b"\x1b@")
    text = (out / "0001.txt").read_text(encoding="utf-8")
    assert "231126-0042" in text and "[QR: https://desa.example/lacak/231126-0042]" in text
    events = EventRecorder(printer)
    assert "faults: paper_out" in run.send("inject paper_out")
    printer.refresh_status().result(WAIT_S)
    events.wait_status(paper=PaperLevel.OUT)
    assert run.send("inject nonsense").startswith("error: unknown fault")
    assert "faults: none" in run.send("clear paper_out")
    assert run.send("quit") == "ok: quitting"
    assert run.process.wait(WAIT_S) == 0


@needs_socat
def test_the_emulator_on_a_pty_pair_for_a_serial_kiosk(started, emulator, tmp_path):
    run = emulator("--pty", str(tmp_path), "--baud", str(BAUD), "--fault", "paper_low")
    transport = kiosk_transport(run.next_line())
    assert transport == {"type": "serial", "port": str(tmp_path / "ttyPRN"), "baudrate": BAUD}
    printer = started(escpos_printer(transport))
    assert printer.status.paper is PaperLevel.LOW
    printer.print_receipt(sample_receipt("A-1"), OWNER).result(WAIT_S)
    assert run.next_line().startswith("receipt 1: ")
    printer.close().result(WAIT_S)
    run.process.terminate()  # SIGTERM: a clean stop, socat ends and its links go
    assert run.process.wait(WAIT_S) == 0
    assert not (tmp_path / "ttyPRN").exists()


def test_the_emulator_refuses_bad_settings_clearly(emulator, tmp_path):
    script = tmp_path / "faults.toml"
    script.write_text('fault_script = [{at_job = 1, fault = "toner_low"}]\n')
    run = emulator("--tcp", "0", "--script", str(script))
    assert run.process.wait(WAIT_S) == 2
    assert run.process.stderr is not None
    error = run.process.stderr.read()
    assert str(script) in error and "fault_script.0.fault" in error and "Traceback" not in error
    run = emulator("--tcp", "not-a-port")
    assert run.process.wait(WAIT_S) == 2
    assert run.process.stderr is not None
    assert "not a port" in run.process.stderr.read()
