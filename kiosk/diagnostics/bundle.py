"""A support bundle: what a technician sends to the vendor, in one .tar.gz.

It holds the diagnostics report (JSON and text), the effective config with secrets masked,
the kiosk's logs and the technician audit log (already free of NIKs, UIDs and PINs: the
kiosk masks them before writing), the kiosk's lines from the journal (masked here too), and
versions. Never the config file itself (it may hold the device token), the database, or
letters.
"""

from __future__ import annotations

import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.diagnostics.report import Report, render_text

if TYPE_CHECKING:
    from kiosk.config import KioskSettings

JOURNAL_LINES = 5000
LOG_GLOBS = ("kiosk.log*", "technician-audit.log*")
VERSIONS_OF = (
    "PySide6",
    "python-escpos",
    "pyscard",
    "pyserial",
    "requests",
    "reportlab",
    "pyHanko",
)


def write_bundle(path: Path, report: Report, settings: KioskSettings | None) -> list[str]:
    """Write the bundle (mode 0600, atomically); the names of its members."""
    members: dict[str, bytes] = {
        "report.json": json.dumps(report.as_dict(), indent=2, ensure_ascii=False).encode(),
        "report.txt": render_text(report).encode(),
        "versions.json": json.dumps(versions(), indent=2).encode(),
    }
    if settings is not None:
        from kiosk.diagnostics.config_view import effective_config, render_toml_like

        members["config-masked.toml"] = render_toml_like(
            effective_config(settings), settings.source
        ).encode()
        for log_path in _log_files(settings.state_dir / "logs"):
            members[f"logs/{log_path.name}"] = log_path.read_bytes()
    journal = journal_lines()
    if journal:
        members["journal.txt"] = journal.encode()
    _write_tar(path, members)
    return sorted(members)


def _log_files(folder: Path) -> list[Path]:
    found: list[Path] = []
    for pattern in LOG_GLOBS:
        found += sorted(p for p in folder.glob(pattern) if p.is_file())
    return found


def journal_lines() -> str:
    """The kiosk units' recent journal, masked (other programs write there too)."""
    if not shutil.which("journalctl"):
        return ""
    from kiosk.logs import redact

    try:
        out = subprocess.run(
            [
                "journalctl",
                "--no-pager",
                "-o",
                "short-iso",
                "-n",
                str(JOURNAL_LINES),
                "-u",
                "apm-kiosk.service",
                "-u",
                "apm-kiosk-firstboot.service",
            ],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return "\n".join(redact(line) for line in out.stdout.splitlines()) if out.stdout else ""


def versions() -> dict[str, str | None]:
    from importlib import metadata

    from kiosk import __version__

    found: dict[str, str | None] = {"apm-kiosk": __version__, "python": sys.version.split()[0]}
    found["platform"] = platform.platform()
    for name in VERSIONS_OF:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def _write_tar(path: Path, members: dict[str, bytes]) -> None:
    path = path.resolve()
    partial = path.with_name(f".{path.name}.partial")
    now = time.time()
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            for name, data in members.items():
                info = tarfile.TarInfo(f"apm-kiosk-support/{name}")
                info.size, info.mtime, info.mode = len(data), int(now), 0o600
                tar.addfile(info, io.BytesIO(data))
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
