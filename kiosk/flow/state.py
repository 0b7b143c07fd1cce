"""The citizen flow's state: one immutable snapshot, replaced on every event."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from apm_api.models import (
    ApplicantByCard,
    ApplicantByNik,
    Catalogue,
    KioskConfig,
    LetterRequest,
    Resident,
    Service,
    Text,
)
from kiosk.flow.effects import PrintLetter
from kiosk.flow.events import MyRequest


class Screen(StrEnum):
    ATTRACT = "attract"
    IDENTIFY = "identify"  # tap the card, or type NIK + PIN
    IDENTIFYING = "identifying"
    SERVICES = "services"
    FORM = "form"
    CONFIRM = "confirm"
    SUBMITTING = "submitting"
    WAITING = "waiting"  # submitted, waiting for the village head's signature
    PRINTING = "printing"
    DONE = "done"  # thanks + one-tap satisfaction rating
    PICKUP = "pickup"  # type (or scan) the pickup code from the receipt
    REQUESTS = "requests"  # this kiosk's requests for that code: status, and print
    NOTICE = "notice"  # something went wrong; says what, and what the citizen can do


# Screens where the citizen is waiting on the machine, not the other way round: the idle
# timeout must not pull the rug from under a submit or a print in progress.
MACHINE_BUSY_SCREENS = frozenset({Screen.IDENTIFYING, Screen.SUBMITTING, Screen.PRINTING})


class PrintStep(StrEnum):
    DOWNLOADING = "downloading"
    VERIFYING = "verifying"  # SHA-256 and the village head's signature
    PRINTING = "printing"


class Retry(StrEnum):
    """What the notice's "try again" button does."""

    NOTHING = "nothing"
    SUBMIT = "submit"
    FETCH = "fetch"
    PRINT = "print"


@dataclass(frozen=True)
class Deadlines:
    """How long the machine may take on each busy screen before the citizen gets a way out."""

    identify_s: float = 20.0
    submit_s: float = 20.0
    print_s: float = 120.0
    # Idle timeouts by screen value ("form": 180.0); other screens take the backend's.
    idle_s: tuple[tuple[str, float], ...] = ()

    def idle_limit(self, screen: Screen) -> float | None:
        return dict(self.idle_s).get(screen.value)


@dataclass(frozen=True)
class Notice:
    title: Text
    message: Text
    retry: Retry = Retry.NOTHING
    # Show the tracking code so the citizen can come back or ask an officer.
    tracking_code: str | None = None


@dataclass(frozen=True)
class DeviceHealth:
    usable: bool
    availability: str
    detail: str = ""


@dataclass(frozen=True)
class NikLock:
    """A NIK the backend locked after wrong PINs: the kiosk refuses it until `until`."""

    nik_digest: str  # a keyed hash: the NIK itself is not kept after the attempt
    until: float  # on the flow's clock


@dataclass(frozen=True)
class UnknownCard:
    """The backend did not know the card last tapped here. Another unknown UID soon after
    means a chip that shows a fresh UID at every power-up (not all of them start with 08)."""

    uid_digest: str  # a keyed hash: no UID is kept
    seen_at: float  # on the flow's clock
    session_no: int


@dataclass(frozen=True)
class FlowState:
    screen: Screen = Screen.ATTRACT
    session_no: int = 1
    last_activity: float = 0.0

    # Loaded once at start and refreshed; None while the backend has not answered yet.
    kiosk: KioskConfig | None = None
    catalogue: Catalogue | None = None
    backend_unreachable: bool = False
    devices: dict[str, DeviceHealth] = field(default_factory=dict)
    # Kept across sessions for a short while (hashes and times only, nothing readable).
    nik_locks: tuple[NikLock, ...] = ()
    unknown_card: UnknownCard | None = None

    # The citizen's session (all cleared when the session ends).
    resident: Resident | None = None  # None when identified offline (not verified)
    session_token: str | None = None
    applicant: ApplicantByCard | ApplicantByNik | None = None  # who, for the outbox
    identify_error: Text | None = None
    lock_until: float | None = None  # the identify screen counts down to this (a locked NIK)
    lock_left_s: int = 0  # what the countdown says now (refreshed on every tick)
    pins_held: bool = False  # ... and it is this kiosk's PIN checks held back, not one NIK
    ready_requests: tuple[LetterRequest, ...] = ()
    my_requests: tuple[MyRequest, ...] = ()  # this kiosk's records (card, NIK or pickup code)
    pickup_error: Text | None = None
    pickup_tries: int = 0
    kiosk_reference: str | None = None  # set once the request is safe in the outbox
    pickup_code: str | None = None
    queue_number: str | None = None  # ddmmyy-NNN, printed on the receipt
    receipt_pending: bool = False  # asked for, not printed or failed yet
    queued: bool = False  # taken and saved, to be sent when the link returns
    attempt: int = 0  # numbers the busy-screen deadlines, so an old one is ignored
    printing: PrintLetter | None = None  # the letter being printed (kept for "try again")
    service: Service | None = None
    values: dict[str, str] = field(default_factory=dict)
    field_errors: dict[str, Text] = field(default_factory=dict)
    submit_key: str | None = None
    request: LetterRequest | None = None
    print_step: PrintStep | None = None
    receipt_problem: Text | None = None
    notice: Notice | None = None
    rating: int | None = None
    # How the citizen chose to see the screens (from the attract screen or any other);
    # back to the defaults for the next citizen.
    large_text: bool = False
    high_contrast: bool = False

    @property
    def identified_offline(self) -> bool:
        return self.applicant is not None and self.session_token is None

    @property
    def services(self) -> tuple[Service, ...]:
        """Enabled services in the order the backend wants them shown."""
        if self.catalogue is None or self.kiosk is None:
            return ()
        by_code = {s.code: s for s in self.catalogue.services}
        return tuple(by_code[c] for c in self.kiosk.services_enabled if c in by_code)

    @property
    def ready(self) -> bool:
        """The kiosk can take citizens: configuration and catalogue are loaded."""
        return self.kiosk is not None and self.catalogue is not None

    @property
    def out_of_service(self) -> Text | None:
        """Why the village office has closed the kiosk for now (None: it serves)."""
        return self.kiosk.out_of_service if self.kiosk else None

    @property
    def idle_timeout_s(self) -> float:
        return float(self.kiosk.idle_timeout_s) if self.kiosk else 60.0
