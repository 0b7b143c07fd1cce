"""What the flow asks the outside world to do.

The flow never does I/O: `Flow.handle` returns effects, and the controller carries them
out off the GUI thread and feeds the results back as events.  Every effect that belongs to
a citizen's session carries that session's number; the controller copies it into the
result so that stale results can be recognised.
"""

from __future__ import annotations

from dataclasses import dataclass

from apm_api.models import (
    ApplicantByCard,
    ApplicantByNik,
    IdentifyByCard,
    IdentifyByNikPin,
    IdentifyBySam,
    SubmitRequest,
)
from kiosk.flow.events import Event


@dataclass(frozen=True)
class LoadKiosk:
    """Fetch the kiosk configuration and the service catalogue."""


@dataclass(frozen=True)
class Identify:
    """Ask the backend who this is; also look up this kiosk's records for the citizen."""

    session_no: int
    request: IdentifyByCard | IdentifyByNikPin | IdentifyBySam


@dataclass(frozen=True)
class FindMyRequests:
    """Look up this kiosk's own records (works offline): by card, NIK or pickup code."""

    session_no: int
    applicant: ApplicantByCard | ApplicantByNik | None = None
    pickup_code: str | None = None


@dataclass(frozen=True)
class LoadMyRequests:
    session_no: int
    session_token: str


@dataclass(frozen=True)
class Submit:
    """Queue the request durably in the outbox (then the sync worker sends it).

    `body.applicant` always names the citizen, so the request can still be sent when the
    session token has expired or was never had (identified while the backend was down).
    """

    session_no: int
    session_token: str | None
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
class PrintLetter:
    """Print a signed letter: fetch, check SHA-256 and signature, print, report (one unit)."""

    session_no: int
    request_id: str
    sha256: str
    tracking_code: str
    local_id: str | None = None
    reprint: bool = False


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
    pickup_code: str | None = None  # shown as 1234-5678-9012; the QR carries it


@dataclass(frozen=True)
class PrintReceipt:
    session_no: int
    receipt: ReceiptContent


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
    | FindMyRequests
    | LoadMyRequests
    | Submit
    | CheckStatus
    | Schedule
    | PrintLetter
    | PrintReceipt
    | SendRating
    | EndSession
)
