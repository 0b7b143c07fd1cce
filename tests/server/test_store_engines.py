"""The store on either engine (SQLite here; PostgreSQL too under APM_TEST_POSTGRES): numbers
and keys that stay unique when many threads race, villages that never see each other's
rows, and databases of the earlier schema migrated with their data."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from apm_api.models import Village
from apm_server import database, demo_data, schema
from apm_server.store import (
    DEMO_VILLAGE,
    LOCK_SECONDS,
    EnrolmentRefused,
    Store,
    token_digest,
    wib,
)
from tests.databases import database_url, server_store

from .conftest import SITI_CARD, SITI_NIK, SITI_PIN

OTHER = Village(
    name="Tegalrejo",
    district="Merakurak",
    regency="Kabupaten Tuban",
    province="Jawa Timur",
    address="Jl. Tegalrejo No. 2, Merakurak, Tuban",
    head_name="Sri Utami",
    code="35.23.01.2002",
)
OTHER_KIOSK = "KIOSK-TEGAL-01"
OTHER_NIK = "3523015505920004"  # a resident of the other village
OTHER_CARD = "CAFE0001"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A demo database with a second village, its kiosk and one of its residents."""
    made = server_store(tmp_path / "server", demo=True)
    made.add_village(OTHER, ["SKD", "SKU"])
    made.add_kiosk(OTHER_KIOSK, "tegal-token", "Balai desa Tegalrejo", village=OTHER.code)
    made.add_resident(OTHER_NIK, "Sri Wulan", OTHER_CARD, "246810", {}, village=OTHER.code)
    return made


def submit(store: Store, key: str, *, kiosk: str, village: str, nik: str = SITI_NIK):
    return store.create_request(
        key=key,
        body_hash="hash-" + key,
        nik=nik,
        kiosk_id=kiosk,
        service_code="SKD",
        fields={"keperluan": "Melamar pekerjaan"},
        status="under_review",
        village=village,
    )


def at_once(count: int, work: Callable[[int], Any]) -> list[Any]:
    """`work(0..count-1)` on as many threads released together; their results, in order."""
    start = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            start.wait(10)
            results[n] = work(n)
        except BaseException as exc:  # collected: an assertion in a thread would be lost
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    return results


# --- races ----------------------------------------------------------------------------------


def test_concurrent_submits_number_each_village_and_day_from_001_without_a_gap(store: Store):
    villages = {DEMO_VILLAGE: demo_data.KIOSK_ID, OTHER.code: OTHER_KIOSK}

    def work(n: int) -> None:
        village = list(villages)[n % 2]
        for i in range(3):
            submit(store, f"key-race-{n:02d}-{i}", kiosk=villages[village], village=village)

    at_once(40, work)  # 20 threads a village, 60 requests each
    numbers: dict[tuple[str, str], list[int]] = defaultdict(list)
    for row in store.requests():
        day, number = row.tracking_code.split("-")
        numbers[row.village_code, day].append(int(number))
    assert sum(len(found) for found in numbers.values()) == 120
    for (village, day), found in numbers.items():
        assert sorted(found) == list(range(1, len(found) + 1)), (village, day)
    assert {village for village, _ in numbers} == set(villages)


def test_a_concurrent_retry_gets_the_request_the_first_made(store: Store):
    answers = at_once(
        12, lambda n: submit(store, "key-retried-twelve", kiosk=OTHER_KIOSK, village=OTHER.code)
    )
    assert len({request_id for request_id, _ in answers}) == 1
    assert sorted(created for _, created in answers) == [False] * 11 + [True]
    assert len(store.requests(village=OTHER.code)) == 1
    # A key is the kiosk's own: another kiosk's same key is another request.
    again, created = submit(
        store, "key-retried-twelve", kiosk=demo_data.KIOSK_ID, village=DEMO_VILLAGE
    )
    assert created and again != answers[0][0]


