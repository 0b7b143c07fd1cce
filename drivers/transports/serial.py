"""A serial port (RS-232 or USB-serial), through pyserial, imported only when opened.

The port is opened exclusively (a second program cannot interleave bytes). Writes have
a timeout; we never wait for the output to drain, because with hardware flow control a
printer out of paper holds the line and draining would block the I/O thread for good.
"""

from __future__ import annotations

import contextlib
import errno
import termios
from typing import Any

from drivers.transports.base import Transport, TransportError, TransportErrorKind
from drivers.transports.settings import SerialTransportSettings

PARITIES = {"none": "N", "even": "E", "odd": "O"}
GONE = {errno.ENOENT, errno.ENODEV, errno.ENXIO, errno.EIO}


class SerialTransport(Transport):
    settings_model = SerialTransportSettings

    def __init__(self, settings: SerialTransportSettings) -> None:
        super().__init__(settings)
        self._settings = settings
        self._port: Any = None  # serial.Serial once open

    @property
    def is_open(self) -> bool:
        return self._port is not None

    def describe(self) -> str:
        return f"serial {self._settings.port} {self._settings.baudrate} baud"

    def open(self) -> None:
        if self._port is not None:
            return
        import serial  # pyserial: only when a serial device is really used

        s = self._settings
        try:
            self._port = serial.Serial(
                port=s.port,
                baudrate=s.baudrate,
                bytesize=s.bytesize,
                parity=PARITIES[s.parity],
                stopbits=s.stopbits,
                rtscts=s.flow_control == "rtscts",
                dsrdtr=s.flow_control == "dsrdtr",
                xonxoff=s.flow_control == "xonxoff",
                timeout=0,
                write_timeout=s.write_timeout_s,
                exclusive=True,
            )
        except (serial.SerialException, OSError, ValueError) as error:
            raise self._open_error(error) from None

    def close(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(Exception):  # a vanished USB adapter may fail to close
                port.close()

    def write(self, data: bytes) -> None:
        import serial

        port = self._connected()
        try:
            port.write(data)
        except serial.SerialTimeoutException:
            self.close()
            raise self._error(
                TransportErrorKind.TIMEOUT,
                f"took no data for {self._settings.write_timeout_s:g} s (flow control?)",
            ) from None
        except (serial.SerialException, OSError) as error:
            self.close()
            raise self._error(TransportErrorKind.NO_DEVICE, str(error)) from None

    def read(self, n: int, timeout_s: float) -> bytes:
        import serial

        port = self._connected()
        try:
            port.timeout = max(timeout_s, 0.0)
            data = port.read(1)
            if data and n > 1:
                port.timeout = 0
                data += port.read(min(n - 1, port.in_waiting))
        except (serial.SerialException, OSError) as error:
            self.close()
            raise self._error(TransportErrorKind.NO_DEVICE, str(error)) from None
        if not data:
            raise TransportError(TransportErrorKind.TIMEOUT, f"no answer within {timeout_s:g} s")
        return bytes(data)

    def discard_input(self) -> None:
        import serial

        port = self._connected()
        try:
            port.reset_input_buffer()
        # A vanished port fails in tcflush with termios.error, which is not an OSError.
        except (serial.SerialException, OSError, termios.error) as error:
            self.close()
            raise self._error(TransportErrorKind.NO_DEVICE, str(error)) from None

    def _connected(self) -> Any:
        if self._port is None:
            raise self._error(TransportErrorKind.NO_DEVICE, "not open")
        return self._port

    def _open_error(self, error: Exception) -> TransportError:
        number = getattr(error, "errno", None)
        if number in GONE:
            return self._error(TransportErrorKind.NO_DEVICE, "no such port")
        if number == errno.EACCES:
            return self._error(
                TransportErrorKind.COMMUNICATION,
                "permission denied (is the kiosk user in the dialout group?)",
            )
        return self._error(TransportErrorKind.COMMUNICATION, str(error))

    def _error(self, kind: TransportErrorKind, reason: str) -> TransportError:
        return TransportError(kind, f"{self.describe()}: {reason}")
