"""Card readers on a serial line (RS-232, or USB-serial such as a CH340 or FTDI adapter).

    [devices.card_reader]
    type = "serial"
    port = "/dev/ttyUSB0"        # better: /dev/serial/by-id/usb-... (stable across re-plugs)
    baudrate = 9600
    prefix = "\\u0002"           # STX before each UID ("" when the reader sends none)
    suffix = "\\u0003"           # ETX after it; "\\r\\n" for readers that end lines
    uid_format = "auto"          # "hex" | "decimal" | "auto" (see cardreader.base)

Such readers send one frame per tap: `prefix`, the UID as text (hex, or a 10- or
17-digit decimal), `suffix`. Prefix and suffix are TOML strings, so "\\u0002" is STX;
Python-style escapes in literal strings ('\\x02') work too. A frame is what lies between a
prefix and the next suffix; bytes outside frames (line noise, a banner at power-up) are
dropped, a frame cut short by a new prefix is dropped, and so is a partial frame that
got no more bytes for `frame_timeout_s` (so a frame cut off by a re-plug is never glued
to the next one). Without a prefix, a frame is the printable text just before the
suffix. The port is read on the reader's own thread, through the same pyserial
transport the receipt printer uses; a port that vanishes (USB adapter unplugged) gives
no-device and is reopened as soon as it is back. See cardreader.line_reader.
"""

from __future__ import annotations

import codecs
import re
import time
from typing import Literal

from pydantic import Field, field_validator

from cardreader.line_reader import LineCardReader, LineReaderSettings, ReaderLost
from drivers.model import Availability
from drivers.transports.base import TransportError, TransportErrorKind
from drivers.transports.serial import SerialTransport
from drivers.transports.settings import SerialTransportSettings

READ_CHUNK = 256
_PRINTABLE_TAIL = re.compile(rb"[\x20-\x7e]*\Z")


def _escapes_decoded(value: str) -> str:
    """TOML already decoded "\\u0002"; a literal string may still hold '\\x02'."""
    if "\\" in value:
        try:
            value = codecs.decode(value, "unicode_escape")
        except UnicodeDecodeError as error:
            raise ValueError(f"bad escape: {error.reason}") from None
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError("only bytes 0-255 (\\u0000 to \\u00ff)") from None
    return value


class SerialCardReaderSettings(LineReaderSettings):
    type: Literal["serial"]
    port: str = Field(min_length=1, examples=["/dev/ttyUSB0"])
    baudrate: int = Field(default=9600, gt=0)
    bytesize: Literal[7, 8] = 8
    parity: Literal["none", "even", "odd"] = "none"
    stopbits: Literal[1, 2] = 1
    prefix: str = Field(default="", max_length=8)
    suffix: str = Field(default="\r\n", min_length=1, max_length=8)
    frame_timeout_s: float = Field(default=0.5, gt=0, le=10)
    max_frame_bytes: int = Field(default=64, ge=8, le=1024)

    @field_validator("prefix", "suffix")
    @classmethod
    def _as_bytes(cls, value: str) -> str:
        return _escapes_decoded(value)

    def transport_settings(self) -> SerialTransportSettings:
        return SerialTransportSettings(
            type="serial",
            port=self.port,
            baudrate=self.baudrate,
            bytesize=self.bytesize,
            parity=self.parity,
            stopbits=self.stopbits,
        )


class FrameParser:
    """Bytes in, frames out: what lies between `prefix` and `suffix`. Pure; time passed in."""

    def __init__(
        self, prefix: bytes, suffix: bytes, *, max_frame: int = 64, timeout_s: float = 0.5
    ) -> None:
        if not suffix:
            raise ValueError("a frame needs a suffix")
        self.prefix, self.suffix = prefix, suffix
        self.max_frame, self.timeout_s = max_frame, timeout_s
        self._buffer = bytearray()
        self._last_at: float | None = None

    def feed(self, data: bytes, at: float) -> list[bytes]:
        """The frames completed by `data` (received at `at`, in seconds), in order."""
        if self._last_at is not None and at - self._last_at > self.timeout_s:
            self._buffer.clear()  # a partial frame went stale: never glue it to a new one
        self._last_at = at
        self._buffer += data
        frames = []
        while (frame := self._next_frame()) is not None:
            frames.append(frame)
        return frames

    def _next_frame(self) -> bytes | None:
        buffer, prefix, suffix = self._buffer, self.prefix, self.suffix
        while True:
            if prefix and not self._at_prefix():
                return None
            end = buffer.find(suffix, len(prefix))
            restart = buffer.find(prefix, len(prefix)) if prefix else -1
            if restart >= 0 and (end < 0 or restart < end):
                del buffer[:restart]  # a frame cut short by the next one: drop it
                continue
            if end < 0:
                self._drop_if_overlong()
                return None
            frame = bytes(buffer[len(prefix) : end])
            del buffer[: end + len(suffix)]
            return frame if prefix else _printable_tail(frame)

    def _at_prefix(self) -> bool:
        """Drop the garbage before the next prefix; True if the buffer now starts with one."""
        start = self._buffer.find(self.prefix)
        if start < 0:  # keep what could be the start of a prefix still arriving
            del self._buffer[: max(0, len(self._buffer) - len(self.prefix) + 1)]
            return False
        del self._buffer[:start]
        return True

    def _drop_if_overlong(self) -> None:
        if len(self._buffer) <= len(self.prefix) + self.max_frame + len(self.suffix):
            return
        if self.prefix:
            del self._buffer[: len(self.prefix)]  # not a frame: look for the next prefix
        else:  # a line is at most max_frame long: older bytes cannot be part of it
            self._buffer[:] = self._buffer[-self.max_frame :]


class SerialCardReader(LineCardReader):
    settings_model = SerialCardReaderSettings
    settings: SerialCardReaderSettings

    def __init__(self, device_id: str, settings: SerialCardReaderSettings) -> None:
        super().__init__(device_id, settings)
        self._transport = SerialTransport(settings.transport_settings())
        self._parser = self._new_parser()

    @property
    def model(self) -> str:
        return f"serial card reader on {self.settings.port}"

    def _new_parser(self) -> FrameParser:
        s = self.settings
        return FrameParser(
            s.prefix.encode("latin-1"),
            s.suffix.encode("latin-1"),
            max_frame=s.max_frame_bytes,
            timeout_s=s.frame_timeout_s,
        )

    # --- on the reader's own thread --------------------------------------------------------

    def _connect(self) -> str:
        try:
            self._transport.open()
            self._transport.discard_input()  # what arrived while nobody listened is stale
        except TransportError as error:
            self._transport.close()
            raise _lost(error) from None
        self._parser = self._new_parser()
        return self._transport.describe()

    def _read_lines(self, timeout_s: float) -> list[str]:
        try:
            data = self._transport.read(READ_CHUNK, timeout_s)
        except TransportError as error:
            if error.kind is TransportErrorKind.TIMEOUT:
                return []
            raise _lost(error) from None
        frames = self._parser.feed(data, time.monotonic())
        return [frame.decode("latin-1") for frame in frames]

    def _disconnect(self) -> None:
        self._transport.close()


def _printable_tail(frame: bytes) -> bytes:
    """Without a prefix, noise before a UID (binary bytes at power-up) is not part of it."""
    match = _PRINTABLE_TAIL.search(frame)
    return match.group() if match else b""


def _lost(error: TransportError) -> ReaderLost:
    if error.kind is TransportErrorKind.NO_DEVICE:
        return ReaderLost(error.message)
    return ReaderLost(error.message, Availability.ERROR)
