"""The `usb` transport. usblp mode against a real pty pair made by socat (a device file
the kernel serves, like /dev/usb/lp0), with a peer answering status on the far end;
libusb mode against the real libusb, which finds no printer on this machine."""

from __future__ import annotations

import fcntl
import os
import select
import shutil
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from drivers.model import Availability, CoverState, DeviceError, ErrorKind, PaperLevel
from drivers.transports.base import TransportError, TransportErrorKind
from drivers.transports.settings import UsbTransportSettings
from drivers.transports.usb import UsbTransport
from kiosk.config import ConfigError, load_config
from printer.escpos_text import decode_escpos
from tests.devices.conftest import OWNER, WAIT_S, EventRecorder, PtyPeer, sample_receipt
from tests.devices.helpers import escpos_printer

ROOT = Path(__file__).resolve().parents[2]
NO_SUCH_DEVICE = "no such device; is the printer on and plugged in?"
ABSENT_IDS = (0x04B8, 0x0202)  # an Epson TM receipt printer: not plugged into this machine


def failure(job: Any) -> DeviceError:
    error = job.future.exception(WAIT_S)
    assert isinstance(error, DeviceError), error
    return error


def usb_link(device: Path | str, **settings: Any) -> UsbTransport:
    return UsbTransport(UsbTransportSettings(type="usb", device=str(device), **settings))


def usblp(device: Path, **settings: Any) -> dict[str, Any]:
    return {"type": "usb", "device": str(device), **settings}


class PtyCable:
    """A socat pty pair: `device` is the kiosk's end (like /dev/usb/lp0), `peer` the
    printer's. Unplugging stops socat: the kiosk's end hangs up and its path goes away."""

    def __init__(self, folder: Path) -> None:
        self.device, self.peer = folder / "lp0", folder / "peer"
        self._process: subprocess.Popen[str] | None = None
        self.peers: list[PtyPeer] = []

    def plug(self) -> None:
        process = subprocess.Popen(
            [
                "socat",
                "-d",
                "-d",
                f"pty,raw,echo=0,link={self.device}",
                f"pty,raw,echo=0,link={self.peer}",
            ],
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stderr is not None
        for line in process.stderr:  # socat says when both ends exist
            if "starting data transfer loop" in line:
                break
        else:
            pytest.fail(f"socat exited with {process.wait()}")
        self._process = process

    def answer(self, **kwargs: Any) -> PtyPeer:
        """A printer on the far end that reads everything and answers status requests."""
        peer = PtyPeer(self.peer, **kwargs)
        self.peers.append(peer)
        return peer

    def unplug(self) -> None:
        for peer in self.peers:
            peer.stop()
        self.peers.clear()
        if self._process is not None:
            self._process.terminate()
            self._process.wait(WAIT_S)
            self._process = None


@pytest.fixture
def cable(tmp_path: Path) -> Iterator[PtyCable]:
    if shutil.which("socat") is None:
        pytest.skip("socat is not installed (apt-get install socat): no pty pair")
    made = PtyCable(tmp_path)
    made.plug()
    yield made
    made.unplug()


# --- usblp mode: printing and status ------------------------------------------------------


def test_a_receipt_prints_through_the_device_file(started, cable):
    peer = cable.answer()
    printer = started(escpos_printer(usblp(cable.device)))
    status = printer.status
    assert (status.availability, status.paper, status.cover) == (
        Availability.ONLINE,
        PaperLevel.FULL,
        CoverState.CLOSED,
    )
    assert f"usb {cable.device}" in printer.capabilities.model
    printed = printer.print_receipt(sample_receipt("231126-0042"), OWNER).result(WAIT_S)
    assert peer.printed() == printed.data  # every byte arrived, in order
    text = decode_escpos(peer.printed())
    assert "231126-0042" in text and "Siti Rahayu" in text
    assert "[QR: https://desa.example/lacak/231126-0042]" in text


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({4: 0x1E}, (Availability.ONLINE, PaperLevel.LOW, CoverState.CLOSED)),
        ({1: 0x1A, 2: 0x32, 4: 0x7E}, (Availability.OFFLINE, PaperLevel.OUT, CoverState.CLOSED)),
        ({1: 0x1A, 2: 0x16}, (Availability.OFFLINE, PaperLevel.FULL, CoverState.OPEN)),
    ],
    ids=["paper-near-end", "paper-out", "cover-open"],
)
def test_the_printer_answers_status_through_the_device_file(started, cable, answers, expected):
    cable.answer(answers=answers)
    printer = started(escpos_printer(usblp(cable.device)))
    status = printer.status
    assert (status.availability, status.paper, status.cover) == expected


