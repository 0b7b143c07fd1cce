"""The kiosk's logs: a private rotating file, the journal's format under systemd, and no
NIK, card UID or PIN in any line."""

from __future__ import annotations

import logging
import os
import re
import stat
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk import logs
from kiosk.config import LoggingSection, load_config_text
from kiosk.logs import configure_logging, redact, reset_logging
from tests.kiosk.test_config import DEVICES

REPO = Path(__file__).resolve().parents[2]

# The demo resident (the reference backend's demo data).
NIK = "3523014708900001"
UID = "04A3B2C1D0E1F2"
PIN = "123456"
NAME = "Siti Rahayu"
NIK_MASKED = "3523••••••••0001"
UID_MASKED = "UID…F2"


@pytest.fixture(autouse=True)
def clean_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts and ends without the kiosk's handlers and with the same levels."""
    monkeypatch.delenv("APM_KIOSK_STATE_DIR", raising=False)
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", *logs.NOISY_LIBRARIES)}
    hook = threading.excepthook
    yield
    reset_logging()
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    root.setLevel(levels[""])
    threading.excepthook = hook


def settings_for(tmp_path: Path, registries: Any, logging_section: str = "") -> Any:
    text = (
        f'[kiosk]\nstate_dir = "state"\n[backend]\nembedded = true\n'
        f"[logging]\n{logging_section}\n{DEVICES}"
    )
    return load_config_text(text, source="<test>", base_dir=tmp_path, registries=registries)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def run_python(
    code: str, env: dict[str, str] | None = None, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter, so the global logging state of this one stays clean."""
    environment = {k: v for k, v in os.environ.items() if k != "JOURNAL_STREAM"}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        text=True,
        cwd=REPO,
        env={**environment, **(env or {})},
        timeout=60,
        **kwargs,
    )


# --- the file ------------------------------------------------------------------------------


def test_the_log_file_is_private(tmp_path: Path, registries: Any) -> None:
    settings = settings_for(tmp_path, registries)
    configure_logging(settings, stderr=False)
    logging.getLogger("kiosk.test").warning("the printer is out of paper")
    path = tmp_path / "state" / "logs" / "kiosk.log"
    assert path == logs.log_file_path(settings)
    assert mode(path.parent) == 0o700
    assert mode(path) == 0o600
    line = path.read_text(encoding="utf-8").strip()
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING kiosk\.test \[MainThread\]: "
        r"the printer is out of paper",
        line,
    ), line


def test_an_existing_logs_folder_and_file_are_made_private(tmp_path: Path, registries: Any) -> None:
    folder = tmp_path / "state" / "logs"
    folder.mkdir(parents=True, mode=0o755)
    folder.chmod(0o755)
    (folder / "kiosk.log").write_text("an old line\n", encoding="utf-8")
    (folder / "kiosk.log").chmod(0o644)
    configure_logging(settings_for(tmp_path, registries), stderr=False)
    logging.getLogger("kiosk.test").warning("a new line")
    assert (mode(folder), mode(folder / "kiosk.log")) == (0o700, 0o600)
    text = (folder / "kiosk.log").read_text(encoding="utf-8")
    assert text.startswith("an old line\n") and "a new line" in text  # appended


def test_no_file_when_the_settings_say_so(tmp_path: Path, registries: Any) -> None:
    configure_logging(settings_for(tmp_path, registries, "file = false"), stderr=False)
    logging.getLogger("kiosk.test").warning("only on stderr")
    assert not (tmp_path / "state" / "logs").exists()


def test_the_file_rotates(tmp_path: Path, registries: Any) -> None:
    settings = settings_for(tmp_path, registries, "max_bytes = 10000\nbackups = 2")
    configure_logging(settings, stderr=False)
    log = logging.getLogger("kiosk.test")
    for number in range(600):  # about 60 kB: several rotations
        log.warning("line %04d %s", number, "x" * 40)
    folder = tmp_path / "state" / "logs"
    assert sorted(p.name for p in folder.iterdir()) == ["kiosk.log", "kiosk.log.1", "kiosk.log.2"]
    for path in folder.iterdir():
        assert path.stat().st_size <= 10_000, path.name
        assert mode(path) == 0o600, path.name
    assert "line 0599" in (folder / "kiosk.log").read_text(encoding="utf-8")
    assert "line 0000" not in "".join(p.read_text(encoding="utf-8") for p in folder.iterdir())


def test_without_backups_a_full_file_starts_over(tmp_path: Path, registries: Any) -> None:
    settings = settings_for(tmp_path, registries, "max_bytes = 10000\nbackups = 0")
    configure_logging(settings, stderr=False)
    log = logging.getLogger("kiosk.test")
    for number in range(600):
        log.warning("line %04d %s", number, "x" * 40)
    [path] = (tmp_path / "state" / "logs").iterdir()
    assert path.stat().st_size <= 10_000
    assert mode(path) == 0o600
    assert "line 0599" in path.read_text(encoding="utf-8")


def test_a_log_file_that_cannot_be_written_does_not_stop_the_kiosk(
    tmp_path: Path, registries: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "state").write_text("a file where the state folder should be", encoding="utf-8")
    handlers = configure_logging(settings_for(tmp_path, registries))
    assert len(handlers) == 1  # stderr only
    logging.getLogger("kiosk.test").warning("still logging")
    err = capsys.readouterr().err
    assert f"cannot write the log file {tmp_path / 'state' / 'logs' / 'kiosk.log'}" in err
    assert "still logging" in err


def test_configuring_twice_adds_no_handler_twice(tmp_path: Path, registries: Any) -> None:
    settings = settings_for(tmp_path, registries)
    configure_logging(settings)
    configure_logging(settings)
    ours = [h for h in logging.getLogger().handlers if getattr(h, logs._OURS, False)]
    assert sorted(type(h).__name__ for h in ours) == ["PrivateRotatingFileHandler", "StderrHandler"]
    logging.getLogger("kiosk.test").warning("once")
    text = (tmp_path / "state" / "logs" / "kiosk.log").read_text(encoding="utf-8")
    assert text.count("once") == 1


def test_the_level_comes_from_the_settings(tmp_path: Path, registries: Any) -> None:
    configure_logging(settings_for(tmp_path, registries, 'level = "warning"'), stderr=False)
    log = logging.getLogger("kiosk.test")
    log.info("an info line")
    log.warning("a warning line")
    text = (tmp_path / "state" / "logs" / "kiosk.log").read_text(encoding="utf-8")
    assert "a warning line" in text and "an info line" not in text


def test_noisy_libraries_are_quiet_even_at_debug(tmp_path: Path, registries: Any) -> None:
    configure_logging(settings_for(tmp_path, registries, 'level = "debug"'), stderr=False)
    logging.getLogger("kiosk.test").debug("our debug line")
    for library in ("urllib3.connectionpool", "PIL.PngImagePlugin", "pyhanko.sign.validation"):
        logging.getLogger(library).debug("%s debug line", library)
        logging.getLogger(library).info("%s info line", library)
    logging.getLogger("urllib3.connectionpool").warning("urllib3 warning line")
    text = (tmp_path / "state" / "logs" / "kiosk.log").read_text(encoding="utf-8")
    assert "our debug line" in text and "urllib3 warning line" in text
    assert "debug line" not in text.replace("our debug line", "")
    assert "info line" not in text


def test_the_defaults_are_those_of_the_config() -> None:
    section = LoggingSection()
    ours = (logs.DEFAULT_LEVEL, logs.DEFAULT_MAX_BYTES, logs.DEFAULT_BACKUPS, logs.DEFAULT_FORMAT)
    assert ours == (section.level, section.max_bytes, section.backups, section.format)


def test_json_lines_for_log_collectors_masked_like_text(tmp_path: Path, registries: Any) -> None:
    import json

    settings = settings_for(tmp_path, registries, 'format = "json"')
    configure_logging(settings, stderr=False)
    log = logging.getLogger("kiosk.test")
    log.info("card %s for NIK %s", "04A3B2C1D0E1F2", "3523014708900001")
    try:
        raise ValueError("pin=123456")
    except ValueError:
        log.exception("failed")

    lines = (tmp_path / "state" / "logs" / "kiosk.log").read_text(encoding="utf-8").splitlines()
    first, second = (json.loads(line) for line in lines)
    assert first["level"] == "info" and first["logger"] == "kiosk.test"
    assert first["message"] == "card UID…F2 for NIK 3523••••••••0001"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}", first["time"])
    assert "ValueError" in second["traceback"] and "123456" not in second["traceback"]


def test_an_explicit_log_file_and_level(tmp_path: Path) -> None:
    path = tmp_path / "new" / "demo.log"
    configure_logging(None, stderr=False, log_file=path, level="debug")
    logging.getLogger("kiosk.test").debug("a debug line")
    assert "a debug line" in path.read_text(encoding="utf-8")
    assert (mode(path.parent), mode(path)) == (0o700, 0o600)


def test_an_explicit_log_file_leaves_its_existing_folder_alone(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    configure_logging(None, stderr=False, log_file=tmp_path / "demo.log")
    assert (mode(tmp_path), mode(tmp_path / "demo.log")) == (0o755, 0o600)


def test_an_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown log level 'loud'"):
        configure_logging(None, level="loud")


# --- stderr and the journal ------------------------------------------------------------------

EMIT_EVERY_LEVEL = """
    import logging
    from kiosk.logs import configure_logging
    configure_logging(None, level="debug")
    log = logging.getLogger("kiosk.test")
    log.debug("a debug line")
    log.info("an info line")
    log.warning("a warning line")
    log.error("an error line")
    try:
        1 / 0
    except ZeroDivisionError:
        log.exception("it broke")
"""


def test_under_systemd_stderr_lines_carry_priorities_and_no_timestamp(tmp_path: Path) -> None:
    # As systemd does: JOURNAL_STREAM names the device and inode of the stream it hands over.
    with open(tmp_path / "journal", "w+b") as journal:
        info = os.fstat(journal.fileno())
        env = {"JOURNAL_STREAM": f"{info.st_dev}:{info.st_ino}"}
        result = run_python(EMIT_EVERY_LEVEL, env=env, stderr=journal)
    assert result.returncode == 0
    lines = (tmp_path / "journal").read_text(encoding="utf-8").splitlines()
    assert lines[:5] == [
        "<7>kiosk.test: a debug line",
        "<6>kiosk.test: an info line",
        "<4>kiosk.test: a warning line",
        "<3>kiosk.test: an error line",
        "<3>kiosk.test: it broke",
    ]
    traceback = lines[5:]
    assert traceback[0] == "<3>Traceback (most recent call last):"
    assert traceback[-1] == "<3>ZeroDivisionError: division by zero"
    assert all(line.startswith("<3>") for line in traceback)  # the traceback stays an error
    assert not any(re.search(r"\d\d:\d\d:\d\d", line) for line in lines)


def test_an_inherited_journal_stream_is_not_taken_for_ours() -> None:
    # A child of a systemd service whose stderr was redirected still has the variable.
    result = run_python(EMIT_EVERY_LEVEL, env={"JOURNAL_STREAM": "8:123456"}, capture_output=True)
    assert result.returncode == 0
    assert "<6>" not in result.stderr
    assert re.search(
        r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO kiosk\.test: an info line$",
        result.stderr,
        re.M,
    ), result.stderr


def test_outside_systemd_stderr_lines_are_timestamped() -> None:
    result = run_python(EMIT_EVERY_LEVEL, capture_output=True)
    assert result.returncode == 0
    lines = result.stderr.splitlines()
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"
    assert re.fullmatch(stamp + r" DEBUG kiosk\.test: a debug line", lines[0]), lines[0]
    assert re.fullmatch(stamp + r" ERROR kiosk\.test: it broke", lines[4]), lines[4]
    assert lines[5] == "Traceback (most recent call last):"


def test_stderr_follows_sys_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(None)
    logging.getLogger("kiosk.test").warning("where does this go")
    assert "where does this go" in capsys.readouterr().err


# --- no personal numbers in any output --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"NIK {NIK}", f"NIK {NIK_MASKED}"),
        (f"nik={NIK},", f"nik={NIK_MASKED},"),
        (f"card {UID} tapped", f"card {UID_MASKED} tapped"),
        ("uid=5A3C9E01", "uid=UID…01"),
        ("card_DEADBEEF", "card_UID…EF"),
        ("decimal uid 3232235777", "decimal uid UID…77"),
        (f"pin={PIN}", "pin=••••••"),
        (f"PIN: {PIN}", "PIN: ••••••"),
        (f"{{'pin': '{PIN}'}}", "{'pin': '••••••'}"),
        (f"type(target='pinInput', text='{PIN}')", "type(target='pinInput', text='••••••')"),
        (f"identify {NIK} pin {PIN}", f"identify {NIK_MASKED} pin ••••••"),
    ],
)
def test_redact_masks_personal_numbers(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "request req-1a2b3c4d5e6f7a8b printed",  # request ids: lower-case hex
        "tracking code 231126-001",
        "idempotency key 0f9c2b7e4d1a4e3f8b6a5c2d1e0f9a8b",
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "letter 474.4/007/35.23.01.2001/XI/2026 signed 2026-11-23 09:30:00",
        "max_bytes 2000000, 3 failures, port 8080, 7 digits 1234567",
        "A4 printer CUPS, ESC/POS, HTTP 503",
        "enrolled as KIOSK-9A7A8CF4 in village 35.23.01.2001",  # kiosk ids: no citizen's
    ],
)
def test_redact_leaves_other_text_alone(text: str) -> None:
    assert redact(text) == text


def test_a_longer_number_around_a_nik_is_masked_all_the_same() -> None:
    assert redact(f"number {NIK}2 end") == "number UID…12 end"


def log_everything(log: logging.Logger) -> None:
    """Personal numbers in the message, in its arguments, and in tracebacks."""
    log.info(f"tap {UID} by {NIK} with pin {PIN}")
    log.info("identify %s", NIK)
    log.info("card %s", UID)
    log.info("pin %s", PIN)
    log.info("%(nik)s / %(uid)s", {"nik": NIK, "uid": UID})
    try:
        raise LookupError(f"no resident with NIK {NIK} and card {UID}")
    except LookupError:
        log.exception("identification failed")
    try:
        try:
            int("3523014708900001x")  # the NIK is in this source line, shown in the traceback
        except ValueError as exc:
            raise RuntimeError(f"pin {PIN} rejected") from exc
    except RuntimeError:
        log.error("chained", exc_info=True)
    log.warning("stack here", stack_info=True)


def assert_clean(text: str) -> None:
    for secret in (NIK, UID, PIN):
        assert secret not in text, f"{secret} leaked:\n{text}"
    assert NIK_MASKED in text and UID_MASKED in text and "pin ••••••" in text
    assert "LookupError: no resident with NIK 3523••••••••0001 and card UID…F2" in text
    assert "RuntimeError: pin •••••• rejected" in text
    assert "Stack (most recent call last)" in text


def test_no_personal_numbers_in_the_file_or_on_stderr(
    tmp_path: Path, registries: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(settings_for(tmp_path, registries, 'level = "debug"'))
    log_everything(logging.getLogger("kiosk.test"))
    assert_clean((tmp_path / "state" / "logs" / "kiosk.log").read_text(encoding="utf-8"))
    assert_clean(capsys.readouterr().err)


def test_the_masked_record_reaches_other_handlers_too(tmp_path: Path) -> None:
    configure_logging(None, stderr=False, log_file=tmp_path / "kiosk.log")
    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(self.format(record))

    later = Collect()
    logging.getLogger().addHandler(later)  # added after ours: gets the record once masked
    try:
        logging.getLogger("kiosk.test").info("identify %s", NIK)
    finally:
        logging.getLogger().removeHandler(later)
    assert seen == [f"identify {NIK_MASKED}"]


def test_an_uncaught_exception_in_a_thread_is_logged_masked(tmp_path: Path) -> None:
    code = f"""
        import threading
        from pathlib import Path
        from kiosk.logs import configure_logging
        configure_logging(None, log_file=Path({str(tmp_path / "kiosk.log")!r}))
        def work():
            raise ValueError("card {UID} of {NIK}")
        thread = threading.Thread(target=work, name="reader-io")
        thread.start()
        thread.join()
    """
    result = run_python(code, capture_output=True)
    assert result.returncode == 0
    for text in (result.stderr, (tmp_path / "kiosk.log").read_text(encoding="utf-8")):
        assert "uncaught exception in thread reader-io" in text
        assert f"ValueError: card {UID_MASKED} of {NIK_MASKED}" in text
        assert UID not in text and NIK not in text


def test_a_message_with_bad_arguments_is_still_logged_masked(tmp_path: Path) -> None:
    # In a fresh interpreter: pytest's own log capture would raise on the bad arguments.
    code = f"""
        import logging
        from pathlib import Path
        from kiosk.logs import configure_logging
        configure_logging(None, log_file=Path({str(tmp_path / "kiosk.log")!r}))
        logging.getLogger("kiosk.test").warning("two %s %s", "{NIK}")  # one argument short
    """
    result = run_python(code, capture_output=True)
    assert result.returncode == 0
    for text in (result.stderr, (tmp_path / "kiosk.log").read_text(encoding="utf-8")):
        assert "two %s %s" in text and NIK_MASKED in text and NIK not in text
        assert "Logging error" not in text


# --- the demo, end to end ----------------------------------------------------------------------


@pytest.mark.qt
@pytest.mark.slow
def test_a_whole_demo_session_logs_no_personal_data(tmp_path: Path) -> None:
    """The scripted session taps Siti Rahayu's card, types her PIN, and gets her letter:
    at debug level, neither the log file nor stderr may name her or carry her numbers."""
    log_file = tmp_path / "demo.log"
    demo = [sys.executable, "-m", "kiosk.cli", "demo", "--autoplay", "--out", str(tmp_path / "out")]
    result = subprocess.run(
        [*demo, "--log-file", str(log_file), "--log-level", "debug"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    text = log_file.read_text(encoding="utf-8")
    assert mode(log_file) == 0o600
    assert len(text.splitlines()) > 20 and " DEBUG " in text  # the session was logged
    for output in (text, result.stderr):
        for secret in (NIK, UID, PIN, NAME):
            assert secret not in output, f"{secret!r} in the demo's log:\n" + "\n".join(
                line for line in output.splitlines() if secret in line
            )
