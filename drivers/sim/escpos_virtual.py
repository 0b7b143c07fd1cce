"""A virtual ESC/POS receipt printer: the far end of the simulated transport and of the
printer emulator (drivers.sim.escpos_peer).

It does what a driver can observe of a real printer (an Epson TM-T82 and its clones):
- keeps the bytes it receives, split into receipts at each cut command;
- answers the real-time status requests `DLE EOT n` (n = 1..4) at once, even while
  stopped, from its faults, with the bit layouts of Epson's reference (pattern 0xx1xx10);
- while the paper is out or the cover is open it stops printing but keeps receiving:
  the bytes wait in its receive buffer, and when the condition clears (paper loaded,
  cover closed) it prints them, so a receipt that met paper out half-way comes out
  whole, once, after the cut;
- with the `no_status` fault it prints but never answers, like many cheap printers.

Real-time commands are not part of a receipt: `printed()` holds exactly the bytes a
driver sent for each receipt, so `printer.escpos_text.decode_escpos` can read them.
A job, for `fault_script`'s `at_job`, starts when its first byte is printed (the first
after a cut), and `after_bytes` counts the bytes of the job printed so far (checked after
each command, so a fault strikes after the command that reaches the count).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
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


ReceiptListener = Callable[[VirtualReceipt], None]


class VirtualEscposPrinter(FaultControls):
    def __init__(self, faults: FaultPlan | None = None) -> None:
        super().__init__(faults or FaultPlan(supported=ESCPOS_PRINTER_FAULTS))
        # Reentrant: a scripted fault that strikes while printing notifies our own
        # listener on the same thread.
        self._lock = threading.RLock()
        self._tokenizer = EscposTokenizer()
        self._buffer: deque[Token] = deque()  # received, not printed yet
        self._current = bytearray()  # printed part of the receipt not cut yet
        self._in_job = False
        self._job_bytes = 0
        self._printing = False
        self._printed: list[VirtualReceipt] = []
        self._listeners: list[ReceiptListener] = []
        self._count = 0
        self._received = 0
        self.faults.subscribe(self._faults_changed)

    # --- what a transport calls ------------------------------------------------------------

    def receive(self, data: bytes) -> bytes:
        """Take bytes from the host; return what the printer answers (status bytes)."""
        answer = bytearray()
        with self._lock:
            self._received += len(data)
            for token in self._tokenizer.feed(data):
                if token.is_realtime:
                    answer += self._answer(token)
                else:
                    self._buffer.append(token)
            finished = self._print_buffer()
        self._tell(finished)
        return bytes(answer)

    # --- what a developer panel, the demo, the emulator or a test reads -------------------

    def printed(self) -> list[VirtualReceipt]:
        with self._lock:
            return list(self._printed)

    def forget_printed(self) -> None:
        """Drop the archive (a long demo or benchmark must not grow without end)."""
        with self._lock:
            self._printed.clear()

    def on_receipt(self, listener: ReceiptListener) -> Callable[[], None]:
        """Call `listener` with each receipt as it is cut, on the thread that printed it
        (the one that sent its last byte, or the one that cleared the fault)."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    @property
    def pending(self) -> bytes:
        """Bytes of a receipt not cut yet that are printed already (the paper in front
        of the cutter)."""
        with self._lock:
            return bytes(self._current)

    @property
    def held(self) -> bytes:
        """Bytes waiting in the receive buffer for the printer to be able to print."""
        with self._lock:
            return b"".join(token.raw for token in self._buffer)

    @property
    def received_bytes(self) -> int:
        with self._lock:
            return self._received

    # --- internals -------------------------------------------------------------------------

    def _stopped(self) -> bool:
        active = self.faults.active
        return Fault.PAPER_OUT in active or Fault.COVER_OPEN in active

    def _faults_changed(self, _active: frozenset[Fault]) -> None:
        """A fault cleared (paper loaded, cover closed): print what the buffer holds."""
        with self._lock:
            finished = self._print_buffer()
        self._tell(finished)

    def _print_buffer(self) -> list[VirtualReceipt]:
        """Print buffered commands until the buffer is empty or the printer stops."""
        finished: list[VirtualReceipt] = []
        if self._printing:
            return finished  # a fault changed while printing: the loop below goes on
        self._printing = True
        try:
            while self._buffer:
                if not self._in_job:
                    self._in_job, self._job_bytes = True, 0
                    self.faults.begin_job()  # scripted faults may strike as it starts
                if self._stopped():
                    break
                receipt = self._print(self._buffer.popleft())
                if receipt is not None:
                    finished.append(receipt)
        finally:
            self._printing = False
        return finished

    def _print(self, token: Token) -> VirtualReceipt | None:
        self._current += token.raw
        if not token.is_cut:
            self._job_bytes += len(token.raw)
            self.faults.job_progress(self._job_bytes)  # a mid-job fault may strike
            return None
        self._count += 1
        receipt = VirtualReceipt(self._count, bytes(self._current))
        self._printed.append(receipt)
        self._current.clear()
        self._in_job = False
        return receipt

    def _tell(self, receipts: list[VirtualReceipt]) -> None:
        if not receipts:
            return
        with self._lock:
            listeners = list(self._listeners)
        for receipt in receipts:
            for listener in listeners:
                listener(receipt)

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
