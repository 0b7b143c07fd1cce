"""The device model through real (simulated) drivers: lifecycle, ownership, jobs, events."""

from __future__ import annotations

import threading

import pytest

from drivers.model import (
    Availability,
    DeviceError,
    ErrorKind,
    HealthLevel,
    JobCompleted,
    Lifecycle,
    PaperLevel,
    StatusChanged,
)
from drivers.sim.faults import Fault
from printer.sim_document import SimulatedDocumentPrinter, build_test_page
from tests.devices.conftest import OWNER, WAIT_S, EventRecorder
from tests.devices.helpers import (
    card_reader,
    document_printer,
    document_settings,
    simulated_escpos_printer,
)

PDF = build_test_page("lifecycle test")


def failure(job) -> DeviceError:
    error = job.future.exception(WAIT_S)
    assert isinstance(error, DeviceError), error
    return error


def test_lifecycle_goes_open_claim_enable_release_close():
    printer = document_printer()
    assert printer.lifecycle is Lifecycle.CLOSED
    assert printer.status.availability is Availability.UNKNOWN
    printer.open().result(WAIT_S)
    assert printer.lifecycle is Lifecycle.OPEN
    assert printer.status.availability is Availability.ONLINE  # read at open
    printer.claim(OWNER).result(WAIT_S)
    assert (printer.lifecycle, printer.owner) == (Lifecycle.CLAIMED, OWNER)
    printer.enable(OWNER).result(WAIT_S)
    assert printer.lifecycle is Lifecycle.ENABLED
    printer.release(OWNER).result(WAIT_S)
    assert (printer.lifecycle, printer.owner) == (Lifecycle.OPEN, None)
    printer.close().result(WAIT_S)
    assert printer.lifecycle is Lifecycle.CLOSED
    assert failure(printer.open()).kind is ErrorKind.ILLEGAL  # closed for good


def test_a_second_owner_cannot_claim_until_release(started):
    printer = started(document_printer())
    assert failure(printer.claim("diagnostics")).kind is ErrorKind.NOT_CLAIMED
    printer.release(OWNER).result(WAIT_S)
    printer.claim("diagnostics").result(WAIT_S)
    assert printer.owner == "diagnostics"


def test_a_job_of_a_non_owner_fails_and_says_so_in_an_event(started):
    printer = started(document_printer())
    events = EventRecorder(printer)
    job = printer.print_pdf(PDF, "letter", "diagnostics")
    assert failure(job).kind is ErrorKind.NOT_CLAIMED
    completed = events.wait_for(lambda e: isinstance(e, JobCompleted))
    assert completed == JobCompleted("a4", job.id, ok=False, error=failure(job))
    assert printer.simulator.printed() == []


def test_a_job_needs_the_device_enabled(started):
    printer = started(document_printer(), enable=False)
    assert failure(printer.print_pdf(PDF, "letter", OWNER)).kind is ErrorKind.ILLEGAL


def test_jobs_have_distinct_ids_and_completion_events_with_results(started):
    printer = started(document_printer())
    events = EventRecorder(printer)
    jobs = [printer.print_pdf(PDF, f"letter {n}", OWNER) for n in range(3)]
    results = [job.result(WAIT_S) for job in jobs]
    assert len({job.id for job in jobs}) == 3
    assert [r.job_id for r in results] == [job.id for job in jobs]
    events.wait_for(lambda e: isinstance(e, JobCompleted) and e.job_id == jobs[-1].id)
    completions = events.completions()
    assert [c.job_id for c in completions] == [job.id for job in jobs]
    assert all(c.ok and c.result is r for c, r in zip(completions, results, strict=True))


def test_status_events_are_edge_triggered(started):
    printer = started(document_printer())
    events = EventRecorder(printer)
    for _ in range(3):
        printer.refresh_status().result(WAIT_S)
    assert events.status_changes() == []  # nothing changed since open
    printer.simulator.inject("paper_out")
    events.wait_status(paper=PaperLevel.OUT)
    for _ in range(3):
        printer.refresh_status().result(WAIT_S)
    assert len(events.status_changes()) == 1


class CountingPrinter(SimulatedDocumentPrinter):
    """Counts status reads, so a test can wait for polls instead of sleeping."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.reads = 0
        self.polled_enough = threading.Event()

    def _read_status_io(self):
        self.reads += 1
        if self.reads >= 6:
            self.polled_enough.set()
        return super()._read_status_io()


def test_polling_reports_a_change_once(started):
    printer = started(CountingPrinter("a4", document_settings(poll_interval_s=0.02)))
    events = EventRecorder(printer)
    assert printer.polled_enough.wait(WAIT_S)
    printer.simulator.inject("cover_open")
    changed = events.wait_status(availability=Availability.OFFLINE)
    assert changed.current.detail == "cover open"
    printer.polled_enough.clear()
    printer.reads = 0
    assert printer.polled_enough.wait(WAIT_S)  # six more polls of an unchanged status
    assert len(events.status_changes()) == 1


def test_external_health_checks_need_the_owner(started):
    printer = started(document_printer())
    internal = printer.check_health().result(WAIT_S)
    assert internal.ok and [c.name for c in internal.checks] == ["status", "printer engine"]
    assert failure(printer.check_health(HealthLevel.EXTERNAL)).kind is ErrorKind.NOT_CLAIMED
    external = printer.check_health(HealthLevel.EXTERNAL, owner=OWNER).result(WAIT_S)
    assert external.ok and external.checks[-1].name == "test page"
    [page] = printer.simulator.printed()
    assert page.title == "Test page" and page.data.startswith(b"%PDF-")


def test_a_listener_that_raises_does_not_stop_the_device(started):
    printer = started(document_printer())

    def broken(_event: object) -> None:
        raise RuntimeError("listener bug")

    printer.subscribe(broken)
    events = EventRecorder(printer)
    printer.simulator.inject("paper_out")
    assert isinstance(events.wait_status(paper=PaperLevel.OUT), StatusChanged)


@pytest.mark.parametrize(
    ("make", "fault"),
    [
        (document_printer, "cover_open"),
        (simulated_escpos_printer, "cover_open"),
        (card_reader, "unplugged"),
    ],
    ids=["a4", "escpos", "card-reader"],
)
def test_every_simulator_has_the_same_fault_controls(started, make, fault):
    """A developer panel drives any simulator with inject / clear / active_faults()."""
    device = started(make())
    events = EventRecorder(device)
    controls = device.simulator
    assert controls.active_faults() == frozenset()
    controls.inject(fault)
    assert controls.active_faults() == {Fault(fault)}
    # The status is re-read at once (no poll configured): an edge to "not usable".
    events.wait_for(lambda e: isinstance(e, StatusChanged) and not e.current.usable)
    controls.clear(Fault(fault))
    assert controls.active_faults() == frozenset()
    events.wait_for(lambda e: isinstance(e, StatusChanged) and e.current.usable)
    with pytest.raises(ValueError, match="unknown fault"):
        controls.inject("on_fire")
