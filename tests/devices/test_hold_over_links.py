"""Exactly one copy through real links: the real ESC/POS driver prints into the printer
emulator over a TCP socket and a socat pty pair at 115200 baud, and the emulator runs
out of paper or has its cover opened before or in the middle of a receipt. The job waits,
resumes once the person fixes the printer, and exactly one receipt comes out."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import pytest

from drivers.model import Availability, CoverState, ErrorKind, PaperLevel
from drivers.sim.escpos_peer import EscposPeer
from printer.escpos_text import decode_escpos
from tests.devices.conftest import OWNER, WAIT_S, EventRecorder, sample_receipt
from tests.devices.helpers import escpos_printer

LINKS = ["tcp", "pty"]


@pytest.fixture
def peer_on(peers) -> Callable[..., EscposPeer]:
    """The emulator on `link`; on a pty it reads at 115200 baud, as the line would carry."""

    def make(link: str, **options: Any) -> EscposPeer:
        return peers(link, **({"baud": 115200} if link == "pty" else {}), **options)

    return make


def driver_for(peer: EscposPeer, **settings: Any):
    transport = peer.transport_settings(115200)
    if transport["type"] == "tcp":
        transport["connect_timeout_s"] = 1.0
    return escpos_printer(transport, hold_check_s=0.05, reconnect_max_s=0.2, **settings)


def one_receipt_with(peer: EscposPeer, code: str) -> str:
    [receipt] = peer.wait_for_receipts(1)
    text = decode_escpos(receipt.data)
    assert code in text and text.count("[CUT]") == 1
    assert f"[QR: https://desa.example/lacak/{code}]" in text
    return text


@pytest.mark.parametrize("link", LINKS)
@pytest.mark.parametrize(
    ("fault", "field", "value"),
    [("paper_out", "paper", PaperLevel.OUT), ("cover_open", "cover", CoverState.OPEN)],
)
def test_a_receipt_waits_for_paper_or_cover_and_prints_once(
    started, peer_on, link, fault, field, value
):
    peer = peer_on(link, faults=[fault])
    printer = started(driver_for(peer))
    assert getattr(printer.status, field) is value
    job = printer.print_receipt(sample_receipt("011226-001"), OWNER)
    with pytest.raises(FutureTimeout):
        job.result(0.5)
    assert peer.receipts() == [] and peer.printer.held == b""  # nothing sent meanwhile
    peer.clear(fault)
    job.result(WAIT_S)
    one_receipt_with(peer, "011226-001")


@pytest.mark.parametrize("link", LINKS)
@pytest.mark.parametrize("fault", ["paper_out", "cover_open"])
def test_paper_out_or_cover_open_mid_receipt_finishes_that_receipt_once(
    started, peer_on, link, fault
):
    script = [{"at_job": 1, "after_bytes": 200, "fault": fault}]
    peer = peer_on(link, fault_script=script)
    printer = started(driver_for(peer))
    events = EventRecorder(printer)
    job = printer.print_receipt(sample_receipt("011226-002"), OWNER)
    events.wait_status(availability=Availability.OFFLINE)
    with pytest.raises(FutureTimeout):
        job.result(0.5)
    assert peer.receipts() == []  # the rest waits in the printer's buffer
    peer.clear(fault)
    printed = job.result(WAIT_S)
    text = one_receipt_with(peer, "011226-002")
    assert peer.receipts()[0].data == printed.data  # the bytes of one receipt, not two
    assert "PEMERINTAH DESA SUKAMAJU" in text


@pytest.mark.parametrize("link", LINKS)
def test_a_printer_switched_off_and_on_gets_the_held_receipt_once(started, peer_on, link):
    peer = peer_on(link)
    printer = started(driver_for(peer))
    peer.unplug()
    events = EventRecorder(printer)
    job = printer.print_receipt(sample_receipt("011226-003"), OWNER)
    events.wait_status(availability=Availability.NO_DEVICE)
    assert "reconnecting" in printer.status.detail
    peer.plug()
    job.result(WAIT_S)
    one_receipt_with(peer, "011226-003")


def test_a_held_receipt_cancelled_when_the_citizen_leaves_never_comes_out(started, peer_on):
    peer = peer_on("tcp", faults=["paper_out"])
    printer = started(driver_for(peer))
    job = printer.print_receipt(sample_receipt("011226-004"), OWNER)
    with pytest.raises(FutureTimeout):
        job.result(0.3)
    assert printer.cancel(job.id)
    assert job.future.exception(WAIT_S).kind is ErrorKind.CANCELLED
    peer.clear("paper_out")
    printer.print_receipt(sample_receipt("011226-005"), OWNER).result(WAIT_S)
    one_receipt_with(peer, "011226-005")  # the next citizen's only
