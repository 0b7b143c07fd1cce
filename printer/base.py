"""The two printer kinds the kiosk uses, as device interfaces, and what they share.

A driver class declares `settings_model` (its validated config table) and is built as
`Driver(device_id, settings)`. A simulated printer's `simulator` offers the controls of
`PrinterSimulator`; a real one has `simulator = None`.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import ClassVar, Protocol

from pydantic import BaseModel

from drivers.device import Device, Job
from drivers.model import (
    Availability,
    CoverState,
    DeviceError,
    DeviceKind,
    DeviceStatus,
    ErrorKind,
    PaperLevel,
)
from drivers.sim.faults import Fault, FaultPlan
from printer.receipt import Receipt


@dataclass(frozen=True)
class PrintedReceipt:
    job_id: str
    data: bytes  # what was sent: ESC/POS bytes, or the PDF of an A4 proof of submission


@dataclass(frozen=True)
class PrintedDocument:
    job_id: str
    title: str
    data: bytes  # the PDF, exactly as given


class Printout(Protocol):
    @property
    def data(self) -> bytes: ...


class PrinterSimulator(Protocol):
    """The controls of a simulated printer: its faults and what it printed."""

    @property
    def faults(self) -> FaultPlan: ...

    def inject(self, fault: Fault | str) -> None: ...

    def clear(self, fault: Fault | str) -> None: ...

    def active_faults(self) -> frozenset[Fault]: ...

    def printed(self) -> Sequence[Printout]: ...

    def forget_printed(self) -> None: ...


class Printer(Device):
    """What both printer kinds share: validated settings and, when simulated, controls."""

    settings_model: ClassVar[type[BaseModel]]
    simulator: PrinterSimulator | None = None

    def __init__(
        self, device_id: str, settings: BaseModel, *, poll_interval_s: float | None = None
    ) -> None:
        super().__init__(device_id, poll_interval_s=poll_interval_s)
        self.settings = settings  # as validated from the config table


class ReceiptPrinter(Printer):
    kind = DeviceKind.RECEIPT_PRINTER

    @abstractmethod
    def print_receipt(self, receipt: Receipt, owner: str) -> Job[PrintedReceipt]:
        """Print `receipt`; the job's result holds the bytes sent."""


class DocumentPrinter(Printer):
    kind = DeviceKind.DOCUMENT_PRINTER

    @abstractmethod
    def print_pdf(
        self, pdf: bytes, title: str, owner: str, *, job_name: str | None = None
    ) -> Job[PrintedDocument]:
        """Print `pdf` exactly as it is (a signed PDF must never be altered).

        `job_name` is the name the job carries on the printer: the kiosk passes its print
        journal's job id, so that after a crash it can ask `job_outcome(job_name)`.
        """

    def job_outcome(self, device_job: str) -> bool | None:
        """Did the job named `device_job` complete? None when this printer cannot tell.

        Asked once at start-up for a letter the journal left "printing" (the kiosk died
        while the printer had it). True: the paper came out; False: it did not; None:
        nobody knows, so the citizen is offered a reprint instead of a silent second copy.
        May do I/O: never call it on the GUI thread.
        """
        return None


# --- shared by printer drivers ------------------------------------------------------------

# The zone of the times printed on the kiosk's own pages (test pages, proofs): the
# village's, set by the kiosk at start; the machine's own (UTC on a fresh image) until then.
_page_zone: tzinfo | None = None


def set_page_zone(zone: tzinfo | None) -> None:
    global _page_zone
    _page_zone = zone


def page_time() -> datetime:
    """Now, in the zone the kiosk's pages print times in."""
    return datetime.now(_page_zone) if _page_zone is not None else datetime.now().astimezone()



def printer_status(
    paper: PaperLevel, cover: CoverState, *, offline: bool = False, problem: str = ""
) -> DeviceStatus:
    """A present printer's status from its sensors: offline when it cannot print."""
    problems = [
        text
        for text, present in (
            ("cover open", cover is CoverState.OPEN),
            ("paper out", paper is PaperLevel.OUT),
            ("paper jammed", paper is PaperLevel.JAMMED),
            (problem, bool(problem)),
        )
        if present
    ]
    if problems or offline:
        detail = ", ".join(problems) or "offline"
        return DeviceStatus(Availability.OFFLINE, paper, cover, detail=detail)
    detail = "paper low" if paper is PaperLevel.LOW else ""
    return DeviceStatus(Availability.ONLINE, paper, cover, detail=detail)


def refuse_unless_usable(status: DeviceStatus, doing: str = "cannot print") -> None:
    """Raise the DeviceError that says why a printer in `status` cannot work now."""
    if status.usable:
        return
    kind = {
        Availability.NO_DEVICE: ErrorKind.NO_DEVICE,
        Availability.ERROR: ErrorKind.HARDWARE,
        Availability.UNKNOWN: ErrorKind.COMMUNICATION,
    }.get(status.availability, ErrorKind.OFFLINE)
    raise DeviceError(kind, f"{doing}: {status.detail or status.availability.value}", status)


def stopped_while_printing(status: DeviceStatus) -> DeviceError | None:
    """After a job: paper out or cover open now means the printout may be incomplete."""
    if status.paper is PaperLevel.OUT or status.cover is CoverState.OPEN:
        return DeviceError(
            ErrorKind.OFFLINE, f"{status.detail} while printing: printout may be incomplete", status
        )
    if status.availability is Availability.NO_DEVICE:
        return DeviceError(ErrorKind.NO_DEVICE, f"{status.detail} while printing", status)
    return None
