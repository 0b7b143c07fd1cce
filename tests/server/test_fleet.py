"""The district's fleet view: each kiosk's latest heartbeat (devices, paper, outbox, dead
letters, version), late kiosks flagged; as JSON, and as a page a browser can open."""

from __future__ import annotations

import base64
import time
from types import SimpleNamespace

import requests

from apm_server.demo_data import ADMIN_TOKEN
from drivers.model import Availability, DeviceStatus, PaperLevel
from kiosk.heartbeat import heartbeat_body

from .conftest import API, Kiosk
from .test_api import error_of


def beat(kiosk: Kiosk, **extra) -> None:
    body = {
        "kiosk_id": "KIOSK-DEMO-01",
        "software_version": "0.1.0",
        "uptime_s": 3600,
        "screen": "attract",
        "devices": [
            {"role": "receipt_printer", "type": "escpos", "availability": "online",
             "paper": "low"},
            {"role": "card_reader", "type": "pcsc", "availability": "no-device",
             "detail": "pcscd not running"},
        ],
        "outbox_pending": 2,
        "dead_letters": 1,
        **extra,
    }  # fmt: skip
    assert kiosk.call("POST", "/heartbeat", json=body).status_code == 200


def fleet(kiosk: Kiosk, conforms=None) -> dict:
    answer = kiosk.admin("GET", "/admin/fleet")
    if conforms is not None:
        return conforms(answer, "Fleet", "GET", "/admin/fleet")
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_fleet_shows_each_kiosks_latest_heartbeat(kiosk: Kiosk, conforms):
    kiosk.server.office.store.add_kiosk("KIOSK-SILENT", "silent-token", "Balai dusun Krajan")
    beat(kiosk, screen="services")
    beat(kiosk)  # the latest counts
    by_id = {k["kiosk_id"]: k for k in fleet(kiosk, conforms)["kiosks"]}
    demo = by_id["KIOSK-DEMO-01"]
    assert demo["late"] is False and demo["screen"] == "attract"
    assert demo["paper_low"] is True
    assert (demo["outbox_pending"], demo["dead_letters"]) == (2, 1)
    assert demo["devices"][1]["detail"] == "pcscd not running"
    silent = by_id["KIOSK-SILENT"]
    assert silent["late"] is True and silent["last_seen"] is None  # never heard from
    assert silent["label"] == "Balai dusun Krajan"


def test_a_kiosk_not_heard_from_for_a_while_is_flagged(kiosk: Kiosk):
    kiosk.server.office.fleet_late_s = 1
    beat(kiosk)
    assert fleet(kiosk)["kiosks"][0]["late"] is False
    time.sleep(1.2)
    assert fleet(kiosk)["kiosks"][0]["late"] is True


def test_district_staff_open_the_fleet_in_a_browser(kiosk: Kiosk):
    kiosk.server.office.store.add_kiosk("KIOSK-X", "x-token", "<b>Balai</b> & co")
    beat(kiosk)
    login = base64.b64encode(f"staf:{ADMIN_TOKEN}".encode()).decode()
    page = requests.get(
        f"{kiosk.server.url}{API}/admin/fleet",
        headers={"Accept": "text/html", "Authorization": f"Basic {login}"},
        timeout=30,
    )
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "KIOSK-DEMO-01" in page.text and "kertas menipis" in page.text
    assert "TERLAMBAT" in page.text  # KIOSK-X has never sent a heartbeat
    assert "&lt;b&gt;Balai&lt;/b&gt; &amp; co" in page.text and "<b>Balai" not in page.text


def test_only_the_district_sees_the_fleet(kiosk: Kiosk):
    assert error_of(kiosk.call("GET", "/admin/fleet")) == (401, "unauthorized")
    wrong = base64.b64encode(b"staf:not-the-token").decode()
    answer = requests.get(
        f"{kiosk.server.url}{API}/admin/fleet",
        headers={"Authorization": f"Basic {wrong}"},
        timeout=30,
    )
    assert error_of(answer) == (401, "unauthorized")


def test_the_kiosk_reports_paper_and_its_outbox():
    printer = SimpleNamespace(status=DeviceStatus(Availability.ONLINE, paper=PaperLevel.LOW))
    reader = SimpleNamespace(status=DeviceStatus(Availability.ONLINE))
    settings = SimpleNamespace(device_type=lambda role: "simulated")
    body = heartbeat_body(
        kiosk_id="KIOSK-DEMO-01",
        uptime_s=5,
        screen="attract",
        settings=settings,  # type: ignore[arg-type]
        devices={"receipt_printer": printer, "card_reader": reader},  # type: ignore[dict-item]
        outbox={"pending": 3, "done": 40, "dead": 1},
    )
    assert body["outbox_pending"] == 3 and body["dead_letters"] == 1
    assert body["devices"][0]["paper"] == "low"
    assert "paper" not in body["devices"][1]  # a reader has none to tell
    assert body["components"]["python"].startswith("3.")
    assert "qt" in body["components"]


def test_the_fleet_shows_what_each_kiosk_runs_on(kiosk: Kiosk):
    components = {"python": "3.11.2", "qt": "6.8.1", "os": "Debian GNU/Linux 12 (bookworm)"}
    beat(kiosk, components=components)

    [demo] = [k for k in fleet(kiosk)["kiosks"] if k["kiosk_id"] == "KIOSK-DEMO-01"]
    assert demo["components"] == components
    login = base64.b64encode(f"staf:{ADMIN_TOKEN}".encode()).decode()
    page = requests.get(
        f"{kiosk.server.url}{API}/admin/fleet",
        headers={"Accept": "text/html", "Authorization": f"Basic {login}"},
        timeout=30,
    )
    assert "qt 6.8.1" in page.text and "os Debian GNU/Linux 12 (bookworm)" in page.text


def test_a_heartbeat_with_too_many_components_is_refused(kiosk: Kiosk):
    many = {f"lib{n}": "1.0" for n in range(21)}
    answer = kiosk.call(
        "POST",
        "/heartbeat",
        json={"kiosk_id": "KIOSK-DEMO-01", "software_version": "0.1.0", "uptime_s": 1,
              "screen": "attract", "components": many},
    )  # fmt: skip
    assert error_of(answer) == (422, "bad_request")
    assert "components" in answer.json()["message"]["en"]
