"""Time from an e-KTP arriving at pcscd to the kiosk's identified screen.

Starts a private pcscd with vsmartcard-vpcd (as tests/pcsc does: its own socket, reader
configuration and vpcd ports; needs root, pcscd, vsmartcard-vpcd and pyscard) and the
reference backend as `apm-server serve` in its own process on loopback. A kiosk runtime
(flow + devices, no Qt) reads cards with the PC/SC driver; the virtual e-KTP of the demo
resident Siti Rahayu is put on vpcd's reader N times. For each tap it times:

- the card on the reader (vpcd accepted its connection) -> pcscd reports it (a PC/SC
  client of the bench's own returns from SCardGetStatusChange): pcscd asks vpcd whether
  a card is there every 400 ms (vpcd has no card-event interrupt, unlike a CCID reader's
  USB interrupt endpoint), so this is 0-400 ms;
- pcscd reports it -> CardPresented: the driver's watcher waking, its connect and GET DATA
  round trip, the hop to the device's I/O thread;
- pcscd reports it -> the identified screen (SERVICES): plus the identify request to the
  backend, its answer, and the flow's step (the event dispatched as the Qt bridge would).

Between taps the card is lifted and the kiosk sent home, and the next tap waits a random
0-400 ms (a citizen's tap falls anywhere in pcscd's poll). The first tap is a warm-up.

    .venv/bin/python bench/card_tap.py [--taps 25]
"""

from __future__ import annotations

import argparse
import queue
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SITI_UID = "04A3B2C1D0E1F2"
READER = "Virtual PCD 00 00"
WAIT_S = 15.0
POLL_S = 0.4  # pcscd polls a reader without card-event interrupts (vpcd) this often


def kiosk_config(state: Path, url: str, ca_pem: Path) -> str:
    return f"""
[kiosk]
state_dir = "{state.as_posix()}"
fullscreen = false
[backend]
url = "{url}"
token = "demo-kiosk-token"
[signature]
trust_anchors = ["{ca_pem.as_posix()}"]
[devices.receipt_printer]
type = "escpos"
transport = {{ type = "simulated" }}
[devices.document_printer]
type = "simulated"
print_delay_s = 0
[devices.card_reader]
type = "pcsc"
reader = "{READER}"
"""


class PresentedClock:
    """When the reader delivered its last CardPresented (perf_counter), on its I/O thread."""

    def __init__(self) -> None:
        self.at: float | None = None
        self.seen = threading.Event()

    def __call__(self, event: Any) -> None:
        from cardreader.base import CardPresented
        from drivers.model import DataReceived

        if isinstance(event, DataReceived) and isinstance(event.data, CardPresented):
            self.at = time.perf_counter()
            self.seen.set()


class ArrivalClock(threading.Thread):
    """When pcscd reported the card on the reader: a PC/SC client of its own, waiting in
    SCardGetStatusChange as the driver's watcher does."""

    def __init__(self, reader: str) -> None:
        super().__init__(name="arrival-clock", daemon=True)
        from smartcard import scard

        self.scard, self.reader = scard, reader
        self.at: float | None = None
        self.seen = threading.Event()
        self._stopping = threading.Event()
        _, self.context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)

    def run(self) -> None:
        scard, known = self.scard, 0
        while not self._stopping.is_set():
            hresult, states = scard.SCardGetStatusChange(self.context, 500, [(self.reader, known)])
            if hresult != scard.SCARD_S_SUCCESS:
                continue
            state = states[0][1] & ~scard.SCARD_STATE_CHANGED
            if state & scard.SCARD_STATE_PRESENT and not known & scard.SCARD_STATE_PRESENT:
                self.at = time.perf_counter()
                self.seen.set()
            known = state

    def stop(self) -> None:
        self._stopping.set()
        self.scard.SCardCancel(self.context)
        self.join(2)
        self.scard.SCardReleaseContext(self.context)


@dataclass
class Tap:
    on_reader: float  # vpcd accepted the card's connection
    at_pcscd: float  # pcscd reported the card (SCardGetStatusChange returned)
    presented: float  # the reader delivered CardPresented
    identified: float  # the flow showed SERVICES


