"""Dying at the worst moments: a child kiosk is killed (SIGKILL, as by a power cut) at each
print crashpoint; the next start's resume() must leave exactly one letter on paper and
exactly one report queued, whatever the moment was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from apm_server.signing import DemoCA
from kiosk.crashpoints import ENV
from kiosk.flow import events as ev
from kiosk.printing import ALREADY_PRINTED, ResumeSummary
from kiosk.storage import JobState, KioskStorage
from tests.printing.conftest import local_letter, signed

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("crashpoint", "left", "resumed", "printed_before_restart"),
    [
        ("print.verified", JobState.VERIFIED, ResumeSummary(not_started=1), False),
        ("print.started", JobState.PRINTING, ResumeSummary(interrupted=1), False),
        ("print.printed", JobState.PRINTING, ResumeSummary(printed=1), True),
        ("print.recorded", JobState.PRINTED, ResumeSummary(), True),
    ],
)
def test_a_crash_while_printing_still_prints_the_letter_exactly_once(
    tmp_path: Path,
    make_kiosk,
    trusted_ca: DemoCA,
    crashpoint: str,
    left: JobState,
    resumed: ResumeSummary,
    printed_before_restart: bool,
):
    letter = local_letter(signed(trusted_ca))
    storage = KioskStorage.open(tmp_path / "state")
    storage.letters.put(letter.request_id, letter.pdf)  # prefetched by the sync worker
    storage.close()
    # print.started: the printer has the job but needs a second for the page.
    delay_s = "1.0" if crashpoint == "print.started" else "0"
    child = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.printing.crash_child",
            str(tmp_path / "state"),
            str(tmp_path / "tray"),
            letter.request_id,
            letter.sha256,
            str(trusted_ca.ca_cert),
            delay_s,
        ],
        cwd=ROOT,
        env={**os.environ, ENV: crashpoint},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == -signal.SIGKILL, (child.returncode, child.stdout, child.stderr)

    kiosk = make_kiosk()  # the kiosk starts again on the same disk, with the same tray
    (job,) = kiosk.storage.journal.history(letter.request_id)
    assert job.state is left
    assert (len(kiosk.tray_files()) == 1) is printed_before_restart
    assert kiosk.service.resume() == resumed
    assert kiosk.storage.journal.unfinished() == []

    outcome = kiosk.print_and_wait(1, letter)  # the citizen (or the next visit) asks again
    if printed_before_restart:
        assert outcome.failure == ev.Failure(ev.FailureKind.REJECTED, detail=ALREADY_PRINTED)
    else:
        assert outcome == ev.DocumentPrinted(1, letter.request_id)
    assert len(kiosk.tray_files()) == 1
    assert kiosk.storage.journal.prints_of(letter.request_id) == 1
    assert [r["request_id"] for r in kiosk.reports()] == [letter.request_id]
