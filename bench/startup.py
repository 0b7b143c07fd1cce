"""Cold start of the kiosk to the attract screen and to "ready for citizens", and peak memory.

Starts the kiosk several times as a fresh process (offscreen), both as `apm-kiosk demo`
and as `apm-kiosk run --config FILE` (the real entry point, against a reference server in
its own process), and times from just before the process is spawned to two marker lines
the kiosk prints when APM_KIOSK_STARTUP_MARK=1: the attract screen's first frame, and
"ready" (the catalogue is shown and the card reader is enabled: a citizen can act). Then
runs one whole autoplay session and reports its peak resident memory (ru_maxrss).

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
READY_MARK = "apm-kiosk: ready for citizens"
ROOT = Path(__file__).resolve().parent.parent
KIOSK_TOKEN = "demo-kiosk-token"  # apm_server.demo_data: registered in any new database


def kiosk_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "kiosk.cli", "demo", *args]


def run_config(directory: Path, url: str, anchor: str) -> Path:
    """A kiosk config as an installation has one: a backend URL, a token, simulated devices."""
    path = directory / "kiosk.toml"
    path.write_text(
        f"""[kiosk]
state_dir = "{directory / "state"}"

[backend]
url = "{url}"
token = "{KIOSK_TOKEN}"

[signature]
trust_anchors = ["{anchor}"]

[devices.receipt_printer]
type = "escpos"
transport = {{ type = "simulated" }}

[devices.document_printer]
type = "simulated"

[devices.card_reader]
type = "simulated"

[logging]
file = false
""",
        encoding="utf-8",
    )
    return path


def environment() -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", APM_KIOSK_STARTUP_MARK="1")
    env.setdefault("PYTHONDONTWRITEBYTECODE", "0")
    return env


def time_to_marks(command: list[str], timeout_s: float = 30.0) -> tuple[float, float]:
    """Seconds from spawn to (first frame, ready for citizens), for one cold process."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    first_frame: float | None = None
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip() == MARK:
                first_frame = time.perf_counter() - started
            elif line.strip() == READY_MARK and first_frame is not None:
                return first_frame, time.perf_counter() - started
            if time.perf_counter() - started > timeout_s:
                break
        raise RuntimeError("the kiosk never reported its attract screen and readiness")
    finally:
        proc.kill()
        proc.wait()


def time_demo() -> tuple[float, float]:
    """`apm-kiosk demo` as a developer starts it (its state in a fresh temporary directory)."""
    return time_to_marks(kiosk_command())


def time_run(url: str, anchor: str) -> tuple[float, float]:
    """`apm-kiosk run --config FILE`, a fresh state directory each time (a cold cache)."""
    with tempfile.TemporaryDirectory() as directory:
        config = run_config(Path(directory), url, anchor)
        return time_to_marks([sys.executable, "-m", "kiosk.cli", "run", "--config", str(config)])


def summary(label: str, samples: list[tuple[float, float]]) -> None:
    for name, values in (
        ("first frame", [s[0] for s in samples]),
        ("ready      ", [s[1] for s in samples]),
    ):
        print(
            f"  {label} {name}: median {statistics.median(values):.3f} s, "
            f"min {min(values):.3f} s, max {max(values):.3f} s"
        )


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
    parser.add_argument("--startup-only", action="store_true", help="skip the memory sessions")
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
    print(f"cold start ({args.runs} runs, offscreen; budget: ready within 0.500 s):")
    time_demo()
    summary("demo", [time_demo() for _ in range(args.runs)])
    server, url, anchor = external_server()
    try:
        time_run(url, anchor)
        summary("run ", [time_run(url, anchor) for _ in range(args.runs)])
    finally:
        server.terminate()
        server.wait()
    if args.startup_only:
        return 0
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
