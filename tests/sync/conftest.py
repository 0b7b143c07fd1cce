"""A real reference server on loopback, a real KioskStorage, and a SyncWorker between them."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from apm_api.models import ApplicantByCard, ApplicantByNik, IdentifyByCard, SubmitRequest
from apm_server.app import RunningServer
from kiosk.backend.client import BackendClient
from kiosk.config import SyncSection
from kiosk.pickup import new_pickup_code
from kiosk.storage import KioskStorage, LocalRequest, OutboxItem
from kiosk.sync import SyncWorker
from tests.harness import ServerProcess, serving

SITI_CARD = "04A3B2C1D0E1F2"
SITI_NIK = "3523014708900001"
BUDI_NIK = "3523011203850002"
SKD_FIELDS = {"keperluan": "Melamar pekerjaan", "alamat_domisili": "Dusun Krajan RT 002 RW 001"}
SKD_NAME = {"id": "Surat Keterangan Domisili"}
# Quick retries, so that tests of a backend that comes back take well under a second.
FAST = SyncSection(retry_min_s=0.05, retry_max_s=0.2, down_after_failures=2, prefetch_every_s=0.2)


@pytest.fixture
def server_processes() -> Iterator[Callable[..., ServerProcess]]:
    started: list[ServerProcess] = []

    def start(state_dir: Path, **options: Any) -> ServerProcess:
        running = ServerProcess(state_dir, **{"auto_sign_delay_s": None, **options}).start()
        started.append(running)
        return running

    yield start
    for running in started:
        running.kill()


def port_of(running: RunningServer) -> int:
    return int(running.url.rsplit(":", 1)[1])


def wait_for(check: Callable[[], Any], timeout_s: float = 20.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout_s} s: {what or check} (last: {result!r})")
        time.sleep(0.02)


class Kiosk:
    """The kiosk side: storage, a client, a sync worker, and the events it posted."""

    def __init__(
        self,
        state_dir: Path,
        url: str,
        token: str,
        anchors: list[bytes],
        settings: SyncSection = FAST,
        **worker_options: Any,
    ) -> None:
        self.storage = KioskStorage.open(state_dir)
        self.client = BackendClient(url, token, connect_timeout_s=1, read_timeout_s=10)
        self.anchors = anchors
        self.events: list[object] = []
        self.worker = SyncWorker(
            self.storage,
            lambda: self.client,
            settings,
            lambda: self.anchors,
            self.events.append,
            **worker_options,
        )

    def close(self) -> None:
        assert self.worker.stop(20), "the sync worker did not stop"
        self.client.close()
        self.storage.close()

    def events_of(self, kind: type) -> list[Any]:
        return [e for e in list(self.events) if isinstance(e, kind)]

    def session(self, card: str = SITI_CARD) -> str:
        return self.client.identify(IdentifyByCard(card_uid=card)).session_token

    def queue(
        self,
        *,
        token: str | None = None,
        card: str | None = None,
        nik: str | None = None,
        service: str = "SKD",
        fields: dict[str, str] | None = None,
    ) -> tuple[LocalRequest, OutboxItem]:
        """Queue a request as the runtime does: online with `token`, else naming the applicant."""
        applicant: ApplicantByCard | ApplicantByNik | None = None
        if card:
            applicant = ApplicantByCard(card_uid=card)
        elif nik:
            applicant = ApplicantByNik(nik=nik)
        request = SubmitRequest(
            service_code=service,
            fields=SKD_FIELDS if fields is None else fields,
            applicant=applicant,
            submitted_at=datetime.now(UTC),
        )
        return self.storage.queue_submit(
            request,
            session_token=token,
            service_name=SKD_NAME,
            pickup_code=new_pickup_code(),
            card_uid=card,
            nik=nik,
        )

    def drained(self) -> bool:
        return self.storage.outbox.counts()["pending"] == 0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    with serving(tmp_path / "server", auto_sign_delay_s=None) as running:
        yield running


@pytest.fixture
def signing_server(tmp_path: Path) -> Iterator[RunningServer]:
    """Signs every request inside its submit: the answer is already READY."""
    with serving(tmp_path / "server", auto_sign_delay_s=0) as running:
        yield running


def ca_of(running: RunningServer | ServerProcess) -> bytes:
    return running.ca_cert_path.read_bytes()


@pytest.fixture
def make_kiosk(tmp_path: Path) -> Iterator[Callable[..., Kiosk]]:
    made: list[Kiosk] = []

    def make(running: RunningServer | ServerProcess, **options: Any) -> Kiosk:
        anchors = options.pop("anchors", None)
        state_dir = options.pop("state_dir", None) or tmp_path / f"kiosk{len(made)}"
        kiosk = Kiosk(
            state_dir,
            running.url,
            running.kiosk_token,
            [ca_of(running)] if anchors is None else anchors,
            **options,
        )
        made.append(kiosk)
        return kiosk

    yield make
    for kiosk in made:
        kiosk.close()
