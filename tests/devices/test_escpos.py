"""ESC/POS: rendering and decoding receipts, the virtual printer, and the driver over the
simulated transport with every fault."""

from __future__ import annotations

from concurrent.futures import TimeoutError as FutureTimeout

import pytest

from drivers.model import (
    Availability,
    CoverState,
    DeviceError,
    ErrorKind,
    Feature,
    HealthLevel,
    JobCompleted,
    PaperLevel,
    Sensor,
)
from drivers.sim.escpos_stream import EscposTokenizer, tokenize
from drivers.sim.escpos_virtual import VirtualEscposPrinter
from drivers.sim.faults import Fault
from printer.escpos_printer import status_from_answers
from printer.escpos_render import ReceiptLayout, render_receipt
from printer.escpos_text import decode_escpos
from printer.receipt import Receipt
from tests.devices.conftest import OWNER, WAIT_S, EventRecorder, sample_receipt
from tests.devices.helpers import escpos_printer, simulated_escpos_printer

DLE_EOT = b"\x10\x04"


def failure(job) -> DeviceError:
    error = job.future.exception(WAIT_S)
    assert isinstance(error, DeviceError), error
    return error


# --- rendering and decoding ------------------------------------------------------------------


@pytest.mark.parametrize("columns", [48, 42, 32])
def test_a_rendered_receipt_decodes_back_to_its_text(columns: int):
    receipt = sample_receipt("231126-0042")
    data = render_receipt(receipt, ReceiptLayout(columns=columns))
    assert data.startswith(b"\x1b@")  # ESC @ first
    assert b"\x1d(k" in data  # a native QR code, not a raster image
    text = decode_escpos(data, columns)
    assert "231126-0042" in text
    assert "[QR: https://desa.example/lacak/231126-0042]" in text
    assert "Siti Rahayu" in text and "PEMERINTAH DESA SUKAMAJU" in text
    assert text.rstrip().endswith("[CUT]")
    assert all(len(line) <= columns for line in text.splitlines() if "[QR:" not in line)


def test_the_layout_is_readable():
    text = decode_escpos(render_receipt(sample_receipt()))
    lines = text.splitlines()
    assert "Nama    : Siti Rahayu" in lines
    assert "-" * 48 in lines
    assert any(line.strip() == "TANDA TERIMA PERMOHONAN" and line.startswith(" ") for line in lines)


def test_long_values_wrap_under_themselves():
    receipt = Receipt(
        title="X",
        tracking_code="T-1",
        rows=[("Keperluan", "Melamar pekerjaan sebagai guru honorer di sekolah dasar negeri")],
    )
    lines = decode_escpos(render_receipt(receipt, ReceiptLayout(columns=32)), 32).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Keperluan : "))
    assert lines[start + 1].startswith(" " * 12) and lines[start + 1].strip()


def test_non_ascii_text_survives_the_code_page():
    receipt = Receipt(title="Café", tracking_code="T-1", rows=[("Nama", "Zoë Müller")])
    assert "Zoë Müller" in decode_escpos(render_receipt(receipt))


def test_a_receipt_only_holds_text():
    with pytest.raises(TypeError, match="must be str"):
        Receipt(title="X", tracking_code=42)  # type: ignore[arg-type]


def test_the_tokenizer_waits_for_a_whole_command():
    tokenizer = EscposTokenizer()
    data = render_receipt(sample_receipt())
    split = data.index(b"\x1d(k") + 5  # inside the QR data command
    tokens = tokenizer.feed(data[:split]) + tokenizer.feed(data[split:])
    assert tokens == tokenize(data)
    assert tokenizer.pending == b""


# --- the virtual printer -----------------------------------------------------------------


def status_answers(printer: VirtualEscposPrinter) -> dict[int, int]:
    return {n: printer.receive(DLE_EOT + bytes([n]))[0] for n in (1, 2, 3, 4)}


def test_the_virtual_printer_answers_status_from_its_faults():
    printer = VirtualEscposPrinter()
    assert status_answers(printer) == {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12}
    printer.inject(Fault.COVER_OPEN)
    assert status_answers(printer)[2] & 0x04 and status_answers(printer)[1] & 0x08
    printer.clear(Fault.COVER_OPEN)
    printer.inject(Fault.PAPER_LOW)
    assert status_answers(printer)[4] == 0x12 | 0x0C
    printer.inject(Fault.PAPER_OUT)
    answers = status_answers(printer)
    assert answers[4] & 0x60 and answers[2] & 0x20
    assert all(byte & 0x93 == 0x12 for byte in answers.values())
    printer.inject(Fault.NO_STATUS)
    assert printer.receive(DLE_EOT + b"\x01") == b""


