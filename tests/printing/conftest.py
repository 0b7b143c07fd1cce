"""Real parts for the print service: the kiosk's storage on disk, the simulated A4 printer
with its paper tray in tmp_path, a reference server on loopback, and letters signed by
the demo CA (directly, or by the server)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from apm_api.models import IdentifyByCard, SubmitRequest
from apm_api.signature import sha256_hex
from apm_server.app import RunningServer, start_server
from apm_server.signing import DemoCA, ensure_demo_ca, sign_pdf
from kiosk.backend.client import BackendClient
from kiosk.flow import events as ev
from kiosk.printing import PrintService
from kiosk.storage import KioskStorage
from printer.sim_document import SimulatedDocumentPrinter, build_test_page
from tests.devices.helpers import document_settings
from tests.server.conftest import SITI_CARD, SKD_ADDRESS

OWNER = "kiosk"
WAIT_S = 10.0
KIOSK_ID = "kiosk-test-01"
TERMINAL = (ev.DocumentPrinted, ev.DocumentFetchFailed, ev.PrintFailed)


@dataclass(frozen=True)
class Letter:
    request_id: str
    sha256: str
    tracking_code: str
    pdf: bytes


class Events:
    """The flow's side: every event the service posts, from its worker thread."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._changed = threading.Condition()

    def __call__(self, event: Any) -> None:
        with self._changed:
            self.items.append(event)
            self._changed.notify_all()

    def terminals(self, session_no: int) -> list[Any]:
        with self._changed:
            return [e for e in self.items if isinstance(e, TERMINAL) and e.session_no == session_no]

    def terminal(self, session_no: int, timeout_s: float = WAIT_S) -> Any:
        """The one terminal event of `session_no` (fails on none, or on two)."""
        with self._changed:
            if not self._changed.wait_for(lambda: self.terminals(session_no), timeout_s):
                raise AssertionError(f"no terminal event for session {session_no}: {self.items}")
        found = self.terminals(session_no)
        assert len(found) == 1, found
        return found[0]

    def assert_one_terminal_per_session(self) -> None:
        """After the service closed: no session got two outcomes."""
        with self._changed:
            sessions = {e.session_no for e in self.items if isinstance(e, TERMINAL)}
        for session_no in sessions:
            assert len(self.terminals(session_no)) == 1, self.terminals(session_no)

    def steps(self, session_no: int) -> list[str]:
        with self._changed:
            return [
                e.step
                for e in self.items
                if isinstance(e, ev.PrintProgress) and e.session_no == session_no
            ]


@dataclass
class Kiosk:
    """One kiosk's print path: storage, printer (tray on disk), service, what it posted."""

    storage: KioskStorage
    printer: SimulatedDocumentPrinter
    service: PrintService
    events: Events
    tray: Path
    wakes: list[float] = field(default_factory=list)

    def tray_files(self) -> list[str]:
        return sorted(p.name for p in self.tray.iterdir()) if self.tray.exists() else []

    def print_and_wait(self, session_no: int, letter: Letter, **options: Any) -> Any:
        self.service.print_letter(
            session_no, letter.request_id, letter.sha256, letter.tracking_code, **options
        )
        return self.events.terminal(session_no)

    def reports(self) -> list[dict[str, Any]]:
        return [item.body for item in self.storage.outbox.pending() if item.kind == "printed"]


def started_printer(printer: SimulatedDocumentPrinter) -> SimulatedDocumentPrinter:
    printer.start(OWNER).result(WAIT_S)
    return printer


def sim_printer(tray: Path | None, **settings: Any) -> SimulatedDocumentPrinter:
    return SimulatedDocumentPrinter("a4", document_settings(output_dir=tray, **settings))


