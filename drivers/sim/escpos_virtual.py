"""A virtual ESC/POS receipt printer: the far end of the simulated transport.

It does what a driver can observe of a real printer:
- keeps the bytes it receives, split into receipts at each cut command;
- answers the real-time status requests `DLE EOT n` (n = 1..4) at once, from its
  faults, with the bit layouts of Epson's reference (pattern 0xx1xx10);
- while the paper is out or the cover is open it prints nothing: the bytes are lost,
  and the half-printed paper goes when the cut arrives;
- with the `no_status` fault it prints but never answers, like many cheap printers.

Real-time commands are not part of a receipt: `printed()` holds exactly the bytes a
driver sent for each receipt, so `printer.escpos_text.decode_escpos` can read them.
A job, for `fault_script`'s `at_job`, starts with the first byte after a cut.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from drivers.sim.escpos_stream import DLE_EOT, EscposTokenizer, Token
from drivers.sim.faults import ESCPOS_PRINTER_FAULTS, Fault, FaultControls, FaultPlan

# Status bytes always have bits 1 and 4 set and bits 0 and 7 clear.
STATUS_FIXED_BITS = 0b0001_0010
OFFLINE_BIT = 0x08  # n=1
COVER_OPEN_BIT = 0x04  # n=2
STOPPED_AT_PAPER_END_BIT = 0x20  # n=2
PAPER_NEAR_END_BITS = 0x0C  # n=4
PAPER_OUT_BITS = 0x60  # n=4


@dataclass(frozen=True)
class VirtualReceipt:
    """One receipt that came out of the virtual printer (its cut included)."""

    number: int
    data: bytes


class VirtualEscposPrinter(FaultControls):
    def __init__(self, faults: FaultPlan | None = None) -> None:
        super().__init__(faults or FaultPlan(supported=ESCPOS_PRINTER_FAULTS))
        self._lock = threading.Lock()
        self._tokenizer = EscposTokenizer()
        self._current = bytearray()
        self._in_job = False
        self._printed: list[VirtualReceipt] = []
        self._count = 0
        self._received = 0
        self._discarded = 0

    # --- what the simulated transport calls ----------------------------------------------

    def receive(self, data: bytes) -> bytes:
        """Take bytes from the host; return what the printer answers (status bytes)."""
        answer = bytearray()
        with self._lock:
            self._received += len(data)
            for token in self._tokenizer.feed(data):
                if token.is_realtime:
                    answer += self._answer(token)
                else:
                    self._print(token)
        return bytes(answer)

    # --- what a developer panel, the demo or a test reads ----------------------------------

    def printed(self) -> list[VirtualReceipt]:
        with self._lock:
            return list(self._printed)

    def forget_printed(self) -> None:
        """Drop the archive (a long demo or benchmark must not grow without end)."""
        with self._lock:
            self._printed.clear()

    @property
    def pending(self) -> bytes:
        """Bytes of a receipt not cut yet."""
        with self._lock:
            return bytes(self._current)

    @property
    def received_bytes(self) -> int:
        with self._lock:
            return self._received

    @property
    def discarded_bytes(self) -> int:
        """Bytes lost because the printer was stopped (paper out, cover open)."""
        with self._lock:
            return self._discarded

    # --- internals -------------------------------------------------------------------------

    def _stopped(self) -> bool:
        active = self.faults.active
        return Fault.PAPER_OUT in active or Fault.COVER_OPEN in active

    def _print(self, token: Token) -> None:
        if not self._in_job:
            self._in_job = True
            self.faults.begin_job()  # scripted faults may strike as the job starts
        if self._stopped():
            self._discarded += len(token.raw)
            if token.is_cut:
                self._current.clear()
        else:
            self._current += token.raw
            if token.is_cut:
                self._count += 1
                self._printed.append(VirtualReceipt(self._count, bytes(self._current)))
                self._current.clear()
        if token.is_cut:
            self._in_job = False

    def _answer(self, token: Token) -> bytes:
        active = self.faults.active
        if token.code != DLE_EOT or Fault.NO_STATUS in active:
            return b""
        paper_out = Fault.PAPER_OUT in active
        cover_open = Fault.COVER_OPEN in active
        near_end = paper_out or Fault.PAPER_LOW in active  # the near-end sensor sees it too
        bits = {
            1: OFFLINE_BIT if (paper_out or cover_open) else 0,
            2: (COVER_OPEN_BIT if cover_open else 0)
            | (STOPPED_AT_PAPER_END_BIT if paper_out else 0),
            3: 0,  # no mechanical, cutter or unrecoverable errors to report
            4: (PAPER_OUT_BITS if paper_out else 0) | (PAPER_NEAR_END_BITS if near_end else 0),
        }
        request = token.data[0]
        return bytes([STATUS_FIXED_BITS | bits[request]]) if request in bits else b""
