"""A TCP connection, e.g. to a network receipt printer's raw port 9100.

Every step has an explicit timeout, so a printer that vanished from the network costs
at most a few seconds of its device's I/O thread and never hangs it. Nagle's algorithm
is off: status queries are three bytes and must not wait behind a delayed ACK.
"""

from __future__ import annotations

import contextlib
import socket

from drivers.transports.base import Transport, TransportError, TransportErrorKind
from drivers.transports.settings import TcpTransportSettings


class TcpTransport(Transport):
    settings_model = TcpTransportSettings

    def __init__(self, settings: TcpTransportSettings) -> None:
        super().__init__(settings)
        self._where = (settings.host, settings.port)
        self._connect_timeout_s = settings.connect_timeout_s
        self._write_timeout_s = settings.write_timeout_s
        self._sock: socket.socket | None = None

    @property
    def is_open(self) -> bool:
        return self._sock is not None

    def describe(self) -> str:
        return f"tcp {self._where[0]}:{self._where[1]}"

    def open(self) -> None:
        if self._sock is not None:
            return
        try:
            sock = socket.create_connection(self._where, timeout=self._connect_timeout_s)
        except TimeoutError:
            raise self._error(
                TransportErrorKind.TIMEOUT, f"no answer within {self._connect_timeout_s:g} s"
            ) from None
        except OSError as error:  # refused, unreachable, unknown host
            raise self._error(TransportErrorKind.NO_DEVICE, _reason(error)) from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        self._sock = sock

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

    def write(self, data: bytes) -> None:
        sock = self._connected()
        try:
            sock.settimeout(self._write_timeout_s)
            sock.sendall(data)
        except TimeoutError:
            self.close()  # how much was sent is unknown: start clean next time
            raise self._error(
                TransportErrorKind.TIMEOUT, f"took no data for {self._write_timeout_s:g} s"
            ) from None
        except OSError as error:
            self.close()
            raise self._error(TransportErrorKind.NO_DEVICE, _reason(error)) from None

    def read(self, n: int, timeout_s: float) -> bytes:
        sock = self._connected()
        try:
            sock.settimeout(max(timeout_s, 0.0))  # 0 makes the socket non-blocking
            data = sock.recv(n)
        except (TimeoutError, BlockingIOError):
            raise TransportError(
                TransportErrorKind.TIMEOUT, f"no answer within {timeout_s:g} s"
            ) from None
        except OSError as error:
            self.close()
            raise self._error(TransportErrorKind.NO_DEVICE, _reason(error)) from None
        if not data:
            self.close()
            raise self._error(TransportErrorKind.NO_DEVICE, "connection closed by the device")
        return data

    def _connected(self) -> socket.socket:
        if self._sock is None:
            raise self._error(TransportErrorKind.NO_DEVICE, "not connected")
        return self._sock

    def _error(self, kind: TransportErrorKind, reason: str) -> TransportError:
        return TransportError(kind, f"{self.describe()}: {reason}")


def _reason(error: OSError) -> str:
    return error.strerror or str(error) or type(error).__name__
