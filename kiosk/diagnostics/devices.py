"""Checks of one device: its status, capabilities and health; a test print; a card read.

Work on whatever owns the device: the running kiosk (owner "kiosk") or `apm-kiosk diag`
when the kiosk is not running (owner "diag"). Internal checks need no ownership; a test
print and a card read need the device's owner, so only its owner runs them.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from drivers.device import Device
from drivers.model import (
    Availability,
    DataReceived,
    DeviceEvent,
    HealthLevel,
    HealthReport,
    MediaState,
    PaperLevel,
    StatusChanged,
)
from kiosk.diagnostics.report import Check, Level, fault, ok, skipped, warning

AREA = "device"
HEALTH_TIMEOUT_S = 20.0  # a network printer that does not answer takes its own timeouts
PRINT_TIMEOUT_S = 150.0  # a test page through CUPS: its job timeout plus settling
CANCEL_POLL_S = 0.1  # how soon a cancelled card read notices


def masked_uid(uid: str) -> str:
    """A card UID a technician may see and write down: "04…F2 (7 bytes)", never all of it."""
    size = f"{len(uid) // 2} bytes"
    return f"{uid[:2]}…{uid[-2:]} ({size})" if len(uid) > 4 else f"…({size})"


def device_checks(role: str, device: Device, type_name: str) -> list[Check]:
    """Status, capabilities and internal health of one device (no visible action)."""
    try:
        report = device.check_health(HealthLevel.INTERNAL).result(HEALTH_TIMEOUT_S)
    except TimeoutError:
        return [fault(AREA, role, f"no answer within {HEALTH_TIMEOUT_S:.0f} s", type=type_name)]
    except Exception as error:  # a driver's failure is a finding, not a crash of diag
        return [fault(AREA, role, f"health check failed: {error}", type=type_name)]
    return [_device_check(role, device, type_name, report)]


def _device_check(role: str, device: Device, type_name: str, report: HealthReport) -> Check:
    status = report.status
    caps = device.capabilities
    details: dict[str, Any] = {
        "type": type_name,
        "lifecycle": device.lifecycle.value,
        "owner": device.owner,
        "status": status.as_dict(),
        "capabilities": {
            "kind": caps.kind.value,
            "model": caps.model,
            "firmware": caps.firmware,
            "sensors": sorted(s.value for s in caps.sensors),
            "features": sorted(f.value for f in caps.features),
        },
        "health": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in report.checks],
    }
    level, summary = _verdict(report)
    return Check(AREA, role, level, f"{type_name}: {summary}", details)


def _verdict(report: HealthReport) -> tuple[Level, str]:
    status = report.status
    failed = [c for c in report.checks if not c.ok]
    if failed:
        reasons = "; ".join(f"{c.name}: {c.detail}".rstrip(": ") for c in failed)
        return Level.FAULT, reasons
    if status.availability is Availability.UNKNOWN:
        return Level.WARNING, f"status unknown ({status.detail or 'not read yet'})"
    if status.paper is PaperLevel.LOW:
        return Level.WARNING, "paper low: load a new roll soon"
    said = status.detail or status.availability.value
    return Level.OK, said


def test_print(role: str, device: Device, owner: str) -> Check:
    """A visible test print (receipt or A4 test page) by the device's owner."""
    started = time.monotonic()
    try:
        report = device.check_health(HealthLevel.EXTERNAL, owner).result(PRINT_TIMEOUT_S)
    except TimeoutError:
        return fault(AREA, role, f"test print: no answer within {PRINT_TIMEOUT_S:.0f} s")
    except Exception as error:
        return fault(AREA, role, f"test print: {error}")
    took_ms = round((time.monotonic() - started) * 1000)
    printed = [c for c in report.checks if c.name.startswith("test")]
    health = [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in report.checks]
    if not printed:
        return skipped(AREA, role, "this device prints no test page", health=health)
    if report.ok:
        return ok(AREA, role, f"test print done in {took_ms} ms", took_ms=took_ms, health=health)
    reasons = "; ".join(f"{c.name}: {c.detail}" for c in report.checks if not c.ok)
    return fault(AREA, role, f"test print failed: {reasons}", took_ms=took_ms, health=health)


def card_read(
    role: str, device: Device, timeout_s: float, cancel: threading.Event | None = None
) -> Check:
    """Wait for the next card on an enabled reader: its masked UID and how long it took.

    `cancel` ends the wait early (the technician left, the kiosk stops).

    `read_ms` runs from the reader seeing the card (its media sensor) to the UID being
    read; readers without a media sensor report only `waited_ms`.
    """
    from cardreader.base import CardPresented, CardReadFailed

    arrived = threading.Event()
    seen: dict[str, Any] = {}

    def listen(event: DeviceEvent) -> None:
        if isinstance(event, StatusChanged) and event.current.media is MediaState.PRESENT:
            seen.setdefault("present_at", time.monotonic())
        elif isinstance(event, DataReceived) and isinstance(
            event.data, CardPresented | CardReadFailed
        ):
            seen.setdefault("data", event.data)
            seen.setdefault("read_at", time.monotonic())
            arrived.set()

    started = time.monotonic()
    deadline = started + timeout_s
    unsubscribe = device.subscribe(listen)
    try:
        while not arrived.is_set() and (left := deadline - time.monotonic()) > 0:
            if cancel is not None and cancel.is_set():
                return skipped(AREA, role, "card read: cancelled")
            arrived.wait(min(left, CANCEL_POLL_S))
    finally:
        unsubscribe()
    if not arrived.is_set():
        return warning(AREA, role, f"card read: no card within {timeout_s:.0f} s")
    data, read_at = seen["data"], seen["read_at"]
    waited_ms = round((read_at - started) * 1000)
    if isinstance(data, CardReadFailed):
        return fault(AREA, role, f"card read failed: {data.reason}", waited_ms=waited_ms)
    present_at = seen.get("present_at")
    read_ms = round((read_at - present_at) * 1000) if present_at is not None else None
    uid = masked_uid(data.uid)
    took = f"read in {read_ms} ms" if read_ms is not None else f"after {waited_ms} ms"
    kind = "random UID (privacy mode)" if data.uid_is_random else "fixed UID"
    return ok(
        AREA,
        role,
        f"card read: {uid}, {kind}, {took}",
        uid_masked=uid,
        uid_is_random=data.uid_is_random,
        read_ms=read_ms,
        waited_ms=waited_ms,
    )
