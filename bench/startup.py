"""Cold start of `apm-kiosk demo` to the attract screen, and peak memory.

Starts the demo several times as a fresh process (offscreen), and times from just before
the process is spawned to the moment the kiosk reports that the attract screen's first
frame was shown (it prints a marker line when APM_KIOSK_STARTUP_MARK=1). Then runs one
whole autoplay session and reports its peak resident memory (ru_maxrss of the child).

    .venv/bin/python bench/startup.py [--runs 5]

Budgets (brief): attract interactive within 0.5 s, peak memory under 130 MiB.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MARK = "apm-kiosk: attract screen shown"
ROOT = Path(__file__).resolve().parent.parent


def kiosk_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "kiosk.cli", "demo", *args]


def environment() -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", APM_KIOSK_STARTUP_MARK="1")
    env.setdefault("PYTHONDONTWRITEBYTECODE", "0")
    return env


def time_to_attract(timeout_s: float = 30.0) -> float:
    """Seconds from spawn to the attract screen's first frame, for one cold process."""
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            kiosk_command("--out", out, "--exit-after-start"),
            cwd=ROOT,
            env=environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                if line.strip() == MARK:
                    return time.perf_counter() - started
                if time.perf_counter() - started > timeout_s:
                    break
            raise RuntimeError("the kiosk never reported its attract screen")
        finally:
            proc.kill()
            proc.wait()


def autoplay_peak_mib(*extra: str) -> tuple[float, float]:
    """(peak RSS in MiB, wall seconds) of one whole scripted citizen session.

    Without --out: screenshots are the benchmark's own work, not the kiosk's.
    """
    started = time.perf_counter()
    proc = subprocess.Popen(
        kiosk_command("--autoplay", *extra),
        cwd=ROOT,
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak, not the largest so far
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        stderr = proc.stderr.read() if proc.stderr else ""
        raise RuntimeError(f"autoplay failed: {stderr.strip()[-500:]}")
    return usage.ru_maxrss / 1024, wall


def external_server() -> tuple[subprocess.Popen[str], str, str]:
    """A reference server in its own process, so the kiosk's memory is measured alone."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    state = tempfile.mkdtemp(prefix="apm-bench-server-")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "apm_server.cli",
            "serve",
            "--port",
            str(port),
            "--state-dir",
            state,
            "--auto-sign-delay",
            "2",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert server.stdout is not None
    server.stdout.readline()  # "listening on ..."
    # The kiosk checks every letter against the CA the server signs with.
    return server, f"http://127.0.0.1:{port}", str(Path(state) / "demo-ca" / "ca.pem")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    # Bytecode as an installed package has it, and a warm page cache: measure starts, not
    # first installs.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "compileall",
            "-q",
            "kiosk",
            "drivers",
            "printer",
            "cardreader",
            "apm_api",
            "apm_server",
        ],
        cwd=ROOT,
        check=True,
    )
    time_to_attract()
    times = [time_to_attract() for _ in range(args.runs)]
    print(f"cold start to attract screen ({args.runs} runs, offscreen):")
    print(
        f"  median {statistics.median(times):.3f} s, min {min(times):.3f} s, "
        f"max {max(times):.3f} s   (budget 0.500 s)"
    )
    peak, wall = autoplay_peak_mib()
    print(
        f"autoplay session, demo process (kiosk + embedded server, letters signed in-process):"
        f" peak RSS {peak:.1f} MiB, {wall:.1f} s"
    )
    server, url, anchor = external_server()
    try:
        peak, wall = autoplay_peak_mib("--backend-url", url, "--trust-anchor", anchor)
    finally:
        server.terminate()
        server.wait()
    print(
        f"autoplay session, kiosk alone (server in another process): peak RSS {peak:.1f} MiB"
        f" (budget 130 MiB), {wall:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
