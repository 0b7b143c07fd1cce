"""The kiosk's one SQLite database: locked to one process, versioned, never fatal when corrupt.

Everything the kiosk must not forget (the outbox, requests made here, the print journal,
cached configuration) lives in `state_dir/kiosk.db`. The file is opened in WAL mode with
`synchronous=FULL`, so a committed transaction survives a power cut. One connection,
guarded by an RLock, serves every thread: transactions are short, and SQLite in WAL mode
commits in well under a millisecond plus one fsync.

A database that cannot be read (garbage, a damaged page) is moved aside, not deleted: a
technician can still recover what was queued in it, and the kiosk keeps serving with a
fresh one. A database written by a newer version of the software is refused with a
clear error instead: moving it aside would hide work that is perfectly readable.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)

DB_NAME = "kiosk.db"
LOCK_NAME = "kiosk.lock"
DIR_MODE = 0o700
FILE_MODE = 0o600

# SQLite's primary result codes that mean "this file is not a (sound) database".
_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26
_SQLITE_HEADER = b"SQLite format 3\x00"


class StorageError(Exception):
    """The kiosk's state cannot be used (the message says why and what to do)."""


class StateLocked(StorageError):
    """Another process owns the state directory."""


class SchemaTooNew(StorageError):
    """The database was written by a newer kiosk version than this one."""


class StorageClosed(StorageError):
    """The storage was used after close()."""


class _Corrupt(Exception):
    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


# --- schema ------------------------------------------------------------------------------


def _migration_1(conn: sqlite3.Connection) -> None:
    """The first schema: meta, outbox, requests made here, print journal, cache."""
    _statements(
        conn,
        """
        CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            key TEXT NOT NULL UNIQUE,
            local_id TEXT,
            body TEXT NOT NULL,
            created_at REAL NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'dead')),
            last_error TEXT,
            result TEXT,
            settled_at REAL
        );
        CREATE INDEX outbox_state ON outbox (state, id);
        CREATE INDEX outbox_local ON outbox (local_id);
        CREATE TABLE local_requests (
            local_id TEXT PRIMARY KEY,
            submit_item INTEGER NOT NULL,
            request_id TEXT UNIQUE,
            tracking_code TEXT,
            service_code TEXT NOT NULL,
            service_name TEXT NOT NULL,
            status TEXT NOT NULL,
            status_reason TEXT,
            document_sha256 TEXT,
            letter_on_disk INTEGER NOT NULL DEFAULT 0,
            identity_verified INTEGER NOT NULL DEFAULT 0,
            pickup_hash TEXT NOT NULL UNIQUE,
            card_hash TEXT,
            nik_hash TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );
        CREATE INDEX local_requests_card ON local_requests (card_hash);
        CREATE INDEX local_requests_nik ON local_requests (nik_hash);
        CREATE TABLE print_jobs (
            job_id TEXT PRIMARY KEY,
            request_id TEXT NOT NULL,
            local_id TEXT,
            sha256 TEXT NOT NULL,
            state TEXT NOT NULL,
            reprint INTEGER NOT NULL DEFAULT 0,
            device_job TEXT,
            error TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );
        CREATE INDEX print_jobs_request ON print_jobs (request_id, created_at);
        CREATE INDEX print_jobs_state ON print_jobs (state);
        CREATE TABLE cache (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            etag TEXT,
            updated_at REAL NOT NULL
        );
        """,
    )


def _statements(conn: sqlite3.Connection, script: str) -> None:
    """Run `;`-separated DDL inside the current transaction.

    (sqlite3's executescript() would commit first, which would make a migration half
    applicable; the schema scripts here hold no `;` inside literals.)
    """
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


Migration = Callable[[sqlite3.Connection], None]

