"""How fast does the sync worker drain a full outbox into a real backend?

Queues N letter requests into a fresh KioskStorage (as the runtime does while the backend
is unreachable), starts a real `apm-server serve` in its own process (so the kiosk side
and the server do not share a GIL: the kiosk's figures are its own), and times the
SyncWorker from start until every request is settled. Prints requests per second and the
kiosk-side process's peak resident memory, and checks on the server's own database that
each request arrived exactly once.

    .venv/bin/python bench/sync.py [--requests 1000] [--mode offline|online]

offline: requests taken without a session, naming the applicant (sent without a token);
online: one identify, every request sent with that session token.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from apm_api.models import ApplicantByCard, IdentifyByCard, SubmitRequest
from kiosk.backend.client import BackendClient
from kiosk.config import SyncSection
from kiosk.pickup import new_pickup_code
from kiosk.storage import KioskStorage
from kiosk.sync import SubmitFailedForGood, SubmitSettled, SyncWorker

SITI_CARD = "04A3B2C1D0E1F2"
FIELDS = {"keperluan": "Melamar pekerjaan", "alamat_domisili": "Dusun Krajan RT 002 RW 001"}
SERVER_DB = "apm-server.sqlite3"
REPO = Path(__file__).resolve().parents[1]


def memory_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return -1


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(state_dir: Path) -> tuple[subprocess.Popen[str], str]:
    command = ["-m", "apm_server.cli", "serve", "--port", "0", "--state-dir", str(state_dir)]
    process = subprocess.Popen(
        [sys.executable, *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    found = re.search(r"listening on (http://\S+?) ", line)
    if found is None:
        process.kill()
        raise SystemExit(f"apm-server did not start: {line!r}")
    return process, found.group(1)


def queue_requests(storage: KioskStorage, n: int, token: str | None) -> None:
    for _ in range(n):
        request = SubmitRequest(
            service_code="SKD",
            fields=FIELDS,
            applicant=ApplicantByCard(card_uid=SITI_CARD),
            submitted_at=datetime.now(UTC),
        )
        storage.queue_submit(
            request,
            session_token=token,
            service_name={"id": "Surat Keterangan Domisili"},
            pickup_code=new_pickup_code(),
            card_uid=SITI_CARD,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--mode", choices=("offline", "online"), default="offline")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="apm-bench-sync-") as tmp:
        server_dir, kiosk_dir = Path(tmp) / "server", Path(tmp) / "kiosk"
        server, url = start_server(server_dir)
        client = BackendClient(url, "demo-kiosk-token")
        storage = KioskStorage.open(kiosk_dir)
        try:
            token = None
            if args.mode == "online":
                token = client.identify(IdentifyByCard(card_uid=SITI_CARD)).session_token
            started = time.perf_counter()
            queue_requests(storage, args.requests, token)
            queued_s = time.perf_counter() - started
            print(
                f"queued {args.requests} requests ({args.mode}) in {queued_s:.2f} s "
                f"({args.requests / queued_s:.0f}/s, durable each)"
            )

            settled, failed = [0], [0]
            done = threading.Event()

            def on_event(event: object) -> None:
                if isinstance(event, SubmitSettled):
                    settled[0] += 1
                elif isinstance(event, SubmitFailedForGood):
                    failed[0] += 1
                if settled[0] + failed[0] == args.requests:
                    done.set()

            # Prefetch once a minute: the drain is what is measured here.
            settings = SyncSection(prefetch_every_s=60)
            worker = SyncWorker(storage, lambda: client, settings, lambda: [], on_event)
            rss_before = memory_kib("VmRSS")
            server_cpu, kiosk_cpu = cpu_seconds(server.pid), time.process_time()
            started = time.perf_counter()
            worker.start()
            if not done.wait(timeout=max(60.0, args.requests * 0.1)):
                print(f"timed out: {settled[0]} settled, {failed[0]} refused", file=sys.stderr)
                return 1
            drained_s = time.perf_counter() - started
            kiosk_cpu = time.process_time() - kiosk_cpu
            server_cpu = cpu_seconds(server.pid) - server_cpu
            worker.stop(10)
        finally:
            client.close()
            storage.close()
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
            if server.stdout is not None:
                server.stdout.close()

        conn = sqlite3.connect(server_dir / SERVER_DB)
        on_server = conn.execute("SELECT count(*) FROM requests").fetchone()[0]
        conn.close()

    rate = args.requests / drained_s
    print(f"drained {args.requests} requests in {drained_s:.2f} s: {rate:.0f} requests/s")
    per_request = 1000 / args.requests
    print(
        f"per request: {drained_s * per_request:.2f} ms wall, kiosk CPU "
        f"{kiosk_cpu * per_request:.2f} ms, server CPU {server_cpu * per_request:.2f} ms"
    )
    print(f"refused: {failed[0]}; on the server: {on_server} (expected {args.requests})")
    print(
        f"kiosk process RSS: {rss_before / 1024:.1f} MiB before the drain, "
        f"peak {memory_kib('VmHWM') / 1024:.1f} MiB"
    )
    ok = failed[0] == 0 and on_server == args.requests
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
