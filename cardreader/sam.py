"""SAM-equipped e-KTP readers: the plugin interface a vendor implements, and the device
that runs a plugin.

An e-KTP's personal data (NIK, name, birth date, fingerprint minutiae) can be read only
through Dukcapil's Secure Access Module (SAM), which readers under a cooperation
agreement carry, with the vendor's own SDK. The kiosk does not talk to such SDKs itself:
a vendor ships a small Python package with a plugin, registered under the entry point
group `apm_kiosk.sam_readers`:

    # the vendor's pyproject.toml
    [project.entry-points."apm_kiosk.sam_readers"]
    acme-ektp = "acme_ektp.plugin:AcmeEktpReader"

and the kiosk's config names it:

    [devices.card_reader]
    type = "sam"
    plugin = "acme-ektp"
    options = { port = "/dev/ttyACM0", fingerprint = true }   # passed to the plugin as is

The plugin (`SamReaderPlugin`) is called from one thread only, the reader's own: it may
block in the vendor SDK. It returns what the card said (`SamRead`), or raises `SamError`
with a kind from `SamErrorKind`, which the device turns into a status or a read failure.
Fingerprint matching, when the reader does it, is reported in `SamRead.fingerprint`.

When such a reader identifies a citizen, the device delivers `IdentityRead` (NIK and
name read and verified by the SAM) instead of `CardPresented`, and the kiosk skips the
UID lookup. `cardreader.sam_simulated` is a plugin with scriptable reads and faults.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from importlib.metadata import entry_points
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from cardreader.base import CardReader, CardReadFailed, CardRemoved, ReadFailure
from drivers.device import Job
from drivers.model import (
    Availability,
    Capabilities,
    DeviceError,
    DeviceStatus,
    ErrorKind,
    Feature,
    HealthCheck,
    HealthLevel,
    MediaState,
    Sensor,
)

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "apm_kiosk.sam_readers"
WAIT_SLICE_S = 0.5  # how long one wait_for_card may block, so that close is prompt
RETRY_AFTER_ERROR_S = 2.0


class Fingerprint(StrEnum):
    MATCHED = "matched"  # the finger on the reader matches the card's minutiae
    NOT_MATCHED = "not-matched"
    NOT_DONE = "not-done"  # the reader can match, but this read did not ask
    NOT_SUPPORTED = "not-supported"  # the reader has no fingerprint sensor


@dataclass(frozen=True)
class SamRead:
    """What the SAM read from an e-KTP. Only what the kiosk needs: no photo, no minutiae."""

    nik: str  # 16 digits
    name: str
    birth_date: date | None = None
    fingerprint: Fingerprint = Fingerprint.NOT_SUPPORTED
    card_uid: str | None = None  # hex, when the reader also reports it
    extra: Mapping[str, str] = field(default_factory=dict)  # address, ... (for prefill)

    def __repr__(self) -> str:  # a read may reach a log line: never the NIK or the name
        return f"SamRead(nik='{self.nik[:4]}…', fingerprint={self.fingerprint.value})"


class SamErrorKind(StrEnum):
    NO_READER = "no-reader"  # not connected, or the SDK cannot find it
    NO_SAM = "no-sam"  # the reader has no SAM, or the SAM is not authorised
    SAM_LOCKED = "sam-locked"  # the SAM refuses to work (wrong PIN, expired licence)
    CARD_UNREADABLE = "card-unreadable"  # not an e-KTP, or damaged
    CARD_REMOVED = "card-removed"  # lifted before the read finished
    FINGERPRINT_TIMEOUT = "fingerprint-timeout"  # no finger placed in time


class SamError(Exception):
    def __init__(self, kind: SamErrorKind, message: str) -> None:
        super().__init__(f"{kind.value}: {message}")
        self.kind, self.message = kind, message


@runtime_checkable
class SamReaderPlugin(Protocol):
    """What a vendor implements. Every method runs on the reader's own thread."""

    def open(self, options: Mapping[str, Any]) -> None:
        """Connect to the reader and its SAM. Raises SamError (NO_READER, NO_SAM, ...)."""

    def wait_for_card(self, timeout_s: float) -> SamRead | None:
        """Block up to `timeout_s` for an e-KTP and read it; None when none came.

        Raises SamError: CARD_UNREADABLE / CARD_REMOVED / FINGERPRINT_TIMEOUT for this card
        (the kiosk tells the citizen and waits for the next), NO_READER / NO_SAM /
        SAM_LOCKED when the reader cannot work (the kiosk shows it and reopens later)."""

    def card_present(self) -> bool:
        """Is a card still on the reader (after a read)?"""

    def describe(self) -> str:
        """Model, serial and SAM id for technicians: "ACME EK-200 s/n 1234, SAM 5678"."""

    def close(self) -> None:
        """Disconnect; must not raise."""


@dataclass(frozen=True)
class IdentityRead:
    """A citizen identified by the SAM: the kiosk skips the card UID lookup."""

    nik: str
    name: str
    fingerprint: Fingerprint
    reader: str  # SamReaderPlugin.describe(), for the audit trail

    def __repr__(self) -> str:
        return f"IdentityRead(nik='{self.nik[:4]}…', fingerprint={self.fingerprint.value})"


class SamCardReaderSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["sam"]
    plugin: str = Field(min_length=1)  # the entry point name in apm_kiosk.sam_readers
    options: dict[str, Any] = Field(default_factory=dict)  # given to the plugin as is
    poll_interval_s: float | None = Field(default=None, gt=0)