# Ordered: MIGRATIONS[n] takes the schema from version n to n + 1. Append, never edit.
MIGRATIONS: tuple[Migration, ...] = (_migration_1,)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring the schema up to date, one transaction per step; the version reached."""
    version = _user_version(conn)
    if version > len(migrations):
        raise SchemaTooNew(
            f"the kiosk database has schema version {version}, but this kiosk software "
            f"knows versions up to {len(migrations)}: it was written by a newer version. "
            "Install that version again, or have a technician move the file aside."
        )
    for target in range(version + 1, len(migrations) + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            migrations[target - 1](conn)
            conn.execute(f"PRAGMA user_version = {target}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        log.info("kiosk database schema migrated to version %d", target)
    return len(migrations)


def _user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


# --- the database ----------------------------------------------------------------------------


class KioskDB:
    """The open database plus the state directory's lock; see `KioskDB.open`."""

    def __init__(
        self, state_dir: Path, conn: sqlite3.Connection, lock_fd: int, moved_aside: list[Path]
    ) -> None:
        self.state_dir = state_dir
        self.path = state_dir / DB_NAME
        self.moved_aside = moved_aside  # damaged files put aside at this start, for diagnostics
        self._conn: sqlite3.Connection | None = conn
        self._lock_fd: int | None = lock_fd
        self._lock = threading.RLock()
        self._depth = 0  # nesting of transaction() on the owning thread

    @classmethod
    def open(
        cls, state_dir: Path | str, *, migrations: Sequence[Migration] = MIGRATIONS
    ) -> KioskDB:
        state_dir = Path(state_dir)
        _private_dir(state_dir)
        lock_fd = _lock_state_dir(state_dir)
        try:
            conn, moved = _open_database(state_dir / DB_NAME, migrations)
        except BaseException:
            os.close(lock_fd)  # closing the descriptor releases the flock
            raise
        return cls(state_dir, conn, lock_fd, moved)

    @property
    def schema_version(self) -> int:
        with self.read() as conn:
            return _user_version(conn)

    @contextlib.contextmanager
    def transaction(
        self, tx: sqlite3.Connection | None = None, *, durable: bool = True
    ) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on an exception); durable when it exits.

        Nested use on the same thread joins the outer transaction (one commit at the end).
        `tx`, a connection a caller got from an enclosing transaction(), must be joined:
        passing one outside that transaction is an error, not a silent separate commit.

        durable=False commits without waiting for the disk (synchronous=NORMAL): the
        database stays consistent, a crash of the process loses nothing, and a power cut
        may lose this transaction and any others since the last durable one, never a
        durable one after it. Only for records that are safe to lose, such as "the backend
        answered this item" (the item is then sent again, and the backend replays).
        """
        with self._lock:
            conn = self._connection()
            if tx is not None and (tx is not conn or not self._depth):
                raise ValueError("tx must be the connection of an enclosing db.transaction()")
            if self._depth:
                self._depth += 1
                try:
                    yield conn
                finally:
                    self._depth -= 1
                return
            if not durable:
                conn.execute("PRAGMA synchronous=NORMAL")
            try:
                conn.execute("BEGIN IMMEDIATE")
                self._depth = 1
                try:
                    yield conn
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        with contextlib.suppress(sqlite3.Error):
                            conn.execute("ROLLBACK")
                    raise
                finally:
                    self._depth = 0
            finally:
                if not durable:
                    conn.execute("PRAGMA synchronous=FULL")

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """The connection for queries, held by this thread until the block ends."""
        with self._lock:
            yield self._connection()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

    @property
    def closed(self) -> bool:
        return self._conn is None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StorageClosed(f"the kiosk database in {self.state_dir} is closed")
        return self._conn


def _private_dir(path: Path) -> None:
    """Create the directory 0700, or narrow its mode if it exists with a wider one."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o777 != DIR_MODE:
        path.chmod(DIR_MODE)