def test_the_transport_reads_answers_and_times_out_without_one(cable):
    cable.answer(silent=True)
    with usb_link(cable.device) as link:
        started = time.monotonic()
        with pytest.raises(TransportError) as caught:
            link.read(1, 0.2)
        assert caught.value.kind is TransportErrorKind.TIMEOUT
        assert 0.15 < time.monotonic() - started < 2
        assert link.is_open  # a missing answer is no reason to hang up
    cable.unplug()
    cable.plug()
    cable.answer()
    with usb_link(cable.device) as link:
        link.open()  # opening twice is harmless
        link.write(b"\x10\x04\x04")
        assert link.read(8, WAIT_S) == b"\x12"


# --- usblp mode: what goes wrong ------------------------------------------------------------


def test_a_missing_device_file_is_no_device_with_a_clear_message(started, tmp_path):
    missing = tmp_path / "lp7"
    with pytest.raises(TransportError) as caught:
        usb_link(missing).open()
    assert caught.value.kind is TransportErrorKind.NO_DEVICE
    assert caught.value.message == f"usb {missing}: {NO_SUCH_DEVICE}"

    printer = started(escpos_printer(usblp(missing), hold_timeout_s=0))
    assert printer.status.availability is Availability.NO_DEVICE
    assert NO_SUCH_DEVICE in printer.status.detail
    error = failure(printer.print_receipt(sample_receipt(), OWNER))
    assert error.kind is ErrorKind.NO_DEVICE and NO_SUCH_DEVICE in error.message


OPEN_AND_REPORT = """
import sys
from drivers.transports.base import TransportError
from drivers.transports.settings import UsbTransportSettings
from drivers.transports.usb import UsbTransport

link = UsbTransport(UsbTransportSettings(type="usb", device=sys.argv[1]))
try:
    link.open()
except TransportError as error:
    print(error.kind.value)
    print(error.message)
else:
    print("opened")
"""


def open_without_privileges(device: str) -> list[str]:
    """Open `device` in a child process without root's powers (root ignores file modes
    and exclusive ttys). As root, the child keeps uid 0 but has no capabilities
    (util-linux's setpriv), so it still reads this checkout and the interpreter."""
    command = [sys.executable, "-c", OPEN_AND_REPORT, device]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("setpriv (util-linux) is missing: cannot drop root's powers")
        command = [setpriv, "--bounding-set=-all", "--inh-caps=-all", *command]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_a_device_file_without_permission_says_to_install_the_udev_rule(cable):
    real_device = os.path.realpath(cable.device)  # /dev/pts/N, as /dev/usb/lp0 is a real node
    os.chmod(real_device, 0o000)
    kind, message = open_without_privileges(real_device)
    assert kind == "communication"
    assert message == (
        f"usb {real_device}: permission denied: install the printer's udev rule "
        "(docs/printers.md) and put the kiosk user in its group"
    )


def test_a_device_file_held_by_another_program_says_so(cable):
    real_device = os.path.realpath(cable.device)
    holder = os.open(real_device, os.O_RDWR | os.O_NOCTTY)
    try:
        # The kernel then refuses other opens with EBUSY, as usblp does for a second user.
        fcntl.ioctl(holder, termios.TIOCEXCL)
        os.chmod(real_device, 0o666)
        kind, message = open_without_privileges(real_device)
    finally:
        os.close(holder)
    assert kind == "communication"
    assert message == f"usb {real_device}: in use by another program (CUPS's usb backend?)"


