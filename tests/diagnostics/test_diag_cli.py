"""`apm-kiosk diag` with the kiosk not running: diag opens the devices itself."""

from __future__ import annotations

import http.server
import tarfile
import threading
import time
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path

import pytest

from drivers.sim.escpos_peer import EscposPeer
from kiosk.storage import KioskStorage
from tests.diagnostics.conftest import kiosk_config, run_diag
from tests.harness import free_port

FAULTY_DEVICES = """
[devices.receipt_printer]
type = "escpos"
transport = { type = "simulated", faults = ["paper_out"] }
[devices.document_printer]
type = "simulated"
faults = ["cover_open"]
[devices.card_reader]
type = "simulated"
faults = ["unplugged"]
"""


def test_a_kiosk_in_good_order_reports_all_well(config_for):
    run = run_diag("--config", str(config_for()), "--json")

    assert run.code == 0, run.stdout + run.stderr
    report = run.report
    assert report["ok"] is True and report["exit_code"] == 0
    assert report["devices_from"] == "opened by diag"
    for role in ("receipt_printer", "document_printer", "card_reader"):
        assert run.check("device", role)["level"] == "ok"
    printer = run.check("device", "receipt_printer")["details"]
    assert printer["type"] == "escpos" and "cut" in printer["capabilities"]["features"]
    assert run.check("backend", "reachable")["details"]["latency_ms"] > 0
    assert run.check("backend", "auth")["level"] == "ok"
    assert run.check("backend", "tls")["level"] == "warning"  # plain http on loopback
    assert run.check("clock", "skew")["level"] == "ok"
    assert run.check("storage", "disk space")["level"] == "ok"


def test_the_text_report_has_a_line_per_check_and_a_verdict(config_for):
    run = run_diag("--config", str(config_for()))

    assert run.code == 0
    assert "ok  device/receipt_printer" in run.stdout
    assert run.stdout.rstrip().splitlines()[-1].startswith("all well:")


def test_faulty_devices_are_named_with_what_is_wrong_and_the_exit_code_says_so(config_for):
    run = run_diag("--config", str(config_for(devices=FAULTY_DEVICES)), "--json")

    assert run.code == 1
    assert run.report["ok"] is False
    receipt = run.check("device", "receipt_printer")
    assert receipt["level"] == "fault" and "paper" in receipt["summary"]
    assert receipt["details"]["status"]["paper"] == "out"
    document = run.check("device", "document_printer")
    assert document["level"] == "fault" and "cover" in document["summary"]
    reader = run.check("device", "card_reader")
    assert reader["level"] == "fault" and "unplugged" in reader["summary"]
    assert run.check("backend", "auth")["level"] == "ok"  # the rest is still checked


def test_paper_low_is_a_warning_not_a_fault(config_for):
    devices = (
        FAULTY_DEVICES.replace('"paper_out"', '"paper_low"')
        .replace('faults = ["cover_open"]', "")
        .replace('faults = ["unplugged"]', "")
    )
    run = run_diag("--config", str(config_for(devices=devices)), "--json")

    assert run.code == 0, run.stdout
    check = run.check("device", "receipt_printer")
    assert check["level"] == "warning" and "paper low" in check["summary"]


def network_printer(port: int) -> str:
    return f"""
[devices.receipt_printer]
type = "escpos"
transport = {{ type = "tcp", host = "127.0.0.1", port = {port}, connect_timeout_s = 1.0 }}
[devices.document_printer]
type = "simulated"
[devices.card_reader]
type = "simulated"
"""


def test_an_emulated_network_printer_ok_then_out_of_paper_then_gone(config_for):
    with EscposPeer.tcp() as peer:
        config = config_for(devices=network_printer(peer.port))
        good = run_diag("--config", str(config), "device", "receipt_printer", "--json")
        assert good.code == 0, good.stdout + good.stderr
        assert good.check("device", "receipt_printer")["level"] == "ok"

        peer.inject("paper_out")
        empty = run_diag("--config", str(config), "device", "receipt_printer", "--json")
        assert empty.code == 1
        assert "paper" in empty.check("device", "receipt_printer")["summary"]

    gone = run_diag("--config", str(config), "device", "receipt_printer", "--json")
    assert gone.code == 1
    assert gone.check("device", "receipt_printer")["level"] == "fault"


def test_a_test_print_prints_on_the_emulated_printer(config_for):
    with EscposPeer.tcp() as peer:
        config = config_for(devices=network_printer(peer.port))
        run = run_diag("--config", str(config), "test-print", "receipt_printer", "--json")

        assert run.code == 0, run.stdout + run.stderr
        assert "test print done" in run.check("device", "receipt_printer")["summary"]
        deadline = time.monotonic() + 5
        while not peer.receipts() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert peer.receipts(), "the emulator received no receipt"


