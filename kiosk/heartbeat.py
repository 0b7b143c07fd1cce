"""What the kiosk tells the backend about itself every minute, through the outbox.

Only the newest heartbeat waits in the outbox (older ones are dropped when a new one is
queued), so a kiosk that was offline for a day does not flood the backend when it returns.
"""

from __future__ import annotations

import contextlib
import functools
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apm_api.models import DeviceReport, Heartbeat
from kiosk import __version__

if TYPE_CHECKING:
    from drivers.device import Device
    from kiosk.config import KioskSettings

HEARTBEAT_S = 60.0


def heartbeat_body(
    *,
    kiosk_id: str,
    uptime_s: int,
    screen: str,
    settings: KioskSettings,
    devices: Mapping[str, Device],
    outbox: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The heartbeat as JSON for the outbox (device status reads are thread-safe snapshots);
    `outbox`: the outbox's items per state (Outbox.counts)."""
    body = Heartbeat(
        kiosk_id=kiosk_id,
        software_version=__version__,
        uptime_s=max(0, uptime_s),
        screen=screen,
        devices=[
            DeviceReport(
                role=role,
                type=settings.device_type(role),
                availability=device.status.availability.value,
                detail=device.status.detail,
                paper=_paper(device.status.paper.value),
            )
            for role, device in devices.items()
        ],
        outbox_pending=outbox.get("pending") if outbox else None,
        dead_letters=outbox.get("dead") if outbox else None,
        components=components(),
    )
    return body.model_dump(mode="json", exclude_none=True)


def _paper(level: str) -> str | None:
    return None if level == "not-supported" else level


@functools.cache
def components() -> dict[str, str]:
    """What this kiosk runs on (read once: it changes only with an upgrade and a restart)."""
    from importlib import metadata

    found = {"python": platform.python_version(), "kernel": platform.release()}
    os_name = _os_pretty_name()
    if os_name:
        found["os"] = os_name
    for name, package in (("qt", "PySide6-Essentials"), ("qt", "PySide6"), ("pyhanko", "pyHanko")):
        if name not in found:
            with contextlib.suppress(metadata.PackageNotFoundError):
                found[name] = metadata.version(package)
    return {key: value[:100] for key, value in found.items()}


def _os_pretty_name(path: Path = Path("/etc/os-release")) -> str | None:
    try:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.partition("=")[2].strip().strip('"') or None
    except OSError:
        pass
    return None
