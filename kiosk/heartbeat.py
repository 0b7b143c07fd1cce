"""What the kiosk tells the backend about itself every minute, through the outbox.

Only the newest heartbeat waits in the outbox (older ones are dropped when a new one is
queued), so a kiosk that was offline for a day does not flood the backend when it returns.
"""

from __future__ import annotations

from collections.abc import Mapping
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
    )
    return body.model_dump(mode="json", exclude_none=True)


def _paper(level: str) -> str | None:
    return None if level == "not-supported" else level
