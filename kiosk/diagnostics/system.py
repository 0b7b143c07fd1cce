"""Checks of the machine around the kiosk: config, state directory, disk, serial ports,
pcscd, and the clock. Each returns checks and never raises for what it finds."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.diagnostics.report import Check, fault, ok, skipped, warning

if TYPE_CHECKING:
    from kiosk.config import KioskSettings

DISK_FAULT_BYTES = 200 * 1024 * 1024  # below this, letters and logs cannot be kept
DISK_WARNING_BYTES = 1024 * 1024 * 1024
PCSCD_SOCKET = Path("/run/pcscd/pcscd.comm")
SANE_YEAR = 2025  # a clock before this was never set (a fresh board without RTC battery)
COMMAND_TIMEOUT_S = 5.0


def config_check(path: Path) -> tuple[Check, KioskSettings | None]:
    """The config file loads and validates; the settings, or None when it does not."""
    from kiosk.config import ConfigError, load_config

    try:
        settings = load_config(path)
    except ConfigError as error:
        return fault("config", "file", str(error), path=str(path)), None
    return ok("config", "file", f"{path}: valid ({settings.summary()})", path=str(path)), settings


def secret_file_checks(settings: KioskSettings) -> list[Check]:
    """The device token file must not be readable by other users."""
    path = settings.backend.token_file
    if path is None:
        return []
    try:
        mode = path.stat().st_mode & 0o777
    except OSError as error:
        return [fault("config", "token file", f"{path}: {error.strerror}")]
    if mode & 0o077:
        return [
            warning(
                "config",
                "token file",
                f"{path} is readable by others (mode {mode:o}); chmod 600 it",
                mode=f"{mode:o}",
            )
        ]
    return [ok("config", "token file", f"{path}: private (mode {mode:o})", mode=f"{mode:o}")]


def state_checks(state_dir: Path) -> list[Check]:
    """The state directory exists and is private, the disk has room, the outbox is read."""
    if not state_dir.is_dir():
        return [
            warning(
                "storage",
                "state directory",
                f"{state_dir} does not exist yet (made when the kiosk first starts)",
                path=str(state_dir),
            ),
            disk_check(_existing_ancestor(state_dir)),
        ]
    info = state_dir.stat()
    mode = stat.S_IMODE(info.st_mode)
    details = {"path": str(state_dir), "mode": f"{mode:o}", "owner": _user_name(info.st_uid)}
    checks = [
        (warning if mode & 0o007 else ok)(
            "storage",
            "state directory",
            f"{state_dir} (owner {details['owner']}, mode {mode:o})"
            + ("; other users can read it: chmod o-rwx" if mode & 0o007 else ""),
            **details,
        ),
        disk_check(state_dir),
    ]
    checks.extend(outbox_checks(state_dir))
    return checks


def _existing_ancestor(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def disk_check(path: Path) -> Check:
    usage = shutil.disk_usage(path)
    free_mib = usage.free // (1024 * 1024)
    details = {"free_bytes": usage.free, "total_bytes": usage.total}
    text = f"{free_mib} MiB free of {usage.total // (1024 * 1024)} MiB"
    if usage.free < DISK_FAULT_BYTES:
        return fault("storage", "disk space", f"{text}: too little to keep letters", **details)
    if usage.free < DISK_WARNING_BYTES:
        return warning("storage", "disk space", f"{text}: getting full", **details)
    return ok("storage", "disk space", text, **details)


def outbox_checks(state_dir: Path) -> list[Check]:
    """The outbox read straight from the kiosk's database, read-only (kiosk not running)."""
    from kiosk.storage.db import DB_NAME

    path = state_dir / DB_NAME
    if not path.is_file():
        return [skipped("storage", "outbox", "no kiosk database yet (the kiosk has not run)")]
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2.0) as conn:
            rows = conn.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall()
            dead = conn.execute(
                "SELECT kind, last_error FROM outbox WHERE state = 'dead' ORDER BY id"
            ).fetchall()
    except sqlite3.Error as error:
        return [warning("storage", "outbox", f"cannot read {path}: {error}")]
    counts = {"pending": 0, "done": 0, "dead": 0} | {str(s): int(n) for s, n in rows}
    return [outbox_check(counts, [{"kind": k, "reason": r or ""} for k, r in dead])]


