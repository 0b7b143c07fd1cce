"""A QR scanner on the kiosk's reader line (a serial reader with `accept_codes`): a
citizen holding the receipt's QR under it on the attract screen lands on pickup, and a
card on the same line still identifies. The kiosk runs with the embedded reference
backend; the scanner is the far end of a pty pair."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.demo.embedded import runtime_options
from kiosk.demo.settings import demo_settings
from kiosk.flow import Screen, texts
from kiosk.flow import events as ev
from kiosk.runtime import KioskRuntime
from tests.cardreader.conftest import PtyCable
from tests.harness import Host

SITI = "04A3B2C1D0E1F2"
WAIT_S = 20.0


@pytest.fixture
def kiosk(tmp_path: Path, cable: PtyCable) -> Iterator[Host]:
    cable.plug()
    reader = {
        "type": "serial",
        "port": str(cable.reader_port),
        "prefix": "",
        "suffix": "\r",
        "accept_codes": True,
    }
    settings = demo_settings(tmp_path, card_reader=reader)
    host = Host(lambda post: KioskRuntime(settings, post, **runtime_options(settings)))
    host.runtime.start()
    try:
        host.pump_until(lambda: host.state.ready, WAIT_S)
        host.pump_until(lambda: host.runtime.devices["card_reader"].status.usable, WAIT_S)
        yield host
    finally:
        host.runtime.shutdown()


def test_a_scanned_receipt_qr_opens_pickup_and_a_card_still_identifies(
    kiosk: Host, cable: PtyCable
):
    cable.send(b"APM1:AMBIL:999999999999\r")
    kiosk.pump_until(
        lambda: kiosk.state.screen is Screen.PICKUP
        and kiosk.state.pickup_error == texts.PICKUP_CODE_UNKNOWN,
        WAIT_S,
    )
    kiosk.send(ev.Home())
    cable.send(SITI.encode() + b"\r")
    kiosk.on(Screen.SERVICES, WAIT_S)
    assert kiosk.state.resident is not None
    assert kiosk.state.resident.display_name == "Siti Rahayu"


# --- a QR scanner of its own, beside the card reader --------------------------------------


def scanner_table(cable: PtyCable, **extra: object) -> dict[str, object]:
    return {"type": "serial", "port": str(cable.reader_port), "suffix": "\r", **extra}


def test_a_scanner_beside_the_card_reader_opens_pickup(tmp_path: Path, cable: PtyCable):
    """`[devices.scanner]`: a kiosk with a PC/SC (here: simulated) card reader and a QR
    scanner of its own; scans from the scanner open pickup, taps on the reader identify."""
    cable.plug()
    settings = demo_settings(tmp_path, scanner=scanner_table(cable, accept_codes=True))
    assert "scanner: serial" in settings.summary()
    host = Host(lambda post: KioskRuntime(settings, post, **runtime_options(settings)))
    host.runtime.start()
    try:
        host.pump_until(lambda: host.state.ready, WAIT_S)
        host.pump_until(lambda: host.runtime.devices["scanner"].status.usable, WAIT_S)
        cable.send(b"APM1:AMBIL:999999999999\r")
        host.pump_until(lambda: host.state.pickup_error == texts.PICKUP_CODE_UNKNOWN, WAIT_S)
        host.send(ev.Home())
        host.simulator("card_reader").tap(SITI)
        host.on(Screen.SERVICES, WAIT_S)
        cable.unplug()  # a scanner gone is a device problem the technician sees
        host.pump_until(lambda: not host.state.devices["scanner"].usable, WAIT_S)
    finally:
        host.runtime.shutdown()


@pytest.mark.parametrize(
    ("scanner", "problem"),
    [
        (
            {"accept_codes": False},
            "devices.scanner.accept_codes: expected true (a scanner delivers the receipts' "
            "QR codes), found false",
        ),
        (None, "devices.scanner.type: expected a reader that types lines (evdev or serial)"),
    ],
)
def test_a_scanner_that_cannot_deliver_codes_is_refused(
    tmp_path: Path, cable: PtyCable, scanner: dict[str, object] | None, problem: str
):
    from kiosk.config import ConfigError

    table = {"type": "simulated"} if scanner is None else scanner_table(cable, **scanner)
    with pytest.raises(ConfigError) as refused:
        demo_settings(tmp_path, scanner=table)
    assert problem in str(refused.value)
