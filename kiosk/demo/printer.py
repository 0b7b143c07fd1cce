"""Which receipt printer the demo uses (`apm-kiosk demo --receipt-printer SPEC`):

- `simulated` (default): the in-process virtual printer behind the simulated transport;
- `emulator`: the printer emulator (drivers.sim.escpos_peer) on a free TCP port of
  127.0.0.1, so the kiosk's real TCP transport, status requests and reconnects are used;
- `emulator-pty`: the emulator behind a socat pty pair at 115200 baud, through the real
  serial transport (needs socat);
- `tcp:HOST:PORT`: a network printer, or an emulator started on its own with
  `python -m printer.emulator --tcp HOST:PORT`.

With an emulator, the developer panel's and the demo script's receipt-printer faults go
to it, and its receipts are the demo's printouts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from drivers.sim.escpos_peer import EscposPeer

SPECS = ("simulated", "emulator", "emulator-pty", "tcp:HOST:PORT")
EMULATOR_BAUD = 115200


@dataclass(frozen=True)
class ReceiptPrinterChoice:
    kind: str  # simulated, emulator, emulator-pty, tcp
    host: str = ""
    port: int = 0


def parse_receipt_printer(spec: str) -> ReceiptPrinterChoice:
    """The choice named by `spec`; ValueError with the accepted forms otherwise."""
    if spec in ("simulated", "emulator", "emulator-pty"):
        return ReceiptPrinterChoice(spec)
    kind, _, where = spec.partition(":")
    host, _, port = where.rpartition(":")
    if kind == "tcp" and host and port.isdigit() and 0 < int(port) < 65536:
        return ReceiptPrinterChoice("tcp", host, int(port))
    raise ValueError(f"--receipt-printer {spec!r}: expected one of {', '.join(SPECS)}")


def start_receipt_printer(
    choice: ReceiptPrinterChoice, state_dir: Path
) -> tuple[dict[str, Any], EscposPeer | None]:
    """The kiosk's `transport` table for the choice, and the emulator it started (if any).
    The caller stops the emulator when the kiosk stops."""
    if choice.kind == "simulated":
        return {"type": "simulated"}, None
    if choice.kind == "tcp":
        return {"type": "tcp", "host": choice.host, "port": choice.port}, None
    from drivers.sim.escpos_peer import EscposPeer

    out_dir = state_dir / "receipt-emulator"
    out_dir.mkdir(parents=True, exist_ok=True)
    if choice.kind == "emulator":
        peer = EscposPeer.tcp(out_dir=out_dir)
    else:
        pty_dir = state_dir / "receipt-pty"
        pty_dir.mkdir(parents=True, exist_ok=True)
        peer = EscposPeer.pty(pty_dir, baud=EMULATOR_BAUD, out_dir=out_dir)
    peer.start()
    return peer.transport_settings(EMULATOR_BAUD), peer
