"""Diagnostics when the kiosk is not running: `apm-kiosk diag` opens the devices itself.

It first makes sure no kiosk runs on the state directory (the kiosk holds an flock on
`kiosk.lock` for as long as it runs) and holds that lock itself meanwhile, so a kiosk
started during the checks waits for its restart instead of fighting over a device.
Nothing here creates files in the state directory: diag often runs as root, and a file
it left there owned by root would lock the kiosk's own user out.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from apm_api.models import API_PREFIX
from kiosk.diagnostics import devices, system
from kiosk.diagnostics.backend import Target, backend_checks
from kiosk.diagnostics.report import Check, fault, skipped

if TYPE_CHECKING:
    from drivers.device import Device
    from kiosk.config import KioskSettings

OWNER = "diag"
OPEN_TIMEOUT_S = 30.0
CLOSE_TIMEOUT_S = 10.0


class KioskRunning(Exception):
    """Another process (the kiosk) holds the state directory's lock."""

    def __init__(self, pid: str | None) -> None:
        super().__init__(f"the kiosk is running (pid {pid or '?'})")
        self.pid = pid


@contextlib.contextmanager
def kiosk_stopped(state_dir: Path) -> Iterator[None]:
    """Hold the kiosk's state lock for the block; raises KioskRunning when it is held."""
    from kiosk.storage.db import LOCK_NAME

    try:
        fd = os.open(state_dir / LOCK_NAME, os.O_RDONLY | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        yield  # the kiosk never ran here: nobody to fight
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            raise KioskRunning(os.pread(fd, 32, 0).decode(errors="replace").strip()) from None
        yield
    finally:
        os.close(fd)


def system_checks(settings: KioskSettings) -> list[Check]:
    checks = system.secret_file_checks(settings)
    checks += system.state_checks(settings.state_dir)
    checks += system.serial_port_checks(settings)
    checks += system.pcscd_checks(settings)
    return checks


def device_report(settings: KioskSettings, roles: list[str] | None = None) -> list[Check]:
    checks: list[Check] = []
    for role in roles or list(settings.roles):
        checks += with_device(
            settings,
            role,
            lambda device, role=role: devices.device_checks(  # type: ignore[misc]
                role, device, settings.device_type(role)
            ),
            claim=False,
        )
    return checks


def test_print(settings: KioskSettings, role: str) -> list[Check]:
    return with_device(
        settings, role, lambda device: [devices.test_print(role, device, OWNER)], claim=True
    )


def card_read(settings: KioskSettings, timeout_s: float, role: str = "card_reader") -> list[Check]:
    return with_device(
        settings, role, lambda device: [devices.card_read(role, device, timeout_s)], claim=True
    )


def with_device(
    settings: KioskSettings,
    role: str,
    work: Callable[[Device], list[Check]],
    *,
    claim: bool,
) -> list[Check]:
    """Open (and for visible actions claim and enable) one device, work, close it."""
    if role not in settings.roles:
        known = ", ".join(settings.roles)
        return [fault("device", role, f"no device {role!r} in the config (it has: {known})")]
    device = settings.make_device(role)
    try:
        starting = device.start(OWNER) if claim else device.open()
        try:
            starting.result(OPEN_TIMEOUT_S)
        except TimeoutError:
            return [fault("device", role, f"did not open within {OPEN_TIMEOUT_S:.0f} s")]
        except Exception as error:
            if not claim:  # the health check says more than the failed open
                return work(device)
            return [fault("device", role, f"cannot open: {error}")]
        return work(device)
    finally:
        with contextlib.suppress(Exception):
            device.close().result(CLOSE_TIMEOUT_S)


def backend_report(settings: KioskSettings) -> list[Check]:
    backend = settings.backend
    if backend.url is None:
        return [
            skipped("backend", "reachable", "embedded demo backend: it runs inside the demo only")
        ]
    try:
        token = settings.backend_token()
    except (OSError, ValueError) as error:
        return [fault("backend", "auth", f"cannot read the device token: {error}")]
    verify = backend.verify_tls if isinstance(backend.verify_tls, bool) else str(backend.verify_tls)
    target = Target(
        backend.url + API_PREFIX,
        token,
        verify_tls=verify,
        connect_timeout_s=backend.connect_timeout_s,
        read_timeout_s=backend.read_timeout_s,
    )
    return backend_checks(target)
