"""PC/SC readers against a real pcscd with vsmartcard-vpcd and the virtual e-KTP.

Nothing is mocked: the reader talks to pcscd through libpcsclite, pcscd to vpcd, and vpcd
to `VirtualCard` over TCP. Each test checks what the kiosk would see: card events in
order, the status a technician reads, and that the next tap is read after a fault.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from cardreader.base import CardPresented, CardReadFailed, CardRemoved
from cardreader.pcsc import PcscCardReader, PcscCardReaderSettings
from cardreader.registry import CARD_READERS
from drivers.model import Availability, HealthLevel, MediaState
from drivers.sim.virtual_card import CardMode, VirtualCard
from tests.pcsc.conftest import BUDI_UID, RECOVERY_S, SITI_UID, WAIT_S, Recorder
from tests.pcsc.pcscd import READER, Pcscd


def tap(card: VirtualCard, recorder: Recorder, **insert: Any) -> Any:
    """Put the card on the reader; the card event that follows."""
    seen = len(recorder.cards())
    card.insert(**insert)
    return recorder.next_card(seen)


def test_a_tap_presents_the_normalized_uid_and_lifting_removes_it(make_reader, card, caplog):
    caplog.set_level(logging.DEBUG)
    reader, recorder = make_reader()
    assert reader.status.availability is Availability.ONLINE
    assert reader.status.detail == READER  # the first contactless reader: vpcd's PCD

    assert tap(card, recorder) == CardPresented(SITI_UID, uid_is_random=False)
    present = recorder.status(media=MediaState.PRESENT)
    assert present.detail == f"{READER}: card 04A3…"

    seen = len(recorder.cards())
    card.remove()
    assert recorder.next_card(seen) == CardRemoved()
    recorder.status(media=MediaState.ABSENT)
    assert "card 04A3…" in caplog.text
    assert SITI_UID not in caplog.text  # never the whole UID in a log line
    assert all(SITI_UID not in e.current.detail for e in recorder.events if hasattr(e, "current"))


def test_two_cards_in_a_row_each_give_their_own_uid(make_reader, card):
    _, recorder = make_reader()
    assert tap(card, recorder) == CardPresented(SITI_UID, uid_is_random=False)
    card.remove()
    assert recorder.next_card(1) == CardRemoved()
    assert tap(card, recorder, uid=BUDI_UID) == CardPresented(BUDI_UID, uid_is_random=False)


def test_a_random_uid_card_is_flagged_and_changes_at_every_tap(make_reader, card):
    _, recorder = make_reader()
    first = tap(card, recorder, mode=CardMode.RANDOM_UID)
    card.remove()
    recorder.next_card(1)  # CardRemoved
    second = tap(card, recorder)
    assert first.uid_is_random and second.uid_is_random
    assert first.uid.startswith("08") and len(first.uid) == 8
    assert first.uid != second.uid


def test_a_refused_get_data_is_unreadable_and_the_next_tap_is_read(make_reader, card):
    _reader, recorder = make_reader()
    assert tap(card, recorder, mode=CardMode.REFUSE_GET_DATA) == CardReadFailed("unreadable")
    refused = recorder.status(media=MediaState.PRESENT)
    assert "GET DATA not supported" in refused.detail and "6A 81" in refused.detail
    card.remove()
    recorder.status(media=MediaState.ABSENT)
    assert recorder.cards() == [CardReadFailed("unreadable")]  # no CardRemoved for it

    assert tap(card, recorder, mode=CardMode.NORMAL) == CardPresented(SITI_UID, False)


def test_a_wrong_length_answer_is_asked_again_with_the_length_the_card_gave(make_reader, card):
    _, recorder = make_reader()
    assert tap(card, recorder, mode=CardMode.WRONG_LENGTH) == CardPresented(SITI_UID, False)
    assert card.get_data_count == 2  # Le = 00 -> 6C 07 -> Le = 07 -> the UID


def test_a_card_lifted_mid_read_fails_as_such_and_the_next_tap_is_read(make_reader, card):
    _, recorder = make_reader()
    failed = tap(card, recorder, mode=CardMode.REMOVED_MID_READ)
    assert failed == CardReadFailed("removed_mid_read")
    assert card.wait_removed(WAIT_S)
    assert tap(card, recorder, mode=CardMode.NORMAL) == CardPresented(SITI_UID, False)


def test_a_slow_card_is_still_read(make_reader, card):
    _, recorder = make_reader()
    started = time.monotonic()
    assert tap(card, recorder, mode=CardMode.SLOW, delay_s=1.0).uid == SITI_UID
    assert time.monotonic() - started >= 1.0


def test_a_card_already_on_the_reader_at_start_is_not_read_until_tapped_again(make_reader, card):
    card.insert()
    time.sleep(1.0)  # pcscd has seen it
    reader, recorder = make_reader()
    recorder.status(media=MediaState.PRESENT)
    assert "tap again" in reader.status.detail
    time.sleep(0.5)
    assert recorder.cards() == []
    card.remove()
    recorder.status(media=MediaState.ABSENT)
    assert tap(card, recorder).uid == SITI_UID


def test_pcscd_killed_and_restarted_the_reader_recovers_and_reads_the_next_tap(
    make_reader, card, running_pcscd: Pcscd
):
    reader, recorder = make_reader()
    tap(card, recorder)
    before_kill = recorder.mark()
    running_pcscd.kill()
    assert recorder.next_card(1) == CardRemoved()  # the card went with the reader
    down = recorder.status(since=before_kill, availability=Availability.NO_DEVICE)
    assert "pcscd not running" in down.detail
    checks = {c.name: c for c in reader.check_health(HealthLevel.INTERNAL).result(WAIT_S).checks}
    assert not checks["pcscd"].ok and "pcscd not running" in checks["pcscd"].detail

    back = recorder.mark()
    running_pcscd.start()
    restarted = time.monotonic()
    recorder.status(RECOVERY_S, back, availability=Availability.ONLINE, media=MediaState.ABSENT)
    assert time.monotonic() - restarted < RECOVERY_S
    assert tap(card, recorder).uid == SITI_UID
    checks = {c.name: c for c in reader.check_health(HealthLevel.INTERNAL).result(WAIT_S).checks}
    assert checks["pcscd"].ok and checks["reader"].ok and checks["reader"].detail == READER


def test_a_reader_started_before_pcscd_waits_for_it_and_says_why(
    make_reader, card, running_pcscd: Pcscd, caplog
):
    running_pcscd.stop()
    caplog.set_level(logging.INFO, logger="cardreader.pcsc")
    started = time.monotonic()
    reader, recorder = make_reader()
    assert time.monotonic() - started < 1.0  # start does not wait for pcscd
    assert reader.status.availability is Availability.NO_DEVICE
    assert reader.status.detail == "pcscd not running"
    time.sleep(2.5)  # a few retries
    assert caplog.text.count("pcscd not running") == 1  # said once, not at every retry

    running_pcscd.start()
    recorder.status(RECOVERY_S, availability=Availability.ONLINE, detail=READER)
    assert tap(card, recorder).uid == SITI_UID


def test_a_reader_that_vanishes_and_returns_is_used_again(make_reader, card, running_pcscd):
    _reader, recorder = make_reader()
    running_pcscd.stop()
    running_pcscd.write_config(with_vpcd=False)  # pcscd back, without the reader
    running_pcscd.start(expect_readers=False)
    gone = recorder.status(RECOVERY_S, availability=Availability.NO_DEVICE,
                           detail="no PC/SC reader; pcscd sees no reader")  # fmt: skip
    assert gone.media is MediaState.UNKNOWN

    gone_at = recorder.mark()
    running_pcscd.stop()
    running_pcscd.write_config(with_vpcd=True)
    running_pcscd.start()
    recorder.status(RECOVERY_S, gone_at, availability=Availability.ONLINE, detail=READER)
    assert tap(card, recorder).uid == SITI_UID


def test_a_reader_pattern_that_matches_nothing_says_so(make_reader):
    reader, _recorder = make_reader(reader="ACR122")
    status = reader.status
    assert status.availability is Availability.NO_DEVICE
    assert status.detail == (
        "no reader matching 'ACR122'; found: Virtual PCD 00 00, Virtual PCD 00 01"
    )
    checks = {c.name: c for c in reader.check_health(HealthLevel.INTERNAL).result(WAIT_S).checks}
    assert checks["pcscd"].ok and not checks["reader"].ok


def test_a_reader_pattern_picks_that_reader_only(make_reader, running_pcscd: Pcscd):
    reader, recorder = make_reader(reader="pcd 00 01")  # text, any case
    assert reader.status.detail == "Virtual PCD 00 01"
    with VirtualCard(port=running_pcscd.port, uid=SITI_UID) as other_slot:
        other_slot.insert()
        time.sleep(1.0)
        assert recorder.cards() == []  # a card on the reader not chosen is not seen
    with VirtualCard(port=running_pcscd.port + 1, uid=BUDI_UID) as chosen_slot:
        assert tap(chosen_slot, recorder).uid == BUDI_UID


def test_no_card_is_read_while_the_reader_is_not_enabled(make_reader, card):
    reader, recorder = make_reader()
    reader.disable("kiosk").result(WAIT_S)
    card.insert()
    recorder.status(media=MediaState.PRESENT)
    time.sleep(0.3)
    assert recorder.cards() == []
    assert card.get_data_count == 0


def test_the_registry_and_settings_know_the_pcsc_reader() -> None:
    assert CARD_READERS.resolve("pcsc") is PcscCardReader
    with pytest.raises(ValueError, match="reader"):
        PcscCardReaderSettings.model_validate({"type": "pcsc", "reader": ""})
    with pytest.raises(ValueError, match="extra"):
        PcscCardReaderSettings.model_validate({"type": "pcsc", "readers": "x"})
    # Not a valid regex: taken as plain text.
    PcscCardReaderSettings.model_validate({"type": "pcsc", "reader": "OMNIKEY (5022"})
