"""Everything that can happen to the citizen flow.

Three sources, one queue (the flow handles one event at a time, on one thread):
- intents: what the citizen asked for on screen (the QML sends these, nothing more);
- results: what came back from an effect (backend call, print job), tagged with the
  session number they were started in, so a late answer from a previous citizen's session
  is dropped instead of leaking into the next one;
- hardware and time: card taps, device status edges, clock ticks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from apm_api.models import (
    Catalogue,
    ErrorCode,
    KioskConfig,
    LetterRequest,
    Session,
    Text,
)

# --- intents (from the citizen) --------------------------------------------------------


@dataclass(frozen=True)
class Start:
    """Tapped the attract screen."""


@dataclass(frozen=True)
class SubmitNikPin:
    nik: str
    pin: str

    def __repr__(self) -> str:
        # Events may end up in a log line or a traceback: never the PIN, nor the full NIK.
        return f"SubmitNikPin(nik=<{len(self.nik)} characters>, pin=<hidden>)"


@dataclass(frozen=True)
class ChooseService:
    code: str


@dataclass(frozen=True)
class PrintReady:
    """Chose a request that is already signed, to print it now (the come-back path)."""

    request_id: str


@dataclass(frozen=True)
class SetField:
    name: str
    value: str


@dataclass(frozen=True)
class Next:
    """Form -> confirm."""


@dataclass(frozen=True)
class Back:
    pass


@dataclass(frozen=True)
class Confirm:
    """Confirm screen: send the request."""


@dataclass(frozen=True)
class FinishLater:
    """Waiting screen: leave now with the receipt, print the letter on a later visit."""


@dataclass(frozen=True)
class Rate:
    score: int  # 1..4, Survei Kepuasan Masyarakat scale


@dataclass(frozen=True)
class Finish:
    """Done screen: end the session now."""


@dataclass(frozen=True)
class Home:
    """Cancel and go back to the attract screen from anywhere."""


class NoticeChoice(StrEnum):
    RETRY = "retry"
    HOME = "home"
    CONTINUE = "continue"


@dataclass(frozen=True)
class AnswerNotice:
    choice: NoticeChoice


@dataclass(frozen=True)
class OpenPickup:
    """Attract or identify screen: "Ambil surat" - come back with the receipt's code."""


@dataclass(frozen=True)
class SubmitPickupCode:
    """Typed on the keypad, or typed by a keyboard-wedge scanner reading the receipt's QR."""

    text: str


@dataclass(frozen=True)
class SetDisplay:
    """Large text and high contrast, switched on or off (None: left as they are)."""

    large_text: bool | None = None
    high_contrast: bool | None = None


@dataclass(frozen=True)
class StillHere:
    """Any touch: resets the idle timer (the UI sends it on every press)."""


Intent = (
    Start
    | SubmitNikPin
    | ChooseService
    | PrintReady
    | SetField
    | Next
    | Back
    | Confirm
    | FinishLater
    | Rate
    | Finish
    | Home
    | AnswerNotice
    | OpenPickup
    | SubmitPickupCode
    | SetDisplay
    | StillHere
)

# --- results (from effects) --------------------------------------------------------------


class FailureKind(StrEnum):
    UNREACHABLE = "unreachable"  # no network / server down / timeout: worth retrying
    REJECTED = "rejected"  # the backend said no (4xx with a reason)
    SERVER = "server"  # 5xx: worth retrying later
    PROTOCOL = "protocol"  # the backend answered something malformed
    DEVICE = "device"  # a printer or reader failed
    VERIFY = "verify"  # a letter failed its SHA-256 or signature check: never printed


@dataclass(frozen=True)
class Failure:
    """Why an effect failed, in terms the flow can act on (no library exceptions here)."""

    kind: FailureKind
    code: ErrorCode | None = None  # for REJECTED
    message: Text | None = None  # the backend's own explanation, if any
    field_errors: dict[str, Text] = field(default_factory=dict)
    retry_after_s: int | None = None
    detail: str = ""  # English, for logs and technicians only


@dataclass(frozen=True)
class KioskLoaded:
    config: KioskConfig
    catalogue: Catalogue
    cached: bool = False  # the backend could not be reached: the copy kept on disk


@dataclass(frozen=True)
class KioskLoadFailed:
    failure: Failure


@dataclass(frozen=True)
class Identified:
    session_no: int
    session: Session


@dataclass(frozen=True)
class IdentifyFailed:
    session_no: int
    failure: Failure


@dataclass(frozen=True)
class MyRequestsLoaded:
    session_no: int
    requests: tuple[LetterRequest, ...]


@dataclass(frozen=True)
class Submitted:
    session_no: int
    request: LetterRequest