@pytest.fixture
def make_kiosk(tmp_path: Path, trusted_ca: DemoCA) -> Iterator[Callable[..., Kiosk]]:
    """`make_kiosk(...)`: a kiosk with the simulated printer (tray in tmp_path/tray unless
    tray_on_disk=False) or `printer`. A second call is the same kiosk restarted: the same
    state dir and tray, a new printer and service."""
    made: list[Kiosk] = []
    storages: list[KioskStorage] = []

    def make(
        printer: SimulatedDocumentPrinter | None = None,
        client_factory: Callable[[], BackendClient] | None = None,
        *,
        trust_anchors: Callable[[], list[bytes]] | None = None,
        reprint_limit: int = 1,
        print_delay_s: float = 0.0,
        faults: tuple[str, ...] = (),
        tray_on_disk: bool = True,
        **options: Any,
    ) -> Kiosk:
        tray = tmp_path / "tray"
        if not storages:
            storages.append(KioskStorage.open(tmp_path / "state"))
        storage = storages[0]
        if printer is None:
            printer = sim_printer(
                tray if tray_on_disk else None, print_delay_s=print_delay_s, faults=list(faults)
            )
        started_printer(printer)
        events = Events()
        wakes: list[float] = []
        anchor = trusted_ca.ca_cert.read_bytes()
        service = PrintService(
            storage,
            client_factory or unreachable_backend,
            printer,
            trust_anchors or (lambda: [anchor]),
            lambda: KIOSK_ID,
            events,
            lambda: wakes.append(time.monotonic()),
            reprint_limit,
            **options,
        )
        kiosk = Kiosk(storage, printer, service, events, tray, wakes)
        made.append(kiosk)
        return kiosk

    yield make
    for kiosk in made:
        kiosk.printer.close().future.exception(WAIT_S)  # cuts a slow print short
        assert kiosk.service.stop(WAIT_S), "the print service did not finish its work"
        kiosk.events.assert_one_terminal_per_session()
    for storage in storages:
        storage.close()


def unreachable_backend() -> BackendClient:
    """A client for a loopback port nobody listens on."""
    return BackendClient("http://127.0.0.1:9", "no-token", connect_timeout_s=0.5)


# --- letters ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def trusted_ca(tmp_path_factory: pytest.TempPathFactory) -> DemoCA:
    return ensure_demo_ca(tmp_path_factory.mktemp("trusted-ca"), "Ahmad Fauzi", "Sumberejo")


@pytest.fixture(scope="session")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> DemoCA:
    return ensure_demo_ca(tmp_path_factory.mktemp("other-ca"), "Orang Lain", "Desa Lain")


def signed(ca: DemoCA, text: str = "Surat Keterangan Domisili") -> bytes:
    return sign_pdf(build_test_page(text), ca, reason="Kepala Desa", location="Sumberejo")


def local_letter(pdf: bytes, tracking_code: str = "011226-900") -> Letter:
    return Letter(f"req-{uuid.uuid4().hex[:16]}", sha256_hex(pdf), tracking_code, pdf)


def prefetched(kiosk: Kiosk, pdf: bytes) -> Letter:
    """A letter the sync worker already put on disk (so no backend is needed)."""
    letter = local_letter(pdf)
    kiosk.storage.letters.put(letter.request_id, pdf)
    return letter


# --- the reference backend -------------------------------------------------------------------


@pytest.fixture(scope="session")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("server"), auto_sign_delay_s=0)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def backend_client(backend: RunningServer) -> Iterator[BackendClient]:
    client = BackendClient(backend.url, backend.kiosk_token)
    yield client
    client.close()


def ready_letter(client: BackendClient) -> Letter:
    """Siti asks for an SKD at the kiosk; the server signs it at once (READY)."""
    session = client.identify(IdentifyByCard(method="card", card_uid=SITI_CARD))
    body = SubmitRequest(
        service_code="SKD",
        fields={"keperluan": "Melamar pekerjaan", "alamat_domisili": SKD_ADDRESS},
    )
    request = client.submit(session.session_token, body, uuid.uuid4().hex)
    assert request.document is not None, request
    pdf = client.download_document(request.id, request.document.sha256)
    return Letter(request.id, request.document.sha256, request.tracking_code, pdf)


def server_anchor(backend: RunningServer) -> Callable[[], list[bytes]]:
    return lambda: [backend.ca_cert_path.read_bytes()]