def test_a_regular_file_in_place_of_the_device_is_refused(tmp_path):
    leftover = tmp_path / "lp0"
    leftover.write_bytes(b"test\n")  # what `echo test > /dev/usb/lp0` leaves when unplugged
    link = usb_link(leftover)
    with pytest.raises(TransportError) as caught:
        link.open()
    assert caught.value.kind is TransportErrorKind.COMMUNICATION
    assert "not a device file" in caught.value.message and not link.is_open


def fill_until_it_takes_no_more(device: Path) -> None:
    """Write into the pty until it stops taking data (the far end reads nothing)."""
    fd = os.open(device, os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY)
    try:
        while True:
            _, writable, _ = select.select([], [fd], [], 0.3)
            if not writable:
                return
            try:
                os.write(fd, b"\x00" * 4096)
            except BlockingIOError:
                continue
    finally:
        os.close(fd)


def test_a_printer_that_stops_taking_data_times_out_and_never_hangs(cable):
    stalled = os.open(cable.peer, os.O_RDWR | os.O_NOCTTY)  # there, but reads nothing
    link = usb_link(cable.device, write_timeout_s=0.3)
    link.open()
    outcome: list[BaseException | None] = []

    def write_far_too_much() -> None:
        try:
            link.write(b"\x00" * 4_000_000)  # far more than the ptys and socat buffer
        except BaseException as error:
            outcome.append(error)
        else:
            outcome.append(None)

    writer = threading.Thread(target=write_far_too_much, daemon=True)
    try:
        writer.start()
        writer.join(WAIT_S)
    finally:
        os.close(stalled)
    assert outcome, f"the write still hangs after {WAIT_S} s"
    [error] = outcome
    assert isinstance(error, TransportError), error
    assert error.kind is TransportErrorKind.TIMEOUT
    assert error.message == (
        f"usb {cable.device}: took no data for 0.3 s (out of paper or cover open?)"
    )
    assert not link.is_open  # how much arrived is unknown: the next job starts clean


def test_a_receipt_to_a_stalled_printer_fails_then_prints_once_it_reads_again(started, cable):
    stalled = os.open(cable.peer, os.O_RDWR | os.O_NOCTTY)
    try:
        settings = usblp(cable.device, write_timeout_s=0.3)
        printer = started(escpos_printer(settings, status_query=False, hold_timeout_s=0))
        fill_until_it_takes_no_more(cable.device)
        error = failure(printer.print_receipt(sample_receipt("STALLED-1"), OWNER))
    finally:
        os.close(stalled)
    assert error.kind is ErrorKind.TIMEOUT
    assert "took no data for 0.3 s" in error.message
    peer = cable.answer()  # the printer takes data again (paper loaded)
    printed = printer.print_receipt(sample_receipt("AFTER-1"), OWNER).result(WAIT_S)
    assert peer.got_bytes.wait(WAIT_S)
    deadline = time.monotonic() + WAIT_S
    while not peer.printed().endswith(printed.data) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert peer.printed().endswith(printed.data)
    assert "[QR: https://desa.example/lacak/AFTER-1]" in decode_escpos(printed.data)


def test_an_unplugged_printer_is_no_device_and_found_again_when_replugged(started, cable):
    cable.answer()
    settings = usblp(cable.device)
    printer = started(escpos_printer(settings, poll_interval_s=0.1, reconnect_max_s=0.5))
    events = EventRecorder(printer)
    assert printer.status.availability is Availability.ONLINE
    cable.unplug()
    gone = events.wait_status(availability=Availability.NO_DEVICE).current
    assert f"usb {cable.device}" in gone.detail
    cable.plug()
    cable.answer()
    events.wait_status(availability=Availability.ONLINE, paper=PaperLevel.FULL)
    printed = printer.print_receipt(sample_receipt("REPLUGGED"), OWNER).result(WAIT_S)
    assert printed.data


# --- libusb mode: the real libusb, no printer plugged in ------------------------------------


def absent_ids() -> tuple[int, int]:
    core = pytest.importorskip("usb.core")
    if core.find(idVendor=ABSENT_IDS[0], idProduct=ABSENT_IDS[1]) is not None:
        pytest.skip("an Epson 04b8:0202 printer is plugged into this machine")
    return ABSENT_IDS


