"""The simulated A4 printer: archive, faults, scripted faults, print delay."""

from __future__ import annotations

import time

from drivers.model import (
    Availability,
    CoverState,
    DeviceError,
    ErrorKind,
    Feature,
    HealthLevel,
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


# --- the paper tray on disk (output_dir) and job outcomes ---------------------------------


def tray(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_named_job_lands_in_the_tray_exactly_and_its_outcome_is_known(started, tmp_path):
    folder = tmp_path / "tray"
    printer = started(document_printer(output_dir=folder))
    assert printer.job_outcome("job-1") is False  # nothing printed yet
    printer.print_pdf(PDF, "Surat 231126-0042", OWNER, job_name="job-1").result(WAIT_S)
    assert tray(folder) == ["job-1.pdf"]  # no temporary file left behind
    assert (folder / "job-1.pdf").read_bytes() == PDF
    assert printer.job_outcome("job-1") is True
    assert printer.job_outcome("job-2") is False


def test_the_tray_outlives_the_printer(started, tmp_path):
    folder = tmp_path / "tray"
    first = started(document_printer(output_dir=folder))
    first.print_pdf(PDF, "letter", OWNER, job_name="before-restart").result(WAIT_S)
    first.close().result(WAIT_S)
    again = started(document_printer(output_dir=folder))
    assert again.job_outcome("before-restart") is True
    assert again.simulator.printed() == []  # memory is gone, paper is not


def test_a_refused_job_leaves_the_tray_empty(started, tmp_path):
    folder = tmp_path / "tray"
    printer = started(document_printer(output_dir=folder, faults=["paper_out"]))
    assert failure(printer.print_pdf(PDF, "letter", OWNER, job_name="j")).kind is ErrorKind.OFFLINE
    assert tray(folder) == []
    assert printer.job_outcome("j") is False


def test_job_names_that_are_not_plain_file_names_are_refused(started, tmp_path):
    folder = tmp_path / "tray"
    printer = started(document_printer(output_dir=folder))
    for name in ("../escape", ".hidden", "a/b", "", "x" * 101):
        job = printer.print_pdf(PDF, "letter", OWNER, job_name=name)
        assert failure(job).kind is ErrorKind.ILLEGAL, name
        assert printer.job_outcome(name) is False
    assert tray(folder) == [] and not (tmp_path / "escape.pdf").exists()
    assert printer.simulator.printed() == []


def test_an_unnamed_job_is_kept_under_its_job_id_and_test_pages_are_not(started, tmp_path):
    folder = tmp_path / "tray"
    printer = started(document_printer(output_dir=folder))
    job = printer.print_pdf(PDF, "letter", OWNER)
    job.result(WAIT_S)
    report = printer.check_health(HealthLevel.EXTERNAL, OWNER).result(WAIT_S)
    assert report.ok
    assert tray(folder) == [f"{job.id}.pdf"]


def test_without_an_output_dir_the_printer_cannot_tell(started):
    printer = started(document_printer())
    printer.print_pdf(PDF, "letter", OWNER, job_name="j").result(WAIT_S)
    assert printer.job_outcome("j") is None


def test_an_output_dir_that_cannot_be_made_fails_the_start(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    printer = document_printer(output_dir=blocker / "tray")
    try:
        error = printer.start(OWNER).future.exception(WAIT_S)
        assert isinstance(error, DeviceError) and "output_dir" in error.message
    finally:
        printer.close()
