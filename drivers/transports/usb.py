"""A USB printer, found one of two ways (see docs/printers.md):

- `device = "/dev/usb/lp0"`: the kernel's usblp driver, a device file. Nothing to
  install; the printer's status answers can be read on most ESC/POS printers. The file
  is opened non-blocking and every write and read waits with poll() and a deadline: a
  printer out of paper stops taking data, and that must end in a timeout, not a hang.
- `vendor_id` + `product_id`: libusb through pyusb (imported only when opened). The
  kernel's usblp driver is detached from the interface first, then the interface is
  claimed and its bulk OUT (and IN, for status answers) endpoints are used directly.

Either way the kiosk user needs permission on the device: the udev rule in the docs.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import errno
import os
import select
import stat
import time
from typing import Any, Protocol

from drivers.transports.base import Transport, TransportError, TransportErrorKind
from drivers.transports.settings import UsbTransportSettings

GONE = {errno.ENOENT, errno.ENODEV, errno.ENXIO}
# Mid-transfer, EIO is what a pulled cable looks like (usblp and libusb alike).
GONE_MID_TRANSFER = GONE | {errno.EIO}
NO_SUCH_DEVICE = "no such device; is the printer on and plugged in?"
PULLED = "the printer went away (cable pulled or switched off?)"
NO_PERMISSION = (
    "permission denied: install the printer's udev rule (docs/printers.md) "
    "and put the kiosk user in its group"
)
IN_USE = "in use by another program (CUPS's usb backend?)"
# usblp takes up to 8 KiB per write; libusb chunks keep the timeout per chunk meaningful.
CHUNK_BYTES = 4096
# usblp may say "writable" while it still refuses data (e.g. no paper): pause, not spin.
RETRY_PAUSE_S = 0.02


class _Link(Protocol):
    @property
    def is_open(self) -> bool: ...
    def open(self) -> None: ...
    def close(self) -> None: ...
    def write(self, data: bytes) -> None: ...
    def read(self, n: int, timeout_s: float) -> bytes: ...


class UsbTransport(Transport):
    settings_model = UsbTransportSettings

    def __init__(self, settings: UsbTransportSettings) -> None:
        super().__init__(settings)
        self._settings = settings
        self._link: _Link
        if settings.device is not None:
            self._link = _UsblpLink(settings.device, settings.write_timeout_s, self._error)
        else:
            assert settings.vendor_id is not None and settings.product_id is not None
            self._link = _LibusbLink(
                settings.vendor_id,
                settings.product_id,
                settings.interface,
                settings.write_timeout_s,
                self._error,
            )

    @property
    def is_open(self) -> bool:
        return self._link.is_open

    def describe(self) -> str:
        s = self._settings
        if s.device is not None:
            return f"usb {s.device}"
        interface = f" interface {s.interface}" if s.interface else ""
        return f"usb {_ids(s.vendor_id, s.product_id)}{interface}"

    def open(self) -> None:
        if not self._link.is_open:
            self._link.open()

    def close(self) -> None:
        self._link.close()

    def write(self, data: bytes) -> None:
        self._link.write(data)

    def read(self, n: int, timeout_s: float) -> bytes:
        return self._link.read(n, timeout_s)

    def _error(self, kind: TransportErrorKind, reason: str) -> TransportError:
        return TransportError(kind, f"{self.describe()}: {reason}")


class _ErrorFactory(Protocol):
    def __call__(self, kind: TransportErrorKind, reason: str) -> TransportError: ...


def _ids(vendor_id: int | None, product_id: int | None) -> str:
    return f"{vendor_id or 0:04x}:{product_id or 0:04x}"


def _timed_out(timeout_s: float) -> TransportError:
    return TransportError(TransportErrorKind.TIMEOUT, f"no answer within {timeout_s:g} s")


# --- the kernel's usblp driver: a device file ------------------------------------------


class _UsblpLink:
    def __init__(self, device: str, write_timeout_s: float, error: _ErrorFactory) -> None:
        self._device = device
        self._write_timeout_s = write_timeout_s
        self._error = error
        self._fd: int | None = None

    @property
    def is_open(self) -> bool:
        return self._fd is not None

    def open(self) -> None:
        try:
            fd = os.open(self._device, os.O_RDWR | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
        except OSError as error:
            raise self._open_error(error) from None
        if not stat.S_ISCHR(os.fstat(fd).st_mode):
            os.close(fd)
            # e.g. left by `echo ... > /dev/usb/lp0` run while the printer was unplugged
            raise self._error(
                TransportErrorKind.COMMUNICATION,
                "not a device file (a leftover regular file? remove it and replug the printer)",
            )
        self._fd = fd

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)  # usblp drops a write still in flight: the next job starts clean

    def write(self, data: bytes) -> None:
        fd = self._connected()
        view, sent = memoryview(data), 0
        deadline = time.monotonic() + self._write_timeout_s
        while sent < len(view):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not _wait(fd, select.POLLOUT, remaining):
                self.close()  # how much the printer took is unknown: start clean next time
                raise self._stalled()
            try:
                written = os.write(fd, view[sent : sent + CHUNK_BYTES])
            except BlockingIOError:
                time.sleep(min(RETRY_PAUSE_S, max(remaining, 0.0)))
                continue
            except OSError as error:
                self.close()
                raise self._transfer_error(error) from None
            sent += written
            if written:  # progress: the timeout counts from the last byte taken
                deadline = time.monotonic() + self._write_timeout_s

    def read(self, n: int, timeout_s: float) -> bytes:
        fd = self._connected()
        if not _wait(fd, select.POLLIN, max(timeout_s, 0.0)):
            raise _timed_out(timeout_s)
        try:
            data = os.read(fd, n)
        except BlockingIOError:
            raise _timed_out(timeout_s) from None
        except OSError as error:
            if error.errno == errno.EINVAL:
                # usblp refuses reads on a one-way printer: it cannot answer status requests.
                raise TransportError(
                    TransportErrorKind.TIMEOUT, "this printer's USB link is one-way: no answers"
                ) from None
            self.close()
            raise self._transfer_error(error) from None
        if not data:
            self.close()
            raise self._error(TransportErrorKind.NO_DEVICE, PULLED)
        return data

    def _connected(self) -> int:
        if self._fd is None:
            raise self._error(TransportErrorKind.NO_DEVICE, "not open")
        return self._fd

    def _stalled(self) -> TransportError:
        return self._error(
            TransportErrorKind.TIMEOUT,
            f"took no data for {self._write_timeout_s:g} s (out of paper or cover open?)",
        )

    def _open_error(self, error: OSError) -> TransportError:
        return _os_error(error, self._error, gone=GONE, doing="open")

    def _transfer_error(self, error: OSError) -> TransportError:
        if error.errno == errno.ENOSPC:  # usblp's "paper empty" from the printer's port status
            return self._error(TransportErrorKind.TIMEOUT, "stopped taking data: out of paper")
        return _os_error(error, self._error, gone=GONE_MID_TRANSFER, doing="transfer")


def _wait(fd: int, event: int, timeout_s: float) -> bool:
    """Whether `fd` is ready for `event` (or has an error or hangup to report) in time."""
    poller = select.poll()
    poller.register(fd, event)
    return bool(poller.poll(max(0, round(timeout_s * 1000))))


def _os_error(error: OSError, make: _ErrorFactory, *, gone: set[int], doing: str) -> TransportError:
    number = error.errno
    if number in gone:
        return make(TransportErrorKind.NO_DEVICE, NO_SUCH_DEVICE if doing == "open" else PULLED)
    if number in (errno.EACCES, errno.EPERM):
        return make(TransportErrorKind.COMMUNICATION, NO_PERMISSION)
    if number == errno.EBUSY:
        return make(TransportErrorKind.COMMUNICATION, IN_USE)
    reason = error.strerror or str(error) or type(error).__name__
    return make(TransportErrorKind.COMMUNICATION, reason)


# --- libusb, by vendor and product id ----------------------------------------------------


class _LibusbLink:
    def __init__(
        self,
        vendor_id: int,
        product_id: int,
        interface: int,
        write_timeout_s: float,
        error: _ErrorFactory,
    ) -> None:
        self._vendor_id, self._product_id = vendor_id, product_id
        self._interface = interface
        self._write_timeout_ms = max(1, round(write_timeout_s * 1000))
        self._write_timeout_s = write_timeout_s
        self._error = error
        self._device: Any = None  # usb.core.Device once claimed
        self._out: Any = None  # bulk OUT endpoint
        self._in: Any = None  # bulk IN endpoint, None when the printer cannot answer
        self._unread = b""  # a USB packet holds more than a caller may have asked for

    @property
    def is_open(self) -> bool:
        return self._device is not None

    def open(self) -> None:
        core, util = _pyusb(self._error)
        try:
            device = core.find(idVendor=self._vendor_id, idProduct=self._product_id)
        except core.NoBackendError:
            raise self._error(TransportErrorKind.COMMUNICATION, _no_libusb()) from None
        except core.USBError as error:
            raise _os_error(error, self._error, gone=GONE, doing="open") from None
        if device is None:
            raise self._error(
                TransportErrorKind.NO_DEVICE,
                f"no USB device {_ids(self._vendor_id, self._product_id)}; "
                "is the printer on and plugged in? (`lsusb` lists the ids)",
            )
        try:
            out, in_ = self._claim(device, core, util)
        except (core.USBError, TransportError) as error:
            with contextlib.suppress(Exception):
                util.dispose_resources(device)
            if isinstance(error, TransportError):
                raise
            raise _os_error(error, self._error, gone=GONE_MID_TRANSFER, doing="open") from None
        self._device, self._out, self._in, self._unread = device, out, in_, b""

    def _claim(self, device: Any, core: Any, util: Any) -> tuple[Any, Any]:
        with contextlib.suppress(NotImplementedError):  # only some platforms have kernel drivers
            if device.is_kernel_driver_active(self._interface):
                device.detach_kernel_driver(self._interface)  # usblp lets go of the printer
        try:
            config = device.get_active_configuration()
        except core.USBError as error:
            if error.errno is not None:
                raise
            device.set_configuration()  # "Configuration not set": take the first one
            config = device.get_active_configuration()
        interface = util.find_descriptor(config, bInterfaceNumber=self._interface)
        if interface is None:
            raise self._error(
                TransportErrorKind.COMMUNICATION, f"has no USB interface {self._interface}"
            )
        util.claim_interface(device, self._interface)
        out = _bulk_endpoint(interface, util, util.ENDPOINT_OUT)
        if out is None:
            with contextlib.suppress(Exception):
                util.release_interface(device, self._interface)
            raise self._error(
                TransportErrorKind.COMMUNICATION,
                f"interface {self._interface} has no bulk OUT endpoint (is this a printer?)",
            )
        return out, _bulk_endpoint(interface, util, util.ENDPOINT_IN)

    def close(self) -> None:
        device, self._device = self._device, None
        self._out = self._in = None
        self._unread = b""
        if device is None:
            return
        import usb.util

        with contextlib.suppress(Exception):  # a pulled cable cannot be released politely
            usb.util.release_interface(device, self._interface)
        with contextlib.suppress(Exception):
            usb.util.dispose_resources(device)

    def write(self, data: bytes) -> None:
        import usb.core

        out = self._connected_out()
        sent = 0
        while sent < len(data):
            try:
                sent += out.write(data[sent : sent + CHUNK_BYTES], self._write_timeout_ms)
            except usb.core.USBTimeoutError:
                self.close()
                raise self._error(
                    TransportErrorKind.TIMEOUT,
                    f"took no data for {self._write_timeout_s:g} s (out of paper or cover open?)",
                ) from None
            except usb.core.USBError as error:
                self.close()
                raise _os_error(error, self._error, gone=GONE_MID_TRANSFER, doing="write") from None

    def read(self, n: int, timeout_s: float) -> bytes:
        import usb.core

        self._connected_out()
        if not self._unread:
            if self._in is None:
                raise TransportError(
                    TransportErrorKind.TIMEOUT, "this printer has no USB IN endpoint: no answers"
                )
            self._unread = self._read_packet(usb.core, timeout_s)
        data, self._unread = self._unread[:n], self._unread[n:]
        return data

    def _read_packet(self, core: Any, timeout_s: float) -> bytes:
        deadline = time.monotonic() + max(timeout_s, 0.0)
        while True:
            # libusb takes 0 as "wait forever": never ask for less than a millisecond.
            remaining_ms = max(1, round((deadline - time.monotonic()) * 1000))
            try:
                packet = bytes(self._in.read(self._in.wMaxPacketSize, remaining_ms))
            except core.USBTimeoutError:
                raise _timed_out(timeout_s) from None
            except core.USBError as error:
                self.close()
                raise _os_error(error, self._error, gone=GONE_MID_TRANSFER, doing="read") from None
            if packet:
                return packet
            if time.monotonic() >= deadline:  # only empty packets: nothing to say
                raise _timed_out(timeout_s)

    def _connected_out(self) -> Any:
        if self._device is None:
            raise self._error(TransportErrorKind.NO_DEVICE, "not open")
        return self._out


def _pyusb(make: _ErrorFactory) -> tuple[Any, Any]:
    try:
        import usb.core
        import usb.util
    except ImportError:
        raise make(
            TransportErrorKind.COMMUNICATION,
            "pyusb not installed (pip install 'python-escpos[usb]')",
        ) from None
    return usb.core, usb.util


def _no_libusb() -> str:
    if ctypes.util.find_library("usb-1.0") is None:
        return "libusb not installed (apt install libusb-1.0-0)"
    return "libusb could not start (is /dev/bus/usb there?)"


def _bulk_endpoint(interface: Any, util: Any, direction: int) -> Any:
    def matches(endpoint: Any) -> bool:
        address, attributes = endpoint.bEndpointAddress, endpoint.bmAttributes
        return bool(
            util.endpoint_direction(address) == direction
            and util.endpoint_type(attributes) == util.ENDPOINT_TYPE_BULK
        )

    return util.find_descriptor(interface, custom_match=matches)
