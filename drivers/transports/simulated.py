"""A transport to an in-process virtual device, swapped in for a real port.

Like OctoPrint's virtual printer, the driver above cannot tell it from a real link: it
writes bytes, reads answers with a timeout, and sees the device vanish when the
`unplugged` fault is active (open and every read or write fail with no-device, and
the connection has to be opened again once the device is back).
"""

from __future__ import annotations

import threading
from typing import Protocol

from drivers.sim.faults import Fault, FaultPlan
from drivers.transports.base import Transport, TransportError, TransportErrorKind
from drivers.transports.settings import SimulatedTransportSettings


class VirtualEndpoint(Protocol):
    """The far end: a virtual device that answers what it receives."""

    faults: FaultPlan

    def receive(self, data: bytes) -> bytes: ...


class SimulatedTransport(Transport):
    settings_model = SimulatedTransportSettings

    def __init__(
        self, settings: SimulatedTransportSettings, endpoint: VirtualEndpoint | None = None
    ) -> None:
        super().__init__(settings)
        self.endpoint = endpoint if endpoint is not None else _make_endpoint(settings)
        self._answers = bytearray()
        self._changed = threading.Condition()
        self._open = False
        # Wake a waiting read when the device is unplugged, as a real port would fail.
        self.endpoint.faults.subscribe(lambda _active: self._wake())

    @property
    def is_open(self) -> bool:
        return self._open and self._plugged_in()

    def describe(self) -> str:
        return f"simulated {type(self.endpoint).__name__}"

    def open(self) -> None:
        if not self._plugged_in():
            raise TransportError(TransportErrorKind.NO_DEVICE, "simulated device unplugged")
        with self._changed:
            if not self._open:
                self._open = True
                self._answers.clear()

    def close(self) -> None:
        with self._changed:
            self._open = False
            self._changed.notify_all()

    def write(self, data: bytes) -> None:
        self._require_connected()
        answer = self.endpoint.receive(bytes(data))
        if answer:
            with self._changed:
                self._answers += answer
                self._changed.notify_all()

    def read(self, n: int, timeout_s: float) -> bytes:
        self._require_connected()
        with self._changed:
            self._changed.wait_for(
                lambda: bool(self._answers) or not self.is_open, max(timeout_s, 0.0)
            )
            if self._answers:
                data = bytes(self._answers[:n])
                del self._answers[:n]
                return data
        self._require_connected()
        raise TransportError(TransportErrorKind.TIMEOUT, f"no answer within {timeout_s:g} s")

    def _plugged_in(self) -> bool:
        return Fault.UNPLUGGED not in self.endpoint.faults

    def _require_connected(self) -> None:
        if not self._plugged_in():
            self.close()  # the handle of a vanished device is dead, as with real USB
            raise TransportError(TransportErrorKind.NO_DEVICE, "simulated device unplugged")
        if not self._open:
            raise TransportError(TransportErrorKind.NO_DEVICE, "not connected")

    def _wake(self) -> None:
        with self._changed:
            self._changed.notify_all()


def _make_endpoint(settings: SimulatedTransportSettings) -> VirtualEndpoint:
    if settings.device == "escpos":
        from drivers.sim.escpos_virtual import VirtualEscposPrinter

        return VirtualEscposPrinter(settings.fault_plan())
    raise ValueError(f"no virtual device {settings.device!r}")
