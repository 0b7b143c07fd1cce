"""Killed at the worst moment: between "the backend has it" and "we wrote that down".

The kiosk runs in a child process armed with a crashpoint (SIGKILL, no cleanup); the test
then opens the same state, as the restarted kiosk would, and checks that nothing is lost
and nothing is done twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from apm_api.models import MarkPrinted
from apm_server.app import RunningServer
from kiosk.crashpoints import ENV
from kiosk.sync import LetterReady, ReportSettled, SubmitSettled
from tests.harness import REPO
from tests.sync.conftest import SITI_CARD, Kiosk, wait_for


def run_kiosk_until_killed(state_dir: Path, running: RunningServer, crash_at: str) -> None:
    code = f"""
        import time
        from kiosk.backend.client import BackendClient
        from kiosk.config import SyncSection
        from kiosk.storage import KioskStorage
        from kiosk.sync import SyncWorker
        storage = KioskStorage.open({str(state_dir)!r})
        client = BackendClient({running.url!r}, {running.kiosk_token!r})
        settings = SyncSection(retry_min_s=0.05, retry_max_s=0.2, prefetch_every_s=60)
        worker = SyncWorker(storage, lambda: client, settings, lambda: [], lambda event: None)
        worker.start()
        time.sleep(30)
        raise SystemExit(3)  # the crashpoint was never reached
    """
    child = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**os.environ, "PYTHONPATH": str(REPO), ENV: crash_at},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert f"crashpoint {crash_at}" in child.stderr


@pytest.mark.parametrize("crash_at", ["submit.sent", "submit.settled"])
def test_a_crash_around_the_answer_neither_loses_nor_doubles_the_request(
    server, make_kiosk, crash_at: str
) -> None:
    kiosk: Kiosk = make_kiosk(server)
    local, item = kiosk.queue(card=SITI_CARD)
    state_dir = kiosk.storage.db.state_dir
    kiosk.storage.close()  # the child kiosk owns the state now

    run_kiosk_until_killed(state_dir, server, crash_at)
    [created] = server.office.store.requests()  # the backend has it

    restarted: Kiosk = make_kiosk(server, state_dir=state_dir)  # the kiosk starts again
    after_crash = restarted.storage.outbox.get(item.id)
    assert after_crash is not None
    if crash_at == "submit.sent":
        assert after_crash.state == "pending"  # not written down: it will go again
    else:
        assert after_crash.state == "done"
    restarted.worker.start()
    if crash_at == "submit.sent":
        [settled] = wait_for(lambda: restarted.events_of(SubmitSettled), what="the replay")
        assert settled.request.id == created.id  # the same request, replayed
    wait_for(restarted.drained)
    mine = restarted.storage.requests.get(local.local_id)
    assert mine is not None and mine.request_id == created.id
    assert len(server.office.store.requests()) == 1


def test_a_crash_after_the_printed_report_reaches_the_backend(signing_server, make_kiosk):
    kiosk: Kiosk = make_kiosk(signing_server)
    local, _ = kiosk.queue(card=SITI_CARD)
    kiosk.worker.start()
    [ready] = wait_for(lambda: kiosk.events_of(LetterReady), what="the letter")
    assert kiosk.worker.stop(10)
    sha = kiosk.storage.requests.get(local.local_id).document_sha256  # type: ignore[union-attr]
    job = kiosk.storage.journal.begin(ready.request_id, sha, local_id=local.local_id)
    report = kiosk.storage.journal.mark_printed(
        job.job_id, MarkPrinted(kiosk_id="KIOSK-DEMO-01", document_sha256=sha).model_dump()
    )
    state_dir = kiosk.storage.db.state_dir
    kiosk.storage.close()

    run_kiosk_until_killed(state_dir, signing_server, "report.sent")
    assert signing_server.office.store.request(ready.request_id).status == "collected"  # type: ignore[union-attr]

    restarted: Kiosk = make_kiosk(signing_server, state_dir=state_dir)
    assert restarted.storage.outbox.get(report.id).state == "pending"  # type: ignore[union-attr]
    restarted.worker.start()
    assert wait_for(lambda: restarted.events_of(ReportSettled)) == [ReportSettled(ready.request_id)]
    assert restarted.storage.outbox.get(report.id).state == "done"  # type: ignore[union-attr]
    assert restarted.storage.journal.prints_of(ready.request_id) == 1
