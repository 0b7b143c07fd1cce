"""The kiosk without its face: flow + backend + devices, wired together. No Qt.

`KioskRuntime` owns the citizen flow and carries out its effects:
- backend calls run on a small worker pool (the `requests` import and the embedded
  reference server start there too, never on the GUI thread);
- device work runs on each device's own I/O thread (see drivers.device);
- every result comes back as a flow event through `post`, which the host (the Qt bridge,
  or a plain queue in tests) must deliver to `dispatch` on its main thread.

So the flow is only ever touched by one thread, and nothing here blocks that thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from apm_api.models import DeviceReport, Heartbeat, MarkPrinted, Rating
from drivers.device import Device, Job
from drivers.model import DataReceived, DeviceError, DeviceEvent, ErrorKind, StatusChanged
from kiosk import __version__
from kiosk.backend.errors import (
    BackendError,
    BackendProtocolError,
    BackendRejected,
    BackendServerError,
    BackendUnreachable,
)
from kiosk.flow import Flow, Screen, view_model
from kiosk.flow import effects as fx
from kiosk.flow import events as ev

if TYPE_CHECKING:
    from kiosk.backend.client import BackendClient
    from kiosk.config import KioskSettings
    from printer.receipt import Receipt

log = logging.getLogger(__name__)

OWNER = "kiosk"  # the citizen flow owns the devices; diagnostics must wait for release
ROLES = ("receipt_printer", "document_printer", "card_reader")
HEARTBEAT_S = 60.0
REPORT_ATTEMPTS = 50
REPORT_RETRY_S = 10.0

Post = Callable[[ev.Event], None]
BackendFactory = Callable[[], "BackendClient"]


class KioskRuntime:
    def __init__(
        self,
        settings: KioskSettings,
        post: Post,
        *,
        backend_factory: BackendFactory | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_shutdown: list[Callable[[], None]] | None = None,
    ) -> None:
        self.settings = settings
        self._post = post
        self._clock = clock
        self._started_at = clock()
        self.flow = Flow(clock=clock)
        self.devices: dict[str, Device] = build_devices(settings)
        # Stopped after everything else (the demo's embedded server, for one).
        self._stop_on_shutdown = on_shutdown if on_shutdown is not None else []
        self._backend_factory = backend_factory or url_backend_factory(settings)
        self._backend: BackendClient | None = None
        self._backend_lock = threading.Lock()
        self._workers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="backend")
        self._documents = DocumentStore()
        self._timers: set[threading.Timer] = set()
        self._timers_lock = threading.Lock()
        self._closed = False
        self._handlers: dict[type, Callable[[Any], None]] = {
            fx.LoadKiosk: self._load_kiosk,
            fx.Identify: self._identify,
            fx.LoadMyRequests: self._load_my_requests,
            fx.Submit: self._submit,
            fx.CheckStatus: self._check_status,
            fx.Schedule: self._schedule,
            fx.FetchDocument: self._fetch_document,
            fx.PrintDocument: self._print_document,
            fx.PrintReceipt: self._print_receipt,
            fx.ReportPrinted: self._report_printed,
            fx.SendRating: self._send_rating,
            fx.EndSession: self._end_session,
        }

    # --- what the host calls ---------------------------------------------------------

    def start(self) -> None:
        """Open the devices and load the catalogue in the background; returns at once."""
        for role, device in self.devices.items():
            device.subscribe(self._device_listener(role))
            device.start(OWNER).add_done_callback(self._device_started(role))
        self._run_effects(self.flow.start())
        self._schedule_heartbeat()

    def dispatch(self, event: ev.Event) -> None:
        """Main thread only: let the flow handle `event` and start its effects."""
        if self._closed:
            return
        self._run_effects(self.flow.handle(event))

    def view(self, lang: str = "id") -> dict[str, Any]:
        return view_model(self.flow.state, lang=lang, idle_left=self.flow.idle_seconds_left())

    @property
    def screen(self) -> Screen:
        return self.flow.state.screen

    def shutdown(self) -> None:
        self._closed = True
        with self._timers_lock:
            for timer in self._timers:
                timer.cancel()
            self._timers.clear()
        for device in self.devices.values():
            device.close()
        self._workers.shutdown(wait=True, cancel_futures=True)
        with self._backend_lock:
            if self._backend is not None:
                self._backend.close()
        for stop in self._stop_on_shutdown:
            stop()  # the embedded server and its auto-signer, in the demo
        self._documents.clear()

    # --- effects ---------------------------------------------------------------------

    def _run_effects(self, effects: list[fx.Effect]) -> None:
        for effect in effects:
            self._handlers[type(effect)](effect)

    def _backend_call(
        self,
        call: Callable[[BackendClient], ev.Event | None],
        on_failure: Callable[[ev.Failure], ev.Event | None],
    ) -> None:
        """Run `call` on a worker; post what it returns, or what `on_failure` makes."""

        def work() -> None:
            try:
                result = call(self._client())
            except BackendError as error:
                result = on_failure(failure_from(error))
            except Exception as error:  # our own bug: log it, show a calm notice
                log.exception("backend call failed unexpectedly")
                result = on_failure(ev.Failure(ev.FailureKind.SERVER, detail=repr(error)))
            if result is not None:
                self._post_unless_closed(result)

        if not self._closed:
            self._workers.submit(work)

    def _client(self) -> BackendClient:
        with self._backend_lock:
            if self._backend is None:
                self._backend = self._backend_factory()
            return self._backend

    def _load_kiosk(self, effect: fx.LoadKiosk) -> None:
        def call(client: BackendClient) -> ev.Event:
            config = client.kiosk_config()
            catalogue = client.catalogue()
            if catalogue is None:  # 304 without an If-None-Match cannot happen; be safe
                raise BackendProtocolError("catalogue answered 304 to a plain request")
            return ev.KioskLoaded(config, catalogue)

        self._backend_call(call, ev.KioskLoadFailed)

    def _identify(self, effect: fx.Identify) -> None:
        self._backend_call(
            lambda c: ev.Identified(effect.session_no, c.identify(effect.request)),
            lambda f: ev.IdentifyFailed(effect.session_no, f),
        )

    def _load_my_requests(self, effect: fx.LoadMyRequests) -> None:
        def call(client: BackendClient) -> ev.Event:
            found = client.my_requests(effect.session_token)
            return ev.MyRequestsLoaded(effect.session_no, tuple(found.requests))

        def failed(failure: ev.Failure) -> None:
            # Only the come-back shortcut is missing; the citizen can still go on.
            log.warning("could not list the resident's requests: %s", failure.detail)

        self._backend_call(call, failed)

    def _submit(self, effect: fx.Submit) -> None:
        self._backend_call(
            lambda c: ev.Submitted(
                effect.session_no,
                c.submit(effect.session_token, effect.body, effect.idempotency_key),
            ),
            lambda f: ev.SubmitFailed(effect.session_no, f),
        )

    def _check_status(self, effect: fx.CheckStatus) -> None:
        self._backend_call(
            lambda c: ev.StatusChecked(effect.session_no, c.request_status(effect.request_id)),
            lambda f: ev.StatusCheckFailed(effect.session_no, effect.request_id, f),
        )

    def _fetch_document(self, effect: fx.FetchDocument) -> None:
        request = effect.request
        if request.document is None:
            self._post(
                ev.DocumentFetchFailed(
                    effect.session_no,
                    request.id,
                    ev.Failure(ev.FailureKind.PROTOCOL, detail="request has no document"),
                )
            )
            return
        expected = request.document.sha256

        def call(client: BackendClient) -> ev.Event:
            if not self._documents.has(request.id):
                pdf = client.download_document(request.id, expected)
                self._documents.put(effect.session_no, request.id, pdf, request.tracking_code)
            return ev.DocumentFetched(effect.session_no, request.id)

        self._backend_call(call, lambda f: ev.DocumentFetchFailed(effect.session_no, request.id, f))

    def _print_document(self, effect: fx.PrintDocument) -> None:
        document = self._documents.get(effect.request_id)
        if document is None:
            failure = ev.Failure(ev.FailureKind.DEVICE, detail="document not downloaded")
            self._post(ev.PrintFailed(effect.session_no, ev.PrinterRole.DOCUMENT, failure))
            return
        printer = self.devices["document_printer"]
        title = f"Surat {document.tracking_code}"
        job = printer.print_pdf(document.pdf, title, OWNER)  # type: ignore[attr-defined]
        self._when_done(
            job,
            lambda _r: ev.DocumentPrinted(effect.session_no, effect.request_id),
            lambda f: ev.PrintFailed(effect.session_no, ev.PrinterRole.DOCUMENT, f),
        )

    def _print_receipt(self, effect: fx.PrintReceipt) -> None:
        printer = self.devices["receipt_printer"]
        receipt = receipt_from_content(effect.receipt)
        job = printer.print_receipt(receipt, OWNER)  # type: ignore[attr-defined]
        self._when_done(
            job,
            lambda _r: ev.ReceiptPrinted(effect.session_no),
            lambda f: ev.PrintFailed(effect.session_no, ev.PrinterRole.RECEIPT, f),
        )

    def _when_done(
        self,
        job: Job[Any],
        ok: Callable[[Any], ev.Event],
        failed: Callable[[ev.Failure], ev.Event],
    ) -> None:
        def done(finished: Job[Any]) -> None:
            error = finished.future.exception()
            if error is None:
                self._post_unless_closed(ok(finished.future.result()))
            else:
                self._post_unless_closed(failed(failure_from_device(error)))

        job.add_done_callback(done)

    def _report_printed(self, effect: fx.ReportPrinted, attempt: int = 1) -> None:
        """Tell the backend the letter was printed, retrying while it cannot be reached.

        Until the backend knows, the letter still shows as ready to print, so a lost report
        could mean a second print on the next visit. The same idempotency key makes every
        retry safe. (Kept in memory only: the durable outbox is a later piece of work.)
        """
        kiosk_id = self._kiosk_id()
        body = MarkPrinted(kiosk_id=kiosk_id, document_sha256=effect.document_sha256)

        def call(client: BackendClient) -> None:
            client.mark_printed(effect.request_id, body, effect.idempotency_key)

        def failed(failure: ev.Failure) -> None:
            retryable = failure.kind in (ev.FailureKind.UNREACHABLE, ev.FailureKind.SERVER)
            log.warning(
                "could not report request %s printed (attempt %d): %s",
                effect.request_id,
                attempt,
                failure.detail,
            )
            if retryable and attempt < REPORT_ATTEMPTS:
                delay = min(REPORT_RETRY_S * attempt, 300.0)
                self._after(delay, lambda: self._report_printed(effect, attempt + 1))

        self._backend_call(call, failed)

    def _send_rating(self, effect: fx.SendRating) -> None:
        body = Rating(kiosk_id=self._kiosk_id(), request_id=effect.request_id, score=effect.score)

        def call(client: BackendClient) -> None:
            client.rate(body)

        self._backend_call(call, lambda f: log.warning("rating not sent: %s", f.detail))

    def _end_session(self, effect: fx.EndSession) -> None:
        self._documents.forget_session(effect.session_no)

    def _schedule(self, effect: fx.Schedule) -> None:
        self._after(effect.delay_s, lambda: self._post_unless_closed(effect.event))

    def _after(self, delay_s: float, action: Callable[[], None]) -> None:
        def fire() -> None:
            with self._timers_lock:
                self._timers.discard(timer)
            action()

        timer = threading.Timer(delay_s, fire)
        timer.daemon = True
        with self._timers_lock:
            if self._closed:
                return
            self._timers.add(timer)
        timer.start()

    def _post_unless_closed(self, event: ev.Event) -> None:
        if not self._closed:
            self._post(event)

    # --- heartbeat ---------------------------------------------------------------------

    def _schedule_heartbeat(self) -> None:
        self._after(HEARTBEAT_S, self._send_heartbeat)

    def _send_heartbeat(self) -> None:
        state = self.flow.state  # read-only snapshot; safe from another thread
        if state.kiosk is not None:
            body = Heartbeat(
                kiosk_id=state.kiosk.kiosk_id,
                software_version=__version__,
                uptime_s=int(self._clock() - self._started_at),
                screen=state.screen.value,
                devices=[
                    DeviceReport(
                        role=role,
                        type=self.settings.device_type(role),
                        availability=device.status.availability.value,
                        detail=device.status.detail,
                    )
                    for role, device in self.devices.items()
                ],
            )

            def call(client: BackendClient) -> None:
                client.heartbeat(body)

            self._backend_call(call, lambda f: log.info("heartbeat not sent: %s", f.detail))
        self._schedule_heartbeat()

    def _kiosk_id(self) -> str:
        kiosk = self.flow.state.kiosk
        return kiosk.kiosk_id if kiosk else "unknown"

    # --- devices -------------------------------------------------------------------------

    def _device_listener(self, role: str) -> Callable[[DeviceEvent], None]:
        def listener(event: DeviceEvent) -> None:
            if isinstance(event, StatusChanged):
                status = event.current
                self._post_unless_closed(
                    ev.DeviceStatusChanged(
                        role, status.usable, status.availability.value, status.detail
                    )
                )
            elif isinstance(event, DataReceived) and role == "card_reader":
                translated = card_event(event.data)
                if translated is not None:
                    self._post_unless_closed(translated)

        return listener

    def _device_started(self, role: str) -> Callable[[Job[None]], None]:
        def done(job: Job[None]) -> None:
            error = job.future.exception()
            if error is not None:
                log.warning("%s did not start: %s", role, error)
                self._post_unless_closed(ev.DeviceStatusChanged(role, False, "error", str(error)))

        return done


class StoredDocument:
    def __init__(self, session_no: int, pdf: bytes, tracking_code: str) -> None:
        self.session_no, self.pdf, self.tracking_code = session_no, pdf, tracking_code


class DocumentStore:
    """Signed letters downloaded for the current citizen, dropped when they leave."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_request: dict[str, StoredDocument] = {}
        self._ended_up_to = 0

    def put(self, session_no: int, request_id: str, pdf: bytes, tracking_code: str) -> None:
        with self._lock:
            if session_no <= self._ended_up_to:
                return  # that citizen has already gone: do not keep their letter
            self._by_request[request_id] = StoredDocument(session_no, pdf, tracking_code)

    def get(self, request_id: str) -> StoredDocument | None:
        with self._lock:
            return self._by_request.get(request_id)

    def has(self, request_id: str) -> bool:
        return self.get(request_id) is not None

    def forget_session(self, session_no: int) -> None:
        with self._lock:
            self._ended_up_to = max(self._ended_up_to, session_no)
            self._by_request = {
                k: d for k, d in self._by_request.items() if d.session_no > session_no
            }

    def clear(self) -> None:
        with self._lock:
            self._by_request.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_request)