def test_a_missing_serial_port_is_named(config_for):
    devices = """
[devices.receipt_printer]
type = "escpos"
transport = { type = "serial", port = "/dev/ttyAPM-not-there", baudrate = 19200 }
[devices.document_printer]
type = "simulated"
[devices.card_reader]
type = "simulated"
"""
    run = run_diag("--config", str(config_for(devices=devices)), "--json")

    assert run.code == 1
    port = run.check("port", "receipt_printer /dev/ttyAPM-not-there")
    assert port["level"] == "fault" and "not there" in port["summary"]


def test_a_serial_port_that_is_there_is_checked_ok(config_for, tmp_path: Path):
    (tmp_path / "pty").mkdir()
    with EscposPeer.pty(tmp_path / "pty") as peer:
        devices = f"""
[devices.receipt_printer]
type = "escpos"
transport = {{ type = "serial", port = "{peer.printer_port}", baudrate = 115200 }}
[devices.document_printer]
type = "simulated"
[devices.card_reader]
type = "simulated"
"""
        run = run_diag("--config", str(config_for(devices=devices)), "--json")

    assert run.check("port", f"receipt_printer {peer.printer_port}")["level"] == "ok", run.stdout
    assert run.check("device", "receipt_printer")["level"] == "ok"


def test_a_bad_config_is_exit_code_2_naming_the_key(tmp_path: Path):
    config = tmp_path / "kiosk.toml"
    config.write_text('[backend]\nurl = "ftp://nowhere"\n[devices]\n', encoding="utf-8")

    run = run_diag("--config", str(config), "--json")

    assert run.code == 2
    problem = run.check("config", "file")
    assert problem["level"] == "fault"
    assert "backend.url" in problem["summary"] and str(config) in problem["summary"]


def test_a_missing_config_file_is_exit_code_2(tmp_path: Path):
    run = run_diag("--config", str(tmp_path / "absent.toml"))

    assert run.code == 2
    assert "absent.toml" in run.stdout


def test_a_revoked_token_is_an_auth_fault(config_for):
    run = run_diag("--config", str(config_for(token="not-the-token")), "--json")

    assert run.code == 1
    auth = run.check("backend", "auth")
    assert auth["level"] == "fault" and "re-provision" in auth["summary"]


def test_an_unreachable_backend_is_a_fault_naming_the_url(tmp_path: Path, backend):
    url = f"http://127.0.0.1:{free_port()}"
    config = kiosk_config(tmp_path, url=url, ca=backend.ca_cert_path)

    run = run_diag("--config", str(config), "--json")

    assert run.code == 1
    reachable = run.check("backend", "reachable")
    assert reachable["level"] == "fault" and url in reachable["summary"]
    assert run.check("device", "card_reader")["level"] == "ok"


class SkewedBackend(http.server.BaseHTTPRequestHandler):
    skew_s = 600.0

    def do_GET(self) -> None:
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def date_time_string(self, timestamp: float | None = None) -> str:
        return formatdate(time.time() + self.skew_s, usegmt=True)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def skewed_backend() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SkewedBackend)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_clock_ten_minutes_off_the_backend_is_a_fault(tmp_path: Path, skewed_backend, backend):
    config = kiosk_config(tmp_path, url=skewed_backend, ca=backend.ca_cert_path)

    run = run_diag("--config", str(config), "--json")

    skew = run.check("clock", "skew")
    assert skew["level"] == "fault", skew
    assert "behind the backend" in skew["summary"]
    assert -610 < skew["details"]["skew_s"] < -590
    assert run.code == 1


def test_a_kiosk_holding_its_state_without_a_socket_is_not_fought(config_for, tmp_path: Path):
    config = config_for()
    storage = KioskStorage.open(tmp_path / "state")  # as a kiosk does while it runs
    try:
        run = run_diag("--config", str(config), "--json")
    finally:
        storage.close()

    assert run.code == 1
    app = run.check("kiosk", "app")
    assert "running" in app["summary"] and "no diagnostics socket" in app["summary"]
    assert not [c for c in run.report["checks"] if c["area"] == "device"]


def test_the_support_bundle_has_the_report_logs_and_no_secrets(config_for, tmp_path: Path):
    config = config_for()
    logs = tmp_path / "state" / "logs"
    logs.mkdir(parents=True)
    (logs / "kiosk.log").write_text("2026-12-01 INFO kiosk.flow: card tapped UID…F2\n")
    bundle = tmp_path / "support.tar.gz"

    run = run_diag("--config", str(config), "--bundle", str(bundle))

    assert run.code == 0, run.stdout + run.stderr
    assert bundle.stat().st_mode & 0o777 == 0o600
    with tarfile.open(bundle) as tar:
        names = {m.name.split("/", 1)[1] for m in tar.getmembers()}
        text = b"".join(
            tar.extractfile(m).read()
            for m in tar.getmembers()
            if m.isfile()  # type: ignore[union-attr]
        )
    assert {"report.json", "report.txt", "config-masked.toml", "logs/kiosk.log"} <= names
    assert b"card tapped" in text
    assert b"demo-kiosk-token" not in text and b"********" in text
