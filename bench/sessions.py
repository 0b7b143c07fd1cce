"""Memory over many citizen sessions: does the kiosk grow?

Runs N complete sessions (tap card -> service -> form -> submit -> signed at once ->
A4 + receipt printed -> rating -> attract) through the real runtime and simulated devices,
without Qt, against a reference backend in its own process (so the figures are the
kiosk's own; `--embedded` runs it in the kiosk's process, as the demo does). Prints
resident memory after warm-up and along the way, and the time per session. The
simulators' print archives are emptied between sessions (they are test instruments, not
part of a kiosk's steady state).

    .venv/bin/python bench/sessions.py [--sessions 1000] [--embedded]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import queue
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from kiosk.config import KioskSettings, load_config_text
from kiosk.demo.embedded import runtime_options
from kiosk.flow import Screen
from kiosk.flow import events as ev
from kiosk.runtime import KioskRuntime

SITI_UID = "04A3B2C1D0E1F2"


def bench_settings(state: Path, server: tuple[str, Path] | None) -> KioskSettings:
    """The demo's devices and backend, minus the simulated A4 page delay."""
    if server is None:
        backend = "embedded = true\nembedded_auto_sign_s = 0"
    else:
        url, anchor = server
        backend = (
            f'url = "{url}"\ntoken = "demo-kiosk-token"\n'
            f'[signature]\ntrust_anchors = ["{anchor.as_posix()}"]'
        )
    text = f"""
[kiosk]
state_dir = "{state.as_posix()}"
fullscreen = false
[backend]
{backend}
[devices.receipt_printer]
type = "escpos"
transport = {{ type = "simulated" }}
[devices.document_printer]
type = "simulated"
print_delay_s = 0
[devices.card_reader]
type = "simulated"
"""
    return load_config_text(text, source="<bench>", base_dir=state)


@contextlib.contextmanager
def server_process(state: Path) -> Iterator[tuple[str, Path]]:
    """`apm-server serve` signing at once; its URL and CA certificate."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    folder = state / "server"
    server = subprocess.Popen(
        [sys.executable, "-m", "apm_server.cli", "serve", "--port", str(port),
         "--state-dir", str(folder), "--auto-sign-delay", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        server.stdout.readline()  # "listening on ..."
        yield f"http://127.0.0.1:{port}", folder / "demo-ca" / "ca.pem"
    finally:
        server.terminate()
        server.wait(timeout=30)


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Driver:
    def __init__(self, runtime_inbox: queue.Queue, runtime: KioskRuntime) -> None:
        self.inbox, self.runtime = runtime_inbox, runtime

    def until(self, done, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not done():
            if time.monotonic() > deadline:
                raise RuntimeError(f"stuck on {self.runtime.screen.value}")
            with contextlib.suppress(queue.Empty):
                self.runtime.dispatch(self.inbox.get(timeout=0.5))

    def session(self) -> None:
        rt = self.runtime
        rt.devices["card_reader"].simulator.tap(SITI_UID)  # type: ignore[attr-defined]
        self.until(lambda: rt.screen is Screen.SERVICES)
        rt.dispatch(ev.ChooseService("SKD"))
        rt.dispatch(ev.SetField("keperluan", "Melamar pekerjaan"))
        rt.dispatch(ev.Next())
        rt.dispatch(ev.Confirm())
        self.until(lambda: rt.screen is Screen.DONE)
        rt.dispatch(ev.Rate(4))
        rt.dispatch(ev.Finish())
        for role in ("document_printer", "receipt_printer"):
            rt.devices[role].simulator.forget_printed()  # type: ignore[attr-defined]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--embedded", action="store_true", help="the backend in this process")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state, contextlib.ExitStack() as stack:
        server = None if args.embedded else stack.enter_context(server_process(Path(state)))
        settings = bench_settings(Path(state) / "kiosk", server)
        inbox: queue.Queue = queue.Queue()
        runtime = KioskRuntime(settings, inbox.put, **runtime_options(settings))
        runtime.start()
        driver = Driver(inbox, runtime)
        driver.until(lambda: runtime.flow.state.ready)
        driver.until(lambda: runtime.devices["card_reader"].lifecycle.value == "enabled")
        warmup = min(50, args.sessions)
        for _ in range(warmup):
            driver.session()
        gc.collect()
        after_warmup = rss_mib()
        started = time.perf_counter()
        step = max(1, args.sessions // 8)
        for n in range(1, args.sessions + 1):
            driver.session()
            if n % step == 0:
                gc.collect()
                print(f"  after {n:5d} sessions: RSS {rss_mib():.1f} MiB", flush=True)
        elapsed = time.perf_counter() - started
        gc.collect()
        at_end = rss_mib()
        runtime.shutdown()
    where = "in this process" if args.embedded else "in its own process"
    print(f"{args.sessions} sessions after {warmup} warm-up sessions (backend {where}):")
    print("  (the trend above tells a leak, which keeps climbing, from caches filling up)")
    print(
        f"  RSS after warm-up {after_warmup:.1f} MiB, at end {at_end:.1f} MiB, "
        f"growth {at_end - after_warmup:+.1f} MiB"
    )
    print(f"  {1000 * elapsed / args.sessions:.1f} ms per session (signing and PDF included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
