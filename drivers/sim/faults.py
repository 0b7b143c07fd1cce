"""Faults a simulated device can be told to have, now or at a scripted moment.

OctoPrint's virtual printer showed the way: a fake that behaves like the real thing and
takes its faults from settings (for a scripted demo or test) or from commands at run time
(for a developer panel). A simulated device's `FaultPlan` holds the active faults; the
device asks it what is wrong before it answers a status query or does a job.

Settings, as in a kiosk TOML file:

    faults = ["cover_open"]                                  # active from the start
    fault_script = [{at_job = 2, fault = "paper_out"},       # paper runs out at job 2
                    {at_job = 4, fault = "paper_out", action = "clear"},
                    {at_job = 5, after_bytes = 300, fault = "cover_open"}]   # mid-job

`at_job` counts print jobs (printers), `at_read` counts card taps (card readers); both
start at 1, and a step applies when that job or read starts. With `after_bytes = N` a
job step applies instead once N bytes of that job have been printed (mid-job): only
devices that take a byte stream count bytes (the ESC/POS virtual printer); the others
refuse such a step (`counts_job_bytes = False`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from drivers.device import Device
from drivers.model import Lifecycle


class Fault(StrEnum):
    PAPER_OUT = "paper_out"
    PAPER_LOW = "paper_low"  # near end: still prints
    COVER_OPEN = "cover_open"
    UNPLUGGED = "unplugged"  # the device is gone: no answer, no I/O
    NO_STATUS = "no_status"  # prints, but never answers status queries (cheap printers)
    CARD_REMOVED_MID_READ = "card_removed_mid_read"
    RANDOM_UID = "random_uid"  # the card shows a fresh random UID at every tap


PRINTER_FAULTS = frozenset({Fault.PAPER_OUT, Fault.PAPER_LOW, Fault.COVER_OPEN, Fault.UNPLUGGED})
ESCPOS_PRINTER_FAULTS = PRINTER_FAULTS | {Fault.NO_STATUS}
CARD_READER_FAULTS = frozenset({Fault.UNPLUGGED, Fault.CARD_REMOVED_MID_READ, Fault.RANDOM_UID})

Counter = Literal["at_job", "at_read"]
Listener = Callable[[frozenset[Fault]], None]


class ScriptedFault(BaseModel):
    """At job (or read) number N, make `fault` active (or clear it); with `after_bytes`,
    once that many bytes of job N have been printed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    at_job: int | None = Field(default=None, ge=1)
    at_read: int | None = Field(default=None, ge=1)
    after_bytes: int | None = Field(default=None, ge=1)
    fault: Fault
    action: Literal["inject", "clear"] = "inject"

    @model_validator(mode="after")
    def _exactly_one_moment(self) -> ScriptedFault:
        if (self.at_job is None) == (self.at_read is None):
            raise ValueError("give exactly one of at_job or at_read")
        if self.after_bytes is not None and self.at_job is None:
            raise ValueError("after_bytes counts the bytes of a print job: give at_job with it")
        return self

    @property
    def counter(self) -> Counter:
        return "at_job" if self.at_job is not None else "at_read"

    @property
    def at(self) -> int:
        return self.at_job if self.at_job is not None else (self.at_read or 0)


class FaultSettings(BaseModel):
    """The fault part of a simulated device's settings; subclasses say what they support."""

    model_config = ConfigDict(extra="forbid")

    supported_faults: ClassVar[frozenset[Fault]] = frozenset(Fault)
    script_counter: ClassVar[Counter] = "at_job"
    counts_job_bytes: ClassVar[bool] = True  # False: `after_bytes` steps are refused

    faults: list[Fault] = Field(default_factory=list)
    fault_script: list[ScriptedFault] = Field(default_factory=list)

    @field_validator("faults")
    @classmethod
    def _faults_supported(cls, faults: list[Fault]) -> list[Fault]:
        for fault in faults:
            _check_supported(fault, cls.supported_faults)
        return faults

    @field_validator("fault_script")
    @classmethod
    def _script_fits_device(cls, script: list[ScriptedFault]) -> list[ScriptedFault]:
        for step in script:
            _check_supported(step.fault, cls.supported_faults)
            if step.counter != cls.script_counter:
                raise ValueError(f"this device counts {cls.script_counter}, not {step.counter}")
            if step.after_bytes is not None and not cls.counts_job_bytes:
                raise ValueError("this device does not count the bytes of a job (after_bytes)")
        return script

    def fault_plan(self) -> FaultPlan:
        return FaultPlan(self.faults, self.fault_script, supported=self.supported_faults)


