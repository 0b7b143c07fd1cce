"""Identification that protects the citizen: NIK checks before any backend call, the PIN
never kept or logged, a locked NIK counted down and refused here, and a card whose UID
changes at every tap recognised as such."""

from __future__ import annotations

import logging

import pytest

from apm_api.models import ErrorCode
from apm_api.nik import check_nik
from kiosk.flow import Screen, texts, view_model
from kiosk.flow import effects as fx
from kiosk.flow import events as ev
from kiosk.flow.machine import RANDOM_UID_WINDOW_S

from .conftest import SITI_UID, Driver, session

SITI_NIK = "3523014708900001"
BUDI_NIK = "3523011203850002"
PIN = "975310"  # appears nowhere else in the tests, so any trace of it is a leak


def of_type(effects, kind):
    return [e for e in effects if isinstance(e, kind)]


def at_identify(driver: Driver) -> Driver:
    driver.loaded()
    driver.send(ev.Start())
    assert driver.state.screen is Screen.IDENTIFY
    return driver


def refused(driver: Driver, code: ErrorCode, retry_after_s: int | None = None) -> None:
    failure = ev.Failure(ev.FailureKind.REJECTED, code=code, retry_after_s=retry_after_s)
    driver.send(ev.IdentifyFailed(driver.state.session_no, failure))


def error_text(driver: Driver, lang: str = "id") -> str:
    return view_model(driver.state, lang=lang)["identifyError"]


# --- NIK checks -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "Ketik NIK Anda: 16 angka yang tertera di e-KTP."),
        ("352301470890000", "NIK harus 16 angka; Anda mengetik 15."),
        ("35230147089000011", "NIK harus 16 angka; Anda mengetik 17."),
        ("3523O14708900001", 'NIK hanya berisi angka 0-9; "O" bukan angka.'),
        ("9923014708900001", "Kode provinsi 99 (2 angka pertama NIK) tidak dikenal."),
        ("3523013102900001", "Tanggal lahir di NIK (31-02-90) tidak ada."),
        ("3523017202900001", "(72-02-90, yaitu 32-02-90 bagi perempuan) tidak ada."),
        ("3523014708900000", "Nomor urut di NIK (4 angka terakhir) tidak boleh 0000."),
    ],
)
def test_a_mistyped_nik_is_explained_without_asking_the_backend(typed: str, says: str):
    driver = at_identify(Driver())
    assert driver.send(ev.SubmitNikPin(typed, PIN)) == []
    assert driver.state.screen is Screen.IDENTIFY
    assert says in error_text(driver)
    problem = check_nik(typed)
    assert problem is not None and error_text(driver, "en") == problem.en


def test_a_nik_typed_in_groups_is_sent_as_16_digits(driver: Driver):
    at_identify(driver)
    [identify] = of_type(driver.send(ev.SubmitNikPin("3523 01 470890-0001", PIN)), fx.Identify)
    assert identify.request.nik == SITI_NIK
    [mine] = of_type(driver.effects, fx.FindMyRequests)
    assert mine.applicant is not None and mine.applicant.model_dump()["nik"] == SITI_NIK


def test_the_nik_is_checked_before_the_pin(driver: Driver):
    at_identify(driver)
    driver.send(ev.SubmitNikPin("9923014708900001", "12"))
    assert "Kode provinsi 99" in error_text(driver)
    driver.send(ev.SubmitNikPin(SITI_NIK, "12"))
    assert error_text(driver) == texts.PIN_INVALID.id


# --- the PIN is never kept, never logged -------------------------------------------------------


def test_the_pin_goes_to_the_backend_call_and_nowhere_else(driver: Driver):
    at_identify(driver)
    effects = driver.send(ev.SubmitNikPin(SITI_NIK, PIN))
    [identify] = of_type(effects, fx.Identify)
    assert identify.request.pin == PIN  # the attempt itself
    for other in effects:
        if other is not identify:
            assert PIN not in repr(other)
    assert PIN not in repr(driver.state)
    for answer in (ErrorCode.WRONG_PIN, ErrorCode.LOCKED):
        refused(driver, answer, 30)
        assert PIN not in repr(driver.state)
        assert PIN not in repr(view_model(driver.state))
    driver.send(ev.Tick())
    assert PIN not in repr(driver.state)