def _lock_state_dir(state_dir: Path) -> int:
    """An exclusive flock on state_dir/kiosk.lock (held until the descriptor is closed)."""
    lock_path = state_dir / LOCK_NAME
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        owner = _read_pid(fd)
        os.close(fd)
        if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise StorageError(f"cannot lock {lock_path}: {exc.strerror}") from None
        who = f" (pid {owner})" if owner else ""
        raise StateLocked(
            f"the kiosk state directory {state_dir} is in use by another process{who}; "
            "only one kiosk may run on it"
        ) from None
    os.fchmod(fd, FILE_MODE)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _open_database(
    path: Path, migrations: Sequence[Migration]
) -> tuple[sqlite3.Connection, list[Path]]:
    try:
        return _connect(path, migrations), []
    except _Corrupt as problem:
        moved = _move_aside(path)
        log.error(
            "kiosk database %s is unreadable (%s): moved aside to %s; the work queued in it "
            "can be recovered by a technician. Starting with a fresh database.",
            path,
            problem.why,
            moved[0] if moved else "(nothing to move)",
        )
    try:
        return _connect(path, migrations), moved
    except _Corrupt as problem:  # a fresh file that is corrupt: the disk itself is failing
        raise StorageError(f"a fresh kiosk database at {path} is unusable: {problem.why}") from None


def _connect(path: Path, migrations: Sequence[Migration]) -> sqlite3.Connection:
    """Open, configure, check and migrate; _Corrupt when the file is not a sound database."""
    _create_private_file(path)
    # Garbage is recognised before SQLite touches the file: closing a connection to it
    # would delete a -wal file that may hold the queued work a technician could recover.
    with path.open("rb") as file:
        header = file.read(len(_SQLITE_HEADER))
    if header and header != _SQLITE_HEADER:
        raise _Corrupt("file is not a database (no SQLite header)")
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
    except sqlite3.Error as exc:
        raise StorageError(f"cannot open the kiosk database {path}: {exc}") from None
    try:
        _configure(conn)
        verdict = conn.execute("PRAGMA quick_check").fetchone()
        if verdict is None or verdict[0] != "ok":
            raise _Corrupt(f"integrity check: {verdict[0] if verdict else 'no answer'}")
        migrate(conn, migrations)
    except sqlite3.DatabaseError as exc:
        conn.close()
        if _is_corruption(exc):
            raise _Corrupt(str(exc)) from None
        raise StorageError(f"cannot use the kiosk database {path}: {exc}") from None
    except BaseException:
        conn.close()
        raise
    for companion in (path, _sibling(path, "-wal"), _sibling(path, "-shm")):
        if companion.exists():
            companion.chmod(FILE_MODE)
    return conn


def _configure(conn: sqlite3.Connection) -> None:
    mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise StorageError(f"the kiosk database cannot use WAL mode (got {mode!r})")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    # Deleted rows (personal data leaving the disk) are overwritten, not just unlinked.
    conn.execute("PRAGMA secure_delete=ON")
    # The database stays small (kilobytes per request); a 256 KiB page cache is plenty and
    # keeps the kiosk under its memory budget (the default allows 2 MiB).
    conn.execute("PRAGMA cache_size=-256")


def _is_corruption(exc: sqlite3.DatabaseError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:  # older Pythons: only the class and the message tell
        return type(exc) is sqlite3.DatabaseError
    return code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB)


def _create_private_file(path: Path) -> None:
    """Create the DB file 0600 before SQLite does (its WAL and SHM files copy the mode)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)


def _sibling(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _move_aside(path: Path) -> list[Path]:
    """Rename the DB and its -wal/-shm to kiosk.db.corrupt-<UTC time>[-wal|-shm]."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    base = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while any(_sibling(base, s).exists() for s in ("", "-wal", "-shm")):
        n += 1
        base = path.with_name(f"{path.name}.corrupt-{stamp}.{n}")
    moved = []
    for suffix in ("", "-wal", "-shm"):
        source = _sibling(path, suffix)
        if source.exists():
            target = _sibling(base, suffix)
            source.rename(target)
            moved.append(target)
    fsync_dir(path.parent)
    return moved


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