def test_each_village_has_its_own_first_queue_number(store: Store):
    first, _ = submit(store, "key-first-demo", kiosk=demo_data.KIOSK_ID, village=DEMO_VILLAGE)
    other, _ = submit(store, "key-first-other", kiosk=OTHER_KIOSK, village=OTHER.code)
    codes = [store.request(request_id).tracking_code for request_id in (first, other)]  # type: ignore[union-attr]
    today = wib(datetime.now(UTC)).strftime("%d%m%y")
    assert codes == [f"{today}-001", f"{today}-001"]


def test_letter_numbers_count_per_village_and_year(store: Store):
    assert [store.next_letter_number(2026) for _ in range(3)] == [1, 2, 3]
    assert store.next_letter_number(2026, village=OTHER.code) == 1
    assert store.next_letter_number(2027) == 1
    assert sorted(at_once(10, lambda n: store.next_letter_number(2028))) == list(range(1, 11))


def test_parallel_wrong_pins_lock_a_nik_at_the_third_miss(store: Store):
    """Ten wrong PINs for one NIK at once, from ten kiosks: the misses are counted one by
    one (none lost to a race), so two are plain misses, the third locks, the rest wait."""
    checks = at_once(10, lambda n: store.check_pin(SITI_NIK, "000000", f"KIOSK-{n}"))
    locks = sorted((check.locked_s or 0) for check in checks)
    assert locks[:2] == [0, 0] and all(0 < wait <= LOCK_SECONDS for wait in locks[2:])
    assert sum(check.locked_s == LOCK_SECONDS for check in checks) >= 1
    assert all(check.resident is None and check.throttled_s is None for check in checks)


def test_kiosks_racing_with_one_enrolment_token_get_one_kiosk(store: Store):
    token, _ = store.create_enrolment("Pos ronda", 24, village=OTHER.code)

    def enrol(n: int) -> tuple[str, str, str] | str:
        try:
            return store.enrol(token)
        except EnrolmentRefused as refused:
            return str(refused)

    answers = at_once(10, enrol)
    enrolled = [answer for answer in answers if isinstance(answer, tuple)]
    assert len(enrolled) == 1
    kiosk_id, device_token, label = enrolled[0]
    assert label == "Pos ronda" and store.kiosk_for_token(device_token) == kiosk_id
    assert store.kiosk_village(kiosk_id) == OTHER.code
    assert [a for a in answers if isinstance(a, str)] == [
        f"enrolment token already used, by {kiosk_id}"
    ] * 9


def test_an_enrolment_for_an_unknown_village_is_refused(store: Store):
    with pytest.raises(ValueError, match=re.escape("no village '99.99.99.9999'")):
        store.create_enrolment("Balai", 24, village="99.99.99.9999")


# --- villages ---------------------------------------------------------------------------------


def test_villages_and_their_services(store: Store):
    demo, other = store.villages()
    assert (demo.village, demo.services) == (
        demo_data.VILLAGE,
        [s.code for s in demo_data.SERVICES],
    )
    assert (other.village, other.services) == (OTHER, ["SKD", "SKU"])
    assert store.village(OTHER.code) == other and store.village("00.00.00.0000") is None
    with pytest.raises(ValueError, match="exists already"):
        store.add_village(OTHER, [])


