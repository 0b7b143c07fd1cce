"""Smart-city figures: per kiosk and for the village over a period, services delivered,
how long they took, availability and satisfaction; as JSON and as CSV for a spreadsheet."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone
from datetime import time as dt_time

from sqlalchemy import update

from apm_server.schema import requests
from apm_server.store import now, wib
from tests.databases import server_store

from .conftest import SITI_NIK, Kiosk
from .test_api import error_of

WIB = timezone(timedelta(hours=7))


def deliver(kiosk: Kiosk, key: str) -> None:
    """A request submitted, signed and printed at the demo kiosk."""
    request = kiosk.new_request(key)
    signed = kiosk.sign(request["id"]).json()
    assert kiosk.printed(request["id"], signed["document"]["sha256"], key + "-p").status_code in (
        200,
        204,
    )


def today() -> str:
    return wib(now()).date().isoformat()


def test_figures_count_what_the_kiosk_delivered(kiosk: Kiosk, conforms):
    deliver(kiosk, "key-figures-01")
    deliver(kiosk, "key-figures-02")
    rejected = kiosk.new_request("key-figures-03")
    kiosk.reject(rejected["id"], "Data tidak lengkap")
    kiosk.call("POST", "/ratings", json={"kiosk_id": "KIOSK-DEMO-01", "score": 4})
    kiosk.call("POST", "/ratings", json={"kiosk_id": "KIOSK-DEMO-01", "score": 3})
    kiosk.call(
        "POST",
        "/heartbeat",
        json={"kiosk_id": "KIOSK-DEMO-01", "software_version": "0.1.0", "uptime_s": 1,
              "screen": "attract"},
    )  # fmt: skip
    answer = kiosk.admin("GET", f"/admin/figures?from={today()}&to={today()}")
    figures = conforms(answer, "Figures", "GET", "/admin/figures")
    demo, village = figures["rows"]
    assert demo["kiosk_id"] == "KIOSK-DEMO-01" and village["kiosk_id"] is None
    assert village["label"] == "Desa Sumberejo" and village["village_code"] == "35.23.01.2001"
    for row in (demo, village):
        assert row["requests_submitted"] == 3
        assert (row["letters_signed"], row["letters_printed"]) == (2, 2)
        assert row["requests_rejected"] == 1
        assert 0 <= row["median_hours_to_signature"] <= row["median_hours_to_print"] < 0.1
        assert (row["ratings"], row["mean_rating"]) == (2, 3.5)
        assert row["satisfaction_index"] == 87.5
        assert 0 < row["availability_pct"] <= 100


def test_figures_as_csv_for_a_spreadsheet(kiosk: Kiosk):
    deliver(kiosk, "key-figures-csv")
    answer = kiosk.admin("GET", f"/admin/figures?from={today()}&to={today()}&format=csv")
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [r["kiosk_id"] for r in rows] == ["KIOSK-DEMO-01", ""]
    assert rows[0]["letters_printed"] == "1" and rows[0]["period_from"] == today()
    assert rows[0]["mean_rating"] == ""  # none given: empty, not 0


def test_a_period_before_anything_happened_has_zeros(kiosk: Kiosk):
    deliver(kiosk, "key-figures-old")
    yesterday = (date.fromisoformat(today()) - timedelta(days=1)).isoformat()
    rows = kiosk.admin("GET", f"/admin/figures?from=2026-01-01&to={yesterday}").json()["rows"]
    assert rows[0]["requests_submitted"] == 0 and rows[0]["median_hours_to_print"] is None


def test_a_bad_period_is_said_plainly(kiosk: Kiosk):
    for query in (
        "from=2026-13-01",
        "from=2026-11-30&to=2026-11-01",
        "from=2020-01-01&to=2026-01-01",
    ):
        answer = kiosk.admin("GET", f"/admin/figures?{query}")
        assert error_of(answer) == (400, "bad_request"), query
    assert error_of(kiosk.call("GET", "/admin/figures")) == (401, "unauthorized")


def test_a_day_is_the_villages_day_whatever_the_hour_in_utc(tmp_path):
    """Moments are kept in UTC; a day asked for is a day in WIB. A request made at 00:30
    WIB on 2 December (17:30 UTC on the 1st) counts on the 2nd, not on the 1st: the
    server once compared the two as text and lost every request made after 17:00 UTC."""
    store = server_store(tmp_path / "state", demo=True)
    request_id, _ = store.create_request(
        key="key-figures-wib", body_hash="x", nik=SITI_NIK, kiosk_id="KIOSK-DEMO-01",
        service_code="SKD", fields={}, status="under_review",
    )  # fmt: skip
    with store.engine.begin() as db:
        db.execute(
            update(requests)
            .where(requests.c.id == request_id)
            .values(created_at="2026-12-01T17:30:00+00:00", updated_at="2026-12-01T17:30:00+00:00")
        )

    def submitted_on(day: date) -> int:
        start = datetime.combine(day, dt_time(), WIB)
        rows = store.figures(start, start + timedelta(days=1))
        return next(r["requests_submitted"] for r in rows if r["kiosk_id"] is None)

    assert submitted_on(date(2026, 12, 2)) == 1
    assert submitted_on(date(2026, 12, 1)) == 0
