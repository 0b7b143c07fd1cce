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
