"""Byte pipes to devices, chosen by the `type` of a device's `transport` table.

Transport modules are imported only when their type is used (see drivers.registry);
their settings live in `drivers.transports.settings`, which imports nothing heavy.
"""

from __future__ import annotations

from drivers.registry import Registry
from drivers.transports.base import Transport, TransportError, TransportErrorKind
from drivers.transports.settings import TransportSettings

TRANSPORTS: Registry[Transport] = Registry("transport", Transport)
TRANSPORTS.register("simulated", "drivers.transports.simulated:SimulatedTransport")
TRANSPORTS.register("tcp", "drivers.transports.tcp:TcpTransport")
TRANSPORTS.register("serial", "drivers.transports.serial:SerialTransport")
TRANSPORTS.register("usb", "drivers.transports.usb:UsbTransport")
TRANSPORTS.register("cups", "drivers.transports.cups_raw:CupsRawTransport")


def make_transport(settings: TransportSettings) -> Transport:
    """The transport for validated settings (not opened yet)."""
    return TRANSPORTS.resolve(settings.type)(settings)


__all__ = [
    "TRANSPORTS",
    "Transport",
    "TransportError",
    "TransportErrorKind",
    "TransportSettings",
    "make_transport",
]