def test_a_usb_printer_that_is_not_plugged_in_is_no_device_naming_its_ids(started):
    vendor_id, product_id = absent_ids()
    link = UsbTransport(
        UsbTransportSettings(type="usb", vendor_id=vendor_id, product_id=product_id)
    )
    assert link.describe() == "usb 04b8:0202"
    with pytest.raises(TransportError) as caught:
        link.open()
    assert caught.value.kind is TransportErrorKind.NO_DEVICE
    assert caught.value.message == (
        "usb 04b8:0202: no USB device 04b8:0202; is the printer on and plugged in? "
        "(`lsusb` lists the ids)"
    )
    assert not link.is_open
    link.close()  # closing what never opened is harmless

    table = {"type": "usb", "vendor_id": vendor_id, "product_id": product_id}
    printer = started(escpos_printer(table, hold_timeout_s=0))
    assert printer.status.availability is Availability.NO_DEVICE
    assert "no USB device 04b8:0202" in printer.status.detail
    assert failure(printer.print_receipt(sample_receipt(), OWNER)).kind is ErrorKind.NO_DEVICE


def test_a_closed_link_refuses_to_write_and_read():
    vendor_id, product_id = absent_ids()
    link = UsbTransport(
        UsbTransportSettings(type="usb", vendor_id=vendor_id, product_id=product_id)
    )
    for attempt in (lambda: link.write(b"x"), lambda: link.read(1, 0.1)):
        with pytest.raises(TransportError) as caught:
            attempt()
        assert caught.value.kind is TransportErrorKind.NO_DEVICE
        assert caught.value.message == "usb 04b8:0202: not open"


# --- settings, as a technician writes them ------------------------------------------------


def install_usb_example(folder: Path, transport: str | None = None) -> Path:
    """config/escpos-usb.toml with its trust anchor, optionally with another transport."""
    from tests.kiosk.conftest import make_ca_pem

    text = (ROOT / "config" / "escpos-usb.toml").read_text(encoding="utf-8")
    if transport is not None:
        shipped = 'transport = { type = "usb", vendor_id = 0x04b8, product_id = 0x0202 }'
        assert shipped in text
        text = text.replace(shipped, f"transport = {transport}")
    (folder / "trust").mkdir(exist_ok=True)
    (folder / "trust" / "bsre-root.pem").write_bytes(make_ca_pem())
    path = folder / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_usb_example_loads(tmp_path):
    settings = load_config(install_usb_example(tmp_path))
    transport: Any = getattr(settings.device_settings("receipt_printer"), "transport", None)
    assert isinstance(transport, UsbTransportSettings)
    assert (transport.vendor_id, transport.product_id, transport.device) == (0x04B8, 0x0202, None)
    assert UsbTransport(transport).describe() == "usb 04b8:0202"


@pytest.mark.parametrize(
    ("transport", "problem"),
    [
        (
            '{ type = "usb", device = "/dev/usb/lp0", vendor_id = 0x04b8, product_id = 0x0202 }',
            "give either device or vendor_id + product_id, not both",
        ),
        ('{ type = "usb", vendor_id = 0x04b8 }', "give both vendor_id and product_id"),
        ('{ type = "usb" }', "give device (e.g. /dev/usb/lp0) or vendor_id + product_id"),
    ],
    ids=["both-ways", "one-id", "neither"],
)
def test_a_usb_printer_is_found_one_way_only(tmp_path, transport, problem):
    with pytest.raises(ConfigError) as caught:
        load_config(install_usb_example(tmp_path, transport))
    assert caught.value.problems == [f"devices.receipt_printer.transport: {problem}"]


def test_an_id_out_of_range_names_its_key(tmp_path):
    transport = '{ type = "usb", vendor_id = 0x104b8, product_id = 0x0202 }'
    with pytest.raises(ConfigError) as caught:
        load_config(install_usb_example(tmp_path, transport))
    [problem] = caught.value.problems
    assert problem.startswith("devices.receipt_printer.transport.vendor_id: expected ")
    assert "65535" in problem and "66744" in problem
