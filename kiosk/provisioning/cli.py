"""`apm-kiosk provision [--config PATH] [--file PATH] [--first-boot]`.

By hand it prints what it does, in plain words for the technician (progress on stdout,
problems on stderr). As the first-boot service runs it (`--first-boot`) the same lines go
to the journal, and it does nothing (exit 0) on a kiosk already provisioned or with no
provisioning file in the usual places.

Exit codes: 0 provisioned (or nothing to do at first boot); 1 refused or failed (the
backend refused the token, could not be reached, or is not the one the file pins;
nothing written); 2 the provisioning file or the kiosk's config cannot be used.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from kiosk.config import config_path
from kiosk.provisioning.config_edit import already_provisioned
from kiosk.provisioning.search import SEARCH_ENV, find_provisioning_files, search_folders

log = logging.getLogger("kiosk.provisioning")


def run_provision(args: argparse.Namespace) -> int:
    with _said(first_boot=bool(args.first_boot)):
        return _run(config_path(args.config), args.file, first_boot=bool(args.first_boot))


def _run(config: Path, file_arg: str | None, *, first_boot: bool) -> int:
    from kiosk.provisioning.provision import (
        EXIT_OK,
        EXIT_UNUSABLE,
        ProvisioningFailed,
        provision,
    )

    if first_boot:
        reason = already_provisioned(config)
        if reason is not None:
            log.info("This kiosk is already provisioned (%s): nothing to do.", reason)
            return EXIT_OK
    file = Path(file_arg) if file_arg else _found_file()
    if file is None:
        where = ", ".join(search_folders())
        if first_boot:
            log.info("No provisioning file found (looked in %s): nothing to do.", where)
            return EXIT_OK
        log.error(
            "No provisioning file found (looked in %s for apm-provision.toml). Give one "
            "with --file PATH, or set %s.",
            where, SEARCH_ENV,
        )  # fmt: skip
        return EXIT_UNUSABLE
    try:
        done = provision(file, config)
    except ProvisioningFailed as failed:
        log.error("%s", failed)
        return failed.exit_code
    log.info(
        "Done: this kiosk is %s (%s) of village %s, served by %s.",
        done.kiosk_id, done.label, done.village_code, done.backend_url,
    )  # fmt: skip
    log.info("  device token: %s (readable by the kiosk's user only)", done.token_file)
    log.info("  backend CA:   %s", done.ca_file)
    log.info("  config:       %s ([backend] and the trust anchors set)", done.config)
    if not first_boot:
        log.info(
            "Next: `apm-kiosk diag --config %s` checks the backend link; restart the kiosk "
            "(systemctl restart apm-kiosk) to use it.",
            done.config,
        )
    return EXIT_OK


def _found_file() -> Path | None:
    found = find_provisioning_files()
    if not found:
        return None
    if len(found) > 1:
        others = ", ".join(str(path) for path in found[1:])
        log.warning("Several provisioning files found: using %s, not %s.", found[0], others)
    return found[0]


# --- where the words go ------------------------------------------------------------------


class _ByLevel(logging.Handler):
    """The plain message: information on stdout, problems on stderr (whatever sys.stdout
    and sys.stderr are when it is said)."""

    def emit(self, record: logging.LogRecord) -> None:
        stream: TextIO = sys.stderr if record.levelno >= logging.WARNING else sys.stdout
        try:
            stream.write(self.format(record) + "\n")
            stream.flush()
        except Exception:
            self.handleError(record)


@contextmanager
def _said(*, first_boot: bool) -> Iterator[None]:
    """Say the provisioning logger's lines on the terminal (by hand) or to the journal
    (first boot, as a systemd service's stderr), for the length of one run.

    No personal data passes here (no citizen is involved), so the kiosk's redacting filter
    is not needed, and it would mask kiosk ids (KIOSK-9A7A8CF4) as card UIDs.
    """
    from kiosk.logs import STDERR_FORMAT, JournalFormatter, StderrHandler, stderr_is_the_journal

    handler: logging.Handler
    if first_boot:
        handler = StderrHandler()
        journal = stderr_is_the_journal()
        handler.setFormatter(JournalFormatter() if journal else logging.Formatter(STDERR_FORMAT))
    else:
        handler = _ByLevel()
        handler.setFormatter(logging.Formatter("%(message)s"))
    saved = (log.level, log.propagate)
    log.setLevel(logging.INFO)
    log.propagate = False
    log.addHandler(handler)
    try:
        yield
    finally:
        log.removeHandler(handler)
        log.setLevel(saved[0])
        log.propagate = saved[1]