def pump_until(runtime: Any, inbox: queue.Queue, done: Any, timeout_s: float = WAIT_S) -> float:
    """Dispatch posted events until `done()`; the perf_counter when it became true."""
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError(f"stuck on screen {runtime.flow.state.screen.value}")
        try:
            runtime.dispatch(inbox.get(timeout=0.2))
        except queue.Empty:
            continue
    return time.perf_counter()


def one_tap(
    runtime: Any, inbox: queue.Queue, card: Any, arrival: ArrivalClock, presented: PresentedClock
) -> Tap:
    """The times of one tap; then the card is lifted and the kiosk sent home."""
    from kiosk.flow import Screen
    from kiosk.flow import events as ev

    arrival.seen.clear()
    presented.seen.clear()
    time.sleep(random.uniform(0, POLL_S))  # right after a removal it would wait a whole poll
    inserted = card.insert()
    identified = pump_until(runtime, inbox, lambda: runtime.flow.state.screen is Screen.SERVICES)
    if not (arrival.seen.wait(WAIT_S) and presented.seen.wait(WAIT_S)):
        raise RuntimeError("pcscd never reported the card, or the reader never presented it")
    assert arrival.at is not None and presented.at is not None
    card.remove()
    runtime.dispatch(ev.Home())
    reader = runtime.devices["card_reader"]
    pump_until(runtime, inbox, lambda: reader.status.media.value == "absent")
    return Tap(inserted.connected_at, arrival.at, presented.at, identified)


def summary(label: str, times: list[float]) -> str:
    ms = [1000 * t for t in times]
    return (
        f"  {label}: median {statistics.median(ms):5.1f} ms, "
        f"min {min(ms):5.1f} ms, max {max(ms):5.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=25)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))  # tests.* hold the private pcscd and server starters
    from tests.pcsc.pcscd import PcscdUnavailable, start_private_pcscd

    with tempfile.TemporaryDirectory() as folder:
        try:
            pcscd = start_private_pcscd(Path(folder) / "pcscd")
        except PcscdUnavailable as why:
            print(f"cannot run a private pcscd: {why}", file=sys.stderr)
            return 2
        try:
            report(run(Path(folder), pcscd.port, args.taps))
        finally:
            pcscd.stop()
    return 0


def run(folder: Path, vpcd_port: int, taps: int) -> list[Tap]:
    from drivers.sim.virtual_card import VirtualCard
    from kiosk.config import load_config_text
    from kiosk.demo.embedded import runtime_options
    from kiosk.runtime import KioskRuntime
    from tests.harness import ServerProcess

    server = ServerProcess(folder / "server").start()
    arrival = ArrivalClock(READER)
    arrival.start()
    try:
        text = kiosk_config(folder / "kiosk", server.url, server.ca_cert_path)
        settings = load_config_text(text, source="<bench>", base_dir=folder)
        inbox: queue.Queue = queue.Queue()
        runtime = KioskRuntime(settings, inbox.put, **runtime_options(settings))
        presented = PresentedClock()
        runtime.devices["card_reader"].subscribe(presented)
        runtime.start()
        try:
            reader = runtime.devices["card_reader"]
            pump_until(runtime, inbox, lambda: runtime.flow.state.ready and reader.status.usable)
            with VirtualCard(port=vpcd_port, uid=SITI_UID) as card:
                one_tap(runtime, inbox, card, arrival, presented)  # warm-up
                return [one_tap(runtime, inbox, card, arrival, presented) for _ in range(taps)]
        finally:
            runtime.shutdown()
    finally:
        arrival.stop()
        server.stop()


def report(taps: list[Tap]) -> None:
    print(
        f"Card taps on a PC/SC reader (real pcscd + vpcd, apm-server on loopback), n={len(taps)}:"
    )
    spans = {
        "card on the reader -> pcscd reports it": [t.at_pcscd - t.on_reader for t in taps],
        "pcscd reports it -> CardPresented     ": [t.presented - t.at_pcscd for t in taps],
        "pcscd reports it -> identified screen ": [t.identified - t.at_pcscd for t in taps],
        "card on the reader -> identified screen": [t.identified - t.on_reader for t in taps],
    }
    width = max(map(len, spans))
    for label, times in spans.items():
        print(summary(label.ljust(width), times))


if __name__ == "__main__":
    sys.exit(main())