def test_a_village_sees_none_of_another_villages_rows(store: Store):
    assert store.kiosk_village(OTHER_KIOSK) == OTHER.code
    assert store.kiosk_village(demo_data.KIOSK_ID) == DEMO_VILLAGE
    assert store.kiosk_village("KIOSK-NOBODY") is None
    # Residents: by card and by NIK + PIN only in their own village.
    assert store.resident_by_card(SITI_CARD, village=OTHER.code) is None
    assert store.resident_by_card(OTHER_CARD, village=OTHER.code) is not None
    assert store.resident_by_card(OTHER_CARD) is None  # the demo village's kiosks
    elsewhere = store.check_pin(SITI_NIK, SITI_PIN, OTHER_KIOSK, village=OTHER.code)
    assert (elsewhere.resident, elsewhere.locked_s, elsewhere.throttled_s) == (None, None, None)
    assert store.check_pin(SITI_NIK, SITI_PIN, demo_data.KIOSK_ID).resident is not None
    assert store.resident(OTHER_NIK, village=DEMO_VILLAGE) is None
    assert store.resident(OTHER_NIK) is not None  # the office's own look-up: any village
    # Sessions: one opened in a village is no session in another.
    session, _ = store.new_session(SITI_NIK)
    assert store.session_nik(session) == SITI_NIK
    assert store.session_nik(session, village=OTHER.code) is None
    # Requests.
    mine, _ = submit(store, "key-isolated-0001", kiosk=demo_data.KIOSK_ID, village=DEMO_VILLAGE)
    theirs, _ = submit(
        store, "key-isolated-0002", kiosk=OTHER_KIOSK, village=OTHER.code, nik=OTHER_NIK
    )
    assert store.request(mine, village=OTHER.code) is None
    assert store.request(mine, village=DEMO_VILLAGE).village_code == DEMO_VILLAGE  # type: ignore[union-attr]
    assert store.request(theirs).village_code == OTHER.code  # type: ignore[union-attr]
    assert store.open_requests(SITI_NIK, village=OTHER.code) == []
    assert [r.id for r in store.open_requests(SITI_NIK)] == [mine]
    assert [r.id for r in store.requests(village=OTHER.code)] == [theirs]
    assert [r.id for r in store.requests(newest=5, village=DEMO_VILLAGE)] == [mine]
    assert {r.id for r in store.requests()} == {mine, theirs}


def test_fleet_and_figures_say_each_kiosks_village(store: Store):
    store.add_heartbeat(OTHER_KIOSK, "{}")
    fleet = {row[0]: row for row in store.fleet()}
    assert fleet[OTHER_KIOSK][1:] == (
        "Balai desa Tegalrejo",
        False,
        "{}",
        fleet[OTHER_KIOSK][4],
        OTHER.code,
    )
    assert fleet[demo_data.KIOSK_ID][5] == DEMO_VILLAGE
    submit(store, "key-figures-other", kiosk=OTHER_KIOSK, village=OTHER.code, nik=OTHER_NIK)
    store.add_rating(OTHER_KIOSK, None, 4)
    moment = datetime.now(UTC)
    rows = store.figures(moment - timedelta(hours=1), moment + timedelta(hours=1))
    assert [(r["village_code"], r["kiosk_id"]) for r in rows] == [
        (DEMO_VILLAGE, demo_data.KIOSK_ID),
        (DEMO_VILLAGE, None),
        (OTHER.code, OTHER_KIOSK),
        (OTHER.code, None),
    ]
    demo_kiosk, demo, other_kiosk, other = rows
    assert demo["label"] == "Desa Sumberejo" and other["label"] == "Desa Tegalrejo"
    assert (demo["requests_submitted"], other["requests_submitted"]) == (0, 1)
    assert (other_kiosk["ratings"], other["ratings"], demo["ratings"]) == (1, 1, 0)
    assert (other["kiosks"], other["heartbeat_minutes"], demo_kiosk["heartbeat_minutes"]) == (
        1,
        1,
        0,
    )


# --- schema and migrations -------------------------------------------------------------------


def empty_database(tmp_path: Path, name: str) -> Path | str:
    """Where a new database goes: a PostgreSQL schema of its own, or an SQLite file."""
    return database_url(tmp_path / name) or tmp_path / name / "apm-server.sqlite3"


def migrate(location: Path | str, target: str) -> None:
    """Run the migrations themselves (not the shortcut a new database takes)."""
    engine = database.open_engine(database.database_url(location))
    with engine.connect() as db:
        database.begin_write(db)
        database.upgrade(db, target)
        db.commit()
    engine.dispose()


def differences(store: Store) -> list[Any]:
    with store.engine.connect() as db:
        return list(compare_metadata(MigrationContext.configure(db), schema.metadata))


def test_the_migrations_make_the_schema_that_schema_py_declares(tmp_path: Path):
    migrated = empty_database(tmp_path, "migrated")
    migrate(migrated, "head")
    made_at_once = server_store(tmp_path / "new")  # a new database skips the migrations
    for store in (Store(migrated), made_at_once):
        assert differences(store) == []
        with store.engine.connect() as db:
            assert database.revision(db) == schema.HEAD_REVISION
        store.close()