def test_the_nik_pin_event_does_not_show_its_secrets():
    event = ev.SubmitNikPin(SITI_NIK, PIN)
    for shown in (repr(event), str(event), f"{event!r}"):
        assert PIN not in shown and SITI_NIK not in shown
    assert event == ev.SubmitNikPin(SITI_NIK, PIN)  # still compares by value


def test_a_whole_nik_and_pin_identification_logs_neither(driver: Driver, caplog):
    with caplog.at_level(logging.DEBUG):
        at_identify(driver)
        # A wrong PIN, then locked, refused here, a stale answer, a slow backend (the
        # deadline goes on offline), and finally a good identification.
        driver.send(ev.SubmitNikPin(SITI_NIK, PIN))
        refused(driver, ErrorCode.WRONG_PIN)
        driver.send(ev.SubmitNikPin(SITI_NIK, PIN))
        refused(driver, ErrorCode.LOCKED, 5)
        driver.send(ev.SubmitNikPin(SITI_NIK, PIN))
        driver.send(
            ev.IdentifyFailed(driver.state.session_no - 1, ev.Failure(ev.FailureKind.SERVER))
        )
        driver.clock.advance(6)
        driver.send(ev.Tick())
        [deadline] = of_type(driver.send(ev.SubmitNikPin(SITI_NIK, PIN)), fx.Schedule)
        driver.send(deadline.event)
        assert driver.state.screen is Screen.SERVICES  # offline, PIN unchecked
        driver.send(ev.Home())
        driver.send(ev.Start())
        driver.send(ev.SubmitNikPin(SITI_NIK, PIN))
        driver.send(ev.Identified(driver.state.session_no, session()))
        driver.send(ev.Home())
    assert caplog.records  # the flow did log (the slow backend): the capture works
    for record in caplog.records:
        line = record.getMessage() + repr(record.args)
        assert PIN not in line and SITI_NIK not in line, line


# --- a locked NIK ------------------------------------------------------------------------------


def test_a_locked_nik_counts_down_and_is_refused_here_until_then(driver: Driver):
    at_identify(driver)
    driver.send(ev.SubmitNikPin(SITI_NIK, PIN))
    refused(driver, ErrorCode.LOCKED, retry_after_s=90)
    assert driver.state.screen is Screen.IDENTIFY
    assert error_text(driver) == (
        "Terlalu banyak PIN salah. NIK ini dikunci sementara; coba lagi dalam 1 menit 30 detik."
    )
    assert error_text(driver, "en").endswith("try again in 1 minute 30 seconds.")

    driver.clock.advance(1)
    driver.send(ev.Tick())
    assert "1 menit 29 detik" in error_text(driver)

    # The same NIK (typed another way) is refused at once; the countdown goes on.
    driver.clock.advance(30)
    assert driver.send(ev.SubmitNikPin("3523-0147-0890-0001", "111111")) == []
    assert "59 detik" in error_text(driver)
    driver.clock.advance(1)
    driver.send(ev.Tick())
    assert "58 detik" in error_text(driver)

    # Another NIK still goes to the backend.
    assert of_type(driver.send(ev.SubmitNikPin(BUDI_NIK, "654321")), fx.Identify)
    refused(driver, ErrorCode.WRONG_PIN)
    assert error_text(driver) == texts.WRONG_PIN.id  # no countdown for Budi

    driver.clock.advance(57.5)
    assert driver.send(ev.SubmitNikPin(SITI_NIK, PIN)) == []
    assert "1 detik" in error_text(driver)
    driver.clock.advance(0.5)
    driver.send(ev.Tick())
    assert error_text(driver) == texts.LOCK_OVER.id
    assert of_type(driver.send(ev.SubmitNikPin(SITI_NIK, PIN)), fx.Identify)


