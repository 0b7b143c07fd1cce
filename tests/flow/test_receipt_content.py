"""What the citizen reads on the receipt: the village's time, the kiosk's queue number,
and a note while the receipt printer waits for paper."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kiosk.flow import Flow, Screen, view_model
from kiosk.flow import effects as fx
from kiosk.flow import events as ev
from kiosk.localtime import format_local, queue_number, village_zone, zone_name
from tests.flow.conftest import Driver, letter_request

# 23:28 UTC on 30 November is 06:28 on 1 December in Java (WIB, UTC+7).
LATE_NIGHT_UTC = datetime(2026, 11, 30, 23, 28, tzinfo=UTC)


def driver_in(zone: str) -> Driver:
    driver = Driver()
    keys = iter(f"key-{n}" for n in range(1, 1000))
    driver.flow = Flow(
        clock=driver.clock,
        new_key=lambda: next(keys),
        now=lambda: LATE_NIGHT_UTC.astimezone(village_zone(zone)),
    )
    return driver


def of_type(effects, kind):
    return [e for e in effects if isinstance(e, kind)]


def rows(receipt: fx.PrintReceipt) -> dict[str, str]:
    return {row.label: row.value for row in receipt.receipt.rows}


@pytest.mark.parametrize(
    ("zone", "printed"),
    [
        ("WIB", "01-12-2026 06:28 WIB"),
        ("WITA", "01-12-2026 07:28 WITA"),
        ("WIT", "01-12-2026 08:28 WIT"),
    ],
)
def test_the_receipt_time_is_the_village_time_not_the_machine_time(zone: str, printed: str):
    driver = driver_in(zone).at_confirm()
    driver.send(ev.Confirm())
    request = letter_request(created_at=LATE_NIGHT_UTC)
    [receipt] = of_type(
        driver.send(ev.Submitted(driver.state.session_no, request)), fx.PrintReceipt
    )
    assert rows(receipt)["Tanggal"] == printed


def test_a_queued_receipt_carries_the_queue_number_and_the_time_of_confirming():
    driver = driver_in("WIB").at_confirm()
    driver.send(ev.Confirm())
    driver.send(ev.LinkChanged(up=False))
    effects = driver.send(
        ev.SubmitQueued(driver.state.session_no, "K-ABCD-EFGH", "123456789012", "011226-007")
    )
    [receipt] = of_type(effects, fx.PrintReceipt)
    assert rows(receipt)["No. antrean"] == "011226-007"
    assert rows(receipt)["Tanggal"] == "01-12-2026 06:28 WIB"


def test_a_receipt_waiting_for_paper_is_explained_and_the_note_goes_when_it_prints():
    driver = driver_in("WIB").waiting()
    assert driver.state.receipt_pending
    driver.send(ev.DeviceStatusChanged("receipt_printer", False, "offline", "paper out"))
    assert "menunggu kertas" in view_model(driver.state)["receiptProblem"]
    driver.send(ev.DeviceStatusChanged("receipt_printer", True, "online"))
    assert view_model(driver.state)["receiptProblem"] == ""
    driver.send(ev.ReceiptPrinted(driver.state.session_no))
    assert not driver.state.receipt_pending
    driver.send(ev.DeviceStatusChanged("receipt_printer", False, "offline", "paper out"))
    assert view_model(driver.state)["receiptProblem"] == ""  # nothing of ours is waiting
    assert driver.state.screen is Screen.WAITING


def test_the_waiting_screen_says_printed_only_once_the_receipt_is():
    driver = driver_in("WIB").waiting()
    assert view_model(driver.state)["receiptNote"].startswith("Struk sedang dicetak")
    assert view_model(driver.state, lang="en")["receiptNote"].startswith("Your receipt is printing")
    driver.send(ev.DeviceStatusChanged("receipt_printer", False, "offline", "paper out"))
    assert "menunggu kertas" in view_model(driver.state)["receiptNote"]
    driver.send(ev.DeviceStatusChanged("receipt_printer", True, "online"))
    driver.send(ev.ReceiptPrinted(driver.state.session_no))
    assert view_model(driver.state)["receiptNote"].startswith("Struk sudah dicetak")


def test_zone_names_and_queue_numbers():
    assert zone_name("Asia/Makassar") == "WITA" and zone_name("wib") == "WIB"
    with pytest.raises(ValueError, match="WIB, WITA, WIT"):
        zone_name("UTC")
    assert format_local(LATE_NIGHT_UTC, village_zone("Asia/Jayapura")) == "01-12-2026 08:28 WIT"
    assert queue_number(datetime(2026, 12, 1), 7) == "011226-007"
    assert queue_number(datetime(2026, 12, 1), 1234) == "011226-1234"


def test_a_receipt_asked_for_while_the_roll_is_already_empty_says_it_waits():
    driver = driver_in("WIB").at_confirm()
    driver.send(ev.DeviceStatusChanged("receipt_printer", False, "offline", "paper out"))
    driver.send(ev.Confirm())
    driver.send(ev.Submitted(driver.state.session_no, letter_request()))
    assert "menunggu kertas" in view_model(driver.state)["receiptProblem"]
