"""The kiosk's one timer thread: order, cancellation on close, failures contained."""

from __future__ import annotations

import threading
import time

from kiosk.timers import Scheduler


def test_actions_run_in_due_order_on_one_thread():
    scheduler = Scheduler()
    ran: list[tuple[str, str]] = []
    done = threading.Event()
    scheduler.call_later(0.10, lambda: ran.append(("late", threading.current_thread().name)))
    scheduler.call_later(0.02, lambda: ran.append(("early", threading.current_thread().name)))
    scheduler.call_later(0.15, done.set)
    assert done.wait(5)
    assert [what for what, _ in ran] == ["early", "late"]
    assert len({thread for _, thread in ran}) == 1
    scheduler.close()


def test_a_failing_action_does_not_stop_the_next():
    scheduler = Scheduler()
    done = threading.Event()
    scheduler.call_later(0.0, lambda: 1 / 0)
    scheduler.call_later(0.01, done.set)
    assert done.wait(5)
    scheduler.close()


def test_close_drops_what_is_due_later_and_refuses_more():
    scheduler = Scheduler()
    fired = threading.Event()
    scheduler.call_later(0.2, fired.set)
    started = time.monotonic()
    scheduler.close()
    assert time.monotonic() - started < 1.0  # does not wait for the due time
    scheduler.call_later(0.0, fired.set)
    assert not fired.wait(0.4)
    assert scheduler.pending() == 0


def test_many_pending_deadlines_need_no_more_threads():
    before = threading.active_count()
    scheduler = Scheduler()
    for n in range(200):
        scheduler.call_later(60 + n, lambda: None)
    assert threading.active_count() == before + 1
    assert scheduler.pending() == 200
    scheduler.close()
