"""The whole kiosk without its face: flow + runtime + simulated devices + a real backend.

The reference server runs on loopback; events travel through the same `post` -> queue ->
`dispatch` path the Qt bridge uses, only pumped by the test instead of the GUI loop.
"""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from apm_api.models import IdentifyByCard
from apm_api.signature import validate_signed_pdf
from apm_server.app import start_server
from kiosk.backend.client import BackendClient
from kiosk.config import load_config_text
from kiosk.demo.embedded import runtime_options
from kiosk.demo.settings import demo_settings
from kiosk.flow import Screen
from kiosk.flow import effects as fx
from kiosk.flow import events as ev
from kiosk.runtime import KioskRuntime
from printer.escpos_text import decode_escpos
from tests.harness import SIMULATED_DEVICES, Host

SITI_UID = "04A3B2C1D0E1F2"


@pytest.fixture
def server(tmp_path: Path) -> Iterator:
    running = start_server(tmp_path / "server", auto_sign_delay_s=None)
    yield running
    running.stop()


def trust_anchor(tmp_path: Path) -> Path:
    """The reference server's demo CA when one runs here, else another CA of our own."""
    from apm_server.signing import ensure_demo_ca

    served = tmp_path / "server" / "demo-ca" / "ca.pem"
    if served.is_file():
        return served
    return ensure_demo_ca(tmp_path / "other-ca", "Kepala Lain", "Lain").ca_cert


def settings_for(tmp_path: Path, url: str, token: str = "demo-kiosk-token", extra: str = ""):
    text = f"""{extra}
[kiosk]
state_dir = "{(tmp_path / "kiosk").as_posix()}"
fullscreen = false
[backend]
url = "{url}"
token = "{token}"
connect_timeout_s = 1.0
read_timeout_s = 2.0
[signature]
trust_anchors = ["{trust_anchor(tmp_path).as_posix()}"]
{SIMULATED_DEVICES}"""
    return load_config_text(text, source="<test config>", base_dir=tmp_path)


@pytest.fixture
def make_host(tmp_path: Path) -> Iterator[Callable[..., Host]]:
    hosts: list[Host] = []

    def make(settings, **kwargs) -> Host:
        host = Host(
            lambda post: KioskRuntime(settings, post, **{**runtime_options(settings), **kwargs})
        )
        host.runtime.start()
        hosts.append(host)
        return host

    yield make
    for host in hosts:
        host.runtime.shutdown()


def walk_to_confirm(host: Host, purpose: str = "Melamar pekerjaan") -> None:
    host.pump_until(lambda: host.state.ready)
    host.pump_until(lambda: host.runtime.devices["card_reader"].lifecycle.value == "enabled")
    host.simulator("card_reader").tap(SITI_UID)
    host.on(Screen.SERVICES)
    host.send(ev.ChooseService("SKD"))
    host.send(ev.SetField("keperluan", purpose))
    host.send(ev.Next())
    assert host.state.screen is Screen.CONFIRM


def test_demo_path_prints_the_signed_letter_and_a_receipt(tmp_path: Path, make_host):
    host = make_host(demo_settings(tmp_path, auto_sign_s=0.2))
    walk_to_confirm(host)
    host.send(ev.Confirm())
    host.on(Screen.DONE, timeout_s=30)
    tracking = host.state.request.tracking_code

    [letter] = host.simulator("document_printer").printed()
    assert letter.data.startswith(b"%PDF-")
    ca_pem = next(Path(host.runtime.settings.state_dir).rglob("ca.pem")).read_bytes()
    check = validate_signed_pdf(letter.data, ca_pem)
    assert check.intact and check.valid and check.trusted

    [receipt] = host.simulator("receipt_printer").printed()
    text = decode_escpos(receipt.data)
    assert tracking in text
    assert "Siti Rahayu" in text
    assert "3523014708900001" not in text  # the receipt shows the NIK masked

    host.send(ev.Rate(4))
    host.send(ev.Finish())
    assert host.state.screen is Screen.ATTRACT
    # Printed and reported: the letter and the request's personal data leave the disk.
    letters = Path(host.runtime.settings.state_dir) / "letters"
    host.pump_until(
        lambda: not any(letters.glob("*.pdf")) and not host.runtime.storage.requests.all()
    )