def test_the_virtual_printer_splits_receipts_at_cuts_without_status_requests():
    printer = VirtualEscposPrinter()
    first, second = render_receipt(sample_receipt("A-1")), render_receipt(sample_receipt("B-2"))
    printer.receive(DLE_EOT + b"\x01" + first[:100])
    printer.receive(first[100:] + DLE_EOT + b"\x04" + second)
    assert [r.data for r in printer.printed()] == [first, second]
    assert [r.number for r in printer.printed()] == [1, 2]


def test_status_request_bytes_inside_a_qr_code_are_data_not_requests():
    printer = VirtualEscposPrinter()
    receipt = Receipt(title="X", tracking_code="T-1", qr_payload="A\x10\x04\x01B")
    assert printer.receive(render_receipt(receipt)) == b""
    assert len(printer.printed()) == 1


def test_a_stopped_printer_holds_what_it_receives_and_prints_it_when_cleared():
    printer = VirtualEscposPrinter()
    printer.inject("paper_out")
    data = render_receipt(sample_receipt())
    printer.receive(data)
    assert printer.printed() == [] and printer.held == data  # kept, as a TM-T82 does
    printer.clear("paper_out")
    assert [r.data for r in printer.printed()] == [data] and printer.held == b""
    printer.receive(data)
    assert [r.data for r in printer.printed()] == [data, data]


# --- the driver over the simulated transport -------------------------------------------


def test_a_receipt_is_printed_and_kept_by_the_simulator(started):
    printer = started(simulated_escpos_printer())
    events = EventRecorder(printer)
    job = printer.print_receipt(sample_receipt("231126-0042"), OWNER)
    printed = job.result(WAIT_S)
    assert printed.job_id == job.id
    [receipt] = printer.simulator.printed()
    assert receipt.data == printed.data
    assert "231126-0042" in decode_escpos(receipt.data)
    completed = events.wait_for(lambda e: isinstance(e, JobCompleted))
    assert completed.job_id == job.id and completed.ok and completed.result == printed


def test_capabilities_and_status_of_a_healthy_printer(started):
    printer = started(simulated_escpos_printer())
    status = printer.status
    assert (status.availability, status.paper, status.cover) == (
        Availability.ONLINE,
        PaperLevel.FULL,
        CoverState.CLOSED,
    )
    capabilities = printer.capabilities
    assert capabilities.sensors == {Sensor.PAPER, Sensor.PAPER_LOW, Sensor.COVER}
    assert {Feature.CUT, Feature.QR, Feature.STATUS_QUERY} <= capabilities.features


@pytest.mark.parametrize(
    ("fault", "field", "value"),
    [("paper_out", "paper", PaperLevel.OUT), ("cover_open", "cover", CoverState.OPEN)],
)
def test_a_job_that_meets_paper_out_or_cover_open_waits_and_prints_once_fixed(
    started, fault, field, value
):
    printer = started(simulated_escpos_printer())
    events = EventRecorder(printer)
    printer.simulator.inject(fault)
    events.wait_status(**{field: value}, availability=Availability.OFFLINE)
    job = printer.print_receipt(sample_receipt("A-1"), OWNER)
    with pytest.raises(FutureTimeout):
        job.result(0.5)  # held, not failed
    assert printer.simulator.printed() == []
    printer.simulator.clear(fault)
    job.result(WAIT_S)
    [receipt] = printer.simulator.printed()
    assert "A-1" in decode_escpos(receipt.data)


def test_a_printer_that_stays_stopped_fails_the_job_after_the_hold_time(started):
    printer = started(
        escpos_printer({"type": "simulated", "faults": ["paper_out"]}, hold_timeout_s=0.3)
    )
    error = failure(printer.print_receipt(sample_receipt(), OWNER))
    assert error.kind is ErrorKind.OFFLINE
    assert "not printed after waiting 0.3 s" in error.message and "paper out" in error.message
    printer.simulator.clear("paper_out")
    printer.refresh_status().result(WAIT_S)
    assert printer.simulator.printed() == []  # nothing was sent: nothing comes out later


