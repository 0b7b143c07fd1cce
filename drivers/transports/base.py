"""A byte pipe to a device: what every transport offers a driver.

A transport is used from its device's I/O thread only, so it needs no locking. It
raises `TransportError` with one of three kinds, which map one-to-one onto the device
model's error kinds:
- no-device: not there (refused, unplugged, connection closed);
- timeout: there, but it did not answer (or take data) in time;
- communication: there, but talking failed (garbled, permission denied, port busy).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from enum import StrEnum
from types import TracebackType
from typing import ClassVar

from pydantic import BaseModel

from drivers.model import DeviceError, DeviceStatus, ErrorKind


class TransportErrorKind(StrEnum):
    NO_DEVICE = ErrorKind.NO_DEVICE.value
    TIMEOUT = ErrorKind.TIMEOUT.value
    COMMUNICATION = ErrorKind.COMMUNICATION.value


class TransportError(Exception):
    def __init__(self, kind: TransportErrorKind, message: str) -> None:
        super().__init__(f"{kind.value}: {message}")
        self.kind, self.message = kind, message

    def to_device_error(self, doing: str = "", status: DeviceStatus | None = None) -> DeviceError:
        message = f"{doing}: {self.message}" if doing else self.message
        return DeviceError(ErrorKind(self.kind.value), message, status)


class Transport(ABC):
    """Open, write, read with a timeout, close. Not thread-safe: one I/O thread uses it."""

    settings_model: ClassVar[type[BaseModel]]

    def __init__(self, settings: BaseModel) -> None:
        self.settings = settings

    @abstractmethod
    def open(self) -> None:
        """Connect. Does nothing when already open. Raises TransportError."""

    @abstractmethod
    def close(self) -> None:
        """Disconnect. Never raises; does nothing when already closed."""

    @abstractmethod
    def write(self, data: bytes) -> None:
        """Send all of `data`. Raises TransportError; a failed write leaves it closed."""

    @abstractmethod
    def read(self, n: int, timeout_s: float) -> bytes:
        """Return 1..n bytes as soon as some arrive; TransportError(TIMEOUT) if none do."""

    @property
    @abstractmethod
    def is_open(self) -> bool: ...

    @abstractmethod
    def describe(self) -> str:
        """Where the device is, for technicians: "tcp 192.168.1.50:9100"."""

    def discard_input(self) -> None:
        """Drop bytes that arrived unasked (a late answer to an earlier timed-out query)."""
        while True:
            try:
                self.read(4096, 0.0)
            except TransportError as error:
                if error.kind is TransportErrorKind.TIMEOUT:
                    return
                raise

    def __enter__(self) -> Transport:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
