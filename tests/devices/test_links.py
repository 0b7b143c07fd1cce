"""The ESC/POS driver and its transports over real links: a TCP socket on 127.0.0.1 and
a socat pty pair standing in for a serial cable."""

from __future__ import annotations

import socket
from concurrent.futures import TimeoutError as FutureTimeout

import pytest

from drivers.model import Availability, CoverState, DeviceError, ErrorKind, PaperLevel, Sensor
from drivers.sim.faults import Fault
from drivers.transports.base import TransportError, TransportErrorKind
from drivers.transports.serial import SerialTransport
from drivers.transports.settings import (
    SerialTransportSettings,
    SimulatedTransportSettings,
    TcpTransportSettings,
)
from drivers.transports.simulated import SimulatedTransport
from drivers.transports.tcp import TcpTransport
from printer.escpos_render import render_receipt
from printer.escpos_text import decode_escpos
from tests.devices.conftest import OWNER, WAIT_S, EventRecorder, sample_receipt
from tests.devices.helpers import escpos_printer

PAPER_OUT_ANSWERS = {1: 0x1A, 2: 0x32, 4: 0x7E}


def failure(job) -> DeviceError:
    error = job.future.exception(WAIT_S)
    assert isinstance(error, DeviceError), error
    return error


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def tcp(port: int, **settings) -> dict:
    return {"type": "tcp", "host": "127.0.0.1", "port": port, "connect_timeout_s": 1.0, **settings}


# --- TCP ---------------------------------------------------------------------------------


def test_printing_over_tcp(started, network_printer):
    peer = network_printer()
    printer = started(escpos_printer(tcp(peer.port)))
    assert printer.status.availability is Availability.ONLINE
    assert printer.status.paper is PaperLevel.FULL
    printed = printer.print_receipt(sample_receipt("231126-0042"), OWNER).result(WAIT_S)
    assert peer.printed() == printed.data  # the receipt arrived intact
    assert peer.received.count(b"\x10\x04") >= 6  # status before and after
    text = decode_escpos(peer.printed())
    assert "231126-0042" in text and "[QR: https://desa.example/lacak/231126-0042]" in text


def test_paper_out_over_tcp_holds_the_receipt_until_paper_is_loaded(started, network_printer):
    peer = network_printer(answers=PAPER_OUT_ANSWERS)
    printer = started(escpos_printer(tcp(peer.port), hold_check_s=0.05))
    assert printer.status.paper is PaperLevel.OUT
    job = printer.print_receipt(sample_receipt("HELD-1"), OWNER)
    with pytest.raises(FutureTimeout):
        job.result(0.5)
    assert peer.printed() == b""  # nothing sent while the paper is out
    peer.answers.update({1: 0x12, 2: 0x12, 4: 0x12})  # paper loaded
    printed = job.result(WAIT_S)
    assert peer.printed() == printed.data  # exactly one copy
    assert decode_escpos(peer.printed()).count("[CUT]") == 1


def test_paper_out_over_tcp_without_hold_time_refuses_before_sending(started, network_printer):
    peer = network_printer(answers=PAPER_OUT_ANSWERS)
    printer = started(escpos_printer(tcp(peer.port), hold_timeout_s=0))
    error = failure(printer.print_receipt(sample_receipt(), OWNER))
    assert error.kind is ErrorKind.OFFLINE and "paper out" in error.message
    assert peer.printed() == b""


def test_a_silent_network_printer_is_online_with_sensors_not_supported(started, network_printer):
    peer = network_printer(silent=True)
    printer = started(escpos_printer(tcp(peer.port), status_timeout_s=0.1))
    status = printer.status
    assert (status.availability, status.paper, status.cover) == (
        Availability.ONLINE,
        PaperLevel.NOT_SUPPORTED,
        CoverState.NOT_SUPPORTED,
    )
    assert Sensor.PAPER not in printer.capabilities.sensors
    printed = printer.print_receipt(sample_receipt(), OWNER).result(WAIT_S)
    assert peer.printed() == printed.data


def test_a_receipt_for_a_printer_that_is_off_prints_once_it_is_switched_on(
    started, network_printer
):
    port = free_port()
    printer = started(escpos_printer(tcp(port), reconnect_max_s=0.5))
    events = EventRecorder(printer)
    assert printer.status.availability is Availability.NO_DEVICE
    assert "refused" in printer.status.detail.lower() and "reconnecting" in printer.status.detail
    job = printer.print_receipt(sample_receipt("LATER-1"), OWNER)
    with pytest.raises(FutureTimeout):
        job.result(0.5)
    peer = network_printer(port=port)
    printed = job.result(WAIT_S)
    events.wait_status(availability=Availability.ONLINE)
    assert peer.printed() == printed.data