def test_the_lock_outlives_the_session_but_not_its_time(driver: Driver):
    at_identify(driver)
    driver.send(ev.SubmitNikPin(SITI_NIK, PIN))
    refused(driver, ErrorCode.LOCKED, retry_after_s=120)
    driver.send(ev.Home())
    assert driver.state.screen is Screen.ATTRACT
    assert SITI_NIK not in repr(driver.state)  # only a keyed hash and a time
    driver.clock.advance(60)
    driver.send(ev.Start())
    assert driver.send(ev.SubmitNikPin(SITI_NIK, PIN)) == []
    assert "1 menit" in error_text(driver)
    driver.send(ev.Home())
    driver.clock.advance(61)
    driver.send(ev.Tick())
    assert driver.state.nik_locks == ()  # forgotten once over
    driver.send(ev.Start())
    assert of_type(driver.send(ev.SubmitNikPin(SITI_NIK, PIN)), fx.Identify)


def test_a_lock_without_a_time_lasts_a_minute_and_long_ones_say_hours(driver: Driver):
    at_identify(driver)
    driver.send(ev.SubmitNikPin(SITI_NIK, PIN))
    refused(driver, ErrorCode.LOCKED)
    assert "dalam 1 menit." in error_text(driver)
    driver.send(ev.SubmitNikPin(BUDI_NIK, PIN))
    refused(driver, ErrorCode.LOCKED, retry_after_s=2 * 3600 + 5 * 60)
    assert "dalam 2 jam 5 menit." in error_text(driver)
    assert "in 2 hours 5 minutes." in error_text(driver, "en")


def test_another_attempt_stops_the_countdown_message(driver: Driver):
    at_identify(driver)
    driver.send(ev.SubmitNikPin(SITI_NIK, PIN))
    refused(driver, ErrorCode.LOCKED, retry_after_s=60)
    driver.send(ev.CardReadFailed(ev.CardProblem.REMOVED_MID_READ))
    driver.clock.advance(1)
    driver.send(ev.Tick())
    assert error_text(driver) == texts.CARD_REMOVED.id  # not overwritten by the countdown
    assert driver.send(ev.SubmitNikPin(SITI_NIK, PIN)) == []  # but still locked
    assert "59 detik" in error_text(driver)


def test_the_idle_timeout_still_ends_a_session_that_shows_a_lock(driver: Driver):
    at_identify(driver)
    driver.send(ev.SubmitNikPin(SITI_NIK, PIN))
    refused(driver, ErrorCode.LOCKED, retry_after_s=300)
    for _ in range(61):
        driver.clock.advance(1)
        driver.send(ev.Tick())
    assert driver.state.screen is Screen.ATTRACT
    assert driver.state.identify_error is None and driver.state.lock_until is None


# --- a card with a random UID ------------------------------------------------------------------


def tap_unknown(driver: Driver, uid: str) -> list:
    effects = driver.send(ev.CardPresented(uid))
    refused(driver, ErrorCode.UNKNOWN_CARD)
    return effects


def test_the_same_unknown_card_twice_is_just_unknown(driver: Driver):
    driver.loaded()
    tap_unknown(driver, "DEADBEEF")
    assert error_text(driver) == texts.UNKNOWN_CARD.id
    tap_unknown(driver, "DEADBEEF")
    assert error_text(driver) == texts.UNKNOWN_CARD.id


def test_another_unknown_uid_right_after_is_a_random_uid_card(driver: Driver):
    driver.loaded()
    tap_unknown(driver, "5B1C2D3E")
    assert error_text(driver) == texts.UNKNOWN_CARD.id
    driver.clock.advance(5)
    # Still asked: it might be another, registered card.
    assert of_type(tap_unknown(driver, "6F0A9B8C"), fx.Identify)
    assert error_text(driver) == texts.RANDOM_UID_SEEN.id
    assert "NIK dan PIN" in error_text(driver)
    assert "NIK and PIN" in error_text(driver, "en")
    for uid in ("5B1C2D3E", "6F0A9B8C"):
        assert uid not in repr(driver.state)  # a keyed hash, not the UID


