"""Kill the real kiosk at every step of submitting and printing, start it again, and count.

The kiosk is `apm-kiosk demo --autoplay` (the whole application, Qt offscreen) with its
state kept in a folder, against a real `apm-server` process. A script plays the citizen
and arms a crashpoint (kiosk/crashpoints.py): the kiosk SIGKILLs itself there, as a
power cut would. Then a second run starts from the same state. Whatever the moment:
- every confirmed request reaches the backend exactly once;
- every signed letter comes out of the (simulated, durable) A4 printer exactly once and
  the backend learns it was printed.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from apm_api.models import IdentifyByCard, SubmitRequest
from kiosk.backend.client import BackendClient
from tests.harness import REPO, ServerProcess

SITI_UID = "04A3B2C1D0E1F2"
pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    running = ServerProcess(tmp_path / "server", auto_sign_delay_s=None).start()
    yield running
    running.stop()


class Kiosk:
    """Runs the real kiosk on a script; its state folder survives every run."""

    def __init__(self, tmp_path: Path, server: ServerProcess) -> None:
        self.tmp_path, self.server = tmp_path, server
        self.state = tmp_path / "kiosk-state"
        self.runs = 0

    @property
    def paper(self) -> list[Path]:
        """Letters that came out of the A4 printer, over all runs."""
        return sorted((self.state / "paper").glob("*.pdf"))

    def command(self, steps: str) -> list[str]:
        self.runs += 1
        script = self.tmp_path / f"run-{self.runs}.toml"
        script.write_text(steps, encoding="utf-8")
        return [
            sys.executable, "-m", "kiosk.cli", "demo", "--autoplay",
            "--state-dir", str(self.state),
            "--backend-url", self.server.url,
            "--trust-anchor", str(self.server.ca_cert_path),
            "--script", str(script),
            "--out", str(self.tmp_path / f"out-{self.runs}"),
        ]  # fmt: skip

    def run(self, steps: str, *, killed: bool = False) -> None:
        result = subprocess.run(
            self.command(steps), cwd=REPO, env=kiosk_env(), capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        if killed:
            assert result.returncode == -signal.SIGKILL, (
                f"expected the crashpoint to kill the kiosk; exit {result.returncode}\n"
                f"{result.stderr[-3000:]}"
            )
        else:
            assert result.returncode == 0, result.stderr[-3000:]

    def start(self, steps: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command(steps), cwd=REPO, env=kiosk_env(), stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    def outbox(self, where: str = "1") -> int:
        """Count outbox rows by reading the kiosk's database (read-only, beside the kiosk)."""
        path = self.state / "kiosk.db"
        if not path.exists():
            return 0
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            return int(db.execute(f"SELECT count(*) FROM outbox WHERE {where}").fetchone()[0])


def kiosk_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "APM_KIOSK_CRASH_AT"}
    return {**env, "QT_QPA_PLATFORM": "offscreen", "PYTHONUNBUFFERED": "1"}


def toml(*steps: str) -> str:
    return "\n".join(f"[[step]]\n{step}\n" for step in steps)


FILL_IN = (
    'expect = "attract"',
    'do = "tap_card"\nuid = "04A3B2C1D0E1F2"',
    'expect = "services"',
    'do = "press"\ntarget = "service-SKD"',
    'expect = "form"',
    'do = "type"\ntarget = "field-keperluan"\ntext = "Melamar pekerjaan"',
    'do = "press"\ntarget = "nextButton"',
    'expect = "confirm"',
)
LET_SYNC_RUN = ('expect = "attract"', 'do = "wait"\nseconds = 4')


def requests_of_siti(server: ServerProcess) -> list:
    client = BackendClient(server.url, server.kiosk_token)
    try:
        session = client.identify(IdentifyByCard(card_uid=SITI_UID))
        return list(client.my_requests(session.session_token).requests)
    finally:
        client.close()


@pytest.mark.parametrize("crashpoint", ["submit.queued", "submit.sent", "submit.settled"])
def test_killed_while_submitting_the_request_reaches_the_backend_once(
    tmp_path: Path, server: ServerProcess, crashpoint: str
):
    kiosk = Kiosk(tmp_path, server)
    kiosk.run(
        toml(
            *FILL_IN,
            f'do = "kill_at"\nat = "{crashpoint}"',
            'do = "press"\ntarget = "confirmButton"',
            'do = "wait"\nseconds = 30',
        ),
        killed=True,
    )
    kiosk.run(toml(*LET_SYNC_RUN))
    assert len(requests_of_siti(server)) == 1
    assert kiosk.outbox("state = 'pending' AND kind = 'submit'") == 0


