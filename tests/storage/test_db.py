"""The database file itself: private modes, one owner, schema versions, corruption, durability."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from kiosk.storage import KioskStorage, OutboxKind, SchemaTooNew, StateLocked, StorageClosed
from kiosk.storage.db import MIGRATIONS, SCHEMA_VERSION, KioskDB, StorageError

REPO = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def run_child(code: str, **kwargs) -> subprocess.Popen[str]:
    """A separate Python process (its own open file descriptions, so its own flock)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        **kwargs,
    )


# --- modes ---------------------------------------------------------------------------------


def test_state_is_private_to_the_kiosk_user(storage: KioskStorage, state_dir: Path) -> None:
    storage.outbox.add(OutboxKind.RATING, {"kiosk_id": "K1", "score": 4})  # WAL and SHM exist
    assert mode(state_dir) == 0o700
    assert mode(state_dir / "letters") == 0o700
    for name in ("kiosk.db", "kiosk.db-wal", "kiosk.db-shm", "kiosk.lock"):
        assert (state_dir / name).exists(), name
        assert mode(state_dir / name) == 0o600, name


def test_wider_modes_left_by_someone_else_are_narrowed(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    (state_dir / "letters").mkdir(parents=True)
    state_dir.chmod(0o755)
    (state_dir / "letters").chmod(0o777)
    (state_dir / "kiosk.db").touch(mode=0o644)
    (state_dir / "kiosk.db").chmod(0o644)
    opened = KioskStorage.open(state_dir)
    try:
        assert mode(state_dir) == 0o700
        assert mode(state_dir / "letters") == 0o700
        assert mode(state_dir / "kiosk.db") == 0o600
    finally:
        opened.close()


# --- one owner ----------------------------------------------------------------------------


def test_a_second_open_in_the_same_process_is_refused(storage: KioskStorage, state_dir: Path):
    with pytest.raises(StateLocked) as refused:
        KioskDB.open(state_dir)
    message = str(refused.value)
    assert str(state_dir) in message
    assert f"pid {os.getpid()}" in message


def test_after_close_the_state_can_be_opened_again(state_dir: Path) -> None:
    KioskStorage.open(state_dir).close()
    KioskStorage.open(state_dir).close()


def test_another_process_holding_the_state_is_named(state_dir: Path) -> None:
    child = run_child(
        f"""
        import sys
        from kiosk.storage import KioskStorage
        storage = KioskStorage.open({str(state_dir)!r})
        print("holding", flush=True)
        sys.stdin.readline()
        storage.close()
        """
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "holding"
        with pytest.raises(StateLocked, match=f"pid {child.pid}"):
            KioskStorage.open(state_dir)
    finally:
        child.communicate("\n", timeout=30)
    assert child.returncode == 0
    KioskStorage.open(state_dir).close()  # released when the owner closed


def test_this_process_holding_the_state_refuses_another(storage: KioskStorage, state_dir: Path):
    child = run_child(
        f"""
        from kiosk.storage import KioskStorage, StateLocked
        try:
            KioskStorage.open({str(state_dir)!r})
        except StateLocked as exc:
            print("refused:", exc)
        else:
            print("opened")
        """
    )
    out, err = child.communicate(timeout=30)
    assert out.startswith("refused:"), (out, err)
    assert f"pid {os.getpid()}" in out


def test_a_killed_owner_does_not_leave_the_state_locked(state_dir: Path) -> None:
    child = run_child(
        f"""
        import sys
        from kiosk.storage import KioskStorage
        storage = KioskStorage.open({str(state_dir)!r})
        print("holding", flush=True)
        sys.stdin.readline()
        """
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "holding"
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=30)
    KioskStorage.open(state_dir).close()


# --- schema versions -------------------------------------------------------------------------


def tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()


def user_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def test_an_empty_database_is_migrated_to_the_current_version(state_dir: Path) -> None:
    state_dir.mkdir()
    sqlite3.connect(state_dir / "kiosk.db").close()  # a valid database at user_version 0
    db = KioskDB.open(state_dir)
    try:
        assert db.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
    finally:
        db.close()
    assert {"meta", "outbox", "local_requests", "print_jobs", "cache"} <= tables(
        state_dir / "kiosk.db"
    )


def test_a_later_migration_runs_on_an_existing_database_and_keeps_its_data(
    state_dir: Path,
) -> None:
    storage = KioskStorage.open(state_dir)
    item = storage.outbox.add(OutboxKind.RATING, {"kiosk_id": "K1", "score": 2})
    storage.close()

    def add_notes(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE notes (text TEXT)")
        conn.execute("INSERT INTO notes VALUES ('from migration 2')")

    db = KioskDB.open(state_dir, migrations=(*MIGRATIONS, add_notes))
    try:
        assert db.schema_version == len(MIGRATIONS) + 1
        with db.read() as conn:
            assert conn.execute("SELECT text FROM notes").fetchall() == [("from migration 2",)]
            assert conn.execute("SELECT id FROM outbox").fetchall() == [(item.id,)]
    finally:
        db.close()


def test_a_failing_migration_changes_nothing(state_dir: Path) -> None:
    KioskStorage.open(state_dir).close()

    def half_done(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half (x)")
        raise RuntimeError("migration bug")

    with pytest.raises(RuntimeError, match="migration bug"):
        KioskDB.open(state_dir, migrations=(*MIGRATIONS, half_done))
    assert user_version(state_dir / "kiosk.db") == SCHEMA_VERSION
    assert "half" not in tables(state_dir / "kiosk.db")
    KioskStorage.open(state_dir).close()  # the lock was released on the way out


def test_a_database_from_a_newer_version_is_refused_clearly_and_left_alone(
    state_dir: Path,
) -> None:
    KioskStorage.open(state_dir).close()
    conn = sqlite3.connect(state_dir / "kiosk.db")
    conn.execute("PRAGMA user_version = 42")
    conn.close()
    with pytest.raises(SchemaTooNew) as refused:
        KioskStorage.open(state_dir)
    message = str(refused.value)
    assert "42" in message and f"up to {SCHEMA_VERSION}" in message and "newer" in message
    assert user_version(state_dir / "kiosk.db") == 42  # not moved aside, not changed
    assert not list(state_dir.glob("kiosk.db.corrupt-*"))
    with pytest.raises(SchemaTooNew):  # not StateLocked: the failed open released the lock
        KioskStorage.open(state_dir)


# --- corruption ---------------------------------------------------------------------------


def test_garbage_in_the_database_file_is_moved_aside_and_a_fresh_one_works(
    state_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state_dir.mkdir(mode=0o700)
    garbage = os.urandom(8192)
    (state_dir / "kiosk.db").write_bytes(garbage)
    (state_dir / "kiosk.db-wal").write_bytes(b"left over")
    with caplog.at_level(logging.ERROR, logger="kiosk.storage"):
        storage = KioskStorage.open(state_dir)
    try:
        moved = storage.db.moved_aside
        assert moved[0].name.startswith("kiosk.db.corrupt-")
        assert moved[0].read_bytes() == garbage  # kept for a technician, byte for byte
        assert moved[1].name == moved[0].name + "-wal"
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert len(errors) == 1
        assert str(moved[0]) in errors[0].getMessage()
        assert "technician" in errors[0].getMessage()
        item = storage.outbox.add(OutboxKind.RATING, {"kiosk_id": "K1", "score": 3})
        assert storage.outbox.get(item.id) == item
    finally:
        storage.close()


def test_a_damaged_page_is_found_by_the_integrity_check(state_dir: Path) -> None:
    storage = KioskStorage.open(state_dir)
    for _ in range(200):
        storage.outbox.add(OutboxKind.RATING, {"kiosk_id": "K1", "score": 3, "pad": "x" * 300})
    storage.close()
    path = state_dir / "kiosk.db"
    data = bytearray(path.read_bytes())
    data[3 * 4096 : 3 * 4096 + 2000] = b"\x5a" * 2000  # a page in the middle, header intact
    path.write_bytes(bytes(data))
    storage = KioskStorage.open(state_dir)
    try:
        assert len(storage.db.moved_aside) == 1
        assert storage.outbox.counts() == {"pending": 0, "done": 0, "dead": 0}
    finally:
        storage.close()


# --- durability and use ----------------------------------------------------------------------


def test_what_was_added_is_there_after_closing_and_opening_again(state_dir: Path) -> None:
    storage = KioskStorage.open(state_dir)
    item = storage.outbox.add(OutboxKind.RATING, {"kiosk_id": "K1", "score": 4})
    job = storage.journal.begin("req-1", "ab" * 32)
    storage.cache.put("catalogue", {"version": "v1", "services": []}, "v1")
    storage.close()
    storage = KioskStorage.open(state_dir)
    try:
        assert storage.outbox.get(item.id) == item
        assert storage.journal.get(job.job_id) == job
        assert storage.cache.get("catalogue") == ({"version": "v1", "services": []}, "v1")
    finally:
        storage.close()


def test_an_item_is_on_disk_when_add_returns_even_if_the_process_dies_at_once(
    state_dir: Path,
) -> None:
    child = run_child(
        f"""
        import os, signal
        from kiosk.storage import KioskStorage, OutboxKind
        storage = KioskStorage.open({str(state_dir)!r})
        item = storage.outbox.add(OutboxKind.RATING, {{"kiosk_id": "K1", "score": 1}})
        print(item.id, item.key, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)  # no close, no checkpoint
        """
    )
    out, err = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL, err
    item_id, key = out.split()
    storage = KioskStorage.open(state_dir)
    try:
        found = storage.outbox.get(int(item_id))
        assert found is not None and found.key == key and found.state == "pending"
    finally:
        storage.close()


def test_a_failed_transaction_leaves_nothing_behind(storage: KioskStorage) -> None:
    with pytest.raises(RuntimeError), storage.db.transaction() as tx:
        storage.outbox.add(OutboxKind.RATING, {"kiosk_id": "K1", "score": 1}, tx=tx)
        raise RuntimeError("power went out")
    assert storage.outbox.counts()["pending"] == 0


def test_a_connection_outside_its_transaction_is_not_accepted_as_tx(
    storage: KioskStorage,
) -> None:
    with storage.db.transaction() as tx:
        pass
    with pytest.raises(ValueError, match="enclosing"):
        storage.outbox.add(OutboxKind.RATING, {"kiosk_id": "K1", "score": 1}, tx=tx)


def test_threads_share_the_storage_safely(storage: KioskStorage) -> None:
    errors: list[BaseException] = []

    def add_many(n: int) -> None:
        try:
            for i in range(50):
                storage.outbox.add(OutboxKind.RATING, {"kiosk_id": f"K{n}", "score": 1 + i % 4})
                storage.journal.begin(f"req-{n}-{i}", "cd" * 32)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=add_many, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    items = storage.outbox.pending()
    assert len(items) == 300
    assert len({i.id for i in items}) == 300 and len({i.key for i in items}) == 300


def test_using_a_closed_storage_is_a_clear_error(state_dir: Path) -> None:
    storage = KioskStorage.open(state_dir)
    storage.close()
    with pytest.raises(StorageClosed, match="closed"):
        storage.outbox.counts()
    assert isinstance(StorageClosed("x"), StorageError)


def synchronous(storage: KioskStorage) -> int:
    with storage.db.read() as conn:
        return conn.execute("PRAGMA synchronous").fetchone()[0]


def test_every_commit_waits_for_the_disk_unless_asked_not_to(storage: KioskStorage) -> None:
    full, normal = 2, 1
    assert synchronous(storage) == full
    with storage.db.transaction(durable=False) as tx:
        assert tx.execute("PRAGMA synchronous").fetchone()[0] == normal
        storage.outbox.add(OutboxKind.RATING, {"kiosk_id": "K1", "score": 1}, tx=tx)
    assert synchronous(storage) == full  # the next commits are durable again
    with pytest.raises(RuntimeError), storage.db.transaction(durable=False):
        raise RuntimeError("bug")
    assert synchronous(storage) == full
    assert storage.outbox.counts()["pending"] == 1