def test_in_the_same_session_the_time_between_taps_does_not_matter(driver: Driver):
    driver.loaded()
    tap_unknown(driver, "5B1C2D3E")
    driver.clock.advance(RANDOM_UID_WINDOW_S + 40)
    driver.send(ev.StillHere())
    driver.send(ev.Tick())
    tap_unknown(driver, "6F0A9B8C")
    assert error_text(driver) == texts.RANDOM_UID_SEEN.id


def test_a_new_session_within_a_minute_still_counts(driver: Driver):
    driver.loaded()
    tap_unknown(driver, "5B1C2D3E")
    driver.send(ev.Home())  # the citizen gave up and tries again
    driver.clock.advance(RANDOM_UID_WINDOW_S - 1)
    driver.send(ev.Tick())
    tap_unknown(driver, "6F0A9B8C")
    assert error_text(driver) == texts.RANDOM_UID_SEEN.id


def test_an_unknown_card_is_forgotten_after_a_minute_in_another_session(driver: Driver):
    driver.loaded()
    tap_unknown(driver, "5B1C2D3E")
    driver.send(ev.Home())
    driver.clock.advance(RANDOM_UID_WINDOW_S + 1)
    driver.send(ev.Tick())
    assert driver.state.unknown_card is None
    tap_unknown(driver, "6F0A9B8C")
    assert error_text(driver) == texts.UNKNOWN_CARD.id


def test_after_an_identification_the_next_unknown_card_is_just_unknown(driver: Driver):
    driver.loaded()
    tap_unknown(driver, "5B1C2D3E")
    driver.send(ev.CardPresented(SITI_UID))  # then the registered e-KTP
    driver.send(ev.Identified(driver.state.session_no, session()))
    driver.send(ev.Home())
    tap_unknown(driver, "6F0A9B8C")  # the next citizen, a few seconds later
    assert error_text(driver) == texts.UNKNOWN_CARD.id


def test_an_iso_random_uid_is_told_at_the_first_tap(driver: Driver):
    driver.loaded()
    assert driver.send(ev.CardPresented("08A1B2C3", uid_is_random=True)) == []
    assert error_text(driver) == texts.RANDOM_UID.id


def test_pins_held_back_at_this_kiosk_refuse_every_nik_but_not_a_card(driver: Driver):
    """The backend saw a PIN sprayed over many NIKs here: every NIK waits, cards go on."""
    at_identify(driver)
    driver.send(ev.SubmitNikPin(SITI_NIK, PIN))
    refused(driver, ErrorCode.TOO_MANY_ATTEMPTS, retry_after_s=95)
    assert error_text(driver) == (
        "Terlalu banyak PIN salah di kios ini. Tempelkan e-KTP Anda, atau coba NIK dan PIN "
        "lagi dalam 1 menit 35 detik."
    )
    assert error_text(driver, "en").startswith("Too many wrong PINs at this kiosk. Tap your")
    driver.clock.advance(5)
    driver.send(ev.Tick())
    assert "1 menit 30 detik" in error_text(driver)
    # Another NIK is refused here without asking the backend; the countdown goes on.
    assert driver.send(ev.SubmitNikPin(BUDI_NIK, "654321")) == []
    assert "di kios ini" in error_text(driver) and "1 menit 30 detik" in error_text(driver)
    # A card still goes to the backend.
    assert of_type(driver.send(ev.CardPresented(SITI_UID)), fx.Identify)
    driver.send(ev.Identified(driver.state.session_no, session()))
    assert driver.state.screen is Screen.SERVICES
    driver.send(ev.Home())
    driver.clock.advance(91)
    driver.send(ev.Start())
    assert of_type(driver.send(ev.SubmitNikPin(BUDI_NIK, "654321")), fx.Identify)