def _check_supported(fault: Fault, supported: frozenset[Fault]) -> None:
    if fault not in supported:
        names = ", ".join(sorted(supported))
        raise ValueError(f"fault {fault.value!r} is not supported here; supported: {names}")


class FaultPlan:
    """The faults of one simulated device. Thread-safe: any thread may inject or clear.

    Listeners get the new set of active faults after every change, on the thread that
    made it; they must be quick (a device queues a status refresh, nothing more).
    """

    def __init__(
        self,
        active: Iterable[Fault | str] = (),
        script: Iterable[ScriptedFault] = (),
        *,
        supported: frozenset[Fault] = frozenset(Fault),
    ) -> None:
        self._supported = supported
        self._lock = threading.Lock()
        self._active = {self._known(f) for f in active}
        self._script = list(script)
        self._counts: dict[Counter, int] = {"at_job": 0, "at_read": 0}
        self._done_mid_job: set[int] = set()  # indexes of after_bytes steps applied this job
        self._listeners: list[Listener] = []

    @property
    def active(self) -> frozenset[Fault]:
        with self._lock:
            return frozenset(self._active)

    @property
    def supported(self) -> frozenset[Fault]:
        return self._supported

    def __contains__(self, fault: object) -> bool:
        with self._lock:
            return fault in self._active

    def inject(self, fault: Fault | str) -> None:
        self._change(self._known(fault), active=True)

    def clear(self, fault: Fault | str) -> None:
        self._change(self._known(fault), active=False)

    def clear_all(self) -> None:
        with self._lock:
            changed, self._active = bool(self._active), set()
        if changed:
            self._notify()

    def begin_job(self) -> int:
        """A print job starts: apply the script's steps for it; returns its number."""
        return self._advance("at_job")

    def job_progress(self, printed_bytes: int) -> None:
        """`printed_bytes` of the current job are printed: apply its `after_bytes` steps
        that are due, each once."""
        with self._lock:
            job, before = self._counts["at_job"], frozenset(self._active)
            for index, step in enumerate(self._script):
                due = step.after_bytes is not None and step.after_bytes <= printed_bytes
                if due and step.at_job == job and index not in self._done_mid_job:
                    self._done_mid_job.add(index)
                    self._apply(step)
            changed = before != self._active
        if changed:
            self._notify()

    def begin_read(self) -> int:
        """A card read starts: apply the script's steps for it; returns its number."""
        return self._advance("at_read")

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    # --- internals -----------------------------------------------------------------------

    def _known(self, fault: Fault | str) -> Fault:
        try:
            known = Fault(fault)
        except ValueError:
            raise ValueError(f"unknown fault {fault!r}; known: {', '.join(Fault)}") from None
        _check_supported(known, self._supported)
        return known

    def _change(self, fault: Fault, *, active: bool) -> None:
        with self._lock:
            changed = (fault in self._active) != active
            if active:
                self._active.add(fault)
            else:
                self._active.discard(fault)
        if changed:
            self._notify()

    def _advance(self, counter: Counter) -> int:
        with self._lock:
            self._counts[counter] += 1
            number = self._counts[counter]
            before = frozenset(self._active)
            if counter == "at_job":
                self._done_mid_job.clear()
            for step in self._script:
                if step.counter == counter and step.at == number and step.after_bytes is None:
                    self._apply(step)
            changed = before != self._active
        if changed:
            self._notify()
        return number

    def _apply(self, step: ScriptedFault) -> None:
        if step.action == "inject":
            self._active.add(step.fault)
        else:
            self._active.discard(step.fault)

    def _notify(self) -> None:
        with self._lock:
            listeners, active = list(self._listeners), frozenset(self._active)
        for listener in listeners:
            listener(active)


class FaultControls:
    """What every simulator offers a developer panel or a test: its faults."""

    def __init__(self, faults: FaultPlan) -> None:
        self.faults = faults

    def inject(self, fault: Fault | str) -> None:
        self.faults.inject(fault)

    def clear(self, fault: Fault | str) -> None:
        self.faults.clear(fault)

    def active_faults(self) -> frozenset[Fault]:
        """A method, not a property: the same call on every simulator, for a panel."""
        return self.faults.active

    @property
    def supported_faults(self) -> frozenset[Fault]:
        return self.faults.supported


def refresh_status_on_change(device: Device, faults: FaultPlan) -> Callable[[], None]:
    """Make `device` re-read its status as soon as a fault changes, rather than at its
    next poll: a developer panel (or a test) sees the StatusChanged event at once."""

    def refresh(_active: frozenset[Fault]) -> None:
        if device.lifecycle is not Lifecycle.CLOSED:
            device.refresh_status()  # queued on the device's I/O thread; never blocks

    return faults.subscribe(refresh)
