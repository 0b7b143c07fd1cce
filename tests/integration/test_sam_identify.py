"""A kiosk with a SAM e-KTP reader: the chip's NIK identifies the citizen at the
reference backend with no card-UID lookup; a finger that does not match is refused at
the kiosk; a NIK that is not a resident's is told as such."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from apm_server.app import start_server
from kiosk.config import load_config_text
from kiosk.demo.embedded import runtime_options
from kiosk.flow import Screen
from kiosk.runtime import KioskRuntime
from tests.harness import SIMULATED_DEVICES, Host

SITI_NIK = "3523014708900001"

# The harness's simulated printers, with a SAM reader (the simulated plugin) for cards.
SAM_DEVICES = SIMULATED_DEVICES.split("[devices.card_reader]")[0] + (
    '[devices.card_reader]\ntype = "sam"\nplugin = "simulated"\noptions = { fingerprint = true }\n'
)


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Host]:
    server = start_server(tmp_path / "server", auto_sign_delay_s=None)
    text = f"""
[kiosk]
state_dir = "{(tmp_path / "kiosk").as_posix()}"
fullscreen = false
[backend]
url = "{server.url}"
token = "demo-kiosk-token"
connect_timeout_s = 1.0
read_timeout_s = 2.0
[signature]
trust_anchors = ["{(tmp_path / "server" / "demo-ca" / "ca.pem").as_posix()}"]
{SAM_DEVICES}"""
    settings = load_config_text(text, source="<test config>", base_dir=tmp_path)
    running = Host(lambda post: KioskRuntime(settings, post, **runtime_options(settings)))
    running.runtime.start()
    yield running
    running.runtime.shutdown()
    server.stop()


def sam(host: Host) -> Callable[..., None]:
    host.pump_until(lambda: host.state.ready)
    reader = host.runtime.devices["card_reader"]
    host.pump_until(lambda: reader.lifecycle.value == "enabled" and reader.status.usable)
    return reader.plugin.present  # type: ignore[attr-defined]


def test_the_chip_nik_identifies_the_resident_without_a_uid(host: Host):
    sam(host)(SITI_NIK, "SITI RAHAYU", fingerprint_matches=True)
    host.on(Screen.SERVICES)
    assert host.state.resident is not None
    assert host.state.resident.display_name == "Siti Rahayu"


def test_a_finger_that_does_not_match_is_refused_at_the_kiosk(host: Host):
    sam(host)(SITI_NIK, "SITI RAHAYU", fingerprint_matches=False)
    host.pump_until(lambda: "Sidik jari tidak cocok" in host.runtime.view()["identifyError"])
    assert host.state.resident is None


def test_a_nik_that_is_not_a_resident_is_told_so(host: Host):
    sam(host)("3523010101900009", "ORANG LAIN")
    host.pump_until(lambda: "tidak terdaftar" in host.runtime.view()["identifyError"])
    assert host.state.resident is None
