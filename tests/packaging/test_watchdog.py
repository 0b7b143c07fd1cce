"""The kiosk tells systemd it is up, alive and stopping (kiosk/watchdog.py, kiosk/ui/app.py).

Every test listens on a real unix datagram socket, as systemd does on $NOTIFY_SOCKET: a
socket file, or an abstract one ('@name'). The last tests run the kiosk itself (offscreen)
and cage, the compositor the unit starts it under.
"""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.watchdog import SystemdNotifier

REPO = Path(__file__).resolve().parents[2]
SIMULATED_CONFIG = REPO / "config" / "simulated.toml"
NOBODY = 65534


class Listener:
    """systemd's end: a bound datagram socket and the messages that reach it."""

    def __init__(self, sock: socket.socket, address: str) -> None:
        self.sock, self.address = sock, address

    def receive(self, timeout_s: float = 5.0) -> str | None:
        self.sock.settimeout(timeout_s)
        try:
            return self.sock.recv(4096).decode("utf-8")
        except TimeoutError:
            return None

    def arrivals(self, duration_s: float) -> list[tuple[float, str]]:
        """(arrival time, message) of every message for `duration_s` seconds."""
        seen: list[tuple[float, str]] = []
        deadline = time.monotonic() + duration_s
        while (left := deadline - time.monotonic()) > 0:
            message = self.receive(left)
            if message is not None:
                seen.append((time.monotonic(), message))
        return seen

    def messages_until(self, wanted: str, timeout_s: float) -> list[str]:
        """Every message up to and including the first holding `wanted` (or until timeout)."""
        seen: list[str] = []
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            message = self.receive(left)
            if message is None:
                break
            seen.append(message)
            if wanted in message.split("\n"):
                break
        return seen


@pytest.fixture
def path_listener(tmp_path: Path) -> Iterator[Listener]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = tmp_path / "notify"
    sock.bind(str(path))
    yield Listener(sock, str(path))
    sock.close()


@pytest.fixture
def abstract_listener() -> Iterator[Listener]:
    name = f"apm-kiosk-test-{uuid.uuid4().hex}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(b"\0" + name.encode())
    yield Listener(sock, "@" + name)
    sock.close()


def test_without_notify_socket_everything_is_a_no_op(path_listener: Listener) -> None:
    notifier = SystemdNotifier.from_environ({"WATCHDOG_USEC": "30000000"})
    assert not notifier.enabled
    assert notifier.feed_interval_s is None  # nothing to feed it on
    assert not notifier.ready() and not notifier.watchdog() and not notifier.stopping()
    assert path_listener.receive(0.2) is None


def test_ready_watchdog_and_stopping_on_a_socket_file(path_listener: Listener) -> None:
    notifier = SystemdNotifier.from_environ({"NOTIFY_SOCKET": path_listener.address})
    assert notifier.ready("attract screen shown")
    assert path_listener.receive() == "READY=1\nSTATUS=attract screen shown"
    assert notifier.watchdog()
    assert path_listener.receive() == "WATCHDOG=1"
    assert notifier.stopping()
    assert path_listener.receive() == "STOPPING=1"
    notifier.close()


def test_an_abstract_socket_is_written_with_an_at_sign(abstract_listener: Listener) -> None:
    notifier = SystemdNotifier.from_environ({"NOTIFY_SOCKET": abstract_listener.address})
    assert notifier.watchdog()
    assert abstract_listener.receive() == "WATCHDOG=1"


def test_ready_is_sent_once_however_often_a_frame_comes(path_listener: Listener) -> None:
    notifier = SystemdNotifier(path_listener.address)
    for _ in range(50):
        notifier.ready()
    assert path_listener.receive() == "READY=1"
    assert path_listener.receive(0.3) is None


def test_a_status_stays_on_one_line(path_listener: Listener) -> None:
    notifier = SystemdNotifier(path_listener.address)
    notifier.status("the kiosk could not start:\nno card reader\n\nREADY=1")
    assert path_listener.receive() == "STATUS=the kiosk could not start: no card reader READY=1"


@pytest.mark.parametrize(
    ("usec", "interval"),
    [("30000000", 15.0), ("400000", 0.2), ("0", None), ("", None), ("soon", None), ("-5", None)],
)
def test_it_feeds_at_half_the_watchdog_interval(usec: str, interval: float | None) -> None:
    notifier = SystemdNotifier.from_environ({"NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": usec})
    assert notifier.feed_interval_s == interval


