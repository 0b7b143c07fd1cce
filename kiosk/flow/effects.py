"""What the flow asks the outside world to do.

The flow never does I/O: `Flow.handle` returns effects, and the controller carries them
out off the GUI thread and feeds the results back as events.  Every effect that belongs to
a citizen's session carries that session's number; the controller copies it into the
result so that stale results can be recognised.
"""

from __future__ import annotations

from dataclasses import dataclass

from apm_api.models import IdentifyByCard, IdentifyByNikPin, LetterRequest, SubmitRequest
from kiosk.flow.events import Event


@dataclass(frozen=True)
class LoadKiosk:
    """Fetch the kiosk configuration and the service catalogue."""


@dataclass(frozen=True)
class Identify:
    session_no: int
    request: IdentifyByCard | IdentifyByNikPin


@dataclass(frozen=True)
class LoadMyRequests:
    session_no: int
    session_token: str


@dataclass(frozen=True)
class Submit:
    session_no: int
    session_token: str
    body: SubmitRequest
    idempotency_key: str  # made once per confirmed draft: a retry reuses it


@dataclass(frozen=True)
class CheckStatus:
    session_no: int
    request_id: str


@dataclass(frozen=True)
class Schedule:
    """Deliver `event` back to the flow after `delay_s` seconds."""

    delay_s: float
    event: Event


@dataclass(frozen=True)
class FetchDocument:
    """Download the signed letter, verify its SHA-256, keep it for printing."""

    session_no: int
    request: LetterRequest


@dataclass(frozen=True)
class PrintDocument:
    """Print the letter fetched before, unchanged (a signed PDF is never edited)."""

    session_no: int
    request_id: str


@dataclass(frozen=True)
class ReceiptLine:
    label: str
    value: str


@dataclass(frozen=True)
class ReceiptContent:
    """What goes on the thermal receipt; the printer layer decides how it looks."""

    header: tuple[str, ...]
    title: str
    rows: tuple[ReceiptLine, ...]
    tracking_code: str
    qr_payload: str
    footer: tuple[str, ...]


@dataclass(frozen=True)
class PrintReceipt:
    session_no: int
    receipt: ReceiptContent


@dataclass(frozen=True)
class ReportPrinted:
    """Tell the backend the letter was printed (idempotent, keyed)."""

    request_id: str
    document_sha256: str
    idempotency_key: str


@dataclass(frozen=True)
class SendRating:
    score: int
    request_id: str | None


@dataclass(frozen=True)
class EndSession:
    """Forget everything of the citizen who just left (tokens, documents)."""

    session_no: int


Effect = (
    LoadKiosk
    | Identify
    | LoadMyRequests
    | Submit
    | CheckStatus
    | Schedule
    | FetchDocument
    | PrintDocument
    | PrintReceipt
    | ReportPrinted
    | SendRating
    | EndSession
)
