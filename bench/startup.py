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
import resource
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


def autoplay_peak_mib() -> tuple[float, float]:
    """(peak RSS in MiB, wall seconds) of one whole scripted citizen session."""
    with tempfile.TemporaryDirectory() as out:
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        started = time.perf_counter()
        result = subprocess.run(
            kiosk_command("--autoplay", "--out", out),
            cwd=ROOT,
            env=environment(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        wall = time.perf_counter() - started
        if result.returncode != 0:
            raise RuntimeError(f"autoplay failed: {result.stderr.strip()[-500:]}")
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        # ru_maxrss of children is the largest child so far; the warm-up runs were smaller
        # or equal, so this is the autoplay process's peak unless an earlier run was larger.
        return max(peak_kib, before) / 1024, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    time_to_attract()  # warm the page cache and .pyc files: measure starts, not first installs
    times = [time_to_attract() for _ in range(args.runs)]
    print(f"cold start to attract screen ({args.runs} runs, offscreen):")
    print(
        f"  median {statistics.median(times):.3f} s, min {min(times):.3f} s, "
        f"max {max(times):.3f} s   (budget 0.500 s)"
    )
    peak, wall = autoplay_peak_mib()
    print(f"whole autoplay session: peak RSS {peak:.1f} MiB (budget 130 MiB), {wall:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
