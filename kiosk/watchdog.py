"""Telling systemd how the kiosk is doing (sd_notify), in plain Python: no libsystemd, no Qt.

Under `apm-kiosk.service` (Type=notify, WatchdogSec=, NotifyAccess=all) the kiosk says
READY=1 once its attract screen shows, WATCHDOG=1 every half watchdog interval from a
timer on its GUI thread (a hung GUI thread stops the feeding, and systemd kills and
restarts the kiosk), and STOPPING=1 when it quits. Anywhere else (a developer's shell,
the demo, the tests) $NOTIFY_SOCKET is unset and every call here does nothing.

The messages are datagrams on the unix socket named by $NOTIFY_SOCKET: a path, or an
abstract socket written with a leading '@' (systemd's own convention for the variable).
Sending never blocks and never raises: a kiosk must not stall or crash because systemd
went away; a failed send is logged once.

$WATCHDOG_PID is ignored on purpose. systemd sets it to the unit's main process, which is
cage, the compositor that starts the kiosk; the kiosk is cage's child, so by sd_notify's
rules the watchdog would look "not ours". NotifyAccess=all is what lets systemd take the
kiosk's messages, and $WATCHDOG_USEC (which cage passes on) says how often to feed.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Mapping

log = logging.getLogger(__name__)

NOTIFY_SOCKET_ENV = "NOTIFY_SOCKET"
WATCHDOG_USEC_ENV = "WATCHDOG_USEC"
MAX_STATUS_CHARS = 200  # one short line in `systemctl status`


class SystemdNotifier:
    """One connection to systemd's notification socket (or none: then a no-op)."""

    def __init__(self, address: str | None, watchdog_usec: int | None = None) -> None:
        self.address = address or None
        self.watchdog_usec = watchdog_usec if watchdog_usec and watchdog_usec > 0 else None
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()  # ready() may come from Qt's render thread
        self._ready_sent = False
        self._failure_logged = False

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> SystemdNotifier:
        return cls(environ.get(NOTIFY_SOCKET_ENV), _watchdog_usec(environ.get(WATCHDOG_USEC_ENV)))

    @property
    def enabled(self) -> bool:
        return self.address is not None

    @property
    def feed_interval_s(self) -> float | None:
        """How often to send WATCHDOG=1: half of systemd's interval, as sd_watchdog_enabled(3)
        advises, so one late tick of a busy event loop is not yet a restart. None: no
        watchdog asked for (or no socket to feed it on)."""
        if not self.enabled or self.watchdog_usec is None:
            return None
        return self.watchdog_usec / 2 / 1_000_000

    def ready(self, status: str | None = None) -> bool:
        """READY=1, once: later calls do nothing (it is connected to every frame)."""
        if self._ready_sent:
            return True
        self._ready_sent = True
        return self.notify("READY=1", *_status_field(status))

    def watchdog(self) -> bool:
        return self.notify("WATCHDOG=1")

    def stopping(self, status: str | None = None) -> bool:
        return self.notify("STOPPING=1", *_status_field(status))

    def status(self, text: str) -> bool:
        return self.notify(*_status_field(text))

    def notify(self, *fields: str) -> bool:
        """Send one message of `KEY=value` fields. True when systemd got it; False when
        there is no socket or the send failed (said in the log, the first time)."""
        if self.address is None or not fields:
            return False
        message = "\n".join(fields).encode("utf-8")
        with self._lock:
            try:
                if self._socket is None:
                    self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                # MSG_DONTWAIT: the GUI thread sends this; a full queue must not stall it.
                self._socket.sendto(message, socket.MSG_DONTWAIT, _socket_address(self.address))
            except OSError as exc:
                if not self._failure_logged:
                    self._failure_logged = True
                    log.warning("systemd notification to %s failed: %s", self.address, exc)
                return False
        return True

    def close(self) -> None:
        with self._lock:
            if self._socket is not None:
                self._socket.close()
                self._socket = None


def _socket_address(address: str) -> str | bytes:
    """'@name' is the abstract socket 'name' (a leading NUL byte on the wire)."""
    if address.startswith("@"):
        return b"\0" + address[1:].encode("utf-8")
    return address


def _watchdog_usec(value: str | None) -> int | None:
    if not value:
        return None
    try:
        usec = int(value)
    except ValueError:
        log.warning("%s=%r is not a number of microseconds: no watchdog", WATCHDOG_USEC_ENV, value)
        return None
    return usec if usec > 0 else None


def _status_field(text: str | None) -> list[str]:
    """STATUS=... on one line: a newline would start another field of the message."""
    if text is None:
        return []
    line = " ".join(text.split())[:MAX_STATUS_CHARS]
    return [f"STATUS={line}"]
