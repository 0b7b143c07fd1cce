"""The simulated A4 printer: archive, faults, scripted faults, print delay."""

from __future__ import annotations

import time

from drivers.model import (
    Availability,
    CoverState,
    DeviceError,
    ErrorKind,
    Feature,
    PaperLevel,
)
from printer.sim_document import build_test_page
from tests.devices.conftest import OWNER, WAIT_S, EventRecorder
from tests.devices.helpers import document_printer

PDF = build_test_page("Surat Keterangan Domisili")


def failure(job) -> DeviceError:
    error = job.future.exception(WAIT_S)
    assert isinstance(error, DeviceError), error
    return error


def test_printed_documents_are_kept_exactly(started):
    printer = started(document_printer())
    job = printer.print_pdf(PDF, "Surat 231126-0042", OWNER)
    document = job.result(WAIT_S)
    assert printer.simulator.printed() == [document]
    assert (document.job_id, document.title, document.data) == (job.id, "Surat 231126-0042", PDF)
    assert Feature.PDF in printer.capabilities.features
    printer.simulator.forget_printed()
    assert printer.simulator.printed() == []


def test_paper_out_refuses_and_nothing_is_printed(started):
    printer = started(document_printer())
    events = EventRecorder(printer)
    printer.simulator.inject("paper_out")
    changed = events.wait_status(paper=PaperLevel.OUT)
    assert (changed.current.availability, changed.current.detail) == (
        Availability.OFFLINE,
        "paper out",
    )
    error = failure(printer.print_pdf(PDF, "letter", OWNER))
    assert error.kind is ErrorKind.OFFLINE and "paper out" in error.message
    assert printer.simulator.printed() == []
    printer.simulator.clear("paper_out")
    printer.print_pdf(PDF, "letter", OWNER).result(WAIT_S)
    assert len(printer.simulator.printed()) == 1


def test_cover_open_refuses(started):
    printer = started(document_printer(faults=["cover_open"]))
    assert printer.status.cover is CoverState.OPEN
    error = failure(printer.print_pdf(PDF, "letter", OWNER))
    assert error.kind is ErrorKind.OFFLINE and "cover open" in error.message


def test_unplugged_is_no_device(started):
    printer = started(document_printer())
    events = EventRecorder(printer)
    printer.simulator.inject("unplugged")
    events.wait_status(availability=Availability.NO_DEVICE)
    assert failure(printer.print_pdf(PDF, "letter", OWNER)).kind is ErrorKind.NO_DEVICE


def test_paper_runs_out_at_job_two(started):
    printer = started(document_printer(fault_script=[{"at_job": 2, "fault": "paper_out"}]))
    printer.print_pdf(PDF, "first", OWNER).result(WAIT_S)
    assert failure(printer.print_pdf(PDF, "second", OWNER)).kind is ErrorKind.OFFLINE
    assert [d.title for d in printer.simulator.printed()] == ["first"]
    assert printer.status.paper is PaperLevel.OUT


def test_only_pdfs_are_printed(started):
    printer = started(document_printer())
    assert failure(printer.print_pdf(b"hello", "not a pdf", OWNER)).kind is ErrorKind.ILLEGAL


def test_the_print_delay_is_honoured_and_cut_short_by_close(started):
    printer = started(document_printer(print_delay_s=0.2))
    began = time.monotonic()
    printer.print_pdf(PDF, "slow", OWNER).result(WAIT_S)
    assert time.monotonic() - began >= 0.2
    slow = started(document_printer(print_delay_s=30))
    job = slow.print_pdf(PDF, "never", OWNER)
    slow.close()
    assert failure(job).kind is ErrorKind.CANCELLED
    assert slow.simulator.printed() == []