def outbox_check(counts: dict[str, int], dead: list[dict[str, Any]]) -> Check:
    summary = f"{counts['pending']} waiting to be sent, {counts['dead']} dead letters"
    if counts["dead"]:
        reasons = "; ".join(sorted({d["reason"] for d in dead if d["reason"]}))[:300]
        return warning(
            "storage",
            "outbox",
            f"{summary} (refused by the backend: {reasons or 'no reason given'})",
            counts=counts,
            dead_letters=dead,
        )
    return ok("storage", "outbox", summary, counts=counts)


def device_paths(settings: KioskSettings) -> Iterator[tuple[str, str]]:
    """(role, /dev/... path) for every device file a device's settings name."""
    for role in settings.roles:
        model = settings.device_settings(role)
        yield from ((role, p) for p in _dev_paths(model.model_dump()))


# Keys whose string values are device files (a serial port may be a pty anywhere).
DEVICE_FILE_KEYS = ("port", "device", "path")


def _dev_paths(value: Any, key: str = "") -> Iterator[str]:
    if isinstance(value, str):
        if value.startswith("/dev/") or (key in DEVICE_FILE_KEYS and value.startswith("/")):
            yield value
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from _dev_paths(item, str(name))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _dev_paths(item, key)


def serial_port_checks(settings: KioskSettings) -> list[Check]:
    """Each configured device file is there and this user may open it."""
    checks = []
    for role, path in device_paths(settings):
        name = f"{role} {path}"
        try:
            info = os.stat(path)
        except FileNotFoundError:
            checks.append(fault("port", name, f"{path} is not there: unplugged, or udev rule?"))
            continue
        except OSError as error:
            checks.append(fault("port", name, f"{path}: {error.strerror}"))
            continue
        owner = f"{_user_name(info.st_uid)}:{_group_name(info.st_gid)}"
        mode = f"{stat.S_IMODE(info.st_mode):o}"
        if not os.access(path, os.R_OK | os.W_OK):
            checks.append(fault("port", name, f"{path} ({owner}, {mode}): no access for this user"))
        else:
            checks.append(ok("port", name, f"{path} present ({owner}, {mode})"))
    return checks


def pcscd_checks(settings: KioskSettings) -> list[Check]:
    """pcscd answers and lists its readers (for PC/SC card readers only)."""
    if not any(settings.device_type(role) in ("pcsc", "sam") for role in settings.roles):
        return []
    # pcsc-lite's client library takes the socket from this variable when it is set.
    socket_path = Path(os.environ.get("PCSCLITE_CSOCK_NAME") or PCSCD_SOCKET)
    if not socket_path.exists():
        return [fault("pcscd", "service", f"pcscd not running ({socket_path} missing)")]
    try:
        from smartcard.System import readers

        names = [str(r) for r in readers()]
    except Exception as error:  # pyscard raises its own types for a dead pcscd
        return [fault("pcscd", "service", f"pcscd does not answer: {error}")]
    if not names:
        return [fault("pcscd", "readers", "pcscd runs but sees no reader: plugged in?")]
    return [ok("pcscd", "readers", f"{len(names)} reader(s): {', '.join(names)}", readers=names)]


def clock_checks(now: float | None = None) -> list[Check]:
    """The clock is plausible and NTP-synchronized (letters and receipts carry dates)."""
    now = time.time() if now is None else now
    year = time.gmtime(now).tm_year
    checks = []
    if year < SANE_YEAR:
        checks.append(fault("clock", "date", f"the clock says {year}: it was never set"))
    synced = ntp_synchronized()
    if synced is None:
        checks.append(skipped("clock", "ntp", "cannot tell (no timedatectl or timesyncd here)"))
    elif synced:
        checks.append(ok("clock", "ntp", "synchronized with NTP"))
    else:
        checks.append(
            warning("clock", "ntp", "not synchronized with NTP (no network, or NTP is off)")
        )
    return checks


def ntp_synchronized() -> bool | None:
    """systemd's view (timedatectl), else timesyncd's flag file; None when neither says."""
    if shutil.which("timedatectl"):
        try:
            out = subprocess.run(
                ["timedatectl", "show", "--property=NTPSynchronized", "--value"],
                capture_output=True,
                text=True,
                timeout=COMMAND_TIMEOUT_S,
                check=False,
            )
            if out.returncode == 0 and out.stdout.strip() in ("yes", "no"):
                return out.stdout.strip() == "yes"
        except (OSError, subprocess.TimeoutExpired):
            pass
    if Path("/run/systemd/timesync/synchronized").exists():
        return True
    return None


def _user_name(uid: int) -> str:
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group_name(gid: int) -> str:
    import grp

    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)
