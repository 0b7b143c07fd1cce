"""Named places where a test (or the demo script's `kill` step) can kill the kiosk.

Durability is only proven by dying at the worst moment: between "the server has it" and
"we wrote down that the server has it", or between "the paper came out" and "we wrote
down that it came out". Each such place calls `crashpoint(name)`; when that name is armed
the process sends itself SIGKILL at once: no cleanup, no flush, as a power cut would.

Armed through $APM_KIOSK_CRASH_AT (comma-separated names) or `arm()`. Unarmed, a
crashpoint costs one set lookup.
"""

from __future__ import annotations

import logging
import os
import signal

ENV = "APM_KIOSK_CRASH_AT"

# Every crashpoint in the code, so that a script naming another one is refused up front.
NAMES = (
    "submit.queued",  # the request is in the outbox, nothing sent yet
    "submit.sent",  # the backend has the request; the outbox does not know yet
    "submit.settled",  # the outbox recorded the answer; the flow has not shown it
    "print.verified",  # the letter passed its checks; nothing sent to the printer
    "print.started",  # the journal says "printing"; the printer has the job
    "print.printed",  # the printer finished; the journal does not know yet
    "print.recorded",  # the journal says "printed" and the report is queued, not sent
    "report.sent",  # the backend knows it was printed; the outbox does not know yet
)

log = logging.getLogger(__name__)
_armed: set[str] = {n.strip() for n in os.environ.get(ENV, "").split(",") if n.strip()}


class UnknownCrashpoint(ValueError):
    pass


def arm(name: str) -> None:
    if name not in NAMES:
        raise UnknownCrashpoint(f"unknown crashpoint {name!r}; known: {', '.join(NAMES)}")
    _armed.add(name)


def disarm_all() -> None:
    _armed.clear()


def crashpoint(name: str) -> None:
    if name in _armed:
        log.warning("crashpoint %s: killing the kiosk now (test)", name)
        for handler in logging.getLogger().handlers:
            handler.flush()
        os.kill(os.getpid(), signal.SIGKILL)