def test_paper_out_on_the_a4_printer_then_retry_prints_exactly_once(
    tmp_path: Path, make_host, server
):
    host = make_host(settings_for(tmp_path, server.url))
    walk_to_confirm(host)
    host.simulator("document_printer").inject("paper_out")
    host.send(ev.Confirm())
    host.on(Screen.WAITING)
    request_id = host.state.request.id
    signed = requests.post(
        f"{server.url}/api/v1/admin/requests/{request_id}/sign",
        headers={"Authorization": f"Bearer {server.admin_token}"},
        timeout=10,
    )
    assert signed.status_code == 200
    host.on(Screen.NOTICE)
    view = host.runtime.view()
    assert view["notice"]["canRetry"] is True
    assert view["notice"]["trackingCode"] == host.state.request.tracking_code
    assert host.simulator("document_printer").printed() == []

    host.simulator("document_printer").clear("paper_out")
    host.send(ev.AnswerNotice(ev.NoticeChoice.RETRY))
    host.on(Screen.DONE)
    assert len(host.simulator("document_printer").printed()) == 1

    client = BackendClient(server.url, server.kiosk_token)
    deadline = time.monotonic() + 10
    while client.request_status(request_id).status.value != "collected":
        assert time.monotonic() < deadline, "the kiosk never reported the letter printed"
        time.sleep(0.05)


def test_come_back_later_and_print_after_signing(tmp_path: Path, make_host, server):
    host = make_host(settings_for(tmp_path, server.url))
    walk_to_confirm(host, "Mendaftar sekolah anak")
    host.send(ev.Confirm())
    host.on(Screen.WAITING)
    request_id = host.state.request.id
    host.send(ev.FinishLater())
    host.send(ev.Finish())
    assert host.state.screen is Screen.ATTRACT
    # The citizen left with a receipt (the print job finishes on the printer's own thread).
    host.pump_until(lambda: len(host.simulator("receipt_printer").printed()) == 1)

    requests.post(
        f"{server.url}/api/v1/admin/requests/{request_id}/sign",
        headers={"Authorization": f"Bearer {server.admin_token}"},
        timeout=10,
    ).raise_for_status()

    host.simulator("card_reader").tap(SITI_UID)
    host.on(Screen.SERVICES)
    host.pump_until(lambda: bool(host.state.ready_requests))
    assert [r.id for r in host.state.ready_requests] == [request_id]
    host.send(ev.PrintReady(request_id))
    host.on(Screen.DONE)
    assert len(host.simulator("document_printer").printed()) == 1


def test_backend_not_running_gives_an_offline_screen(tmp_path: Path, make_host):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    host = make_host(settings_for(tmp_path, f"http://127.0.0.1:{closed_port}"))
    host.pump_until(lambda: host.state.backend_unreachable)
    assert host.runtime.view()["offline"] is True
    host.send(ev.Start())
    assert host.state.screen is Screen.NOTICE
    assert host.runtime.view()["notice"]["title"] == "Kios belum siap"


class GarbageHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html>502 Bad Gateway</html>" if "catalogue" in self.path else b'{"kiosk_id": 7'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def test_backend_answering_garbage_is_a_calm_not_ready_screen(tmp_path: Path, make_host):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), GarbageHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        host = make_host(settings_for(tmp_path, f"http://127.0.0.1:{httpd.server_port}"))
        loads = []
        original = host.runtime.flow.handle

        def spy(event):
            if isinstance(event, ev.KioskLoadFailed):
                loads.append(event.failure)
            return original(event)

        host.runtime.flow.handle = spy  # type: ignore[method-assign]
        host.pump_until(lambda: bool(loads))
        assert loads[0].kind is ev.FailureKind.PROTOCOL
        assert not host.state.ready
        assert host.runtime.view()["offline"] is False  # reachable, just wrong
    finally:
        httpd.shutdown()


def test_unknown_card_asks_for_nik_and_pin(tmp_path: Path, make_host, server):
    host = make_host(settings_for(tmp_path, server.url))
    host.pump_until(lambda: host.state.ready)
    host.pump_until(lambda: host.runtime.devices["card_reader"].lifecycle.value == "enabled")
    host.simulator("card_reader").tap("DEADBEEF")
    host.pump_until(lambda: host.state.identify_error is not None)
    assert host.state.screen is Screen.IDENTIFY
    assert "NIK dan PIN" in host.runtime.view()["identifyError"]


def test_a_failing_effect_does_not_cancel_the_ones_after_it(tmp_path: Path, make_host, server):
    """A bug in one effect (here: identification) must not leave the citizen stuck: the
    deadline scheduled after it still runs, and the kiosk goes on offline."""
    host = make_host(settings_for(tmp_path, server.url, extra="[timeouts]\nidentify_s = 1.0\n"))
    host.pump_until(lambda: host.state.ready)
    host.pump_until(lambda: host.runtime.devices["card_reader"].lifecycle.value == "enabled")

    def broken(effect) -> None:
        raise RuntimeError("a bug in the identify effect")

    host.runtime._handlers[fx.Identify] = broken
    host.simulator("card_reader").tap(SITI_UID)
    host.on(Screen.SERVICES, timeout_s=10)
    assert host.runtime.view()["identityNote"]  # went on without the backend's answer


