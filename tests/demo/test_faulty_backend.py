"""The fault proxy in front of a real reference server, seen through the kiosk's own client.

Each fault must reach the kiosk as the failure it stands for (unreachable, server error,
protocol error, a letter that fails its checks), and switching back to `ok` must make
everything work again on the same address.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
import uuid

import pytest
import requests

from apm_api.models import (
    ApiError,
    ErrorCode,
    IdentifyByCard,
    LetterRequest,
    RequestStatus,
    SubmitRequest,
)
from apm_api.signature import LetterProblem, check_letter
from apm_server.app import RunningServer
from kiosk.backend.client import BackendClient
from kiosk.backend.errors import (
    BackendProtocolError,
    BackendServerError,
    BackendUnreachable,
)
from kiosk.demo.faulty_backend import (
    DEFAULT_SLOW_S,
    MODES,
    FaultyBackend,
    SignFailed,
    UnknownMode,
)
from tests.demo.conftest import kiosk_client
from tests.server.conftest import SITI_CARD, SKD_ADDRESS


def submit(client: BackendClient, purpose: str = "Melamar pekerjaan") -> LetterRequest:
    session = client.identify(IdentifyByCard(card_uid=SITI_CARD))
    body = SubmitRequest(
        service_code="SKD", fields={"keperluan": purpose, "alamat_domisili": SKD_ADDRESS}
    )
    return client.submit(session.session_token, body, str(uuid.uuid4()))


def signed_letter(client: BackendClient) -> LetterRequest:
    request = submit(client)
    assert request.status is RequestStatus.READY and request.document is not None
    return request


def trust_roots(backend: RunningServer) -> list[bytes]:
    return [backend.ca_cert_path.read_bytes()]


def test_ok_passes_everything_through(proxy: FaultyBackend, client: BackendClient, backend):
    assert client.catalogue() is not None
    request = signed_letter(client)
    assert proxy.submitted == [request.id]
    assert request.document is not None
    pdf = client.download_document(request.id, request.document.sha256)
    assert check_letter(pdf, request.document.sha256, trust_roots(backend)).ok
    assert client.catalogue(client.catalogue().version) is None  # a 304 passes too


def test_down_refuses_at_once_and_ok_brings_the_same_address_back(
    proxy: FaultyBackend, client: BackendClient
):
    assert client.catalogue() is not None  # a kept-alive connection is now in the pool
    proxy.set_mode("down")
    started = time.monotonic()
    with pytest.raises(BackendUnreachable):
        client.catalogue()
    assert time.monotonic() - started < 1.0  # refused, not a timeout
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((proxy.host, proxy.port), timeout=1).close()

    proxy.set_mode("ok")
    assert client.catalogue() is not None


def test_down_cuts_a_connection_that_is_already_open(proxy: FaultyBackend):
    with socket.create_connection((proxy.host, proxy.port), timeout=5) as idle:
        time.sleep(0.1)  # the proxy has accepted it
        proxy.set_mode("down")
        started = time.monotonic()
        try:
            closed = idle.recv(1) == b""
        except ConnectionResetError:
            closed = True
        assert closed and time.monotonic() - started < 1.0


def test_slow_answers_after_the_kiosks_read_timeout_but_the_backend_did_the_work(
    proxy: FaultyBackend, backend: RunningServer
):
    impatient = kiosk_client(proxy, backend.kiosk_token, read_timeout_s=0.5)
    session = impatient.identify(IdentifyByCard(card_uid=SITI_CARD))
    proxy.set_mode("slow", delay_s=3)
    body = SubmitRequest(
        service_code="SKD", fields={"keperluan": "Sekolah", "alamat_domisili": SKD_ADDRESS}
    )
    started = time.monotonic()
    with pytest.raises(BackendUnreachable, match="timed out"):
        impatient.submit(session.session_token, body, "slow-submit-key-1")
    assert time.monotonic() - started < 2.0
    assert len(proxy.submitted) == 1  # the backend has it; the kiosk never heard

    proxy.set_mode("ok")
    replay = impatient.submit(session.session_token, body, "slow-submit-key-1")
    assert replay.id == proxy.submitted[0]  # the retry with the same key finds it


def test_slow_is_slower_than_the_kiosks_default_read_timeout_and_settable(
    proxy: FaultyBackend, client: BackendClient
):
    assert DEFAULT_SLOW_S > 10.0  # [backend] read_timeout_s defaults to 10 s
    proxy.set_mode("slow", delay_s=0.6)
    started = time.monotonic()
    assert client.catalogue() is not None  # late, but whole
    assert time.monotonic() - started >= 0.6


def test_error_500_is_an_api_error_and_the_backend_never_sees_the_request(
    proxy: FaultyBackend, client: BackendClient
):
    proxy.set_mode("error_500")
    with pytest.raises(BackendServerError, match="HTTP 500"):
        submit(client)
    answer = requests.get(proxy.url + "/api/v1/catalogue", timeout=5)
    assert answer.status_code == 500
    assert ApiError.model_validate_json(answer.content).code is ErrorCode.INTERNAL
    proxy.set_mode("ok")
    assert proxy.submitted == []


def test_malformed_json_is_a_protocol_error_but_the_letter_still_passes(
    proxy: FaultyBackend, client: BackendClient
):
    request = signed_letter(client)
    assert request.document is not None
    proxy.set_mode("malformed_json")
    with pytest.raises(BackendProtocolError):
        client.catalogue()
    with pytest.raises(BackendProtocolError):
        client.request_status(request.id)
    pdf = client.download_document(request.id, request.document.sha256)
    assert pdf.startswith(b"%PDF-")


def test_truncated_pdf_fails_the_clients_hash_check(proxy: FaultyBackend, client: BackendClient):
    request = signed_letter(client)
    proxy.set_mode("truncated_pdf")
    announced = client.request_status(request.id).document
    assert announced == request.document  # the real letter's hash, unchanged
    with pytest.raises(BackendProtocolError, match="SHA-256 differs from the request's"):
        client.download_document(request.id, announced.sha256)


@pytest.mark.parametrize(
    ("fault", "problems"),
    [
        ("tampered_pdf", {LetterProblem.MODIFIED, LetterProblem.BAD_SIGNATURE}),
        ("untrusted_signer", {LetterProblem.UNTRUSTED}),
        ("unsigned_pdf", {LetterProblem.UNSIGNED}),
    ],
)
def test_a_forged_letter_passes_every_hash_and_fails_only_the_signature_check(
    proxy: FaultyBackend,
    client: BackendClient,
    backend: RunningServer,
    fault: str,
    problems: set[LetterProblem],
):
    real = signed_letter(client)
    assert real.document is not None
    proxy.set_mode(fault)

    announced = client.request_status(real.id).document
    assert announced is not None and announced.sha256 != real.document.sha256
    session = client.identify(IdentifyByCard(card_uid=SITI_CARD))
    listed = client.my_requests(session.session_token).requests
    assert [r.document.sha256 for r in listed if r.id == real.id and r.document] == [
        announced.sha256
    ]
    pdf = client.download_document(real.id, announced.sha256)  # the hash checks pass
    assert len(pdf) == announced.size and pdf.startswith(b"%PDF-")

    check = check_letter(pdf, announced.sha256, trust_roots(backend))
    assert check.problem in problems, check.summary
    if fault == "untrusted_signer":
        assert check.intact and check.valid  # a real signature, by the wrong CA
        assert "Ahmad Fauzi" in check.signer  # with the village head's name on it

    proxy.set_mode("ok")
    again = client.request_status(real.id).document
    assert again == real.document
    genuine = client.download_document(real.id, again.sha256)
    assert check_letter(genuine, again.sha256, trust_roots(backend)).ok


def test_a_letter_signed_at_submission_is_forged_in_the_submit_answer_too(
    proxy: FaultyBackend, client: BackendClient, backend: RunningServer
):
    proxy.set_mode("tampered_pdf")
    request = submit(client)  # the backend signs inside the submit: the answer has a hash
    assert request.document is not None
    pdf = client.download_document(request.id, request.document.sha256)
    check = check_letter(pdf, request.document.sha256, trust_roots(backend))
    assert check.problem in (LetterProblem.MODIFIED, LetterProblem.BAD_SIGNATURE)


def test_the_same_forgery_every_time(proxy: FaultyBackend, client: BackendClient):
    real = signed_letter(client)
    proxy.set_mode("untrusted_signer")
    first = client.request_status(real.id).document
    assert first is not None
    results: list[bytes] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(client.download_document(real.id, first.sha256))
        )
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(results) == 3
    assert {hashlib.sha256(r).hexdigest() for r in results} == {first.sha256}


def test_unknown_modes_and_bad_delays_are_refused(proxy: FaultyBackend):
    with pytest.raises(UnknownMode, match="unknown backend fault 'flaky'"):
        proxy.set_mode("flaky")
    with pytest.raises(ValueError, match="delay_s"):
        proxy.set_mode("slow", delay_s=0)
    assert proxy.mode == "ok"
    assert set(MODES) >= {"ok", "down", "slow", "error_500", "malformed_json"}


def test_sign_latest_signs_through_the_back_office_even_while_the_kiosks_link_is_down(
    unsigned_proxy: FaultyBackend, unsigned_backend: RunningServer
):
    client = kiosk_client(unsigned_proxy, unsigned_backend.kiosk_token)
    with pytest.raises(SignFailed, match="no request has been submitted"):
        unsigned_proxy.sign_latest()
    request = submit(client)
    assert request.status is RequestStatus.AWAITING_SIGNATURE
    unsigned_proxy.set_mode("down")
    assert unsigned_proxy.sign_latest() == request.id
    unsigned_proxy.set_mode("ok")
    signed = client.request_status(request.id)
    assert signed.status is RequestStatus.READY and signed.document is not None
    with pytest.raises(SignFailed, match="HTTP 409"):
        unsigned_proxy.sign_latest()  # already signed


def test_stop_does_not_wait_for_a_held_back_answer(proxy: FaultyBackend, client: BackendClient):
    proxy.set_mode("slow", delay_s=30)
    failures: list[Exception] = []

    def call() -> None:
        try:
            client.catalogue()
        except BackendUnreachable as exc:
            failures.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    time.sleep(0.3)
    started = time.monotonic()
    proxy.stop()
    caller.join(5)
    assert not caller.is_alive() and time.monotonic() - started < 2.0
    assert len(failures) == 1  # the held-back answer was dropped, the kiosk saw a cut link