def test_a_held_job_can_be_cancelled_and_never_prints(started):
    printer = started(simulated_escpos_printer(faults=["cover_open"]))
    job = printer.print_receipt(sample_receipt(), OWNER)
    assert printer.cancel(job.id)
    assert failure(job).kind is ErrorKind.CANCELLED
    printer.simulator.clear("cover_open")
    printer.print_receipt(sample_receipt("B-2"), OWNER).result(WAIT_S)
    [receipt] = printer.simulator.printed()
    assert "B-2" in decode_escpos(receipt.data)
    assert not printer.cancel(job.id)  # finished jobs cannot be cancelled


def test_cancelling_a_queued_job_on_a_ready_printer_still_prints_it(started):
    """The citizen left while the receipt was about to print: it prints (nobody waits
    for it), but it would not have waited for paper."""
    printer = started(simulated_escpos_printer())
    printer.simulator.inject("paper_out")
    blocker = printer.print_receipt(sample_receipt("A-1"), OWNER)  # held: the I/O thread waits
    queued = printer.print_receipt(sample_receipt("B-2"), OWNER)
    assert printer.cancel(queued.id)
    printer.simulator.clear("paper_out")
    blocker.result(WAIT_S)
    queued.result(WAIT_S)
    assert len(printer.simulator.printed()) == 2


def test_a_queued_job_cancelled_before_it_meets_paper_out_never_prints(started):
    printer = started(simulated_escpos_printer())
    printer.simulator.inject("cover_open")
    first = printer.print_receipt(sample_receipt("A-1"), OWNER)
    second = printer.print_receipt(sample_receipt("B-2"), OWNER)
    assert printer.cancel(second.id) and printer.cancel(first.id)
    assert failure(first).kind is ErrorKind.CANCELLED
    assert failure(second).kind is ErrorKind.CANCELLED  # it would have had to wait
    printer.simulator.clear("cover_open")
    printer.refresh_status().result(WAIT_S)
    assert printer.simulator.printed() == []


def test_closing_the_printer_gives_up_a_held_job_at_once(started):
    """A kiosk that stops (SIGTERM) must not hang for the hold time on an empty roll."""
    printer = started(simulated_escpos_printer(faults=["paper_out"]))
    job = printer.print_receipt(sample_receipt(), OWNER)
    with pytest.raises(FutureTimeout):
        job.result(0.3)
    printer.close().result(2.0)  # far below the 120 s hold time
    assert failure(job).kind is ErrorKind.CANCELLED
    assert printer.simulator.printed() == []


def test_a_job_already_sent_cannot_be_cancelled(started):
    printer = started(simulated_escpos_printer())
    job = printer.print_receipt(sample_receipt(), OWNER)
    job.result(WAIT_S)
    assert not printer.cancel(job.id)
    assert len(printer.simulator.printed()) == 1


def test_paper_out_mid_receipt_finishes_the_same_receipt_once_paper_is_loaded(started):
    script = [{"at_job": 2, "fault": "paper_out"}]  # strikes as job 2's bytes arrive
    printer = started(simulated_escpos_printer(fault_script=script))
    events = EventRecorder(printer)
    printer.print_receipt(sample_receipt("A-1"), OWNER).result(WAIT_S)
    job = printer.print_receipt(sample_receipt("B-2"), OWNER)
    events.wait_status(paper=PaperLevel.OUT)
    with pytest.raises(FutureTimeout):
        job.result(0.5)
    assert len(printer.simulator.printed()) == 1  # B-2 waits in the printer's buffer
    printer.simulator.clear("paper_out")
    job.result(WAIT_S)
    texts = [decode_escpos(receipt.data) for receipt in printer.simulator.printed()]
    assert len(texts) == 2 and "B-2" in texts[1]  # finished, not sent again