# --- translation between layers ------------------------------------------------------------


def failure_from(error: BackendError) -> ev.Failure:
    if isinstance(error, BackendUnreachable):
        return ev.Failure(ev.FailureKind.UNREACHABLE, detail=error.detail)
    if isinstance(error, BackendRejected):
        api = error.error
        return ev.Failure(
            ev.FailureKind.REJECTED,
            code=api.code,
            message=api.message,
            field_errors=dict(api.field_errors),
            retry_after_s=api.retry_after_s,
            detail=error.detail,
        )
    if isinstance(error, BackendServerError):
        return ev.Failure(ev.FailureKind.SERVER, detail=error.detail)
    return ev.Failure(ev.FailureKind.PROTOCOL, detail=error.detail)


_DEVICE_PROBLEMS = {
    ErrorKind.NO_DEVICE: "printer not connected",
    ErrorKind.TIMEOUT: "printer not answering",
    ErrorKind.NOT_CLAIMED: "printer in use",
}


def failure_from_device(error: BaseException) -> ev.Failure:
    if isinstance(error, DeviceError):
        detail = error.message or _DEVICE_PROBLEMS.get(error.kind, error.kind.value)
        return ev.Failure(ev.FailureKind.DEVICE, detail=detail)
    return ev.Failure(ev.FailureKind.DEVICE, detail=f"{type(error).__name__}: {error}")


