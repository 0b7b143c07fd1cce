"""The device vocabulary shared by every device kind.

Borrowed from UnifiedPOS and CEN/XFS (see shared/reference/devices-and-kiosks.md):
- a lifecycle open -> claim -> enable -> use -> disable -> release -> close;
- one status type whose sensor readings have "unknown" and "not supported" as real
  values, because many printers cannot report paper or cover state at all;
- capabilities queried, not assumed;
- edge-triggered status events, data events, and job-completion events tied to job ids;
- health checks at three levels.

Everything here is plain immutable data, safe to pass between threads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class DeviceKind(StrEnum):
    RECEIPT_PRINTER = "receipt_printer"
    DOCUMENT_PRINTER = "document_printer"  # A4
    CARD_READER = "card_reader"


class Lifecycle(StrEnum):
    CLOSED = "closed"
    OPEN = "open"  # opened, not owned
    CLAIMED = "claimed"  # owned exclusively by one owner, not yet taking work
    ENABLED = "enabled"  # owned and taking work / delivering input


class Availability(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"  # present but not able to work now (cover open, paper out, ...)
    BUSY = "busy"
    ERROR = "error"  # hardware or communication error
    NO_DEVICE = "no-device"  # unplugged / not found
    UNKNOWN = "unknown"  # not yet known (before the first status read)


class PaperLevel(StrEnum):
    FULL = "full"
    LOW = "low"
    OUT = "out"
    JAMMED = "jammed"
    UNKNOWN = "unknown"
    NOT_SUPPORTED = "not-supported"


class CoverState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    UNKNOWN = "unknown"
    NOT_SUPPORTED = "not-supported"


class MediaState(StrEnum):
    """A card on a card reader."""

    PRESENT = "present"
    ABSENT = "absent"
    UNKNOWN = "unknown"
    NOT_SUPPORTED = "not-supported"


@dataclass(frozen=True)
class DeviceStatus:
    """One snapshot of a device's state. Compare two snapshots to detect an edge."""

    availability: Availability
    paper: PaperLevel = PaperLevel.NOT_SUPPORTED
    cover: CoverState = CoverState.NOT_SUPPORTED
    media: MediaState = MediaState.NOT_SUPPORTED
    detail: str = ""  # short English text for technicians, e.g. "cover open"

    @property
    def usable(self) -> bool:
        return self.availability in (Availability.ONLINE, Availability.BUSY)

    def as_dict(self) -> dict[str, str]:
        return {
            "availability": self.availability.value,
            "paper": self.paper.value,
            "cover": self.cover.value,
            "media": self.media.value,
            "detail": self.detail,
        }


UNKNOWN_STATUS = DeviceStatus(Availability.UNKNOWN, detail="not read yet")


class Sensor(StrEnum):
    PAPER = "paper"
    PAPER_LOW = "paper-low"
    COVER = "cover"
    MEDIA = "media"


class Feature(StrEnum):
    CUT = "cut"
    QR = "qr"
    PDF = "pdf"
    DUPLEX = "duplex"
    CARD_UID = "card-uid"
    STATUS_QUERY = "status-query"  # can be asked for status at any time


@dataclass(frozen=True)
class Capabilities:
    kind: DeviceKind
    sensors: frozenset[Sensor] = frozenset()
    features: frozenset[Feature] = frozenset()
    model: str = "unknown"
    firmware: str = "unknown"


class HealthLevel(StrEnum):
    INTERNAL = "internal"  # no effect on the outside world: talk to the device, read status
    EXTERNAL = "external"  # may act visibly: print a test page, beep, feed paper
    INTERACTIVE = "interactive"  # needs a technician present (tap a card, read the page)


@dataclass(frozen=True)
class HealthCheck:
    name: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class HealthReport:
    device_id: str
    level: HealthLevel
    status: DeviceStatus
    checks: tuple[HealthCheck, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


# --- events ---------------------------------------------------------------------------
# Delivered to subscribers on the device's own I/O thread; a GUI forwards them to its own
# thread (the Qt layer does it with signals).


@dataclass(frozen=True)
class StatusChanged:
    device_id: str
    previous: DeviceStatus
    current: DeviceStatus


@dataclass(frozen=True)
class DataReceived:
    """Input from the device, in order (a card presented, a card removed, ...)."""

    device_id: str
    data: Any


@dataclass(frozen=True)
class JobCompleted:
    device_id: str
    job_id: str
    ok: bool
    error: DeviceError | None = None
    result: Any = None


DeviceEvent = StatusChanged | DataReceived | JobCompleted


# --- errors ---------------------------------------------------------------------------


class ErrorKind(StrEnum):
    NO_DEVICE = "no-device"
    OFFLINE = "offline"  # e.g. paper out or cover open: fixable by a person
    TIMEOUT = "timeout"
    COMMUNICATION = "communication"
    HARDWARE = "hardware"
    NOT_CLAIMED = "not-claimed"  # used without owning it, or owned by someone else
    ILLEGAL = "illegal"  # wrong lifecycle state or bad argument
    CANCELLED = "cancelled"


@dataclass
class DeviceError(Exception):
    kind: ErrorKind
    message: str
    status: DeviceStatus | None = field(default=None)

    def __str__(self) -> str:
        return f"{self.kind.value}: {self.message}"
