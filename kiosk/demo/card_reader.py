"""Which card reader the demo uses (`apm-kiosk demo --card-reader SPEC`):

- `simulated` (default): the in-process simulated reader; the developer panel taps cards;
- `pcsc`: the first contactless reader on this machine's pcscd (a real e-KTP reader on
  USB; packages pcscd and the reader's driver, e.g. libccid or libacsccid1);
- `pcsc:PATTERN`: the PC/SC reader whose name matches PATTERN (see config/pcsc.toml);
- `virtual-card[:PORT]`: vpcd's first reader, `Virtual PCD 00 00`, on this machine's
  pcscd (package vsmartcard-vpcd), with the demo's virtual e-KTP
  (drivers.sim.virtual_card) on it; PORT is that reader's port (35963 unless vpcd's
  reader.conf says otherwise). The developer panel's cards and card faults
  and the demo script's taps then go through the real pcscd and the real PC/SC driver.

With `pcsc`, cards are tapped on the reader itself, or with the virtual card's console
in another terminal: `python -m drivers.sim.virtual_card`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from drivers.sim.virtual_card import VirtualCard

log = logging.getLogger(__name__)

SPECS = ("simulated", "pcsc", "pcsc:PATTERN", "virtual-card[:PORT]")
VPCD_PORT = 35963  # vpcd's first reader, `Virtual PCD 00 00`
VPCD_READER = "Virtual PCD 00 00"


@dataclass(frozen=True)
class CardReaderChoice:
    kind: str  # simulated, pcsc, virtual-card
    pattern: str = ""  # pcsc: the reader's name pattern ("" for the first contactless one)
    port: int = VPCD_PORT  # virtual-card: vpcd's port


def parse_card_reader(spec: str) -> CardReaderChoice:
    """The choice named by `spec`; ValueError with the accepted forms otherwise."""
    kind, colon, rest = spec.partition(":")
    if spec == "simulated":
        return CardReaderChoice("simulated")
    if kind == "pcsc" and (rest or not colon):
        return CardReaderChoice("pcsc", pattern=rest)
    if kind == "virtual-card" and not colon:
        return CardReaderChoice("virtual-card")
    if kind == "virtual-card" and rest.isdigit() and 0 < int(rest) < 65535:
        return CardReaderChoice("virtual-card", port=int(rest))
    raise ValueError(f"--card-reader {spec!r}: expected one of {', '.join(SPECS)}")


def card_reader_table(choice: CardReaderChoice) -> dict[str, Any]:
    """The kiosk's `[devices.card_reader]` table for the choice."""
    if choice.kind == "simulated":
        return {"type": "simulated"}
    if choice.kind == "pcsc":
        return {"type": "pcsc", "reader": choice.pattern} if choice.pattern else {"type": "pcsc"}
    # vpcd's readers come in pairs on ports P and P + 1 (`00 00`, `00 01`): PORT is P.
    return {"type": "pcsc", "reader": VPCD_READER}


class VirtualCardControls:
    """The developer panel's card buttons and card faults, played on the virtual e-KTP.

    Same calls as the simulated reader's simulator (tap, remove, inject, clear), so the
    panel and the demo script need not know which reader the kiosk has. A tap is a
    connect to vpcd on loopback (at once, or refused at once); the card then answers
    pcscd from a thread of its own."""

    FAULT_MODES: ClassVar[dict[str, str]] = {
        "random_uid": "random_uid",
        "card_removed_mid_read": "removed_mid_read",
    }

    def __init__(self, port: int = VPCD_PORT) -> None:
        from drivers.sim.virtual_card import VirtualCard

        self.card: VirtualCard = VirtualCard(port=port)
        self._faults: set[str] = set()

    def tap(self, uid: str) -> None:
        mode = next((self.FAULT_MODES[f] for f in sorted(self._faults)), "normal")
        self._do(lambda: self.card.insert(uid, mode=mode), "putting the card on vpcd's reader")

    def remove(self) -> None:
        self._do(self.card.remove, "lifting the card")

    def inject(self, fault: str) -> None:
        if fault not in self.FAULT_MODES:
            raise ValueError(f"the virtual card cannot play {fault!r}")
        self._faults.add(fault)

    def clear(self, fault: str) -> None:
        self._faults.discard(fault)

    def stop(self) -> None:
        self.card.close()

    def _do(self, action: Any, what: str) -> None:
        from drivers.sim.virtual_card import VirtualCardError

        try:
            action()
        except (OSError, VirtualCardError) as exc:  # no pcscd, or vpcd not installed
            log.warning(
                "%s failed: %s (is pcscd running with vsmartcard-vpcd on port %d?)",
                what,
                exc,
                self.card.port,
            )