def test_head_revision_names_the_newest_migration():
    scripts = ScriptDirectory(str(database.MIGRATIONS))
    assert scripts.get_heads() == [schema.HEAD_REVISION]


def test_a_revision_1_database_with_data_is_migrated_to_villages(tmp_path: Path):
    location = empty_database(tmp_path, "revision-1")
    migrate(location, "0001")
    today = wib(datetime.now(UTC))
    day, year = today.strftime("%d%m%y"), today.year
    moment = datetime.now(UTC).isoformat()
    engine = database.open_engine(database.database_url(location))
    with engine.begin() as db:
        rows: dict[str, dict[str, Any]] = {
            "kiosks": {"id": "KIOSK-OLD-01", "token": token_digest("old-token"), "label": "Balai"},
            "residents": {
                "nik": SITI_NIK, "name": "Siti Rahayu", "card_uid": SITI_CARD,
                "pin_salt": "11" * 16, "pin_hash": "x", "data": "{}",
            },
            "requests": {
                "id": "req-old", "tracking_code": f"{day}-001", "nik": SITI_NIK,
                "kiosk_id": "KIOSK-OLD-01", "service_code": "SKD", "fields": "{}",
                "status": "awaiting_signature", "created_at": moment, "updated_at": moment,
            },
            "counters": {"name": f"tracking-{day}", "value": 1},
            "sessions": {"token": "session-old", "nik": SITI_NIK, "expires_at": "2999-01-01T00:00:00+00:00"},
            "enrolments": {
                "token_hash": token_digest("enrol-old"), "label": "Pos", "created_at": moment,
                "expires_at": "2999-01-01T00:00:00+00:00",
            },
        }  # fmt: skip
        for table, values in rows.items():
            columns = ", ".join(values)
            places = ", ".join(f":{name}" for name in values)
            db.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({places})"), values)
        db.execute(text("INSERT INTO counters VALUES (:name, 4)"), {"name": f"letter-{year}"})
    engine.dispose()

    store = Store(location)
    with store.engine.connect() as db:
        assert database.revision(db) == schema.HEAD_REVISION
    assert [row.village for row in store.villages()] == [demo_data.VILLAGE]
    assert store.kiosk_for_token("old-token") == "KIOSK-OLD-01"
    assert store.kiosk_village("KIOSK-OLD-01") == DEMO_VILLAGE
    assert store.resident_by_card(SITI_CARD) is not None
    assert store.session_nik("session-old") == SITI_NIK
    old = store.request("req-old", village=DEMO_VILLAGE)
    assert old is not None and old.tracking_code == f"{day}-001"
    # Numbering goes on where it was, now the village's.
    new, _ = submit(store, "key-after-migration", kiosk="KIOSK-OLD-01", village=DEMO_VILLAGE)
    assert store.request(new).tracking_code == f"{day}-002"  # type: ignore[union-attr]
    assert store.next_letter_number(year) == 5
    kiosk_id, _, _ = store.enrol("enrol-old")
    assert store.kiosk_village(kiosk_id) == DEMO_VILLAGE
    assert differences(store) == []
    store.close()


def test_a_database_of_a_newer_release_is_refused_in_words(tmp_path: Path):
    location = empty_database(tmp_path, "newer")
    Store(location).close()
    engine = database.open_engine(database.database_url(location))
    with engine.begin() as db:
        db.execute(schema.alembic_version.update().values(version_num="0099"))
    engine.dispose()
    with pytest.raises(RuntimeError, match="revision '0099', which this apm-server does not know"):
        Store(location)


def test_opening_a_database_already_at_head_does_not_even_import_alembic(tmp_path: Path):
    location = empty_database(tmp_path, "quick")
    Store(location).close()
    probe = (
        "import sys; from apm_server.store import Store; Store(sys.argv[1]).close(); "
        "print('alembic' in sys.modules)"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe, str(location)], capture_output=True, text=True, timeout=60
    )
    assert found.stdout.strip() == "False", found.stderr
