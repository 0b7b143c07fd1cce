"""`apm-server` from a shell: the village office signs, rejects and lists requests."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from apm_server import __version__
from apm_server.app import RunningServer
from tests.databases import database_url

from .conftest import SITI_MASKED, SITI_NIK, Kiosk

CLI = [sys.executable, "-m", "apm_server.cli"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        env={**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})},
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("apm-server: ")
    return lines[0]


@pytest.fixture
def state(server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """The server's state folder; the commands find its database there, or (a server on
    PostgreSQL) from the environment, as an office's shell would have it."""
    url = database_url(server.office.state_dir)
    if url is not None:
        monkeypatch.setenv("APM_SERVER_DATABASE_URL", url)
    return str(server.office.state_dir)


def test_version():
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"apm-server {__version__}"


def test_sign_of_an_unknown_request_is_one_clear_line(state: str):
    line = one_line_error(run("sign", "req-does-not-exist", "--state-dir", state))
    assert "req-does-not-exist" in line


def test_sign_a_waiting_request(kiosk: Kiosk, state: str):
    request = kiosk.new_request("key-cli-sign-001")
    result = run("sign", request["id"], "--state-dir", state)
    assert result.returncode == 0, result.stderr
    status = kiosk.status(request["id"])  # the running server sees the other process's work
    assert status["status"] == "ready"
    number = status["document"]["letter_number"]
    assert result.stdout.strip() == f"signed {request['tracking_code']}: {number}"
    pdf = kiosk.call("GET", f"/requests/{request['id']}/document")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    # Signing twice is refused, in one line, and the letter stays as it was.
    line = one_line_error(run("sign", request["id"], "--state-dir", state))
    assert "ready" in line
    assert kiosk.status(request["id"])["document"]["letter_number"] == number


def test_reject_a_request(kiosk: Kiosk, state: str):
    request = kiosk.new_request("key-cli-reject-01")
    result = run("reject", request["id"], "--reason", "Berkas belum lengkap", "--state-dir", state)
    assert result.returncode == 0, result.stderr
    assert request["tracking_code"] in result.stdout
    status = kiosk.status(request["id"])
    assert (status["status"], status["reject_reason"]["id"]) == ("rejected", "Berkas belum lengkap")
    one_line_error(run("reject", request["id"], "--reason", "Lagi", "--state-dir", state))
    one_line_error(run("sign", request["id"], "--state-dir", state))


def test_list_masks_the_nik(kiosk: Kiosk, state: str):
    waiting = kiosk.new_request("key-cli-list-0001")
    signed = kiosk.new_request("key-cli-list-0002")
    kiosk.sign(signed["id"])
    result = run("list", "--state-dir", state)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    for line, request, status in zip(
        lines, (waiting, signed), ("awaiting_signature", "ready"), strict=True
    ):
        assert request["id"] in line and request["tracking_code"] in line
        assert "SKD" in line and status in line
        assert SITI_MASKED in line
    assert SITI_NIK not in result.stdout + result.stderr
    # The state folder may also come from the environment.
    from_env = run("list", env={"APM_SERVER_STATE_DIR": state})
    assert from_env.stdout == result.stdout


def test_list_says_which_requests_came_in_offline(kiosk: Kiosk, state: str):
    offline = kiosk.submit_offline(
        "key-cli-offline-1", {"method": "card", "card_uid": "5A3C9E01"}, kiosk_reference="K01-0042"
    ).json()
    online = kiosk.new_request("key-cli-online-01")
    result = run("list", "--state-dir", state)
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.strip().splitlines()}
    assert "identity: unverified (sent offline, kiosk ref K01-0042)" in lines[offline["id"]]
    assert "unverified" not in lines[online["id"]]


def test_commands_without_server_state_fail_in_one_line(tmp_path: Path):
    empty = str(tmp_path / "nothing-here")
    for args in (("list",), ("sign", "req-x"), ("reject", "req-x", "--reason", "r")):
        line = one_line_error(run(*args, "--state-dir", empty))
        assert "no server state" in line
    assert not (tmp_path / "nothing-here").exists()  # a typo must not create a new database


def test_usage_errors_exit_2():
    result = run("sign")
    assert result.returncode == 2
    assert "usage:" in result.stderr and "Traceback" not in result.stderr


def test_the_cli_function_signs_in_process(
    kiosk: Kiosk, state: str, capsys: pytest.CaptureFixture[str]
):
    """`apm_server.cli.main` as the console script calls it, without a subprocess."""
    from apm_server.cli import main

    request = kiosk.new_request("key-cli-inproc-01")
    assert main(["sign", request["id"], "--state-dir", state]) == 0
    number = kiosk.status(request["id"])["document"]["letter_number"]
    assert number in capsys.readouterr().out
    assert main(["sign", "req-unknown", "--state-dir", state]) == 1
    assert "req-unknown" in capsys.readouterr().err


def test_serve_answers_and_stops_on_ctrl_c(tmp_path: Path):
    state = tmp_path / "served"
    process = subprocess.Popen(
        [*CLI, "serve", "--port", "0", "--state-dir", str(state), "--auto-sign-delay", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()  # printed once the socket listens
        url = re.search(r"listening on (http://\S+)", banner)
        assert url, banner
        assert requests.get(url[1] + "/healthz", timeout=10).text == "ok"
        assert (state / "demo-ca" / "ca.pem").exists()
        # `serve` runs the demo: its residents are there.
        identified = requests.post(
            url[1] + "/api/v1/identify",
            json={"method": "card", "card_uid": "04A3B2C1D0E1F2"},
            headers={"Authorization": "Bearer demo-kiosk-token"},
            timeout=10,
        )
        assert identified.json()["resident"]["nik_masked"] == SITI_MASKED
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "Traceback" not in stderr
