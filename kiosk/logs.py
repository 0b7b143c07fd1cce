"""The kiosk's logs: a rotating file in the state folder, stderr (the journal under systemd),
and no citizen's personal data in either.

A kiosk's log is read by technicians and copied into support tickets, so the NIK, card
UIDs and PINs of the citizens who used it must never reach it. Every handler set up here
carries `RedactingFilter`, which masks what looks like them in the message, in its
arguments and in tracebacks. Names and addresses cannot be recognised by a pattern: code
must not log them (code review, and the demo's end-to-end log test, hold that line).

Imports nothing heavy (no pydantic): `apm-kiosk` sets logging up before anything else.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from kiosk.config import KioskSettings

LOG_FILE_NAME = "kiosk.log"
# The defaults of [logging] in kiosk.config (repeated here: this module avoids pydantic).
DEFAULT_LEVEL = "info"
DEFAULT_MAX_BYTES = 2_000_000
DEFAULT_BACKUPS = 5
DEFAULT_FORMAT = "text"
# Libraries that log at debug level about every request, image, certificate or start-up.
NOISY_LIBRARIES = ("urllib3", "PIL", "pyhanko", "pyhanko_certvalidator", "escpos", "tzlocal")

FILE_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s]: %(message)s"
STDERR_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JOURNAL_FORMAT = "%(name)s: %(message)s"  # journald adds the time and the priority field

_OURS = "apm_kiosk_handler"  # attribute that marks the handlers this module added


# --- redaction -----------------------------------------------------------------------------

# A NIK: 16 digits not part of a longer number ("3523014708900001" -> "3523••••••••0001").
_NIK = re.compile(r"(?<![0-9])([0-9]{4})[0-9]{8}([0-9]{4})(?![0-9])")
# A 6-digit PIN shortly after the word "pin" (pin=, PIN:, pinInput ... text='...').
_PIN = re.compile(r"(?i)(pin[^0-9\n]{0,30}?)(?<![0-9])[0-9]{6}(?![0-9])")
# A card UID: 8 to 20 upper-case hex digits standing alone (readers report them upper-case;
# all digits too: a UID may be all digits, or read as a decimal number).
# Not a kiosk id ("KIOSK-9A7A8CF4"): technicians need those whole, and they name no citizen.
_UID = re.compile(r"(?<![0-9A-Za-z])(?<!KIOSK-)[0-9A-F]{6,18}([0-9A-F]{2})(?![0-9A-Za-z])")


def redact(text: str) -> str:
    """The text with NIK-, PIN- and card-UID-like numbers masked."""
    text = _NIK.sub(r"\1••••••••\2", text)
    text = _PIN.sub(r"\1••••••", text)
    return _UID.sub(r"UID…\1", text)


class RedactingFilter(logging.Filter):
    """Masks personal numbers in the whole record: message, arguments, traceback, stack.

    The record is rewritten in place (message formatted, arguments dropped), so every
    handler after this one sees the masked text too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # bad arguments: log what was given rather than lose the line
            message = f"{record.msg!r} (arguments: {record.args!r})"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_TRACEBACKS = logging.Formatter()


# --- handlers ------------------------------------------------------------------------------


class StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever sys.stderr is at the time (tests and tools swap it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass  # always sys.stderr


class JournalFormatter(logging.Formatter):
    """sd-daemon priority prefixes on every line (a traceback keeps its priority)."""

    def __init__(self) -> None:
        super().__init__(JOURNAL_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"<{journal_priority(record.levelno)}>"
        return "\n".join(prefix + line for line in super().format(record).split("\n"))


def journal_priority(levelno: int) -> int:
    """syslog priorities: 2 critical, 3 error, 4 warning, 6 info, 7 debug."""
    if levelno >= logging.CRITICAL:
        return 2
    if levelno >= logging.ERROR:
        return 3
    if levelno >= logging.WARNING:
        return 4
    if levelno >= logging.INFO:
        return 6
    return 7


def stderr_is_the_journal() -> bool:
    """True when stderr is the journal stream systemd connected (not merely inherited).

    systemd sets JOURNAL_STREAM to the stream's "device:inode"; a child whose stderr was
    redirected elsewhere inherits the variable, so the stream itself is compared.
    """
    value = os.environ.get("JOURNAL_STREAM", "")
    try:
        device, inode = (int(part) for part in value.split(":"))
        stat = os.fstat(sys.stderr.fileno())
    except (ValueError, OSError, AttributeError):  # unset, malformed, or no real stderr
        return False
    return (stat.st_dev, stat.st_ino) == (device, inode)


def log_file_path(settings: KioskSettings) -> Path:
    return settings.state_dir / "logs" / LOG_FILE_NAME


def _private_folder(folder: Path, *, tighten: bool) -> None:
    """Create the folder 0700; `tighten` also sets 0700 on one that exists already."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if tighten:
        folder.chmod(0o700)


# --- setting it up -------------------------------------------------------------------------


def configure_logging(
    settings: KioskSettings | None,
    *,
    stderr: bool = True,
    log_file: Path | None = None,
    level: str | None = None,
) -> list[logging.Handler]:
    """Set up the root logger for the kiosk (again: the previous setup is replaced).

    With `settings`, the level and the rotating file `<state_dir>/logs/kiosk.log` come from
    its [logging] section. `log_file` writes to that file instead (the demo's --log-file)
    and `level` overrides the level. Returns the handlers added. A log file that cannot be
    opened is said on stderr; the kiosk runs on without it.
    """
    reset_logging()
    section = settings.logging if settings is not None else None
    name = level or (section.level if section is not None else DEFAULT_LEVEL)
    root = logging.getLogger()
    root.setLevel(_level(name))
    for library in NOISY_LIBRARIES:
        logging.getLogger(library).setLevel(logging.WARNING)
    handlers: list[logging.Handler] = []
    if stderr:
        handlers.append(_stderr_handler())
    problem = None
    path = log_file
    if path is None and settings is not None and section is not None and section.file:
        path = log_file_path(settings)
    if path is not None:
        max_bytes = section.max_bytes if section is not None else DEFAULT_MAX_BYTES
        backups = section.backups if section is not None else DEFAULT_BACKUPS
        shape = section.format if section is not None else DEFAULT_FORMAT
        try:
            handlers.append(
                _file_handler(path, max_bytes, backups, own_folder=log_file is None, shape=shape)
            )
        except OSError as exc:
            problem = f"cannot write the log file {path}: {exc.strerror or exc}"
    for handler in handlers:
        setattr(handler, _OURS, True)
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
    _route_uncaught_exceptions()
    if problem:
        logging.getLogger(__name__).error("%s; logging to stderr only", problem)
        if not stderr:
            print(f"apm-kiosk: {redact(problem)}", file=sys.stderr)
    return handlers


def reset_logging() -> None:
    """Remove (and close) the handlers configure_logging added."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _OURS, False):
            root.removeHandler(handler)
            handler.close()


def _level(name: str) -> int:
    value = logging.getLevelName(name.upper())
    if not isinstance(value, int):
        raise ValueError(f"unknown log level {name!r} (expected debug, info, warning or error)")
    return value


def _stderr_handler() -> logging.Handler:
    handler = StderrHandler()
    if stderr_is_the_journal():
        handler.setFormatter(JournalFormatter())
    else:
        handler.setFormatter(logging.Formatter(STDERR_FORMAT))
    return handler


def _file_handler(
    path: Path, max_bytes: int, backups: int, *, own_folder: bool, shape: str = DEFAULT_FORMAT
) -> logging.Handler:
    # The kiosk's own logs folder is made private even if it exists; a folder the user
    # named (--log-file) is only created private, never changed.
    _private_folder(path.parent, tighten=own_folder)
    from kiosk.logfile import PrivateRotatingFileHandler  # logging.handlers: 20 ms at start

    handler = PrivateRotatingFileHandler(
        path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
    )
    handler.setFormatter(
        JsonLinesFormatter() if shape == "json" else logging.Formatter(FILE_FORMAT)
    )
    return handler


class JsonLinesFormatter(logging.Formatter):
    """One JSON object a line, for log collectors: the fields a text line has, by name.

    The redacting filter has already masked the message and the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        import json

        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}",
            "level": record.levelname.lower(),
            "logger": record.name,
            "thread": record.threadName,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["traceback"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


# --- exceptions nobody caught ----------------------------------------------------------------


def _route_uncaught_exceptions() -> None:
    """Uncaught exceptions in threads go through logging (redacted), not raw to stderr.

    Only the interpreter's default hook is replaced: a test runner's or debugger's stays.
    """
    if threading.excepthook is threading.__excepthook__:
        threading.excepthook = _log_thread_exception


def _log_thread_exception(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    exc_info: tuple[type[BaseException], BaseException, TracebackType | None] = (
        args.exc_type,
        args.exc_value if args.exc_value is not None else args.exc_type(),
        args.exc_traceback,
    )
    name = args.thread.name if args.thread is not None else "?"
    logging.getLogger("kiosk").error("uncaught exception in thread %s", name, exc_info=exc_info)
