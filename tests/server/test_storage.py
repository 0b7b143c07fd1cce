"""The database file: one made by the first release still works; threads share it safely."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path

from apm_server.office import DB_NAME
from apm_server.store import Store
from tests.databases import server_store, sqlite_only

from .conftest import SITI_CARD, SITI_NIK, Kiosk, serving

# The tables exactly as the first release of the reference server created them.
OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS kiosks (id TEXT PRIMARY KEY, token TEXT UNIQUE NOT NULL);
CREATE TABLE IF NOT EXISTS residents (
    nik TEXT PRIMARY KEY, name TEXT NOT NULL, card_uid TEXT UNIQUE,
    pin_salt TEXT NOT NULL, pin_hash TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (token TEXT PRIMARY KEY, nik TEXT NOT NULL, expires_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pin_failures (nik TEXT PRIMARY KEY, count INTEGER NOT NULL, locked_until TEXT);
CREATE TABLE IF NOT EXISTS requests (
    id TEXT PRIMARY KEY, tracking_code TEXT UNIQUE NOT NULL, nik TEXT NOT NULL,
    kiosk_id TEXT NOT NULL, service_code TEXT NOT NULL, fields TEXT NOT NULL,
    status TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    reject_reason TEXT, letter_number TEXT, signed_at TEXT, doc_sha256 TEXT, doc_size INTEGER,
    document BLOB);
CREATE TABLE IF NOT EXISTS idempotency (
    scope TEXT NOT NULL, key TEXT NOT NULL, body_hash TEXT NOT NULL, request_id TEXT NOT NULL,
    PRIMARY KEY (scope, key));
CREATE TABLE IF NOT EXISTS ratings (kiosk_id TEXT, request_id TEXT, score INTEGER, at TEXT);
CREATE TABLE IF NOT EXISTS heartbeats (kiosk_id TEXT PRIMARY KEY, body TEXT, at TEXT);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""

OLD_FIELDS = {"keperluan": "Melamar pekerjaan", "alamat_domisili": "Dusun Krajan RT 002 RW 001"}
OLD_KEY = "key-before-upgrade"


def make_first_release_database(path: Path) -> None:
    """A database as the first release left it: the demo kiosk, Siti, one request."""
    path.parent.mkdir(parents=True)
    salt = "11" * 16
    pin_hash = hashlib.pbkdf2_hmac("sha256", b"123456", bytes.fromhex(salt), 20_000).hex()
    # The first release hashed the body as model_dump() gave it then: two keys.
    old_hash = hashlib.sha256(
        json.dumps(
            [SITI_NIK, {"service_code": "SKD", "fields": OLD_FIELDS}], sort_keys=True
        ).encode()
    ).hexdigest()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(OLD_SCHEMA)
        db.execute("INSERT INTO kiosks VALUES ('KIOSK-DEMO-01', 'demo-kiosk-token')")
        db.execute(
            "INSERT INTO residents VALUES (?, 'Siti Rahayu', ?, ?, ?, ?)",
            (SITI_NIK, SITI_CARD, salt, pin_hash, json.dumps({"address": "Dusun Krajan"})),
        )
        db.execute(
            "INSERT INTO requests (id, tracking_code, nik, kiosk_id, service_code, fields, status,"
            " created_at, updated_at) VALUES ('req-0123456789abcdef', '231126-001', ?,"
            " 'KIOSK-DEMO-01', 'SKD', ?, 'awaiting_signature', ?, ?)",
            (
                SITI_NIK,
                json.dumps(OLD_FIELDS),
                "2026-11-23T02:00:00+00:00",
                "2026-11-23T02:00:00+00:00",
            ),
        )
        db.execute(
            "INSERT INTO idempotency VALUES ('KIOSK-DEMO-01', ?, ?, 'req-0123456789abcdef')",
            (OLD_KEY, old_hash),
        )
        db.execute("INSERT INTO counters VALUES ('tracking-231126', 1)")
    db.close()


def columns(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        found = {row[1] for row in db.execute("PRAGMA table_info(requests)")}
    db.close()
    return found


@sqlite_only
def test_a_first_release_database_is_upgraded_in_place(tmp_path: Path):
    state = tmp_path / "old-state"
    make_first_release_database(state / DB_NAME)
    assert "identity_verified" not in columns(state / DB_NAME)
    with serving(state) as running:
        kiosk = Kiosk(running)
        assert {"identity_verified", "kiosk_reference", "submitted_at"} <= columns(state / DB_NAME)
        old = kiosk.status("req-0123456789abcdef")
        assert (old["tracking_code"], old["status"]) == ("231126-001", "awaiting_signature")
        assert (old["identity_verified"], old["kiosk_reference"]) == (True, None)
        # A kiosk retrying across the upgrade gets its request back, not a conflict.
        token = kiosk.session()
        headers = {"X-Session-Token": token, "Idempotency-Key": OLD_KEY}
        retry = kiosk.call(
            "POST", "/requests", headers=headers, json={"service_code": "SKD", "fields": OLD_FIELDS}
        )
        assert (retry.status_code, retry.json()["id"]) == (200, "req-0123456789abcdef")
        # New requests of both kinds are stored next to the old one; the old one can be signed.
        offline = kiosk.submit_offline(
            "key-after-upgrade1", {"method": "card", "card_uid": SITI_CARD}, kiosk_reference="K-01"
        )
        assert (offline.status_code, offline.json()["identity_verified"]) == (201, False)
        assert kiosk.new_request("key-after-upgrade2")["identity_verified"] is True
        assert kiosk.sign("req-0123456789abcdef").json()["status"] == "ready"
        # The database had residents, so the demo ones were not added to it.
        assert running.office.store.resident("3523011203850002") is None
        kiosk.close()
    Store(state / DB_NAME).close()  # opening an upgraded file again changes nothing
    assert len(running.office.store.requests()) == 3


def test_the_pool_serves_threads_at_once(tmp_path: Path):
    store = server_store(tmp_path / "threads", demo=True)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(20):
                token, _ = store.new_session(SITI_NIK)
                assert store.session_nik(token) == SITI_NIK
                store.create_request(
                    key=f"key-thread-{n}-{i:03d}",
                    body_hash="x",
                    nik=SITI_NIK,
                    kiosk_id="KIOSK-DEMO-01",
                    service_code="SKD",
                    fields={},
                    status="under_review",
                )
        except BaseException as exc:  # collected: an assertion in a thread would be lost
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    rows = store.requests()
    assert len(rows) == 240
    assert len({row.tracking_code for row in rows}) == 240
    store.close()