def test_paper_out_mid_receipt_past_the_hold_time_is_reported_and_not_resent(started):
    script = [{"at_job": 1, "fault": "paper_out"}]
    printer = started(
        escpos_printer({"type": "simulated", "fault_script": script}, hold_timeout_s=0.3)
    )
    error = failure(printer.print_receipt(sample_receipt("A-1"), OWNER))
    assert error.kind is ErrorKind.OFFLINE
    assert "paper out while printing" in error.message and "the rest prints" in error.message
    printer.simulator.clear("paper_out")
    printer.refresh_status().result(WAIT_S)
    [receipt] = printer.simulator.printed()  # the printer finished it from its buffer
    assert "A-1" in decode_escpos(receipt.data)


def test_paper_low_still_prints(started):
    printer = started(simulated_escpos_printer(faults=["paper_low"]))
    assert (printer.status.paper, printer.status.detail) == (PaperLevel.LOW, "paper low")
    printer.print_receipt(sample_receipt(), OWNER).result(WAIT_S)
    assert len(printer.simulator.printed()) == 1


def test_an_unplugged_printer_holds_the_job_until_plugged_back(started):
    printer = started(simulated_escpos_printer())
    events = EventRecorder(printer)
    printer.simulator.inject("unplugged")
    events.wait_status(availability=Availability.NO_DEVICE)
    assert printer.status.paper is PaperLevel.UNKNOWN
    assert "reconnecting" in printer.status.detail
    job = printer.print_receipt(sample_receipt(), OWNER)
    with pytest.raises(FutureTimeout):
        job.result(0.5)
    printer.simulator.clear("unplugged")
    job.result(WAIT_S)  # reconnected by itself
    events.wait_status(availability=Availability.ONLINE)
    assert len(printer.simulator.printed()) == 1


def test_an_unplugged_printer_without_hold_time_fails_at_once(started):
    printer = started(
        escpos_printer({"type": "simulated", "faults": ["unplugged"]}, hold_timeout_s=0)
    )
    assert printer.status.availability is Availability.NO_DEVICE
    assert failure(printer.print_receipt(sample_receipt(), OWNER)).kind is ErrorKind.NO_DEVICE


def test_a_printer_unplugged_at_start_opens_and_reports_no_device(started):
    printer = started(simulated_escpos_printer(faults=["unplugged"]))
    assert printer.status.availability is Availability.NO_DEVICE


def test_a_printer_that_never_answers_status_reports_not_supported_and_still_prints(started):
    printer = started(simulated_escpos_printer(faults=["no_status"]))
    printer.refresh_status().result(WAIT_S)
    status = printer.status
    assert (status.availability, status.paper, status.cover) == (
        Availability.ONLINE,
        PaperLevel.NOT_SUPPORTED,
        CoverState.NOT_SUPPORTED,
    )
    assert printer.capabilities.sensors == frozenset()  # honest: it cannot tell
    printer.print_receipt(sample_receipt(), OWNER).result(WAIT_S)
    assert len(printer.simulator.printed()) == 1


def test_status_requests_can_be_switched_off(started):
    quiet = started(escpos_printer({"type": "simulated"}, status_query=False))
    status = quiet.status
    assert status.availability is Availability.ONLINE
    assert status.paper is PaperLevel.NOT_SUPPORTED
    assert Feature.STATUS_QUERY not in quiet.capabilities.features


def test_health_checks_talk_to_the_printer_and_print_a_test_receipt(started):
    printer = started(simulated_escpos_printer())
    internal = printer.check_health(HealthLevel.INTERNAL).result(WAIT_S)
    assert internal.ok
    assert [c.name for c in internal.checks] == ["status", "connection", "status requests"]
    assert printer.simulator.printed() == []
    external = printer.check_health(HealthLevel.EXTERNAL, owner=OWNER).result(WAIT_S)
    assert external.ok and external.checks[-1].name == "test receipt"
    [test] = printer.simulator.printed()
    assert "TES PRINTER" in decode_escpos(test.data)


def test_status_bits_map_to_the_device_model():
    ok = {1: 0x12, 2: 0x12, 4: 0x12}
    assert status_from_answers(ok).availability is Availability.ONLINE
    error = status_from_answers({1: 0x1A, 2: 0x52, 3: 0x1A, 4: 0x12})
    assert error.availability is Availability.ERROR
    assert error.detail == "autocutter error"
    paper_end_stop = status_from_answers({1: 0x1A, 2: 0x32, 4: 0x12})
    assert (paper_end_stop.paper, paper_end_stop.availability) == (
        PaperLevel.OUT,
        Availability.OFFLINE,
    )
