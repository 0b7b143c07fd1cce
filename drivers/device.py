"""The base of every device: lifecycle, ownership, one I/O thread, status edges, jobs.

Every device owns exactly one I/O thread (as Electrum does per hardware wallet). All
talking to hardware happens there, so:
- no caller ever blocks on hardware: public methods queue work and return a `Job`;
- a device never sees two commands interleaved;
- a GUI never runs device I/O (the Qt layer only calls the non-blocking methods).

Subclasses implement the `_..._io` hooks, which always run on the I/O thread, and add
kind-specific job methods built on `_submit`.
"""

from __future__ import annotations

import itertools
import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from drivers.model import (
    UNKNOWN_STATUS,
    Availability,
    Capabilities,
    DataReceived,
    DeviceError,
    DeviceEvent,
    DeviceKind,
    DeviceStatus,
    ErrorKind,
    HealthCheck,
    HealthLevel,
    HealthReport,
    JobCompleted,
    Lifecycle,
    StatusChanged,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
Listener = Callable[[DeviceEvent], None]


@dataclass(frozen=True)
class Job(Generic[T]):
    """An asynchronous piece of device work. `result()` blocks; GUIs use events instead."""

    id: str
    future: Future[T]

    def result(self, timeout: float | None = None) -> T:
        return self.future.result(timeout)

    def done(self) -> bool:
        return self.future.done()

    def add_done_callback(self, fn: Callable[[Job[T]], None]) -> None:
        self.future.add_done_callback(lambda _f: fn(self))


class Device(ABC):
    """A device of one kind, driven through its lifecycle from any thread."""

    kind: ClassVar[DeviceKind]

    def __init__(self, device_id: str, *, poll_interval_s: float | None = None) -> None:
        self.device_id = device_id
        self._poll_interval_s = poll_interval_s
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"io-{device_id}")
        self._state_lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._lifecycle = Lifecycle.CLOSED
        self._owner: str | None = None
        self._status = UNKNOWN_STATUS
        self._job_numbers = itertools.count(1)
        self._stop_polling = threading.Event()
        self._poller: threading.Thread | None = None
        self._shut_down = False

    # --- what every device must say about itself ------------------------------------

    @property
    @abstractmethod
    def capabilities(self) -> Capabilities: ...

    @abstractmethod
    def _open_io(self) -> None:
        """Connect to the device (open the port, find the reader). Raise DeviceError."""

    @abstractmethod
    def _close_io(self) -> None:
        """Disconnect. Must not raise for an already lost device."""

    @abstractmethod
    def _read_status_io(self) -> DeviceStatus:
        """Ask the device for its status now. Must not raise: report NO_DEVICE/ERROR."""

    # Optional hooks: empty on purpose, so not abstract.
    def _enable_io(self) -> None:  # noqa: B027
        """Start delivering input / accepting work. Default: nothing to do."""

    def _disable_io(self) -> None:  # noqa: B027
        """Stop delivering input. Default: nothing to do."""

    def _health_checks_io(self, level: HealthLevel) -> list[HealthCheck]:
        """Checks beyond the status read, for `level`. Default: none."""
        return []

    # --- state, readable from any thread ---------------------------------------------

    @property
    def status(self) -> DeviceStatus:
        """The last known status; reading it does no I/O."""
        with self._state_lock:
            return self._status

    @property
    def lifecycle(self) -> Lifecycle:
        with self._state_lock:
            return self._lifecycle

    @property
    def owner(self) -> str | None:
        with self._state_lock:
            return self._owner

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(event)` on the I/O thread for every event; returns an unsubscribe."""
        with self._state_lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._state_lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    # --- lifecycle, callable from any thread -------------------------------------------

    def open(self) -> Job[None]:
        return self._run("open", self._do_open)

    def claim(self, owner: str) -> Job[None]:
        return self._run("claim", lambda: self._do_claim(owner))

    def enable(self, owner: str) -> Job[None]:
        return self._run("enable", lambda: self._do_enable(owner))

    def disable(self, owner: str) -> Job[None]:
        return self._run("disable", lambda: self._do_disable(owner))

    def release(self, owner: str) -> Job[None]:
        return self._run("release", lambda: self._do_release(owner))

    def start(self, owner: str) -> Job[None]:
        """open + claim + enable in one job: what the kiosk does at start-up."""

        def all_steps() -> None:
            self._do_open()
            self._do_claim(owner)
            self._do_enable(owner)

        return self._run("start", all_steps)

    def close(self) -> Job[None]:
        """Release everything and stop the I/O thread. The device cannot be reopened."""
        job = self._run("close", self._do_close)
        self._stop_polling.set()
        self._shut_down = True
        self._io.shutdown(wait=False)
        return job

    def refresh_status(self) -> Job[DeviceStatus]:
        return self._run("status", self._refresh_status_io)

    def check_health(
        self, level: HealthLevel = HealthLevel.INTERNAL, owner: str | None = None
    ) -> Job[HealthReport]:
        """Internal checks need no ownership; external and interactive ones act visibly
        (print a test page), so only the device's current owner may run them."""

        def check() -> HealthReport:
            if level is not HealthLevel.INTERNAL:
                self._check_owner_present(owner)
            status = self._refresh_status_io()
            checks = [
                HealthCheck(
                    "status",
                    status.usable,
                    f"{status.availability.value}: {status.detail}".rstrip(": "),
                )
            ]
            if self.lifecycle is not Lifecycle.CLOSED:
                checks += self._health_checks_io(level)
            return HealthReport(self.device_id, level, status, tuple(checks))

        return self._run("health", check)

    # --- for subclasses --------------------------------------------------------------

    def _submit(self, owner: str, name: str, work: Callable[[], T]) -> Job[T]:
        """Queue device work that needs the device enabled and owned by `owner`.

        A JobCompleted event follows, whether it succeeded or not.
        """
        return self._submit_job(owner, name, lambda _job_id: work())

    def _submit_job(self, owner: str, name: str, work: Callable[[str], T]) -> Job[T]:
        """As `_submit`, for work that needs its own job id (to label what it produced)."""

        def guarded(job_id: str) -> T:
            with self._state_lock:
                lifecycle, current_owner = self._lifecycle, self._owner
            if current_owner != owner:
                raise DeviceError(
                    ErrorKind.NOT_CLAIMED, f"{self.device_id} is owned by {current_owner!r}"
                )
            if lifecycle is not Lifecycle.ENABLED:
                raise DeviceError(ErrorKind.ILLEGAL, f"{self.device_id} is not enabled")
            return work(job_id)

        return self._run_job(name, guarded, emit_completion=True)

    def _run_on_io(self, work: Callable[[], T]) -> Future[T]:
        """Run `work` on the I/O thread with no ownership check (simulator controls)."""
        return self._io.submit(work)

    def _set_status(self, current: DeviceStatus) -> None:
        """Record a status; emit StatusChanged only on an edge. Call on the I/O thread."""
        with self._state_lock:
            previous, self._status = self._status, current
        if previous != current:
            self._emit(StatusChanged(self.device_id, previous, current))

    def _emit_data(self, data: Any) -> None:
        self._emit(DataReceived(self.device_id, data))

    # --- internals -------------------------------------------------------------------

    def _run(self, name: str, work: Callable[[], T], *, emit_completion: bool = False) -> Job[T]:
        return self._run_job(name, lambda _job_id: work(), emit_completion=emit_completion)

    def _run_job(
        self, name: str, work: Callable[[str], T], *, emit_completion: bool = False
    ) -> Job[T]:
        job_id = f"{self.device_id}-{name}-{next(self._job_numbers)}"
        future: Future[T] = Future()
        if self._shut_down:
            future.set_exception(DeviceError(ErrorKind.ILLEGAL, f"{self.device_id} is closed"))
            return Job(job_id, future)

        def execute() -> None:
            try:
                result = work(job_id)
            except Exception as exc:  # device code must never kill the I/O thread
                error = exc if isinstance(exc, DeviceError) else _unexpected(self, name, exc)
                future.set_exception(error)
                if emit_completion:
                    self._emit(JobCompleted(self.device_id, job_id, ok=False, error=error))
            else:
                future.set_result(result)
                if emit_completion:
                    self._emit(JobCompleted(self.device_id, job_id, ok=True, result=result))

        try:
            self._io.submit(execute)
        except RuntimeError:  # executor shut down between the check and the submit
            future.set_exception(DeviceError(ErrorKind.ILLEGAL, f"{self.device_id} is closed"))
        return Job(job_id, future)

    def _emit(self, event: DeviceEvent) -> None:
        with self._state_lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                log.exception("listener of %s failed on %r", self.device_id, event)

    def _refresh_status_io(self) -> DeviceStatus:
        if self.lifecycle is Lifecycle.CLOSED:
            status = DeviceStatus(Availability.UNKNOWN, detail="device closed")
        else:
            status = self._read_status_io()
        self._set_status(status)
        return status

    def _require(self, *allowed: Lifecycle) -> Lifecycle:
        with self._state_lock:
            lifecycle = self._lifecycle
        if lifecycle not in allowed:
            raise DeviceError(
                ErrorKind.ILLEGAL,
                f"{self.device_id} is {lifecycle.value}, expected one of "
                + ", ".join(a.value for a in allowed),
            )
        return lifecycle

    def _set_lifecycle(self, lifecycle: Lifecycle, owner: str | None) -> None:
        with self._state_lock:
            self._lifecycle, self._owner = lifecycle, owner

    def _do_open(self) -> None:
        if self._require(Lifecycle.CLOSED, Lifecycle.OPEN) is Lifecycle.OPEN:
            return
        self._open_io()
        self._set_lifecycle(Lifecycle.OPEN, None)
        self._refresh_status_io()

    def _do_claim(self, owner: str) -> None:
        with self._state_lock:
            current = self._owner
        if current is not None and current != owner:
            raise DeviceError(ErrorKind.NOT_CLAIMED, f"{self.device_id} is owned by {current!r}")
        if self._require(Lifecycle.OPEN, Lifecycle.CLAIMED, Lifecycle.ENABLED) is Lifecycle.OPEN:
            self._set_lifecycle(Lifecycle.CLAIMED, owner)

    def _check_owner(self, owner: str) -> None:
        if self.owner != owner:
            raise DeviceError(ErrorKind.NOT_CLAIMED, f"{self.device_id} is not owned by {owner!r}")

    def _check_owner_present(self, owner: str | None) -> None:
        if owner is None or self.owner != owner:
            raise DeviceError(
                ErrorKind.NOT_CLAIMED,
                f"{self.device_id}: claim it before checks that act on it "
                f"(owned by {self.owner!r}, asked by {owner!r})",
            )

    def _do_enable(self, owner: str) -> None:
        self._check_owner(owner)
        if self._require(Lifecycle.CLAIMED, Lifecycle.ENABLED) is Lifecycle.ENABLED:
            return
        self._enable_io()
        self._set_lifecycle(Lifecycle.ENABLED, owner)
        self._start_polling()

    def _do_disable(self, owner: str) -> None:
        self._check_owner(owner)
        if self._require(Lifecycle.CLAIMED, Lifecycle.ENABLED) is Lifecycle.CLAIMED:
            return
        self._disable_io()
        self._set_lifecycle(Lifecycle.CLAIMED, owner)

    def _do_release(self, owner: str) -> None:
        self._check_owner(owner)
        if self.lifecycle is Lifecycle.ENABLED:
            self._do_disable(owner)
        self._set_lifecycle(Lifecycle.OPEN, None)

    def _do_close(self) -> None:
        lifecycle = self.lifecycle
        if lifecycle is Lifecycle.CLOSED:
            return
        if lifecycle is Lifecycle.ENABLED:
            self._disable_io()
        try:
            self._close_io()
        finally:
            self._set_lifecycle(Lifecycle.CLOSED, None)

    def _start_polling(self) -> None:
        if not self._poll_interval_s or self._poller is not None:
            return
        interval = self._poll_interval_s

        def poll_loop() -> None:
            last: Future[DeviceStatus] | None = None
            while not self._stop_polling.wait(interval):
                if self.lifecycle is not Lifecycle.ENABLED:
                    continue
                if last is not None and not last.done():
                    continue  # a slow device: never queue polls faster than it answers
                try:
                    last = self._io.submit(self._refresh_status_io)
                except RuntimeError:
                    return  # shut down

        self._poller = threading.Thread(
            target=poll_loop, name=f"poll-{self.device_id}", daemon=True
        )
        self._poller.start()


def _unexpected(device: Device, job: str, exc: Exception) -> DeviceError:
    log.exception("unexpected error in %s job %s", device.device_id, job)
    return DeviceError(ErrorKind.HARDWARE, f"{type(exc).__name__}: {exc}")