def load_plugin(name: str) -> SamReaderPlugin:
    """An instance of the plugin registered as `name`; DeviceError naming the installed ones."""
    found = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    if name not in found:
        known = ", ".join(sorted(found)) or "none"
        raise DeviceError(
            ErrorKind.ILLEGAL,
            f"no SAM reader plugin {name!r} in entry point group {ENTRY_POINT_GROUP}; "
            f"installed: {known}",
        )
    plugin = found[name].load()()
    if not isinstance(plugin, SamReaderPlugin):
        raise DeviceError(ErrorKind.ILLEGAL, f"{found[name].value} is not a SamReaderPlugin")
    return plugin


class SamCardReader(CardReader):
    """Runs a vendor's SAM plugin on a thread of its own; results go to the I/O thread."""

    settings_model = SamCardReaderSettings
    plugin_factory: ClassVar[Callable[[str], SamReaderPlugin]] = staticmethod(load_plugin)

    def __init__(self, device_id: str, settings: SamCardReaderSettings) -> None:
        super().__init__(device_id, settings, poll_interval_s=settings.poll_interval_s)
        self._settings = settings
        # Loaded now: a missing plugin is a config error before the kiosk starts.
        self._plugin: SamReaderPlugin | None = type(self).plugin_factory(settings.plugin)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._problem = "not opened"  # why the reader cannot work now ("" when it can)
        self._card_present = False
        self._described = "unknown"

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(
            self.kind,
            sensors=frozenset({Sensor.MEDIA}),
            features=frozenset({Feature.CARD_UID}),
            model=f"SAM e-KTP reader ({self._settings.plugin}): {self._described}",
        )

    def close(self) -> Job[None]:
        self._stop.set()
        return super().close()

    # --- on the I/O thread -----------------------------------------------------------------

    @property
    def plugin(self) -> SamReaderPlugin | None:
        """The vendor plugin (the simulated one has controls for tests and the demo)."""
        return self._plugin

    def _open_io(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._read_loop, name=f"{self.device_id}-sam", daemon=True
        )
        self._thread.start()

    def _close_io(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=WAIT_SLICE_S * 4)
        self._thread = None

    def _read_status_io(self) -> DeviceStatus:
        return self._status_for(self._problem)

    def _status_for(self, problem: str) -> DeviceStatus:
        if problem:
            return DeviceStatus(Availability.NO_DEVICE, media=MediaState.UNKNOWN, detail=problem)
        media = MediaState.PRESENT if self._card_present else MediaState.ABSENT
        return DeviceStatus(Availability.ONLINE, media=media)

    def _health_checks_io(self, level: HealthLevel) -> list[HealthCheck]:
        return [HealthCheck("sam reader", not self._problem, self._problem or self._described)]

    # --- on the reader's own thread --------------------------------------------------------

    def _read_loop(self) -> None:
        plugin = self._plugin
        assert plugin is not None
        while not self._stop.is_set():
            if self._problem and not self._try_open(plugin):
                self._stop.wait(RETRY_AFTER_ERROR_S)
                continue
            self._read_once(plugin)
        self._safely(plugin.close)

    def _try_open(self, plugin: SamReaderPlugin) -> bool:
        try:
            plugin.open(self._settings.options)
            self._described = plugin.describe()
        except SamError as error:
            self._set_problem(error.message)
            return False
        except Exception as error:  # a vendor SDK must not kill the reader thread
            log.exception("%s: SAM plugin failed to open", self.device_id)
            self._set_problem(f"plugin error: {error}")
            return False
        self._set_problem("")
        return True

    def _read_once(self, plugin: SamReaderPlugin) -> None:
        try:
            read = plugin.wait_for_card(WAIT_SLICE_S)
        except SamError as error:
            self._on_error(error)
            return
        except Exception as error:
            log.exception("%s: SAM plugin failed while reading", self.device_id)
            self._set_problem(f"plugin error: {error}")
            self._safely(plugin.close)
            return
        if read is not None:
            self._on_read(plugin, read)
        elif self._card_present and not self._safely(plugin.card_present):
            self._card_present = False
            self._hand_over(CardRemoved())

    def _on_read(self, plugin: SamReaderPlugin, read: SamRead) -> None:
        if not (len(read.nik) == 16 and read.nik.isdigit()):
            log.warning("%s: the SAM plugin returned a malformed NIK", self.device_id)
            self._hand_over(CardReadFailed("unreadable"))
            return
        self._card_present = True
        self._hand_over(IdentityRead(read.nik, read.name, read.fingerprint, self._described))

    def _on_error(self, error: SamError) -> None:
        per_card: dict[SamErrorKind, ReadFailure] = {
            SamErrorKind.CARD_REMOVED: "removed_mid_read",
            SamErrorKind.CARD_UNREADABLE: "unreadable",
            SamErrorKind.FINGERPRINT_TIMEOUT: "unreadable",
        }
        if error.kind in per_card:
            log.info("%s: card not read: %s", self.device_id, error.kind.value)
            self._hand_over(CardReadFailed(per_card[error.kind]))
            return
        log.warning("%s: SAM reader cannot work: %s", self.device_id, error)
        self._set_problem(error.message)
        if self._plugin is not None:
            self._safely(self._plugin.close)

    def _set_problem(self, problem: str) -> None:
        self._problem = problem
        status = self._status_for(problem)  # now: every edge is reported, in order
        self._run_safely_on_io(lambda: self._set_status(status))

    def _hand_over(self, event: Any) -> None:
        def deliver() -> None:
            self._deliver(event)
            self._refresh_status_io()

        self._run_safely_on_io(deliver)

    def _run_safely_on_io(self, work: Callable[[], Any]) -> None:
        with contextlib.suppress(RuntimeError):  # closed meanwhile: nobody listens
            self._run_on_io(work)

    def _safely(self, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except Exception:
            log.exception("%s: SAM plugin call failed", self.device_id)
            return None
