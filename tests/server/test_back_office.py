"""The village operator's page: incoming requests with the NIK masked, sign (on a worker,
so the page and the kiosks never wait for a signature) or reject with a reason. In a
browser: HTTP Basic with the admin token, plain forms guarded against other sites."""

from __future__ import annotations

import base64
import re
import threading
import time

import requests

from apm_server.demo_data import ADMIN_TOKEN
from apm_server.office import INLINE_SIGNERS
from tests.harness import serving

from .conftest import API, Kiosk, wait_for

LOGIN = {"Authorization": "Basic " + base64.b64encode(f"operator:{ADMIN_TOKEN}".encode()).decode()}
SITI_NIK = "3523014708900001"


def page(kiosk: Kiosk) -> str:
    answer = requests.get(f"{kiosk.server.url}{API}/admin/office", headers=LOGIN, timeout=30)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/html")
    return answer.text


def press(kiosk: Kiosk, form_action: str, **fields: str) -> requests.Response:
    """Submit a form as the browser does: urlencoded, the page's guard field included."""
    return requests.post(
        kiosk.server.url + form_action,
        data=fields,
        headers=LOGIN,
        allow_redirects=False,
        timeout=30,
    )


def form_of(text: str, request_id: str, action: str) -> tuple[str, str]:
    match = re.search(
        rf"action='([^']*/requests/{re.escape(request_id)}/{action})'>"
        r"<input type='hidden' name='guard' value='([0-9a-f]+)'>",
        text,
    )
    assert match, f"no {action} form for {request_id}"
    return match.group(1), match.group(2)


def test_the_operator_sees_requests_with_the_nik_masked(kiosk: Kiosk):
    request = kiosk.new_request("key-office-01", keperluan="Daftar <sekolah> & kursus")
    text = page(kiosk)
    assert request["tracking_code"] in text and "menunggu tanda tangan" in text
    assert "Surat Keterangan Domisili" in text
    assert SITI_NIK not in text and "3523" in text  # masked, not gone
    assert "Daftar &lt;sekolah&gt; &amp; kursus" in text  # a citizen's words, escaped


def test_signing_from_the_page_is_queued_and_done_by_the_worker(kiosk: Kiosk):
    request = kiosk.new_request("key-office-02")
    action, guard = form_of(page(kiosk), request["id"], "sign")
    answer = press(kiosk, action, guard=guard)
    assert answer.status_code == 303 and answer.headers["Location"].startswith(
        f"{API}/admin/office"
    )
    wait_for(lambda: kiosk.status(request["id"])["status"] == "ready")
    assert "siap dicetak" in page(kiosk)


def test_a_slow_signer_never_holds_up_the_page_or_the_kiosks(kiosk: Kiosk, monkeypatch):
    office = kiosk.server.office
    signing = threading.Event()
    real_sign = office.sign

    def slow_sign(request_id: str):
        signing.set()
        time.sleep(2.0)  # a signing server far away
        return real_sign(request_id)

    monkeypatch.setattr(office, "sign", slow_sign)
    request = kiosk.new_request("key-office-03")
    action, guard = form_of(page(kiosk), request["id"], "sign")
    started = time.monotonic()
    assert press(kiosk, action, guard=guard).status_code == 303
    assert time.monotonic() - started < 1.0
    assert signing.wait(5)
    started = time.monotonic()
    assert kiosk.call("GET", "/catalogue").status_code == 200
    assert kiosk.status(request["id"])["status"] == "awaiting_signature"
    assert time.monotonic() - started < 1.0  # while the signature is being made
    assert "sedang ditandatangani" in page(kiosk)
    wait_for(lambda: kiosk.status(request["id"])["status"] == "ready")


def test_rejecting_from_the_page_needs_a_reason(kiosk: Kiosk):
    request = kiosk.new_request("key-office-04")
    action, guard = form_of(page(kiosk), request["id"], "reject")
    empty = press(kiosk, action, guard=guard, reason="  ")
    assert "alasan" in requests.utils.unquote(empty.headers["Location"])
    assert kiosk.status(request["id"])["status"] == "awaiting_signature"
    assert press(kiosk, action, guard=guard, reason="KK belum dilampirkan").status_code == 303
    status = kiosk.status(request["id"])
    assert status["status"] == "rejected"
    assert status["reject_reason"]["id"] == "KK belum dilampirkan"


def test_a_form_from_another_site_is_refused(kiosk: Kiosk):
    """A page elsewhere cannot read the guard field, so it cannot sign through the
    operator's logged-in browser."""
    request = kiosk.new_request("key-office-05")
    action = f"{API}/admin/office/requests/{request['id']}/sign"
    assert press(kiosk, action).status_code == 403
    assert press(kiosk, action, guard="0" * 64).status_code == 403
    time.sleep(0.5)
    assert kiosk.status(request["id"])["status"] == "awaiting_signature"


def test_the_page_needs_the_admin_login(kiosk: Kiosk):
    answer = requests.get(f"{kiosk.server.url}{API}/admin/office", timeout=30)
    assert answer.status_code == 401


def test_a_busy_demo_server_queues_the_signature_instead_of_holding_the_submit(tmp_path):
    """Signing inside the submit (the demo) takes a free slot or none: with every slot
    taken, or after a failed signature, the kiosk is answered at once (awaiting its
    signature) and the signing worker signs the letter soon after."""
    with serving(tmp_path / "state", auto_sign_delay_s=0) as running:
        kiosk = Kiosk(running)
        office = running.office
        busy = [office._inline_signing.acquire() for _ in range(INLINE_SIGNERS)]
        started = time.monotonic()
        queued = kiosk.new_request("key-busy-000001")
        assert time.monotonic() - started < 5
        assert queued["status"] == "awaiting_signature"
        for _ in busy:
            office._inline_signing.release()
        wait_for(lambda: kiosk.status(queued["id"])["status"] == "ready")

        real_sign, failures = office.sign, []

        def sign_failing_once(request_id: str):
            if not failures:
                failures.append(request_id)
                raise RuntimeError("database is locked")
            return real_sign(request_id)

        office.sign = sign_failing_once  # type: ignore[method-assign]
        failed = kiosk.new_request("key-busy-000002")
        assert failed["status"] == "awaiting_signature" and failures == [failed["id"]]
        wait_for(lambda: kiosk.status(failed["id"])["status"] == "ready")
        signed = kiosk.new_request("key-busy-000003")
        assert signed["status"] == "ready"  # a free slot: signed inside the submit
        kiosk.close()
