"""The offline service end to end, against a real `apm-server` process that goes away.

Submit while the backend is down, leave with a receipt, the request arrives when the link
returns, the signed letter is prefetched, and pickup prints it while the backend is down
again. The kiosk is the real runtime (flow, outbox, sync worker, print service, simulated
devices) hosted as the Qt bridge would host it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from apm_api.signature import validate_signed_pdf
from kiosk.backend.client import BackendClient
from kiosk.config import KioskSettings, load_config_text
from kiosk.flow import Screen
from kiosk.flow import events as ev
from kiosk.runtime import KioskRuntime
from printer.escpos_text import decode_escpos
from tests.harness import SIMULATED_DEVICES, Host, ServerProcess

SITI_UID = "04A3B2C1D0E1F2"


def kiosk_settings(tmp_path: Path, server: ServerProcess) -> KioskSettings:
    text = f"""
[kiosk]
state_dir = "{(tmp_path / "kiosk").as_posix()}"
fullscreen = false
[backend]
url = "{server.url}"
token = "{server.kiosk_token}"
connect_timeout_s = 0.5
read_timeout_s = 3.0
[signature]
trust_anchors = ["{server.ca_cert_path.as_posix()}"]
[sync]
retry_min_s = 0.1
retry_max_s = 0.5
down_after_failures = 2
prefetch_every_s = 0.3
[timeouts]
submit_s = 5.0
{SIMULATED_DEVICES}"""
    return load_config_text(text, source="<test config>", base_dir=tmp_path)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    running = ServerProcess(tmp_path / "server", auto_sign_delay_s=0.0).start()
    yield running
    running.stop()


@pytest.fixture
def host(tmp_path: Path, server: ServerProcess) -> Iterator[Host]:
    settings = kiosk_settings(tmp_path, server)
    kiosk = Host(lambda post: KioskRuntime(settings, post))
    kiosk.runtime.start()
    yield kiosk
    kiosk.runtime.shutdown()


def test_submit_offline_then_sync_prefetch_and_pickup_offline(host: Host, server: ServerProcess):
    host.pump_until(lambda: host.state.ready)  # catalogue fetched once, and cached on disk
    host.pump_until(lambda: host.runtime.devices["card_reader"].lifecycle.value == "enabled")
    server.stop()

    # --- a citizen comes while the village link is down ---------------------------------
    host.simulator("card_reader").tap(SITI_UID)
    host.on(Screen.SERVICES, timeout_s=30)
    assert host.runtime.view()["identityNote"]  # identified offline: unverified, said so
    host.send(ev.ChooseService("SKD"))
    host.send(ev.SetField("keperluan", "Melamar pekerjaan"))
    host.send(ev.SetField("alamat_domisili", "Dusun Krajan RT 002 RW 001"))
    host.send(ev.Next())
    host.send(ev.Confirm())
    host.on(Screen.DONE, timeout_s=30)
    assert host.state.queued
    host.pump_until(lambda: len(host.simulator("receipt_printer").printed()) == 1)
    receipt = decode_escpos(host.simulator("receipt_printer").printed()[0].data)
    reference = host.state.kiosk_reference
    assert reference and reference in receipt
    code = re.search(r"Kode ambil\s*:?\s*([0-9]{4}-[0-9]{4}-[0-9]{4})", receipt)
    assert code, receipt
    pickup_code = code.group(1).replace("-", "")
    host.send(ev.Finish())
    assert host.state.screen is Screen.ATTRACT

    # --- the link returns: the request arrives once, the letter is prefetched ------------
    server.start()
    storage = host.runtime.storage
    host.pump_until(lambda: _local(host, pickup_code).request_id is not None, timeout_s=30)
    request_id = _local(host, pickup_code).request_id
    client = BackendClient(server.url, server.kiosk_token)
    answer = client.request_status(request_id)
    assert answer.identity_verified is False  # the back office checks it
    assert answer.kiosk_reference == reference
    host.pump_until(lambda: _local(host, pickup_code).letter_on_disk, timeout_s=30)
    assert storage.outbox.counts().get("pending", 0) == 0

    # --- the link is down again; the citizen comes back with the receipt -----------------
    server.stop()
    host.send(ev.OpenPickup())
    host.send(ev.SubmitPickupCode(f"APM1:AMBIL:{pickup_code}"))  # what the scanner types
    host.on(Screen.REQUESTS)
    [row] = host.runtime.view()["myRequests"]
    assert row["printable"] and row["id"] == request_id
    host.send(ev.PrintReady(request_id))
    host.on(Screen.DONE, timeout_s=30)
    [letter] = host.simulator("document_printer").printed()
    assert validate_signed_pdf(letter.data, server.ca_cert_path.read_bytes()).ok

    # --- and the backend learns it was printed when it is back --------------------------
    server.start()
    deadline = time.monotonic() + 30
    while client.request_status(request_id).status.value != "collected":
        assert time.monotonic() < deadline, "the print was never reported"
        time.sleep(0.1)
    assert len(host.simulator("document_printer").printed()) == 1


def _local(host: Host, pickup_code: str):
    found = host.runtime.storage.requests.by_pickup_code(pickup_code)
    assert found is not None
    return found
