"""The kiosk without its face: flow + backend + devices + durable state, wired together.

`KioskRuntime` owns the citizen flow and carries out its effects; each kind of work has
its own module and its own thread:
- kiosk.storage: the durable state (outbox, pickup records, print journal, letters, cache);
- kiosk.sync.SyncWorker: the one thread that sends the outbox and prefetches signed letters;
- kiosk.printing.PrintService: prints a letter as one journaled unit of work;
- kiosk.heartbeat: what the kiosk tells the backend about itself, through the outbox;
- backend reads (identify, status, catalogue) run on a small worker pool, and device work
  on each device's own I/O thread (drivers.device).
Every result comes back as a flow event through `post`, which the host (the Qt bridge, or
a plain queue in tests) must deliver to `dispatch` on its main thread: the flow is only
ever touched by that thread, and nothing here blocks it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING, Any

from apm_api.models import (
    ApplicantByCard,
    ApplicantByNik,
    Catalogue,
    KioskConfig,
    LetterRequest,
    Rating,
    Text,
)
from drivers.device import Device, Job
from drivers.model import DataReceived, DeviceEvent, StatusChanged
from kiosk import crashpoints, pickup
from kiosk.backend.errors import BackendError
from kiosk.failures import failure_from, failure_from_dead_letter, failure_from_device
from kiosk.flow import Flow, Screen, view_model
from kiosk.flow import effects as fx
from kiosk.flow import events as ev
from kiosk.flow.state import Deadlines
from kiosk.flow.texts import Translate
from kiosk.heartbeat import HEARTBEAT_S, heartbeat_body
from kiosk.localtime import village_zone
from kiosk.storage import KioskStorage
from kiosk.storage.journal import JobState
from kiosk.storage.outbox import OutboxItem, OutboxKind
from kiosk.timers import Scheduler
from printer.base import set_page_zone

if TYPE_CHECKING:
    from kiosk.backend.client import BackendClient
    from kiosk.config import KioskSettings
    from kiosk.diagnostics.link import DiagServer
    from kiosk.diagnostics.service import KioskDiagnostics
    from kiosk.printing import PrintService
    from kiosk.storage.requests import LocalRequest
    from kiosk.sync import SyncWorker
    from printer.receipt import Receipt

log = logging.getLogger(__name__)

OWNER = "kiosk"  # the citizen flow owns the devices; diagnostics must wait for release
# Roles whose data events are taps and scans for the flow.
INPUT_ROLES = ("card_reader", "scanner")
SWEEP_EVERY_S = 3600.0  # retention: personal data leaves the disk on time
DEVICE_CLOSE_TIMEOUT_S = 10.0  # shutdown waits this long for each device to close

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
        t = settings.timeouts
        self.zone = village_zone(settings.kiosk.timezone)
        set_page_zone(self.zone)  # test pages and proofs print the village's time too
        self.flow = Flow(
            clock=clock,
            deadlines=Deadlines(t.identify_s, t.submit_s, t.print_s, tuple(t.idle_s.items())),
            now=lambda: datetime.now(self.zone),
        )
        # Opened first: a kiosk whose state cannot be kept must not take requests.
        self.storage = KioskStorage.open(settings.state_dir)
        self.devices: dict[str, Device] = build_devices(settings)
        # Stopped after everything else (the demo's embedded server, for one).
        self._stop_on_shutdown = on_shutdown if on_shutdown is not None else []
        self._backend_factory = backend_factory or url_backend_factory(settings)
        self._backend: BackendClient | None = None
        self._backend_lock = threading.Lock()
        self._workers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="backend")
        # Work on the kiosk's own disk (queueing a request, pickup lookups, ratings, the
        # retention sweep) never waits behind a backend call that may take its full timeout.
        self._local = ThreadPoolExecutor(max_workers=1, thread_name_prefix="storage")
        self._timers = Scheduler(name="kiosk-timers")
        self._closed = False
        # Devices may be started from a worker thread (the printers, once the catalogue is
        # in): starting and shutting down must not interleave.
        self._devices_lock = threading.Lock()
        # Which citizen's session is waiting for which queued request (by kiosk reference).
        self._waiting: dict[str, int] = {}
        self._waiting_lock = threading.Lock()
        # Receipt jobs not finished yet, by session: cancelled if the citizen leaves.
        self._receipt_jobs: dict[int, Job[Any]] = {}
        # While set (technician mode, a card read test), taps and scans skip the flow.
        self._citizen_input_held = False
        # Read by the heartbeat from its timer thread: plain values, set on the main thread.
        self._screen_name = self.flow.state.screen.value
        cached = self._cached_kiosk()  # reports queued before the backend answers need it
        self._kiosk_id = cached[0].kiosk_id if cached else "unknown"
        self.sync: SyncWorker = self._make_sync()
        self.printing: PrintService = self._make_print_service()
        self._diagnostics: KioskDiagnostics | None = None
        self._diag_server: DiagServer | None = None
        self._handlers: dict[type, Callable[[Any], None]] = {
            fx.LoadKiosk: self._load_kiosk,
            fx.Identify: self._identify,
            fx.FindMyRequests: self._find_my_requests,
            fx.LoadMyRequests: self._load_my_requests,
            fx.Submit: self._submit,
            fx.CheckStatus: self._check_status,
            fx.Schedule: self._schedule,
            fx.PrintLetter: self._print_letter,
            fx.PrintReceipt: self._print_receipt,
            fx.SendRating: self._send_rating,
            fx.EndSession: self._end_session,
        }
        # The citizen can act only once the catalogue is shown: fetch it now (last, once
        # nothing here can fail any more), while the host attaches the runtime and the
        # devices open, not after them. Building the client imports `requests` and the
        # demo's starts its server. The flow's first LoadKiosk takes this answer.
        self._kiosk_prefetch: Future[ev.Event] | None = self._workers.submit(
            self._fetch_kiosk_ahead
        )

    def _make_sync(self) -> SyncWorker:
        from kiosk.sync import SyncWorker

        return SyncWorker(
            self.storage, self._client, self.settings.sync, self._trust_anchors, self._on_sync
        )

    def _make_print_service(self) -> PrintService:
        from kiosk.printing import PrintService

        return PrintService(
            self.storage,
            self._client,
            self.devices["document_printer"],  # type: ignore[arg-type]  # a DocumentPrinter by role
            self._trust_anchors,
            lambda: self._kiosk_id,
            self._post_unless_closed,
            self.sync.wake,
            self.settings.storage.reprint_limit,
            device_timeout_s=self.settings.timeouts.print_s,
        )

    # --- what the host calls ---------------------------------------------------------

    def start(self) -> None:
        """Open the devices and load the catalogue in the background; returns at once."""
        for role, device in self.devices.items():
            device.subscribe(self._device_listener(role))
        # What a citizen needs to begin (the catalogue, the card reader) comes first; the
        # printers open once the catalogue is in (or could not be had): opening one costs
        # CPU (the receipt printer loads python-escpos's profiles, ~0.25 s) that would
        # otherwise delay the catalogue on a 2-core kiosk, and nobody prints before it.
        later = [role for role in self.devices if role not in INPUT_ROLES]
        self._start_devices([role for role in self.devices if role in INPUT_ROLES])
        if self._kiosk_prefetch is not None and later:
            self._kiosk_prefetch.add_done_callback(lambda _: self._start_devices(later))
        else:
            self._start_devices(later)
        self.sync.start()
        self._in_background(self._open_diag_socket)  # its imports stay off the start path
        self._run_effects(self.flow.start())
        self._after(HEARTBEAT_S, self._send_heartbeat)
        self._in_background(self._sweep)

    def dispatch(self, event: ev.Event) -> None:
        """Main thread only: let the flow handle `event` and start its effects."""
        if self._closed:
            return
        self._run_effects(self.flow.handle(event))
        state = self.flow.state
        self._screen_name = state.screen.value
        if state.kiosk is not None:
            self._kiosk_id = state.kiosk.kiosk_id

    def view(self, lang: str = "id", translate: Translate | None = None) -> dict[str, Any]:
        """What the screens show, in `lang`; `translate` says the flow's messages in a
        language beyond Indonesian and English (kiosk.flow.texts.said_in)."""
        return view_model(
            self.flow.state,
            lang=lang,
            idle_left=self.flow.idle_warning_left(),
            translate=translate,
        )

    @property
    def screen(self) -> Screen:
        return self.flow.state.screen

    # --- for diagnostics and the technician screen (any thread) --------------------------

    @property
    def diagnostics(self) -> KioskDiagnostics:
        if self._diagnostics is None:
            from kiosk.diagnostics.service import KioskDiagnostics

            self._diagnostics = KioskDiagnostics(self)
        return self._diagnostics

    def cancel_card_read(self) -> None:
        """End a diagnostics card read's wait now (any thread; imports nothing)."""
        if self._diagnostics is not None:
            self._diagnostics.cancel_card_read()

    def _open_diag_socket(self) -> None:
        from kiosk.diagnostics.link import start_diag_server

        with self._devices_lock:  # not after shutdown began
            if not self._closed:
                self._diag_server = start_diag_server(self.settings.state_dir, self.diagnostics)

    @property
    def screen_name(self) -> str:
        return self._screen_name

    @property
    def kiosk_id(self) -> str:
        return self._kiosk_id

    @property
    def uptime_s(self) -> float:
        return self._clock() - self._started_at

    def backend_client(self) -> BackendClient:
        return self._client()

    def printing_busy(self) -> bool:
        return self.printing.busy() or bool(self._receipt_jobs)

    @property
    def citizen_input_held(self) -> bool:
        return self._citizen_input_held

    def hold_citizen_input(self, held: bool) -> None:
        """While held, card taps and scans do not reach the citizen flow (technician mode)."""
        self._citizen_input_held = held

    def shutdown(self) -> None:
        """An orderly stop: what is in flight finishes or stays queued on disk."""
        with self._devices_lock:
            self._closed = True  # no device starts from now on
        self._timers.close()
        if self._diag_server is not None:
            self._diag_server.close()
        self.cancel_card_read()
        self.printing.stop()
        self.sync.stop(timeout=15.0)
        closing = [device.close() for device in self.devices.values()]
        for job in closing:
            # Wait for each I/O thread to finish what it was doing (an open importing
            # python-escpos): a thread still in an import when the process ends crashes it.
            try:
                job.result(DEVICE_CLOSE_TIMEOUT_S)
            except Exception as error:
                log.warning("a device did not close cleanly: %s", error)
        self._workers.shutdown(wait=True, cancel_futures=True)
        self._local.shutdown(wait=True)  # a confirmed request being queued is finished
        with self._backend_lock:
            if self._backend is not None:
                self._backend.close()
        for stop in self._stop_on_shutdown:
            stop()  # the embedded server and its auto-signer, in the demo
        self.storage.close()

    # --- effects ---------------------------------------------------------------------

    def _run_effects(self, effects: list[fx.Effect]) -> None:
        for effect in effects:
            try:
                self._handlers[type(effect)](effect)
            except Exception:  # one failing effect must not cancel the ones after it
                log.exception("carrying out %s failed", type(effect).__name__)

    def _in_background(self, work: Callable[[], None]) -> None:
        def guarded() -> None:
            try:
                work()
            except Exception:
                log.exception("background work failed")

        if not self._closed:
            self._local.submit(guarded)

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

    def _trust_anchors(self) -> list[bytes]:
        anchors = []
        for path in self.settings.trust_anchor_paths():
            try:
                anchors.append(path.read_bytes())
            except OSError as exc:
                log.error("trust anchor %s cannot be read: %s", path, exc.strerror or exc)
        return anchors

    def _fetch_kiosk_ahead(self) -> ev.Event:
        """The start-up fetch of _load_kiosk, run before the flow asks (see __init__)."""
        return self._fetch_kiosk(self._client())

    def _fetch_kiosk(self, client: BackendClient) -> ev.Event:
        cache = self.storage.cache
        config = client.kiosk_config()
        known = cache.get("catalogue")
        version = Catalogue.model_validate(known[0]).version if known else None
        catalogue = client.catalogue(version)
        if catalogue is None:  # 304: the copy on disk is current
            assert known is not None
            catalogue = Catalogue.model_validate(known[0])
        else:
            cache.put("catalogue", catalogue.model_dump(mode="json"), catalogue.version)
        cache.put("kiosk_config", config.model_dump(mode="json"), None)
        return ev.KioskLoaded(config, catalogue)

    def _load_kiosk(self, effect: fx.LoadKiosk) -> None:
        """Configuration and catalogue from the backend (ETag-validated), else from disk."""
        # The first load takes the fetch started in __init__ (its answer, or its error);
        # a later one (a retry) asks the backend afresh.
        ahead, self._kiosk_prefetch = self._kiosk_prefetch, None

        def call(client: BackendClient) -> ev.Event:
            if ahead is not None:
                return ahead.result()
            return self._fetch_kiosk(client)

        def failed(failure: ev.Failure) -> ev.Event:
            cached = self._cached_kiosk()
            if cached is not None:
                log.warning(
                    "backend not answering (%s): serving the cached catalogue", failure.kind
                )
                return ev.KioskLoaded(*cached, cached=True)
            return ev.KioskLoadFailed(failure)

        self._backend_call(call, failed)

    def _cached_kiosk(self) -> tuple[KioskConfig, Catalogue] | None:
        try:
            config = self.storage.cache.get("kiosk_config")
            catalogue = self.storage.cache.get("catalogue")
            if config is None or catalogue is None:
                return None
            return KioskConfig.model_validate(config[0]), Catalogue.model_validate(catalogue[0])
        except Exception as exc:  # a cache from an older version: ignore it, it is a cache
            log.warning("cached catalogue unusable: %s", type(exc).__name__)
            return None

    def _identify(self, effect: fx.Identify) -> None:
        self._backend_call(
            lambda c: ev.Identified(effect.session_no, c.identify(effect.request)),
            lambda f: ev.IdentifyFailed(effect.session_no, f),
        )

    def _find_my_requests(self, effect: fx.FindMyRequests) -> None:
        """This kiosk's own records: they answer even while the backend cannot."""

        def work() -> None:
            records = self._records_for(effect.applicant, effect.pickup_code)
            found = tuple(self._as_my_request(r) for r in records)
            self._post_unless_closed(
                ev.MyRequestsFound(effect.session_no, found, by_code=effect.pickup_code is not None)
            )

        self._in_background(work)

    def _records_for(
        self, applicant: ApplicantByCard | ApplicantByNik | None, code: str | None
    ) -> list[LocalRequest]:
        requests = self.storage.requests
        if code is not None:
            found = requests.by_pickup_code(code)
            return [found] if found is not None else []
        if isinstance(applicant, ApplicantByCard):
            return requests.by_card(applicant.card_uid)
        if isinstance(applicant, ApplicantByNik):
            return requests.by_nik(applicant.nik)
        return []

    def _as_my_request(self, r: LocalRequest) -> ev.MyRequest:
        history = self.storage.journal.history(r.request_id) if r.request_id else []
        prints = sum(j.state is JobState.PRINTED for j in history)
        # A job a power cut left unresolved may have reached paper: only a counted reprint.
        maybe = any(j.state is JobState.UNCERTAIN for j in history)
        signed = r.status in ("ready", "collected") and r.document_sha256 is not None
        # A letter printed here may be printed again, a limited number of times.
        reprint_left = prints == 0 or prints - 1 < self.settings.storage.reprint_limit
        reachable = r.letter_on_disk or self.sync.link_up
        reason = Text(id=r.status_reason) if r.status_reason else None
        return ev.MyRequest(
            request_id=r.request_id,
            reference=r.tracking_code or r.local_id,
            service_name=Text.model_validate(r.service_name),
            status=r.status,
            reason=reason,
            sha256=r.document_sha256,
            printable=signed and reprint_left and reachable,
            reprint=prints > 0 or maybe,
            local_id=r.local_id,
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
        """Write the request to the outbox (durable before anything is sent), then wake sync."""

        def work() -> None:
            try:
                reference, code, already_queued = self._queue_submission(effect)
                number = self.storage.next_queue_number(datetime.now(self.zone))
            except Exception as exc:
                log.exception("the request could not be saved")
                failure = ev.Failure(ev.FailureKind.DEVICE, detail=f"storage: {exc}")
                self._post_unless_closed(ev.SubmitFailed(effect.session_no, failure))
                return
            crashpoints.crashpoint("submit.queued")
            self._post_unless_closed(ev.SubmitQueued(effect.session_no, reference, code, number))
            if already_queued is not None:  # after SubmitQueued: the flow needs its code
                self._answer_if_settled(effect.session_no, already_queued)
            self.sync.wake()

        self._in_background(work)

    def _queue_submission(self, effect: fx.Submit) -> tuple[str, str, OutboxItem | None]:
        """Queue the draft; returns its local id, a new pickup code, and the outbox item
        when the draft was queued already (a "try again" after a slow save)."""
        code = pickup.new_pickup_code()
        queued = self.storage.outbox.find(effect.idempotency_key)
        # "Try again" after a save that was only slow: the draft is queued already. Its
        # first pickup code never reached a receipt, so it gets a new one.
        if (
            queued is not None
            and queued.local_id is not None
            and self.storage.requests.reissue_pickup_code(queued.local_id, code)
        ):
            return queued.local_id, code, queued
        reference = pickup.new_kiosk_reference()
        with self._waiting_lock:  # before queueing: the answer may come back at once
            self._waiting[reference] = effect.session_no
        try:
            local, item = self.storage.queue_submit(
                effect.body.model_copy(update={"kiosk_reference": reference}),
                session_token=effect.session_token,
                service_name=self._service_name(effect.body.service_code),
                pickup_code=code,
                key=effect.idempotency_key,
            )
        except BaseException:
            with self._waiting_lock:
                self._waiting.pop(reference, None)
            raise
        log.info("request %s queued (outbox item %d)", local.local_id, item.id)
        return local.local_id, code, None

    def _answer_if_settled(self, session_no: int, queued: OutboxItem) -> None:
        """Wait for the backend's answer to an already queued request, or pass it on now."""
        if queued.state == "done" and queued.result is not None:
            request = LetterRequest.model_validate(queued.result)
            self._after(0.0, lambda: self._post_unless_closed(ev.Submitted(session_no, request)))
        elif queued.local_id is not None:
            with self._waiting_lock:
                self._waiting[queued.local_id] = session_no

    def _service_name(self, code: str) -> dict[str, str | None]:
        catalogue = self.flow.state.catalogue  # immutable snapshot; the name only
        service = (
            next((s for s in catalogue.services if s.code == code), None) if catalogue else None
        )
        if service is None:
            return {"id": code, "en": None}
        return {"id": service.name.id, "en": service.name.en}

    def _check_status(self, effect: fx.CheckStatus) -> None:
        self._backend_call(
            lambda c: ev.StatusChecked(effect.session_no, c.request_status(effect.request_id)),
            lambda f: ev.StatusCheckFailed(effect.session_no, effect.request_id, f),
        )

    def _print_letter(self, effect: fx.PrintLetter) -> None:
        self.printing.print_letter(
            effect.session_no,
            effect.request_id,
            effect.sha256,
            effect.tracking_code,
            local_id=effect.local_id,
            reprint=effect.reprint,
        )

    def _print_receipt(self, effect: fx.PrintReceipt) -> None:
        printer = self.devices["receipt_printer"]
        receipt = receipt_from_content(effect.receipt)
        job = printer.print_receipt(receipt, OWNER)  # type: ignore[attr-defined]
        self._receipt_jobs[effect.session_no] = job
        job.add_done_callback(lambda _job: self._receipt_jobs.pop(effect.session_no, None))
        self._when_done(
            job,
            lambda _r: ev.ReceiptPrinted(effect.session_no),
            lambda f: ev.PrintFailed(effect.session_no, ev.PrinterRole.RECEIPT, f),
        )

    def _end_session(self, effect: fx.EndSession) -> None:
        """The citizen left. A receipt still waiting for paper must not come out for the
        next person: it carries the pickup code of the letter."""
        job = self._receipt_jobs.pop(effect.session_no, None)
        cancel = getattr(self.devices["receipt_printer"], "cancel", None)
        if job is not None and not job.done() and cancel is not None and cancel(job.id):
            log.info(
                "receipt of session %d cancelled: the citizen left before it printed",
                effect.session_no,
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

    def _send_rating(self, effect: fx.SendRating) -> None:
        body = Rating(kiosk_id=self._kiosk_id, request_id=effect.request_id, score=effect.score)
        self._in_background(lambda: self._queue(OutboxKind.RATING, body.model_dump(mode="json")))

    def _queue(self, kind: OutboxKind, body: dict[str, Any]) -> None:
        self.storage.outbox.add(kind, body)
        self.sync.wake()

    def _schedule(self, effect: fx.Schedule) -> None:
        self._after(effect.delay_s, lambda: self._post_unless_closed(effect.event))

    def _after(self, delay_s: float, action: Callable[[], None]) -> None:
        if not self._closed:
            self._timers.call_later(delay_s, action)

    def _post_unless_closed(self, event: ev.Event) -> None:
        if not self._closed:
            self._post(event)

    # --- sync, heartbeat, retention -----------------------------------------------------

    def _on_sync(self, event: object) -> None:
        """From the sync thread: outbox results as flow events for whoever waits for them."""
        from kiosk import sync

        if isinstance(event, sync.LinkChanged):
            self._post_unless_closed(ev.LinkChanged(event.up))
        elif isinstance(event, sync.SubmitSettled):
            session_no = self._waiter(event.local_id)
            if session_no is not None:
                self._post_unless_closed(ev.Submitted(session_no, event.request))
        elif isinstance(event, sync.ReportSettled):
            # Printed and reported: the letter and the citizen's data may leave the disk now.
            self._in_background(self._sweep_once)
        elif isinstance(event, sync.SubmitFailedForGood):
            session_no = self._waiter(event.local_id)
            if session_no is not None:
                self._post_unless_closed(
                    ev.SubmitFailed(session_no, failure_from_dead_letter(event.code, event.reason))
                )

    def _waiter(self, local_id: str | None) -> int | None:
        with self._waiting_lock:
            return self._waiting.pop(local_id, None) if local_id else None

    def _send_heartbeat(self) -> None:
        kiosk_id, uptime_s = self._kiosk_id, int(self._clock() - self._started_at)
        screen = self._screen_name

        def queue() -> None:  # off the GUI thread: counting the outbox reads the disk
            body = heartbeat_body(
                kiosk_id=kiosk_id,
                uptime_s=uptime_s,
                screen=screen,
                settings=self.settings,
                devices=self.devices,
                outbox=self.storage.outbox.counts(),
            )
            self._queue(OutboxKind.HEARTBEAT, body)

        self._in_background(queue)
        self._after(HEARTBEAT_S, self._send_heartbeat)

    def _sweep(self) -> None:
        self._sweep_once()
        self._after(SWEEP_EVERY_S, lambda: self._in_background(self._sweep))

    def _sweep_once(self) -> None:
        if not self._closed:
            self.storage.retention_sweep(time.time(), self.settings.storage.retention_days)

    # --- devices -------------------------------------------------------------------------

    def _start_devices(self, roles: list[str]) -> None:
        """open + claim + enable each, on its own I/O thread (any thread may call this)."""
        with self._devices_lock:
            for role in roles:
                if not self._closed:
                    job = self.devices[role].start(OWNER)
                    job.add_done_callback(self._device_started(role))

    def _device_listener(self, role: str) -> Callable[[DeviceEvent], None]:
        def listener(event: DeviceEvent) -> None:
            if isinstance(event, StatusChanged):
                status = event.current
                self._post_unless_closed(
                    ev.DeviceStatusChanged(
                        role, status.usable, status.availability.value, status.detail
                    )
                )
            elif isinstance(event, DataReceived) and role in INPUT_ROLES:
                if self._citizen_input_held:
                    return  # a technician's test card, not a citizen's
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
            if role == "document_printer":
                # Before any citizen can print: settle what a crash left half done.
                self._in_background(lambda: log.info("print journal: %s", self.printing.resume()))

        return done


# --- translation between layers ------------------------------------------------------------


def card_event(data: object) -> ev.Event | None:
    """A card reader's data event as a flow event (None for what the flow ignores)."""
    from cardreader.base import CardPresented, CardReadFailed
    from cardreader.sam import IdentityRead
    from cardreader.wedge import CodeScanned

    if isinstance(data, CardPresented):
        return ev.CardPresented(data.uid, data.uid_is_random)
    if isinstance(data, IdentityRead):  # a SAM reader read the NIK from the chip
        return ev.IdentityRead(data.nik, data.fingerprint.value, data.reader)
    if isinstance(data, CodeScanned):  # a scanner on the reader's line: a receipt's QR
        return ev.PickupCodeScanned(data.text)
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

    rows = [(line.label, line.value) for line in content.rows]
    if content.pickup_code:  # the QR carries it too; printed for typing on the keypad
        rows.append(("Kode ambil", content.pickup_code))
    return Receipt(
        header=list(content.header),
        title=content.title,
        rows=rows,
        tracking_code=content.tracking_code,
        qr_payload=content.qr_payload,
        footer=list(content.footer),
    )


def build_devices(settings: KioskSettings) -> dict[str, Device]:
    """One driver per role, from the validated config (classes resolved by type)."""
    return {role: settings.make_device(role) for role in settings.roles}


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
