"""Card readers: UID normalization and the simulated reader with its faults."""

from __future__ import annotations

import pytest

from cardreader.base import (
    CardPresented,
    CardReadFailed,
    CardRemoved,
    is_random_uid,
    normalize_uid,
)
from drivers.model import Availability, Feature, MediaState, Sensor
from tests.devices.conftest import OWNER, WAIT_S, EventRecorder
from tests.devices.helpers import card_reader

SITI = "04A3B2C1D0E1F2"


# --- normalize_uid -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["04A3B2C1D0E1F2", "04a3b2c1d0e1f2", "04:A3:B2:C1:D0:E1:F2", "04-a3-b2-c1-d0-e1-f2",
     " 04 A3 B2 C1 D0 E1 F2 ", "0x04A3B2C1D0E1F2"],
)  # fmt: skip
def test_hex_uids_in_any_spelling(raw: str):
    assert normalize_uid(raw) == SITI


def test_decimal_uids_are_little_endian_integers_of_the_uid_bytes():
    four = bytes.fromhex("04A3B2C1")
    assert normalize_uid(str(int.from_bytes(four, "little"))) == "04A3B2C1"  # 3249709828
    assert normalize_uid("3249709828") == "04A3B2C1"
    seven = str(int.from_bytes(bytes.fromhex(SITI), "little"))
    assert len(seven) == 17
    assert normalize_uid(seven) == SITI
    assert normalize_uid("0000000001") == "01000000"  # leading zeros, as wedges pad


def test_the_format_can_be_forced():
    assert normalize_uid("12345678901234", fmt="hex") == "12345678901234"
    assert normalize_uid("12345678", fmt="decimal") == "4E61BC00"
    assert normalize_uid("12345678") == "12345678"  # 8 digits: hex of a 4-byte UID


@pytest.mark.parametrize(
    "garbage",
    ["", "   ", "hello", "04A3B", "04A3B2C1D0E1F2G0", "0x", "1234", "99999999999999999",
     "04A3B2C1D0E1F2A0B1C2D3", "١٢٣٤٥٦٧٨٩٠"],
)  # fmt: skip
def test_garbage_is_not_a_uid(garbage: str):
    with pytest.raises(ValueError):
        normalize_uid(garbage)


def test_random_uids_are_four_bytes_starting_with_08():
    assert is_random_uid("08A1B2C3")
    assert not is_random_uid("04A1B2C3")
    assert not is_random_uid("08A1B2C3D4E5F6")


# --- the simulated reader ----------------------------------------------------------------


def test_a_tap_presents_the_card_and_lifting_removes_it(started):
    reader = started(card_reader())
    events = EventRecorder(reader)
    assert reader.status.media is MediaState.ABSENT
    reader.simulator.tap("04:a3:b2:c1:d0:e1:f2").result(WAIT_S)
    assert events.data() == [CardPresented(SITI, uid_is_random=False)]
    events.wait_status(media=MediaState.PRESENT)
    reader.simulator.remove().result(WAIT_S)
    assert events.data()[-1] == CardRemoved()
    events.wait_status(media=MediaState.ABSENT)


def test_capabilities(started):
    capabilities = started(card_reader()).capabilities
    assert capabilities.sensors == {Sensor.MEDIA} and Feature.CARD_UID in capabilities.features


def test_a_second_card_replaces_the_first(started):
    reader = started(card_reader())
    events = EventRecorder(reader)
    reader.simulator.tap("5A3C9E01").result(WAIT_S)
    reader.simulator.tap(SITI).result(WAIT_S)
    assert events.data() == [
        CardPresented("5A3C9E01", False),
        CardRemoved(),
        CardPresented(SITI, False),
    ]


def test_a_tap_is_ignored_unless_the_reader_is_enabled(started):
    reader = started(card_reader(), enable=False)
    events = EventRecorder(reader)
    reader.simulator.tap(SITI).result(WAIT_S)
    assert events.data() == [] and reader.status.media is MediaState.ABSENT
    reader.enable(OWNER).result(WAIT_S)
    reader.simulator.tap(SITI).result(WAIT_S)
    assert events.data() == [CardPresented(SITI, False)]
    reader.disable(OWNER).result(WAIT_S)
    reader.simulator.remove().result(WAIT_S)
    assert events.data() == [CardPresented(SITI, False)]  # no input while disabled


def test_garbage_tapped_on_the_simulator_raises_at_once(started):
    reader = started(card_reader())
    with pytest.raises(ValueError):
        reader.simulator.tap("not a card")


def test_card_removed_mid_read(started):
    reader = started(card_reader(faults=["card_removed_mid_read"]))
    events = EventRecorder(reader)
    reader.simulator.tap(SITI).result(WAIT_S)
    assert events.data() == [CardReadFailed("removed_mid_read")]
    assert reader.status.media is MediaState.ABSENT


def test_the_second_read_fails_when_scripted(started):
    script = [
        {"at_read": 2, "fault": "card_removed_mid_read"},
        {"at_read": 3, "fault": "card_removed_mid_read", "action": "clear"},
    ]
    reader = started(card_reader(fault_script=script))
    events = EventRecorder(reader)
    for _ in range(3):
        reader.simulator.tap(SITI).result(WAIT_S)
        reader.simulator.remove().result(WAIT_S)
    assert [type(d).__name__ for d in events.data()] == [
        "CardPresented",
        "CardRemoved",
        "CardReadFailed",
        "CardPresented",
        "CardRemoved",
    ]


def test_random_uid_fault_presents_a_fresh_random_uid_each_tap(started):
    reader = started(card_reader(faults=["random_uid"]))
    events = EventRecorder(reader)
    reader.simulator.tap(SITI).result(WAIT_S)
    reader.simulator.tap(SITI).result(WAIT_S)
    presented = [d for d in events.data() if isinstance(d, CardPresented)]
    assert len(presented) == 2
    for card in presented:
        assert card.uid_is_random and len(card.uid) == 8 and card.uid.startswith("08")
        assert normalize_uid(card.uid) == card.uid
    assert presented[0].uid != presented[1].uid


def test_a_random_uid_card_is_flagged_without_any_fault(started):
    reader = started(card_reader())
    events = EventRecorder(reader)
    reader.simulator.tap("08a1b2c3").result(WAIT_S)
    assert events.data() == [CardPresented("08A1B2C3", uid_is_random=True)]


def test_an_unplugged_reader_is_no_device_and_silent(started):
    reader = started(card_reader())
    events = EventRecorder(reader)
    reader.simulator.inject("unplugged")
    events.wait_status(availability=Availability.NO_DEVICE)
    reader.simulator.tap(SITI).result(WAIT_S)
    assert events.data() == []
    health = reader.check_health().result(WAIT_S)
    assert not health.ok
    reader.simulator.clear("unplugged")
    events.wait_status(availability=Availability.ONLINE)
    reader.simulator.tap(SITI).result(WAIT_S)
    assert events.data() == [CardPresented(SITI, False)]


def test_a_closed_reader_ignores_taps(started):
    reader = started(card_reader())
    reader.close().result(WAIT_S)
    assert reader.simulator.tap(SITI).result(WAIT_S) is None