def test_systemd_gone_is_logged_once_and_never_raises(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = SystemdNotifier(str(tmp_path / "nobody-listens"))
    with caplog.at_level(logging.WARNING, logger="kiosk.watchdog"):
        assert not notifier.watchdog()
        assert not notifier.watchdog()
    failures = [r for r in caplog.records if "notification" in r.getMessage()]
    assert len(failures) == 1 and "nobody-listens" in failures[0].getMessage()


def test_a_listener_that_stops_reading_never_stalls_the_sender(path_listener: Listener) -> None:
    """The GUI thread feeds the watchdog: a full socket queue must cost it nothing."""
    notifier = SystemdNotifier(path_listener.address)
    started = time.monotonic()
    results = [notifier.watchdog() for _ in range(5000)]
    assert time.monotonic() - started < 5
    assert results[0] and not results[-1]  # the queue filled up; the sends failed at once


# --- the kiosk itself ---------------------------------------------------------------------


def test_the_kiosk_says_ready_feeds_the_watchdog_and_says_stopping(
    abstract_listener: Listener, tmp_path: Path
) -> None:
    """`apm-kiosk run` as systemd starts it: READY=1 once the attract screen shows,
    WATCHDOG=1 every half interval while it runs, STOPPING=1 on SIGTERM."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(
        QT_QPA_PLATFORM="offscreen",
        APM_KIOSK_STATE_DIR=str(tmp_path / "state"),
        NOTIFY_SOCKET=abstract_listener.address,
        WATCHDOG_USEC="400000",  # fed every 0.2 s
    )
    kiosk = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "run", "--config", str(SIMULATED_CONFIG)],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        before_ready = abstract_listener.messages_until("READY=1", 60)
        assert before_ready and before_ready[-1] == "READY=1\nSTATUS=attract screen shown", (
            before_ready
        )
        fed = abstract_listener.arrivals(3.0)
        assert {message for _, message in fed} == {"WATCHDOG=1"}, fed
        # Every 0.2 s (half of WATCHDOG_USEC), not every 0.4 s: the median gap says so even
        # if the GUI thread is held up once by the runtime loading beside it.
        gaps = [later - earlier for (earlier, _), (later, _) in itertools.pairwise(fed)]
        assert len(gaps) >= 5 and 0.15 <= statistics.median(gaps) <= 0.3, gaps
    finally:
        kiosk.send_signal(signal.SIGTERM)
        _, stderr = kiosk.communicate(timeout=30)
    assert kiosk.returncode == 0, stderr
    after_stop = abstract_listener.messages_until("STOPPING=1", 5)
    assert after_stop[-1] == "STOPPING=1\nSTATUS=stopping", after_stop


def test_cage_passes_the_notify_socket_and_watchdog_interval_to_the_kiosk(
    abstract_listener: Listener,
) -> None:
    """The unit's main process is cage; the kiosk is its child. It gets $NOTIFY_SOCKET and
    $WATCHDOG_USEC from cage's environment and its messages reach systemd's socket from a
    process other than the main one (hence NotifyAccess=all in apm-kiosk.service)."""
    if shutil.which("cage") is None or shutil.which("socat") is None:
        pytest.skip("cage and socat are needed (./scripts/setup installs them as root)")
    as_nobody: list[str] = []
    runtime_dir = Path(tempfile.mkdtemp(prefix="apm-cage-notify-"))
    if os.geteuid() == 0:  # cage refuses to run as root
        if shutil.which("setpriv") is None:
            pytest.skip("cage will not run as root, and setpriv is missing to run it as nobody")
        os.chown(runtime_dir, NOBODY, NOBODY)
        as_nobody = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    child = (
        'printf "WATCHDOG=1\\nSTATUS=pid %s usec %s" "$$" "$WATCHDOG_USEC"'
        ' | socat -u - "ABSTRACT-SENDTO:${NOTIFY_SOCKET#@}"'
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(
        XDG_RUNTIME_DIR=str(runtime_dir),
        WLR_BACKENDS="headless",
        WLR_RENDERER="pixman",
        WLR_LIBINPUT_NO_DEVICES="1",
        NOTIFY_SOCKET=abstract_listener.address,
        WATCHDOG_USEC="30000000",
    )
    try:
        # setpriv execs cage: the process started here is cage, as systemd's main process.
        compositor = subprocess.Popen(
            [*as_nobody, "cage", "--", "sh", "-c", child],
            env=env,
            cwd=runtime_dir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        _, stderr = compositor.communicate(timeout=60)
        message = abstract_listener.receive(5)
    finally:
        shutil.rmtree(runtime_dir, ignore_errors=True)
    if message is None and compositor.returncode != 0:
        pytest.skip(f"cage does not start on this machine: {stderr[-400:]}")
    assert message is not None, stderr
    fields = message.split("\n")
    assert fields[0] == "WATCHDOG=1"
    pid, usec = fields[1].removeprefix("STATUS=pid ").split(" usec ")
    assert usec == "30000000"
    assert int(pid) != compositor.pid  # sent by cage's child, not by the main process