def signed_request(server: ServerProcess) -> str:
    """A request of Siti's, signed by the village head, ready to print."""
    client = BackendClient(server.url, server.kiosk_token)
    try:
        session = client.identify(IdentifyByCard(card_uid=SITI_UID))
        body = SubmitRequest(
            service_code="SKD",
            fields={"keperluan": "Melamar pekerjaan", "alamat_domisili": "Dusun Krajan"},
        )
        request = client.submit(session.session_token, body, "crash-test-0001")
    finally:
        client.close()
    import requests

    signed = requests.post(
        f"{server.url}/api/v1/admin/requests/{request.id}/sign",
        headers={"Authorization": f"Bearer {server.admin_token}"},
        timeout=30,
    )
    signed.raise_for_status()
    return request.id


def print_it(request_id: str) -> tuple[str, ...]:
    return (
        'expect = "attract"',
        'do = "tap_card"\nuid = "04A3B2C1D0E1F2"',
        'expect = "services"',
        'do = "wait"\nseconds = 2',  # the backend's list of ready letters arrives
        f'do = "press"\ntarget = "ready-{request_id}"',
    )


@pytest.mark.parametrize(
    ("crashpoint", "on_paper_before_restart"),
    [
        ("print.verified", False),
        ("print.started", False),
        ("print.printed", True),
        ("print.recorded", True),
        ("report.sent", True),
    ],
)
def test_killed_while_printing_the_letter_comes_out_exactly_once(
    tmp_path: Path, server: ServerProcess, crashpoint: str, on_paper_before_restart: bool
):
    request_id = signed_request(server)
    kiosk = Kiosk(tmp_path, server)
    kiosk.run(
        toml(
            *print_it(request_id)[:-1],
            f'do = "kill_at"\nat = "{crashpoint}"',
            print_it(request_id)[-1],
            'do = "wait"\nseconds = 30',
        ),
        killed=True,
    )
    assert len(kiosk.paper) == (1 if on_paper_before_restart else 0)
    if on_paper_before_restart:
        # The restarted kiosk finds the letter on paper and reports it; nothing is printed.
        kiosk.run(toml(*LET_SYNC_RUN))
    else:
        # Nothing reached paper: the citizen taps the card again and prints it.
        kiosk.run(toml(*print_it(request_id), 'expect = "done"', 'do = "wait"\nseconds = 3'))
    assert len(kiosk.paper) == 1
    assert _status(server, request_id) == "collected"
    # A third visit: nothing left to print, nothing printed.
    kiosk.run(toml(*LET_SYNC_RUN))
    assert len(kiosk.paper) == 1


def _status(server: ServerProcess, request_id: str) -> str:
    client = BackendClient(server.url, server.kiosk_token)
    deadline = time.monotonic() + 10
    try:
        while True:
            status = client.request_status(request_id).status.value
            if status == "collected" or time.monotonic() > deadline:
                return status
            time.sleep(0.2)
    finally:
        client.close()


def test_an_orderly_stop_while_offline_loses_nothing(tmp_path: Path, server: ServerProcess):
    kiosk = Kiosk(tmp_path, server)
    kiosk.run(toml(*LET_SYNC_RUN))  # the catalogue is fetched once and kept on disk
    server.stop()
    process = kiosk.start(
        toml(
            *FILL_IN[:4],
            'expect = "form"',
            'do = "type"\ntarget = "field-keperluan"\ntext = "Melamar pekerjaan"',
            'do = "type"\ntarget = "field-alamat_domisili"\ntext = "Dusun Krajan RT 002"',
            'do = "press"\ntarget = "nextButton"',
            'expect = "confirm"',
            'do = "press"\ntarget = "confirmButton"',
            'expect = "done"\ntimeout_s = 40',
            'do = "wait"\nseconds = 60',
        )
    )
    try:
        deadline = time.monotonic() + 90
        while kiosk.outbox("kind = 'submit'") == 0:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the request was never queued"
            time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode != -signal.SIGKILL
    assert kiosk.outbox("state = 'pending' AND kind = 'submit'") == 1  # kept for later
    server.start()
    kiosk.run(toml(*LET_SYNC_RUN))
    [request] = requests_of_siti(server)
    assert request.identity_verified is False
    assert kiosk.outbox("state = 'pending' AND kind = 'submit'") == 0
