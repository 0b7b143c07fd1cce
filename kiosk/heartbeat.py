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
) -> dict[str, Any]:
    """The heartbeat as JSON for the outbox (device status reads are thread-safe snapshots)."""
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
            )
            for role, device in devices.items()
        ],
    )
    return body.model_dump(mode="json", exclude_none=True)