def test_pickup_lookups_do_not_wait_behind_a_slow_backend(tmp_path: Path, make_host, server):
    """The kiosk's own records answer at once even while every backend worker hangs on a
    backend that takes its full timeout (a village link that is slow, not down)."""
    from kiosk.runtime import url_backend_factory

    settings = settings_for(tmp_path, server.url)
    make_client = url_backend_factory(settings)

    def slow_backend():
        time.sleep(3.0)  # a connection that takes its time to come up
        return make_client()

    host = make_host(settings, backend_factory=slow_backend)
    host.send(ev.RetryLoad())  # both backend workers are now busy for seconds
    host.send(ev.RetryLoad())
    host.send(ev.OpenPickup())
    started = time.monotonic()
    host.send(ev.SubmitPickupCode("1234-5678-9012"))
    host.pump_until(lambda: host.state.pickup_error is not None, timeout_s=10)
    assert time.monotonic() - started < 1.5
    assert "tidak ditemukan" in host.runtime.view()["pickupError"]


def test_try_again_after_a_slow_save_queues_the_draft_once(tmp_path: Path, make_host, server):
    """The disk was slow: the submit deadline offered "try again" while the first save
    was still finishing. Trying again must not queue a second request, and the citizen
    gets a receipt with a pickup code that finds the one request."""
    host = make_host(settings_for(tmp_path, server.url, extra="[timeouts]\nsubmit_s = 0.5\n"))
    storage = host.runtime.storage
    first_save = threading.Event()
    queue_submit = storage.queue_submit

    def slow_once(*args, **kwargs):
        if not first_save.is_set():
            first_save.set()
            time.sleep(1.5)  # longer than the submit deadline
        return queue_submit(*args, **kwargs)

    storage.queue_submit = slow_once  # type: ignore[method-assign]
    walk_to_confirm(host)
    host.send(ev.Confirm())
    host.on(Screen.NOTICE)
    assert host.runtime.view()["notice"]["canRetry"]
    # Meanwhile the first save finishes and is even sent; the screen keeps its notice
    # (its events reach a flow that no longer waits for them, as on a real kiosk).
    host.pump_until(lambda: storage.outbox.counts().get("done", 0) == 1)
    assert host.state.screen is Screen.NOTICE
    host.send(ev.AnswerNotice(ev.NoticeChoice.RETRY))
    host.on(Screen.WAITING)
    assert len(storage.outbox.heads(10)) + storage.outbox.counts()["done"] == 1
    code = host.state.pickup_code
    assert code is not None
    found = storage.requests.by_pickup_code(code)
    assert found is not None and found.request_id == host.state.request.id
    client = BackendClient(server.url, server.kiosk_token)
    session = client.identify(IdentifyByCard(card_uid=SITI_UID))
    assert len(client.my_requests(session.session_token).requests) == 1


def test_a_receipt_held_for_paper_is_explained_then_printed_once(
    tmp_path: Path, make_host, server
):
    host = make_host(settings_for(tmp_path, server.url))
    receipts = host.simulator("receipt_printer")
    receipts.inject("paper_out")
    walk_to_confirm(host, "Mendaftar sekolah anak")
    host.send(ev.Confirm())
    host.on(Screen.WAITING)
    host.pump_until(lambda: "menunggu kertas" in host.runtime.view()["receiptProblem"])
    assert receipts.printed() == []
    receipts.clear("paper_out")
    host.pump_until(lambda: len(receipts.printed()) == 1)
    host.pump_until(lambda: not host.state.receipt_pending)  # ReceiptPrinted arrived
    assert host.runtime.view()["receiptProblem"] == ""


def test_a_held_receipt_is_cancelled_when_the_citizen_leaves(tmp_path: Path, make_host, server):
    """Its QR carries the pickup code: it must not come out for the next person."""
    host = make_host(settings_for(tmp_path, server.url))
    receipts = host.simulator("receipt_printer")
    receipts.inject("cover_open")
    walk_to_confirm(host, "Mendaftar sekolah anak")
    host.send(ev.Confirm())
    host.on(Screen.WAITING)
    host.pump_until(lambda: "menunggu kertas" in host.runtime.view()["receiptProblem"])
    host.send(ev.FinishLater())
    host.send(ev.Finish())
    host.on(Screen.ATTRACT)
    host.pump_until(lambda: not host.runtime._receipt_jobs)  # the job ended: cancelled
    receipts.clear("cover_open")
    printer = host.runtime.devices["receipt_printer"]
    printer.refresh_status().result(5)
    assert receipts.printed() == []
