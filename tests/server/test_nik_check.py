"""The reference server checks every NIK it is sent (NIK + PIN, an offline applicant): a
mistyped NIK gets 422 with what is wrong in field_errors.nik, not a wrong PIN."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from apm_server.app import RunningServer

from .conftest import SITI_NIK, SITI_PIN, WAHYU_NIK, Kiosk, OpenApiCheck


def nik_error(answer: requests.Response) -> dict[str, Any]:
    """The ApiError of a refused NIK, checked: 422, bad_request, the reason on `nik`."""
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["code"] == "bad_request"
    assert body["field_errors"]["nik"] == body["message"]
    return body["message"]


@pytest.mark.parametrize(
    ("nik", "says_id", "says_en"),
    [
        ("9923014708900001", "Kode provinsi 99", "Province code 99"),
        ("3523013102900001", "Tanggal lahir di NIK (31-02-90) tidak ada", "(31-02-90) does not"),
        ("3523017202900001", "yaitu 32-02-90 bagi perempuan", "that is 32-02-90 for a woman"),
        ("3523014708900000", "Nomor urut di NIK", "The serial number"),
        ("352301470890000", "NIK harus 16 angka; Anda mengetik 15.", "you typed 15."),
        ("3523O14708900001", '"O" bukan angka', '"O" is not a digit'),
    ],
)
def test_identify_with_a_mistyped_nik_says_what_is_wrong(
    kiosk: Kiosk, conforms: OpenApiCheck, nik: str, says_id: str, says_en: str
):
    answer = kiosk.identify({"method": "nik_pin", "nik": nik, "pin": SITI_PIN})
    message = nik_error(answer)
    assert says_id in message["id"] and says_en in message["en"]
    conforms(answer, "ApiError", "POST", "/identify")


def test_mistyped_niks_do_not_count_towards_a_lock(kiosk: Kiosk):
    # Siti's NIK with one digit wrong (an impossible date) over and over: never a lock,
    # and Siti still signs in.
    for _ in range(5):
        nik_error(kiosk.identify({"method": "nik_pin", "nik": "3523019908900001", "pin": "0" * 6}))
    answer = kiosk.identify({"method": "nik_pin", "nik": SITI_NIK, "pin": SITI_PIN})
    assert answer.status_code == 200, answer.text


def test_an_offline_applicant_with_a_mistyped_nik_is_refused(kiosk: Kiosk, server: RunningServer):
    answer = kiosk.submit_offline(
        "key-offline-nik-01", {"method": "nik", "nik": "9623010000000001"}
    )
    message = nik_error(answer)
    assert "Tanggal lahir di NIK (00-00-00) tidak ada" in message["id"]
    assert server.office.store.requests() == []
    good = kiosk.submit_offline("key-offline-nik-02", {"method": "nik", "nik": WAHYU_NIK})
    assert good.status_code == 201, good.text