@dataclass(frozen=True)
class SubmitFailed:
    session_no: int
    failure: Failure


@dataclass(frozen=True)
class SubmitQueued:
    """The request is on disk in the outbox: it cannot be lost any more."""

    session_no: int
    kiosk_reference: str
    pickup_code: str
    queue_number: str = ""  # ddmmyy-NNN, this kiosk's count of the day


@dataclass(frozen=True)
class StatusChecked:
    session_no: int
    request: LetterRequest


@dataclass(frozen=True)
class StatusCheckFailed:
    session_no: int
    request_id: str
    failure: Failure


@dataclass(frozen=True)
class PollDue:
    """Scheduled by the flow itself: time to ask for the request's status again."""

    session_no: int
    request_id: str


@dataclass(frozen=True)
class Deadline:
    """Scheduled by the flow: the machine has had long enough on a busy screen."""

    session_no: int
    screen: str  # the Screen it was set for
    attempt: int  # which try on that screen (a retry sets a new deadline)


@dataclass(frozen=True)
class MyRequest:
    """A request made at this kiosk (or known to the backend), as the pickup list shows it."""

    request_id: str | None  # None while it waits in the outbox
    reference: str  # the tracking code, or the kiosk reference before the backend answered
    service_name: Text
    status: str  # "queued", "failed", or a RequestStatus value
    reason: Text | None = None  # why it failed or was rejected
    sha256: str | None = None
    printable: bool = False  # signed, and this kiosk may print it now
    reprint: bool = False  # printed before: printing it again counts as a reprint
    local_id: str | None = None


@dataclass(frozen=True)
class MyRequestsFound:
    """This kiosk's records for the citizen (by card, NIK or pickup code)."""

    session_no: int
    requests: tuple[MyRequest, ...]
    by_code: bool = False


@dataclass(frozen=True)
class LinkChanged:
    """The sync worker's view of the backend link (after several failures in a row)."""

    up: bool


@dataclass(frozen=True)
class RetryLoad:
    """Scheduled by the flow itself: try loading the kiosk configuration again."""


@dataclass(frozen=True)
class DocumentFetchFailed:
    session_no: int
    request_id: str
    failure: Failure


@dataclass(frozen=True)
class PrintProgress:
    """The print service moved to another step of printing a letter."""

    session_no: int
    request_id: str
    step: str  # a kiosk.flow.state.PrintStep value


@dataclass(frozen=True)
class DocumentPrinted:
    session_no: int
    request_id: str


@dataclass(frozen=True)
class ReceiptPrinted:
    session_no: int


class PrinterRole(StrEnum):
    RECEIPT = "receipt_printer"
    DOCUMENT = "document_printer"


@dataclass(frozen=True)
class PrintFailed:
    session_no: int
    role: PrinterRole
    failure: Failure


# --- hardware and time -----------------------------------------------------------------


@dataclass(frozen=True)
class CardPresented:
    uid: str  # normalized upper-case hex
    uid_is_random: bool = False


@dataclass(frozen=True)
class IdentityRead:
    """A SAM-equipped e-KTP reader read the NIK from the chip: no UID lookup needed."""

    nik: str = field(repr=False)
    fingerprint: str  # matched, not-matched, not-done, not-supported
    reader: str


@dataclass(frozen=True)
class PickupCodeScanned:
    """A scanner read a receipt's QR (a keyboard-wedge or evdev scanner): on the attract
    and identify screens it opens pickup at once, so the citizen need not find the button."""

    text: str = field(repr=False)  # a pickup code is as good as a key to the letter


class CardProblem(StrEnum):
    REMOVED_MID_READ = "removed_mid_read"
    UNREADABLE = "unreadable"


@dataclass(frozen=True)
class CardReadFailed:
    problem: CardProblem


@dataclass(frozen=True)
class DeviceStatusChanged:
    role: str  # receipt_printer, document_printer, card_reader
    usable: bool
    availability: str
    detail: str = ""


@dataclass(frozen=True)
class Tick:
    """Sent about once a second; the flow reads the clock it was given."""


Result = (
    KioskLoaded
    | KioskLoadFailed
    | Identified
    | IdentifyFailed
    | MyRequestsLoaded
    | Submitted
    | SubmitFailed
    | SubmitQueued
    | StatusChecked
    | StatusCheckFailed
    | PollDue
    | Deadline
    | MyRequestsFound
    | LinkChanged
    | RetryLoad
    | DocumentFetchFailed
    | PrintProgress
    | DocumentPrinted
    | ReceiptPrinted
    | PrintFailed
    | CardPresented
    | IdentityRead
    | PickupCodeScanned
    | CardReadFailed
    | DeviceStatusChanged
    | Tick
)

Event = Intent | Result
