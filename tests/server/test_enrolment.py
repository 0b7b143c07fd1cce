"""Kiosk enrolment: an administrator makes a one-time token, a new kiosk trades it for its
own device token (kept hashed by the server), the token works once, and a kiosk can be
revoked. Over real HTTP, against the reference server on loopback."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import requests
from sqlalchemy import text

from apm_server.store import Store
from tests.databases import everything_in

from .conftest import API, Kiosk
from .test_api import error_of


def enrolment(kiosk: Kiosk, label: str = "Balai desa Sumberejo", hours: int = 72) -> dict:
    made = kiosk.admin("POST", "/admin/enrolments", json={"label": label, "valid_hours": hours})
    assert made.status_code == 201, made.text
    return made.json()


def enrol(kiosk: Kiosk, token: str) -> requests.Response:
    return requests.post(
        f"{kiosk.server.url}{API}/enrol", json={"enrolment_token": token}, timeout=30
    )


def as_device(kiosk: Kiosk, device_token: str) -> requests.Response:
    return requests.get(
        f"{kiosk.server.url}{API}/kiosk/config",
        headers={"Authorization": f"Bearer {device_token}"},
        timeout=30,
    )


def test_an_enrolment_token_gives_a_kiosk_its_own_device_token(kiosk: Kiosk, conforms):
    made = conforms(
        kiosk.admin("POST", "/admin/enrolments", json={"label": "Balai desa"}),
        "EnrolmentToken",
        "POST",
        "/admin/enrolments",
    )
    enrolled = conforms(enrol(kiosk, made["token"]), "Enrolled", "POST", "/enrol")
    assert enrolled["label"] == "Balai desa" and enrolled["kiosk_id"].startswith("KIOSK-")
    config = as_device(kiosk, enrolled["device_token"])
    assert config.status_code == 200
    assert config.json()["kiosk_id"] == enrolled["kiosk_id"]


def test_an_enrolment_token_works_once(kiosk: Kiosk):
    token = enrolment(kiosk)["token"]
    assert enrol(kiosk, token).status_code == 201
    again = enrol(kiosk, token)
    assert error_of(again) == (403, "forbidden")
    assert "already used" in again.json()["message"]["en"]


def test_two_kiosks_racing_with_one_token_get_one_device_token(kiosk: Kiosk):
    token = enrolment(kiosk)["token"]
    answers: list[int] = []
    racers = [
        threading.Thread(target=lambda: answers.append(enrol(kiosk, token).status_code))
        for _ in range(8)
    ]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    assert sorted(answers) == [201] + [403] * 7


def test_unknown_and_expired_tokens_are_refused(kiosk: Kiosk, tmp_path: Path):
    assert error_of(enrol(kiosk, "x" * 43)) == (403, "forbidden")
    token = enrolment(kiosk, hours=1)["token"]
    with kiosk.server.office.store.engine.begin() as db:
        db.execute(text("UPDATE enrolments SET expires_at = '2020-01-01T00:00:00+00:00'"))
    refused = enrol(kiosk, token)
    assert error_of(refused) == (403, "forbidden")
    assert "expired" in refused.json()["message"]["en"]


def test_only_the_administrator_makes_enrolment_tokens(kiosk: Kiosk):
    answer = kiosk.call("POST", "/admin/enrolments", json={"label": "x"})
    assert error_of(answer) == (401, "unauthorized")


def test_a_revoked_kiosk_is_refused_at_once(kiosk: Kiosk):
    enrolled = enrol(kiosk, enrolment(kiosk)["token"]).json()
    assert as_device(kiosk, enrolled["device_token"]).status_code == 200  # now cached
    revoked = kiosk.admin("POST", f"/admin/kiosks/{enrolled['kiosk_id']}/revoke")
    assert revoked.status_code == 204
    assert error_of(as_device(kiosk, enrolled["device_token"])) == (401, "unauthorized")
    assert kiosk.call("GET", "/kiosk/config").status_code == 200  # the others go on
    unknown = kiosk.admin("POST", "/admin/kiosks/KIOSK-NOPE/revoke")
    assert error_of(unknown) == (404, "not_found")


def test_the_server_keeps_no_working_token(kiosk: Kiosk):
    """A copy of the database gives no device or enrolment token that works."""
    token = enrolment(kiosk)["token"]
    device_token = enrol(kiosk, token).json()["device_token"]
    dump = everything_in(kiosk.server.office.store)
    assert token not in dump and device_token not in dump
    assert kiosk.server.kiosk_token not in dump  # the demo kiosk's too


def test_tokens_of_an_older_database_are_kept_hashed_from_then_on(tmp_path: Path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE kiosks (id TEXT PRIMARY KEY, token TEXT UNIQUE NOT NULL)")
        db.execute("INSERT INTO kiosks VALUES ('KIOSK-OLD', 'an-old-plain-token')")
    store = Store(path)
    assert store.kiosk_for_token("an-old-plain-token") == "KIOSK-OLD"
    assert "an-old-plain-token" not in "\n".join(sqlite3.connect(path).iterdump())