def card_event(data: object) -> ev.Event | None:
    """A card reader's data event as a flow event (None for what the flow ignores)."""
    from cardreader.base import CardPresented, CardReadFailed

    if isinstance(data, CardPresented):
        return ev.CardPresented(data.uid, data.uid_is_random)
    if isinstance(data, CardReadFailed):
        problem = (
            ev.CardProblem.REMOVED_MID_READ
            if data.reason == "removed_mid_read"
            else ev.CardProblem.UNREADABLE
        )
        return ev.CardReadFailed(problem)
    return None


def receipt_from_content(content: fx.ReceiptContent) -> Receipt:
    """The flow decides what a receipt says; the printer layer decides how it looks."""
    from printer.receipt import Receipt

    return Receipt(
        header=list(content.header),
        title=content.title,
        rows=[(line.label, line.value) for line in content.rows],
        tracking_code=content.tracking_code,
        qr_payload=content.qr_payload,
        footer=list(content.footer),
    )


def build_devices(settings: KioskSettings) -> dict[str, Device]:
    """One driver per role, from the validated config (classes resolved by type)."""
    return {role: settings.make_device(role) for role in ROLES}


def url_backend_factory(settings: KioskSettings) -> BackendFactory:
    """The client for the backend the config names (`[backend] url`)."""

    def make() -> BackendClient:
        from kiosk.backend.client import BackendClient

        backend = settings.backend
        if backend.url is None:  # the loader requires a url unless embedded
            raise RuntimeError("the embedded backend is started by the demo launcher only")
        return BackendClient(
            backend.url,
            settings.backend_token(),
            connect_timeout_s=backend.connect_timeout_s,
            read_timeout_s=backend.read_timeout_s,
            verify_tls=backend.verify_tls,
        )

    return make
