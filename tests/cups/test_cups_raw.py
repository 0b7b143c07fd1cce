"""A receipt printer behind a CUPS raw queue: the real ESC/POS driver writes through the
`cups` transport to a real cupsd, whose socket backend delivers each job to a TCP
listener of the test. What arrives is decoded back to the receipt's text."""

from __future__ import annotations

import pytest

from drivers.model import Availability, PaperLevel
from drivers.transports import TransportError, TransportErrorKind, make_transport
from drivers.transports.settings import CupsRawTransportSettings
from printer.escpos_printer import EscposPrinter, EscposPrinterSettings
from printer.escpos_text import decode_escpos
from tests.devices.conftest import sample_receipt

from .conftest import OWNER, WAIT_S, cups_jobs, unique
from .cupsd import PrivateCups, free_port

ESC_INIT, CUT = b"\x1b@", b"\x1dVB\x00"
STATUS_REQUEST = b"\x10\x04\x01"


@pytest.fixture
def raw_queue(cups: PrivateCups, raw_printer):
    """(queue name, the TCP printer behind it)."""
    printer = raw_printer()
    name = unique("apm-receipt")
    cups.add_raw_queue(name, printer.uri)
    yield name, printer
    cups.lpadmin("-x", name)


def transport(server: str, queue: str):
    settings = CupsRawTransportSettings.model_validate(
        {"type": "cups", "queue": queue, "server": server, "timeout_s": 3}
    )
    return make_transport(settings)


def escpos_printer(server: str, queue: str) -> EscposPrinter:
    table = {
        "type": "escpos",
        "transport": {"type": "cups", "queue": queue, "server": server},
        "poll_interval_s": None,
        "hold_timeout_s": 0,
    }
    return EscposPrinter("receipt", EscposPrinterSettings.model_validate(table))


def test_each_receipt_is_one_cups_job_and_arrives_byte_for_byte(cups, raw_queue, started):
    queue, tcp_printer = raw_queue
    printer = started(escpos_printer(cups.server, queue))

    first = printer.print_receipt(sample_receipt("231126-0041"), OWNER).result(WAIT_S)
    second = printer.print_receipt(sample_receipt("231126-0042"), OWNER).result(WAIT_S)

    received = tcp_printer.jobs(2)
    assert received == [first.data, second.data]  # untouched, and no status requests
    assert "231126-0041" in decode_escpos(received[0])
    assert "231126-0042" in decode_escpos(received[1])
    assert "Siti Rahayu" in decode_escpos(received[1])
    assert len(cups_jobs(cups.server, queue)) == 2


def test_status_requests_go_unanswered_but_a_healthy_queue_is_online(cups, raw_queue, started):
    queue, tcp_printer = raw_queue
    printer = started(escpos_printer(cups.server, queue))

    status = printer.refresh_status().result(WAIT_S)

    assert status.availability is Availability.ONLINE
    assert status.paper in (PaperLevel.UNKNOWN, PaperLevel.NOT_SUPPORTED)  # never "full"
    assert cups_jobs(cups.server, queue) == []  # a status request is never a job
    assert tcp_printer.received() == []


def test_a_stopped_raw_queue_shows_in_the_receipt_printers_status(cups, raw_queue, started):
    queue, _ = raw_queue
    printer = started(escpos_printer(cups.server, queue))
    cups.run("cupsdisable", queue)

    status = printer.refresh_status().result(WAIT_S)

    assert not status.usable
    assert f"queue stopped (cupsenable {queue})" in status.detail
    cups.run("cupsenable", queue)
    assert printer.refresh_status().result(WAIT_S).usable


def test_a_missing_queue_or_cupsd_is_no_device(cups):
    with pytest.raises(TransportError) as missing:
        transport(cups.server, "no-such-queue").open()
    assert missing.value.kind is TransportErrorKind.NO_DEVICE
    assert "no CUPS queue no-such-queue" in missing.value.message

    with pytest.raises(TransportError) as unreachable:
        transport(f"127.0.0.1:{free_port()}", "receipt").open()
    assert unreachable.value.kind is TransportErrorKind.NO_DEVICE
    assert "CUPS not reachable" in unreachable.value.message


def test_the_receipt_printer_sees_a_missing_queue_as_no_device(cups, started):
    printer = started(escpos_printer(cups.server, "no-such-queue"))
    assert printer.status.availability is Availability.NO_DEVICE
    assert "no CUPS queue no-such-queue" in printer.status.detail


def test_a_receipt_written_in_pieces_with_status_requests_between_is_one_job(cups, raw_queue):
    queue, tcp_printer = raw_queue
    link = transport(cups.server, queue)
    link.open()
    # A QR code whose data holds the bytes of a cut (GS V): they must not end the job.
    payload = b"https://desa.example/\x1dVB\x00/lacak"
    qr_store = b"\x1d(k" + (len(payload) + 3).to_bytes(2, "little") + b"1P0" + payload
    pieces = [ESC_INIT + b"TANDA TERIMA\n", qr_store, b"\x1d(k\x03\x001Q0", b"Terima kasih\n"]

    for piece in pieces:
        link.write(piece)
        link.write(STATUS_REQUEST)
        with pytest.raises(TransportError) as unanswered:
            link.read(1, 0.5)
        assert unanswered.value.kind is TransportErrorKind.TIMEOUT
    assert cups_jobs(cups.server, queue) == []  # no cut yet: still one receipt in the making
    link.write(CUT)

    (received,) = tcp_printer.jobs(1)
    assert received == b"".join(pieces) + CUT
    assert "[QR: https://desa.example/" in decode_escpos(received)
    link.close()


def test_what_is_left_without_a_cut_goes_out_on_close(cups, raw_queue):
    queue, tcp_printer = raw_queue
    link = transport(cups.server, queue)
    link.open()
    link.write(ESC_INIT + b"no cut on this printer\n\n\n")
    assert cups_jobs(cups.server, queue) == []

    link.close()

    assert tcp_printer.jobs(1) == [ESC_INIT + b"no cut on this printer\n\n\n"]
    assert not link.is_open


def test_a_write_to_a_vanished_queue_fails_as_no_device_and_closes(cups, raw_printer):
    name = unique("apm-receipt")
    cups.add_raw_queue(name, raw_printer().uri)
    link = transport(cups.server, name)
    link.open()
    cups.lpadmin("-x", name)

    with pytest.raises(TransportError) as gone:
        link.write(ESC_INIT + b"hello\n" + CUT)

    assert gone.value.kind is TransportErrorKind.NO_DEVICE
    assert not link.is_open
