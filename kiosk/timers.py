"""One thread for every "later" in the kiosk: deadlines, polls, retries, the heartbeat.

A `threading.Timer` per call would start a thread for each deadline and each status poll,
and a print deadline sleeps two minutes: dozens of sleeping threads, each with its own
stack. One scheduler thread with a heap of due times does the same work.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

Action = Callable[[], None]


class Scheduler:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic, name: str = "timers"):
        self._clock = clock
        self._due: list[tuple[float, int, Action]] = []
        self._order = itertools.count()  # equal due times keep their order
        self._changed = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def call_later(self, delay_s: float, action: Action) -> None:
        """Run `action` on the scheduler's thread after `delay_s` (never, once closed)."""
        with self._changed:
            if self._closed:
                return
            heapq.heappush(
                self._due, (self._clock() + max(0.0, delay_s), next(self._order), action)
            )
            self._changed.notify()

    def pending(self) -> int:
        with self._changed:
            return len(self._due)

    def close(self, timeout_s: float = 5.0) -> None:
        """Drop what is still due and stop the thread (an action running now finishes)."""
        with self._changed:
            self._closed = True
            self._due.clear()
            self._changed.notify()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._closed and (not self._due or self._due[0][0] > self._clock()):
                    wait = self._due[0][0] - self._clock() if self._due else None
                    self._changed.wait(wait)
                if self._closed:
                    return
                _, _, action = heapq.heappop(self._due)
            try:
                action()
            except Exception:  # one failing action must not stop the others
                log.exception("a scheduled action failed")
