"""SAM e-KTP readers: a plugin found by its entry point runs on the reader's own thread;
its reads reach subscribers as IdentityRead (NIK verified by the SAM, no UID lookup), its
per-card errors as read failures, and a reader that cannot work shows in the status and
is reopened by itself."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from cardreader.base import CardReadFailed, CardRemoved
from cardreader.registry import CARD_READERS
from cardreader.sam import (
    Fingerprint,
    IdentityRead,
    SamCardReader,
    SamCardReaderSettings,
    SamErrorKind,
    SamRead,
    SamReaderPlugin,
)
from cardreader.sam_simulated import SimulatedSamReader
from drivers.model import Availability, DataReceived, DeviceError, MediaState, StatusChanged
from tests.devices.conftest import EventRecorder

NIK = "3523014708900001"
WAIT_S = 5.0


class Recorder(EventRecorder):
    """The devices' recorder, asked for the latest matching event (a reader may repeat)."""

    def wait(self, matches, timeout_s: float = WAIT_S) -> Any:
        self.wait_for(matches, timeout_s)
        with self._changed:
            return [e for e in self.events if matches(e)][-1]

    def data_of(self, kind: type) -> Any:
        return self.wait(lambda e: isinstance(e, DataReceived) and isinstance(e.data, kind)).data

    def status(self, **fields: Any) -> Any:
        return self.wait(
            lambda e: (
                isinstance(e, StatusChanged)
                and all(getattr(e.current, k) == v for k, v in fields.items())
            )
        ).current


def sam_reader(**options: Any) -> SamCardReader:
    table = {"type": "sam", "plugin": "simulated", "options": options}
    return SamCardReader("reader", SamCardReaderSettings.model_validate(table))


@pytest.fixture
def started() -> Iterator[Any]:
    readers: list[SamCardReader] = []

    def start(reader: SamCardReader) -> tuple[SamCardReader, SimulatedSamReader, Recorder]:
        readers.append(reader)
        recorder = Recorder(reader)
        reader.start("kiosk").result(WAIT_S)
        plugin = reader.plugin
        assert isinstance(plugin, SimulatedSamReader)
        return reader, plugin, recorder

    yield start
    for reader in readers:
        reader.close().future.exception(WAIT_S)


def test_the_config_type_and_the_entry_point_find_the_simulated_plugin():
    assert CARD_READERS.resolve("sam") is SamCardReader
    reader = sam_reader()
    assert isinstance(reader.plugin, SimulatedSamReader)
    assert isinstance(reader.plugin, SamReaderPlugin)


def test_an_unknown_plugin_is_refused_naming_the_installed_ones():
    with pytest.raises(DeviceError, match=r"no SAM reader plugin 'acme'.*installed: simulated"):
        SamCardReader(
            "reader", SamCardReaderSettings.model_validate({"type": "sam", "plugin": "acme"})
        )
    with pytest.raises(ValidationError):
        SamCardReaderSettings.model_validate({"type": "sam"})


def test_a_read_is_an_identity_with_the_fingerprint_result_and_no_uid(started):
    _reader, plugin, recorder = started(sam_reader(fingerprint=True))
    recorder.status(availability=Availability.ONLINE)
    plugin.present(NIK, "Siti Rahayu", fingerprint_matches=True)
    read = recorder.data_of(IdentityRead)
    assert (read.nik, read.name, read.fingerprint) == (NIK, "Siti Rahayu", Fingerprint.MATCHED)
    assert "SIM-0001" in read.reader
    assert NIK not in repr(read) and "Siti" not in repr(read)  # safe in a log line
    recorder.status(media=MediaState.PRESENT)
    plugin.remove()
    recorder.data_of(CardRemoved)


def test_a_reader_without_a_sensor_says_so():
    plugin = SimulatedSamReader()
    plugin.open({})
    plugin.present(NIK, "Siti Rahayu", fingerprint_matches=True)
    assert plugin.wait_for_card(1.0) == SamRead(NIK, "Siti Rahayu", None, Fingerprint.NOT_SUPPORTED)


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        (SamErrorKind.CARD_REMOVED, "removed_mid_read"),
        (SamErrorKind.CARD_UNREADABLE, "unreadable"),
        (SamErrorKind.FINGERPRINT_TIMEOUT, "unreadable"),
    ],
)
def test_a_card_that_cannot_be_read_fails_that_read_and_the_next_card_works(started, kind, reason):
    _reader, plugin, recorder = started(sam_reader())
    plugin.fail_next(kind)
    assert recorder.data_of(CardReadFailed).reason == reason
    plugin.present(NIK, "Siti Rahayu")
    assert recorder.data_of(IdentityRead).nik == NIK


def test_a_malformed_nik_from_a_plugin_is_a_failed_read_not_an_identity(started):
    _reader, plugin, recorder = started(sam_reader())
    plugin.present("12345", "Siti Rahayu")
    assert recorder.data_of(CardReadFailed).reason == "unreadable"


def test_an_unplugged_reader_is_no_device_and_is_reopened_when_plugged_back(started):
    _reader, plugin, recorder = started(sam_reader())
    recorder.status(availability=Availability.ONLINE)
    plugin.unplug()
    status = recorder.status(availability=Availability.NO_DEVICE)
    assert "not connected" in status.detail
    plugin.plug()
    recorder.status(availability=Availability.ONLINE)
    plugin.present(NIK, "Siti Rahayu")
    assert recorder.data_of(IdentityRead).nik == NIK


def test_a_plugin_that_crashes_does_not_kill_the_reader(started):
    class Crashing(SimulatedSamReader):
        calls = 0

        def wait_for_card(self, timeout_s: float) -> SamRead | None:
            Crashing.calls += 1
            if Crashing.calls == 1:
                raise RuntimeError("vendor SDK segfault, almost")
            return super().wait_for_card(timeout_s)

    class CrashingReader(SamCardReader):
        plugin_factory = staticmethod(lambda name: Crashing())

    _reader, plugin, recorder = started(
        CrashingReader(
            "reader", SamCardReaderSettings.model_validate({"type": "sam", "plugin": "x"})
        )
    )
    recorder.status(availability=Availability.NO_DEVICE)  # "plugin error: ..."
    recorder.status(availability=Availability.ONLINE)  # reopened
    plugin.present(NIK, "Siti Rahayu")
    assert recorder.data_of(IdentityRead).nik == NIK
