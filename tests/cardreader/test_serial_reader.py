"""Serial card readers: the framing parser (pure, timestamps passed in), then the driver
over a real pty pair made by socat, which can be unplugged and plugged back."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest
from pydantic import ValidationError

from cardreader.base import CardPresented
from cardreader.serial_reader import FrameParser, SerialCardReader, SerialCardReaderSettings
from cardreader.wedge import CodeScanned
from drivers.model import Availability, DataReceived, HealthLevel, Lifecycle
from tests.cardreader.conftest import PtyCable
from tests.devices.conftest import OWNER, WAIT_S, EventRecorder

SITI = "04A3B2C1D0E1F2"
SITI_17_DIGITS = str(int.from_bytes(bytes.fromhex(SITI), "little"))
BUDI = "5A3C9E01"
BUDI_10_DIGITS = str(int.from_bytes(bytes.fromhex(BUDI), "little")).zfill(10)
STX, ETX = b"\x02", b"\x03"


# --- framing -------------------------------------------------------------------------------


def stx_etx() -> FrameParser:
    return FrameParser(STX, ETX, max_frame=32, timeout_s=0.5)


def test_frames_between_prefix_and_suffix_with_garbage_around_them():
    parser = stx_etx()
    data = b"\xff\x00BOOT v1.2\r\n" + STX + b"5A3C9E01" + ETX + b"\r\n~~" + STX + b"04A3" + ETX
    assert parser.feed(data, 0.0) == [b"5A3C9E01", b"04A3"]


def test_a_frame_split_across_reads_is_put_back_together():
    parser = stx_etx()
    assert parser.feed(b"\x02" + b"04A3B2", 0.00) == []
    assert parser.feed(b"C1D0", 0.01) == []
    assert parser.feed(b"E1F2\x03\x02" + b"5A", 0.02) == [SITI.encode()]
    assert parser.feed(b"3C9E01\x03", 0.03) == [BUDI.encode()]


def test_a_prefix_or_suffix_split_across_reads_still_frames():
    parser = FrameParser(b"<<", b"\r\n", max_frame=32, timeout_s=0.5)
    assert parser.feed(b"noise<", 0.0) == []
    assert parser.feed(b"<5A3C9E01\r", 0.1) == []
    assert parser.feed(b"\n", 0.2) == [BUDI.encode()]


def test_a_frame_cut_short_by_the_next_prefix_is_dropped():
    parser = stx_etx()
    assert parser.feed(STX + b"04A3B2" + STX + BUDI.encode() + ETX, 0.0) == [BUDI.encode()]


def test_a_partial_frame_that_went_stale_is_not_glued_to_the_next():
    without_prefix = FrameParser(b"", b"\r\n", max_frame=32, timeout_s=0.5)
    assert without_prefix.feed(b"04A3", 0.0) == []  # the reader was unplugged mid-frame
    assert without_prefix.feed(BUDI.encode() + b"\r\n", 3.0) == [BUDI.encode()]
    fresh = FrameParser(b"", b"\r\n", max_frame=32, timeout_s=0.5)
    assert fresh.feed(b"04A3", 0.0) == []
    assert fresh.feed(b"B2C1\r\n", 0.1) == [b"04A3B2C1"]  # in time: one frame


def test_without_a_prefix_binary_noise_before_the_uid_is_not_part_of_it():
    parser = FrameParser(b"", b"\r\n", max_frame=32, timeout_s=0.5)
    assert parser.feed(b"\x00\xfe\x11" + BUDI_10_DIGITS.encode() + b"\r\n", 0.0) == [
        BUDI_10_DIGITS.encode()
    ]


def test_an_endless_frame_is_dropped_and_the_parser_recovers():
    parser = stx_etx()
    assert parser.feed(STX + b"9" * 100, 0.0) == []
    assert parser.feed(b"9" * 100 + STX + BUDI.encode() + ETX, 0.1) == [BUDI.encode()]
    plain = FrameParser(b"", b"\r\n", max_frame=32, timeout_s=0.5)
    assert plain.feed(b"x" * 500, 0.0) == []  # never a line end: at most one frame kept
    assert plain.feed(b"\r\n" + BUDI.encode() + b"\r\n", 0.1) == [b"x" * 32, BUDI.encode()]


def test_a_frame_needs_a_suffix():
    with pytest.raises(ValueError):
        FrameParser(STX, b"")


# --- settings ------------------------------------------------------------------------------


def settings(**table: Any) -> SerialCardReaderSettings:
    return SerialCardReaderSettings.model_validate({"type": "serial", "port": "/dev/x", **table})


def test_prefix_and_suffix_take_toml_and_python_escapes():
    assert settings(prefix="\u0002", suffix="\u0003").suffix == "\x03"  # TOML "\u0003"
    literal = settings(prefix="\\x02", suffix="\\r\\n")  # TOML '\x02' (a literal string)
    assert (literal.prefix, literal.suffix) == ("\x02", "\r\n")


@pytest.mark.parametrize(
    ("table", "where"),
    [({"suffix": ""}, "suffix"), ({"prefix": "\u20ac"}, "prefix"), ({"prefix": "\\x"}, "prefix"),
     ({"uid_format": "octal"}, "uid_format"), ({"baud": 9600}, "baud"), ({"port": ""}, "port")],
)  # fmt: skip
def test_bad_settings_are_refused_with_their_key(table: dict[str, Any], where: str):
    with pytest.raises(ValidationError) as raised:
        settings(**table)
    assert where in str(raised.value)


# --- the driver over a real pty ------------------------------------------------------------


def reader(cable: PtyCable, **table: Any) -> SerialCardReader:
    defaults = {"reopen_s": 0.1, "repeat_suppress_s": 0, "prefix": "\u0002", "suffix": "\u0003"}
    return SerialCardReader(
        "reader", settings(**{**defaults, "port": str(cable.reader_port), **table})
    )


def wait_cards(recorder: EventRecorder, count: int) -> list[Any]:
    recorder.wait_for(lambda _e: len(recorder.data()) >= count)
    return recorder.data()


def test_a_tap_over_a_serial_line_is_a_card(cable: PtyCable, started):
    cable.plug()
    device = started(reader(cable))
    recorder = EventRecorder(device)
    assert device.status.availability is Availability.ONLINE
    cable.send(STX + SITI.encode() + ETX)
    assert wait_cards(recorder, 1) == [CardPresented(SITI, uid_is_random=False)]


def test_decimal_and_hex_forms_of_a_card_are_the_same_card(cable: PtyCable, started):
    cable.plug()
    recorder = EventRecorder(started(reader(cable, prefix="", suffix="\r\n")))
    for form in (SITI_17_DIGITS, SITI.lower(), BUDI_10_DIGITS, BUDI):
        cable.send(form.encode() + b"\r\n")
    uids = [event.uid for event in wait_cards(recorder, 4)]
    assert uids == [SITI, SITI, BUDI, BUDI]


def test_garbage_and_split_frames_on_the_line(cable: PtyCable, started):
    cable.plug()
    recorder = EventRecorder(started(reader(cable)))
    cable.send(b"\xff\x00\x13noise\r\n" + STX + b"04A3B2")
    time.sleep(0.05)  # the rest of the frame comes in another read
    cable.send(b"C1D0E1F2" + ETX + b"junk" + STX + b"5A3C" + STX + BUDI.encode() + ETX)
    assert [event.uid for event in wait_cards(recorder, 2)] == [SITI, BUDI]
    time.sleep(0.2)
    assert len(recorder.data()) == 2  # the frame cut short gave nothing


def test_a_card_left_on_a_reader_that_repeats_it_is_one_tap(cable: PtyCable, started):
    cable.plug()
    recorder = EventRecorder(started(reader(cable, repeat_suppress_s=1.0)))
    cable.send((STX + SITI.encode() + ETX) * 3 + STX + BUDI.encode() + ETX)
    assert [event.uid for event in wait_cards(recorder, 2)] == [SITI, BUDI]
    time.sleep(0.2)
    assert len(recorder.data()) == 2


def test_lines_that_are_not_uids(cable: PtyCable, started):
    cable.plug()
    device = started(reader(cable))
    recorder = EventRecorder(device)
    cable.send(STX + b"HELLO" + ETX + STX + BUDI.encode() + ETX)
    assert [event.uid for event in wait_cards(recorder, 1)] == [BUDI]  # HELLO ignored
    report = device.check_health(HealthLevel.INTERNAL).result(WAIT_S)
    assert any(check.detail.startswith("1 unusable line") for check in report.checks)


def test_a_scanner_may_deliver_codes(cable: PtyCable, started):
    cable.plug()
    recorder = EventRecorder(started(reader(cable, prefix="", suffix="\r", accept_codes=True)))
    cable.send(b"APM1:AMBIL:123456789012\r")
    assert wait_cards(recorder, 1) == [CodeScanned("APM1:AMBIL:123456789012")]


def test_a_disabled_reader_delivers_nothing(cable: PtyCable, started):
    cable.plug()
    device = started(reader(cable))
    recorder = EventRecorder(device)
    device.disable(OWNER).result(WAIT_S)
    cable.send(STX + SITI.encode() + ETX)
    time.sleep(0.3)
    device.enable(OWNER).result(WAIT_S)
    cable.send(STX + BUDI.encode() + ETX)
    assert [event.uid for event in wait_cards(recorder, 1)] == [BUDI]


def test_a_missing_port_is_no_device_until_it_appears(cable: PtyCable, started):
    device = started(reader(cable))
    recorder = EventRecorder(device)
    assert device.lifecycle is Lifecycle.ENABLED  # a missing reader does not stop the kiosk
    assert device.status.availability is Availability.NO_DEVICE
    assert "no such port" in device.status.detail
    cable.plug()
    recorder.wait_status(availability=Availability.ONLINE)
    cable.send(STX + BUDI.encode() + ETX)
    assert [event.uid for event in wait_cards(recorder, 1)] == [BUDI]


def test_a_port_that_vanishes_and_returns(cable: PtyCable, started):
    cable.plug()
    device = started(reader(cable))
    recorder = EventRecorder(device)
    cable.send(STX + SITI.encode() + ETX)
    wait_cards(recorder, 1)
    cable.unplug()
    recorder.wait_status(availability=Availability.NO_DEVICE)
    cable.plug()
    recorder.wait_status(availability=Availability.ONLINE)
    cable.send(STX + BUDI.encode() + ETX)
    assert [event.uid for event in wait_cards(recorder, 2)] == [SITI, BUDI]
    changes = [change.current.availability for change in recorder.status_changes()]
    assert changes[-2:] == [Availability.NO_DEVICE, Availability.ONLINE]


def test_uids_never_reach_the_log_or_the_status(cable: PtyCable, started, caplog):
    caplog.set_level(logging.DEBUG)
    cable.plug()
    device = started(reader(cable, prefix="", suffix="\r\n"))
    recorder = EventRecorder(device)
    cable.send(f"{SITI}\r\n{BUDI_10_DIGITS}\r\nAPM1:AMBIL:123456789012\r\n".encode())
    wait_cards(recorder, 2)
    time.sleep(0.2)
    logged = caplog.text
    for secret in (SITI, BUDI, BUDI_10_DIGITS, "123456789012"):
        assert secret not in logged
        assert secret not in repr(recorder.status_changes())
    assert "card 04…(14 chars)" in logged  # but the log says that a card was read


def test_events_are_data_events_on_the_io_thread(cable: PtyCable, started):
    cable.plug()
    device = started(reader(cable))
    threads: list[str] = []

    def listener(event: Any) -> None:
        if isinstance(event, DataReceived):
            threads.append(threading.current_thread().name)

    device.subscribe(listener)
    recorder = EventRecorder(device)
    cable.send(STX + SITI.encode() + ETX)
    wait_cards(recorder, 1)
    assert threads == ["io-reader_0"]
