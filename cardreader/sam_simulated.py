"""A simulated SAM e-KTP reader: the plugin interface of cardreader.sam, with controls.

    [devices.card_reader]
    type = "sam"
    plugin = "simulated"
    options = { fingerprint = true }   # the simulated reader "has" a fingerprint sensor

A test or the developer panel holds a card to it with `present(nik, name)`, makes the
next read fail with `fail_next(SamErrorKind.CARD_REMOVED)`, lifts the card with
`remove()`, and pulls the reader with `unplug()` / `plug()`. It is also the example a
vendor copies: see docs/card-readers.md.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Mapping
from datetime import date
from typing import Any

from cardreader.sam import Fingerprint, SamError, SamErrorKind, SamRead

DESCRIPTION = "simulated SAM reader s/n SIM-0001, SAM SIM-SAM-01"


class SimulatedSamReader:
    def __init__(self) -> None:
        self._reads: queue.Queue[SamRead | SamError] = queue.Queue()
        self._lock = threading.Lock()
        self._unplugged = False
        self._present = False
        self._fingerprint = False

    # --- controls (any thread) -------------------------------------------------------------

    def present(
        self,
        nik: str,
        name: str,
        *,
        birth_date: date | None = None,
        fingerprint_matches: bool | None = None,
    ) -> None:
        """Hold an e-KTP to the reader; with a sensor, `fingerprint_matches` is the finger."""
        if not self._fingerprint:
            result = Fingerprint.NOT_SUPPORTED
        elif fingerprint_matches is None:
            result = Fingerprint.NOT_DONE
        else:
            result = Fingerprint.MATCHED if fingerprint_matches else Fingerprint.NOT_MATCHED
        self._reads.put(SamRead(nik, name, birth_date, result))

    def fail_next(self, kind: SamErrorKind) -> None:
        self._reads.put(SamError(kind, f"simulated: {kind.value}"))

    def remove(self) -> None:
        with self._lock:
            self._present = False

    def unplug(self) -> None:
        with self._lock:
            self._unplugged, self._present = True, False

    def plug(self) -> None:
        with self._lock:
            self._unplugged = False

    # --- the plugin interface (the reader's thread) ---------------------------------------

    def open(self, options: Mapping[str, Any]) -> None:
        self._check_plugged()
        self._fingerprint = bool(options.get("fingerprint", False))

    def wait_for_card(self, timeout_s: float) -> SamRead | None:
        self._check_plugged()
        try:
            item = self._reads.get(timeout=timeout_s)
        except queue.Empty:
            return None
        if isinstance(item, SamError):
            raise item
        with self._lock:
            self._present = True
        return item

    def card_present(self) -> bool:
        with self._lock:
            return self._present

    def describe(self) -> str:
        return DESCRIPTION

    def close(self) -> None:
        with self._lock:
            self._present = False

    def _check_plugged(self) -> None:
        with self._lock:
            if self._unplugged:
                raise SamError(SamErrorKind.NO_READER, "reader not connected (simulated)")
