"""The kiosk with a PC/SC reader: the virtual e-KTP on a real pcscd identifies the demo
resident through the reference backend on loopback; a refused read, a card lifted
mid-read and an unknown card each tell the citizen what happened, and the next tap
identifies. And the shipped example config for PC/SC kiosks loads with the real driver."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from apm_api.models import Text
from apm_server.app import start_server
from apm_server.signing import ensure_demo_ca
from cardreader.pcsc import PcscCardReader, PcscCardReaderSettings
from drivers.sim.virtual_card import CardMode, VirtualCard
from kiosk.config import default_registries, load_config, load_config_text
from kiosk.demo.embedded import runtime_options
from kiosk.flow import Screen, texts
from kiosk.runtime import KioskRuntime
from tests.harness import Host
from tests.pcsc.pcscd import Pcscd

REPO = Path(__file__).resolve().parents[2]
SITI_UID = "04A3B2C1D0E1F2"
UNKNOWN_UID = "04FFEEDDCCBBAA"
WAIT_S = 10.0


def pcsc_kiosk_config(tmp_path: Path, url: str, ca_pem: Path) -> str:
    """A kiosk like config/pcsc.toml, on a simulated receipt printer and A4 printer."""
    return f"""
[kiosk]
state_dir = "{(tmp_path / "kiosk").as_posix()}"
fullscreen = false
[backend]
url = "{url}"
token = "demo-kiosk-token"
connect_timeout_s = 1.0
read_timeout_s = 2.0
[signature]
trust_anchors = ["{ca_pem.as_posix()}"]
[devices.receipt_printer]
type = "escpos"
transport = {{ type = "simulated" }}
[devices.document_printer]
type = "simulated"
print_delay_s = 0.0
[devices.card_reader]
type = "pcsc"
reader = "Virtual PCD 00 00"
"""


@pytest.fixture
def host(tmp_path: Path, running_pcscd: Pcscd) -> Iterator[Host]:
    server = start_server(tmp_path / "server", auto_sign_delay_s=None)
    ca_pem = tmp_path / "server" / "demo-ca" / "ca.pem"
    text = pcsc_kiosk_config(tmp_path, server.url, ca_pem)
    settings = load_config_text(text, source="<pcsc test config>", base_dir=tmp_path)
    kiosk = Host(lambda post: KioskRuntime(settings, post, **runtime_options(settings)))
    kiosk.runtime.start()
    try:
        yield kiosk
    finally:
        kiosk.runtime.shutdown()
        server.stop()


def ready(host: Host) -> None:
    reader = host.runtime.devices["card_reader"]
    assert isinstance(reader, PcscCardReader)
    host.pump_until(lambda: host.state.ready and reader.lifecycle.value == "enabled", WAIT_S)
    host.pump_until(lambda: reader.status.usable, WAIT_S)


def tap_and_see(host: Host, card: VirtualCard, message: Text, **insert) -> None:
    """Tap, wait until the identify screen says `message`, lift the card."""
    card.insert(**insert)
    host.pump_until(
        lambda: host.state.screen is Screen.IDENTIFY and host.state.identify_error == message,
        WAIT_S,
    )
    card.remove()
    card.wait_removed(WAIT_S)


def test_a_tap_on_a_pcsc_reader_identifies_the_demo_resident(host: Host, running_pcscd):
    ready(host)
    with VirtualCard(port=running_pcscd.port, uid=SITI_UID) as card:
        card.insert()
        host.on(Screen.SERVICES, WAIT_S)
    assert host.state.resident is not None and host.state.resident.display_name == "Siti Rahayu"


def test_failed_reads_and_unknown_cards_tell_the_citizen_and_the_next_tap_identifies(
    host: Host, running_pcscd
):
    ready(host)
    with VirtualCard(port=running_pcscd.port, uid=SITI_UID) as card:
        tap_and_see(host, card, texts.CARD_UNREADABLE, mode=CardMode.REFUSE_GET_DATA)

        tap_and_see(host, card, texts.CARD_REMOVED, mode=CardMode.REMOVED_MID_READ)

        tap_and_see(host, card, texts.UNKNOWN_CARD, uid=UNKNOWN_UID, mode=CardMode.NORMAL)

        tap_and_see(host, card, texts.RANDOM_UID, mode=CardMode.RANDOM_UID)

        card.insert(uid=SITI_UID, mode=CardMode.NORMAL)
        host.on(Screen.SERVICES, WAIT_S)
    assert host.state.resident is not None and host.state.resident.display_name == "Siti Rahayu"


# --- the shipped example -------------------------------------------------------------------


def install_example(folder: Path) -> Path:
    path = folder / "pcsc.toml"
    shutil.copyfile(REPO / "config" / "pcsc.toml", path)
    (folder / "trust").mkdir()
    ca = ensure_demo_ca(folder / "ca", "Kepala Desa Contoh", "Contoh")
    shutil.copyfile(ca.ca_cert, folder / "trust" / "bsre-root.pem")
    return path


def test_the_pcsc_example_config_loads_with_the_real_driver(tmp_path: Path):
    path = install_example(tmp_path)
    settings = load_config(path, registries=default_registries())
    assert settings.device_type("card_reader") == "pcsc"
    reader = settings.device_settings("card_reader")
    assert isinstance(reader, PcscCardReaderSettings) and reader.reader is None

    # Its commented `# key = value` lines are valid too (the reader pattern is an example).
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"(?m)^# ([a-z_]+ = \S+)", r"\1", text), encoding="utf-8")
    uncommented = load_config(path, registries=default_registries())
    reader = uncommented.device_settings("card_reader")
    assert isinstance(reader, PcscCardReaderSettings)
    assert (reader.reader, reader.retry_s, reader.uid_byte_order) == ("ACR122", 1.0, "as-read")


# --- the demo on the virtual card ------------------------------------------------------------


def test_the_demo_plays_its_cards_and_card_faults_on_the_virtual_card(
    tmp_path: Path, running_pcscd: Pcscd
):
    """`apm-kiosk demo --card-reader virtual-card`: the developer panel's taps and card
    faults go to the virtual e-KTP, through the real pcscd and the PC/SC driver."""
    from kiosk.ui.demo import DemoLaunch, demo_runtime_loader

    launch = DemoLaunch(state_dir=tmp_path, card_reader=f"virtual-card:{running_pcscd.port}")
    demo = Host(demo_runtime_loader(launch))
    demo.runtime.start()
    try:
        ready(demo)
        card = launch.virtual_card
        assert card is not None
        card.inject("card_removed_mid_read")
        card.tap(SITI_UID)
        demo.pump_until(lambda: demo.state.identify_error == texts.CARD_REMOVED, WAIT_S)
        card.remove()
        card.clear("card_removed_mid_read")
        card.tap(SITI_UID)
        demo.on(Screen.SERVICES, WAIT_S)
        assert demo.state.resident is not None
        assert demo.state.resident.display_name == "Siti Rahayu"
    finally:
        demo.runtime.shutdown()
    assert not launch.virtual_card.card.inserted  # lifted when the demo stopped
