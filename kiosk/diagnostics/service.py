"""What the running kiosk offers its technician screen and `apm-kiosk diag`.

Every method blocks (device work, the backend, the disk): call them off the GUI thread.
Visible actions (a test print, a card read) are refused while a citizen is using the kiosk.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from kiosk.diagnostics import devices, system
from kiosk.diagnostics.backend import backend_checks
from kiosk.diagnostics.config_view import effective_config, render_toml_like
from kiosk.diagnostics.report import Check, Report, fault, ok, skipped, warning

if TYPE_CHECKING:
    from kiosk.runtime import KioskRuntime

log = logging.getLogger(__name__)

CITIZEN_BUSY = "a citizen is using the kiosk: try again when it shows the start screen"
CARD_READERS = ("card_reader",)
PRINTERS = ("receipt_printer", "document_printer")


class KioskDiagnostics:
    def __init__(self, runtime: KioskRuntime) -> None:
        self._runtime = runtime
        self._settings = runtime.settings
        self._card_read_cancel = threading.Event()

    # --- the whole report ------------------------------------------------------------------

    def report(self, *, include_backend: bool = True) -> Report:
        checks = [self.kiosk_check()]
        checks += system.secret_file_checks(self._settings)
        checks += self.storage_checks()
        checks += system.serial_port_checks(self._settings)
        checks += system.pcscd_checks(self._settings)
        checks += self.devices()
        if include_backend:
            checks += self.backend()
        checks += system.clock_checks()
        return Report.of(checks, config_path=self._settings.source, devices_from="running kiosk")

    def kiosk_check(self) -> Check:
        runtime = self._runtime
        uptime_s = round(runtime.uptime_s)
        details = {
            "screen": runtime.screen_name,
            "uptime_s": uptime_s,
            "link_up": runtime.sync.link_up,
            "kiosk_id": runtime.kiosk_id,
        }
        link = "backend link up" if runtime.sync.link_up else "OFFLINE: backend link down"
        text = f"running {uptime_s} s, screen {runtime.screen_name}, {link}"
        return (ok if runtime.sync.link_up else warning)("kiosk", "app", text, **details)

    def storage_checks(self) -> list[Check]:
        checks = [system.disk_check(self._settings.state_dir)]
        checks.append(system.outbox_check(*self._outbox_summary()))
        return checks

    # --- devices ---------------------------------------------------------------------------

    def devices(self) -> list[Check]:
        checks: list[Check] = []
        for role in self._runtime.devices:
            checks += self.device(role)
        return checks

    def device(self, role: str) -> list[Check]:
        device = self._runtime.devices.get(role)
        if device is None:
            return [fault("device", role, f"no device {role!r} in this kiosk's config")]
        return devices.device_checks(role, device, self._settings.device_type(role))

    def test_print(self, role: str) -> Check:
        if role not in PRINTERS or role not in self._runtime.devices:
            return fault("device", role, f"{role!r} is not a printer of this kiosk")
        if self.citizen_busy():
            return skipped("device", role, CITIZEN_BUSY)
        from kiosk.runtime import OWNER

        log.info("technician: test print on %s", role)
        return devices.test_print(role, self._runtime.devices[role], OWNER)

    def card_read(self, timeout_s: float = 30.0, role: str = "card_reader") -> Check:
        if role not in self._runtime.devices:
            return fault("device", role, f"no device {role!r} in this kiosk's config")
        if self.citizen_busy() and not self._runtime.citizen_input_held:
            return skipped("device", role, CITIZEN_BUSY)
        # The tap is the technician's: it must not start a citizen's session meanwhile.
        # Held already (technician mode): whoever held it releases it, maybe mid-read.
        held_here = not self._runtime.citizen_input_held
        self._runtime.hold_citizen_input(True)
        self._card_read_cancel.clear()
        try:
            device = self._runtime.devices[role]
            return devices.card_read(role, device, timeout_s, self._card_read_cancel)
        finally:
            if held_here:
                self._runtime.hold_citizen_input(False)

    def cancel_card_read(self) -> None:
        """End a card read's wait now (the technician left, the kiosk stops)."""
        self._card_read_cancel.set()

    # --- backend, outbox, logs, config -------------------------------------------------------

    def backend(self) -> list[Check]:
        try:
            target = self._runtime.backend_client().probe_target()
        except Exception as error:
            return [fault("backend", "config", f"no backend client: {error}")]
        return backend_checks(target)

    def outbox(self) -> dict[str, Any]:
        counts, dead = self._outbox_summary()
        pending = self._runtime.storage.outbox.pending()
        return {
            "counts": counts,
            "pending": [_item_view(i) for i in pending],
            "dead_letters": dead,
        }

    def retry(self, item_id: int) -> bool:
        """A dead letter queued again, as new (the backend may accept it now)."""
        done = self._runtime.storage.outbox.revive(item_id)
        if done:
            self._runtime.sync.wake()
        return done

    def discard(self, item_id: int) -> bool:
        """A dead letter dropped for good (pending items are never dropped: they are
        citizens' requests on their way)."""
        return self._runtime.storage.outbox.discard(item_id)

    def recent_logs(self, lines: int = 200) -> list[str]:
        from kiosk.logs import log_file_path

        return tail(log_file_path(self._settings), lines)

    def masked_config(self) -> str:
        return render_toml_like(effective_config(self._settings), self._settings.source)

    def citizen_busy(self) -> bool:
        """True unless the kiosk shows its attract screen and nothing is being printed."""
        return self._runtime.screen_name != "attract" or self._runtime.printing_busy()

    def _outbox_summary(self) -> tuple[dict[str, int], list[dict[str, Any]]]:
        outbox = self._runtime.storage.outbox
        dead = [_item_view(i) for i in outbox.dead_letters()]
        return outbox.counts(), dead


def _item_view(item: Any) -> dict[str, Any]:
    """An outbox item as a technician may see it: what and why, no citizen's data."""
    return {
        "id": item.id,
        "kind": str(item.kind),
        "state": item.state,
        "attempts": item.attempts,
        "queued_at": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(item.created_at)),
        "reason": item.last_error or "",
    }


def tail(path: Any, lines: int) -> list[str]:
    """The last `lines` lines of a text file (bounded read: logs rotate at a few MB)."""
    try:
        with open(path, "rb") as file:
            file.seek(0, 2)
            size = file.tell()
            file.seek(max(0, size - 256 * 1024))
            text = file.read().decode("utf-8", "replace")
    except OSError:
        return []
    return list(deque(text.splitlines(), maxlen=lines))