def test_a_printer_that_is_off_fails_at_once_without_hold_time(started):
    printer = started(escpos_printer(tcp(free_port()), hold_timeout_s=0))
    assert failure(printer.print_receipt(sample_receipt(), OWNER)).kind is ErrorKind.NO_DEVICE


def test_a_dropped_connection_is_reopened(started, network_printer):
    peer = network_printer()
    printer = started(escpos_printer(tcp(peer.port)))
    peer.drop_connections()
    printed = printer.print_receipt(sample_receipt("AFTER-DROP"), OWNER).result(WAIT_S)
    assert len(peer.connections) == 2
    assert peer.printed().endswith(printed.data)


def test_tcp_transport_errors_have_kinds(network_printer):
    refused = TcpTransport(TcpTransportSettings(type="tcp", host="127.0.0.1", port=free_port()))
    with pytest.raises(TransportError) as caught:
        refused.open()
    assert caught.value.kind is TransportErrorKind.NO_DEVICE and not refused.is_open

    peer = network_printer(silent=True)
    with TcpTransport(TcpTransportSettings(type="tcp", host="127.0.0.1", port=peer.port)) as link:
        link.write(b"\x10\x04\x01")
        with pytest.raises(TransportError) as caught:
            link.read(1, 0.05)
        assert caught.value.kind is TransportErrorKind.TIMEOUT
        assert peer.got_bytes.wait(WAIT_S)
        peer.drop_connections()
        with pytest.raises(TransportError) as caught:
            link.read(1, WAIT_S)
        assert caught.value.kind is TransportErrorKind.NO_DEVICE and not link.is_open


# --- serial over a socat pty pair -------------------------------------------------------


def serial(port) -> dict:
    return {"type": "serial", "port": str(port), "baudrate": 19200}


def test_printing_over_serial(started, pty_pair, serial_peer):
    peer = serial_peer()
    printer = started(escpos_printer(serial(pty_pair[0])))
    assert printer.status.availability is Availability.ONLINE
    assert printer.status.cover is CoverState.CLOSED
    printed = printer.print_receipt(sample_receipt("231126-0042"), OWNER).result(WAIT_S)
    assert peer.printed() == printed.data
    assert "231126-0042" in decode_escpos(peer.printed())


def test_cover_open_over_serial_holds_the_receipt_until_closed(started, pty_pair, serial_peer):
    peer = serial_peer(answers={1: 0x1A, 2: 0x16})
    printer = started(escpos_printer(serial(pty_pair[0]), hold_check_s=0.05))
    assert (printer.status.availability, printer.status.cover) == (
        Availability.OFFLINE,
        CoverState.OPEN,
    )
    job = printer.print_receipt(sample_receipt("COVER-1"), OWNER)
    with pytest.raises(FutureTimeout):
        job.result(0.5)
    peer.answers.update({1: 0x12, 2: 0x12})  # cover closed
    printed = job.result(WAIT_S)
    assert peer.printed() == printed.data
    assert decode_escpos(peer.printed()).count("[CUT]") == 1


def test_cover_open_over_serial_without_hold_time_refuses(started, pty_pair, serial_peer):
    serial_peer(answers={1: 0x1A, 2: 0x16})
    printer = started(escpos_printer(serial(pty_pair[0]), hold_timeout_s=0))
    error = failure(printer.print_receipt(sample_receipt(), OWNER))
    assert error.kind is ErrorKind.OFFLINE and "cover open" in error.message


def test_a_missing_serial_port_is_no_device(started, tmp_path):
    printer = started(escpos_printer(serial(tmp_path / "ttyUSB9")))
    assert printer.status.availability is Availability.NO_DEVICE
    link = SerialTransport(SerialTransportSettings(type="serial", port=str(tmp_path / "nope")))
    with pytest.raises(TransportError) as caught:
        link.open()
    assert caught.value.kind is TransportErrorKind.NO_DEVICE


# --- the simulated link ------------------------------------------------------------------


def test_the_simulated_link_fails_like_a_vanished_device():
    link = SimulatedTransport(SimulatedTransportSettings(type="simulated"))
    link.open()
    link.write(render_receipt(sample_receipt()))
    link.endpoint.faults.inject(Fault.UNPLUGGED)
    with pytest.raises(TransportError) as caught:
        link.write(b"\x10\x04\x01")
    assert caught.value.kind is TransportErrorKind.NO_DEVICE and not link.is_open
    with pytest.raises(TransportError):
        link.open()
    link.endpoint.faults.clear(Fault.UNPLUGGED)
    link.open()
    link.write(b"\x10\x04\x01")
    assert link.read(1, 1.0) == b"\x12"
