"""A simulated contactless card reader, driven by `simulator.tap(uid)` / `remove()`.

    [devices.card_reader]
    type = "simulated"
    faults = []        # unplugged, card_removed_mid_read, random_uid
    fault_script = [{at_read = 2, fault = "card_removed_mid_read"}]

Like a real reader, it reads only while enabled: a tap on a reader that is not enabled
(or unplugged) is not seen at all. Faults:
- unplugged: status no-device, no events;
- card_removed_mid_read: a tap gives CardReadFailed("removed_mid_read") and no card;
- random_uid: every tap presents a fresh random 08xxxxxx UID (uid_is_random=True).
Tapping a second card while one is present first removes the first (CardRemoved).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import ClassVar, Literal

from pydantic import Field

from cardreader.base import (
    RANDOM_UID_FIRST_BYTE,
    CardPresented,
    CardReader,
    CardReadFailed,
    CardRemoved,
    is_random_uid,
    normalize_uid,
)
from drivers.device import Job
from drivers.model import (
    Availability,
    Capabilities,
    DeviceStatus,
    Feature,
    HealthCheck,
    HealthLevel,
    Lifecycle,
    MediaState,
    Sensor,
)
from drivers.sim.faults import (
    CARD_READER_FAULTS,
    Counter,
    Fault,
    FaultControls,
    FaultPlan,
    FaultSettings,
    refresh_status_on_change,
)


class SimulatedCardReaderSettings(FaultSettings):
    supported_faults: ClassVar[frozenset[Fault]] = CARD_READER_FAULTS
    script_counter: ClassVar[Counter] = "at_read"

    type: Literal["simulated"]
    read_delay_s: float = Field(default=0.0, ge=0, le=5)  # from tap to CardPresented
    poll_interval_s: float | None = Field(default=None, gt=0)


class SimulatedCardReaderControls(FaultControls):
    """The developer panel's handle: tap or lift a card, inject faults."""

    def __init__(self, reader: SimulatedCardReader, faults: FaultPlan) -> None:
        super().__init__(faults)
        self._reader = reader

    def tap(self, uid: str) -> Future[None]:
        """Hold a card with `uid` (hex or decimal) to the reader. ValueError for garbage.

        The returned future is done once the reader has handled the tap."""
        normalized = normalize_uid(uid)
        return self._reader._on_io(lambda: self._reader._tap_io(normalized))

    def remove(self) -> Future[None]:
        """Lift the card off the reader."""
        return self._reader._on_io(self._reader._remove_io)

    @property
    def card_present(self) -> bool:
        return self._reader._card is not None


class SimulatedCardReader(CardReader):
    settings_model = SimulatedCardReaderSettings
    simulator: SimulatedCardReaderControls

    def __init__(self, device_id: str, settings: SimulatedCardReaderSettings) -> None:
        super().__init__(device_id, settings, poll_interval_s=settings.poll_interval_s)
        self._faults = settings.fault_plan()
        self._read_delay_s = settings.read_delay_s
        self._closing = threading.Event()
        self._card: str | None = None  # the UID on the reader; touched on the I/O thread
        self.simulator = SimulatedCardReaderControls(self, self._faults)
        refresh_status_on_change(self, self._faults)

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(
            self.kind,
            sensors=frozenset({Sensor.MEDIA}),
            features=frozenset({Feature.CARD_UID}),
            model="simulated contactless reader (ISO 14443)",
            firmware="sim-1",
        )

    def close(self) -> Job[None]:
        self._closing.set()
        return super().close()

    def _on_io(self, work: Callable[[], None]) -> Future[None]:
        try:
            return self._run_on_io(work)
        except RuntimeError:  # closed: nobody is reading the card
            done: Future[None] = Future()
            done.set_result(None)
            return done

    # --- on the I/O thread -----------------------------------------------------------------

    def _open_io(self) -> None:
        """Nothing to connect; an unplugged reader shows in the status."""

    def _close_io(self) -> None:
        self._card = None

    def _disable_io(self) -> None:
        self._card = None  # the field is off: the reader no longer sees the card
        self._set_status(self._read_status_io())

    def _read_status_io(self) -> DeviceStatus:
        if Fault.UNPLUGGED in self._faults:
            self._card = None
            return DeviceStatus(
                Availability.NO_DEVICE, media=MediaState.UNKNOWN, detail="unplugged"
            )
        if self._card is not None:
            return DeviceStatus(
                Availability.ONLINE, media=MediaState.PRESENT, detail="card present"
            )
        return DeviceStatus(Availability.ONLINE, media=MediaState.ABSENT)

    def _reading(self) -> bool:
        return self.lifecycle is Lifecycle.ENABLED and Fault.UNPLUGGED not in self._faults

    def _tap_io(self, uid: str) -> None:
        if not self._reading():
            return
        self._faults.begin_read()
        if self._card is not None:
            self._card = None
            self._deliver(CardRemoved())
        active = self._faults.active
        if Fault.UNPLUGGED in active:
            pass  # unplugged by the script as the card came: nothing read
        elif Fault.CARD_REMOVED_MID_READ in active:
            self._deliver(CardReadFailed("removed_mid_read"))
        elif not self._closing.wait(self._read_delay_s):
            self._present(uid, random=Fault.RANDOM_UID in active)
        self._refresh_status_io()

    def _present(self, uid: str, *, random: bool) -> None:
        if random:
            uid = RANDOM_UID_FIRST_BYTE + secrets.token_hex(3).upper()
        self._card = uid
        self._deliver(CardPresented(uid, uid_is_random=random or is_random_uid(uid)))

    def _remove_io(self) -> None:
        if self._card is None:
            return
        self._card = None
        self._deliver(CardRemoved())
        self._refresh_status_io()

    def _health_checks_io(self, level: HealthLevel) -> list[HealthCheck]:
        plugged_in = Fault.UNPLUGGED not in self._faults
        return [HealthCheck("reader", plugged_in, "simulated" if plugged_in else "unplugged")]
