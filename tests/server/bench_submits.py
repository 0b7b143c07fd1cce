"""Throughput of the reference server, as a kiosk fleet would load it (not a test).

    .venv/bin/python -m tests.server.bench_submits [--submits 1000] [--clients 1]

Starts `apm-server serve` in its own process (so client and server do not share a GIL),
then, over kept-alive connections on loopback: sequential GETs of /kiosk/config, and
submits of letter requests with distinct idempotency keys (half by session, half offline
by card). Prints requests per second for each.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

TOKEN = "demo-kiosk-token"
SITI_CARD = "04A3B2C1D0E1F2"
FIELDS = {"keperluan": "Melamar pekerjaan", "alamat_domisili": "Dusun Krajan RT 002 RW 001"}


def start(state: Path) -> tuple[subprocess.Popen[str], str, int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "apm_server.cli", "serve", "--port", "0", "--state-dir", str(state)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert process.stdout is not None
    found = re.search(r"http://([\d.]+):(\d+)", process.stdout.readline())
    if not found:
        process.kill()
        raise SystemExit("apm-server did not start")
    return process, found[1], int(found[2])


def call(
    conn: http.client.HTTPConnection, method: str, path: str, body: object = None, **headers: str
) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    all_headers = {"Authorization": f"Bearer {TOKEN}", **headers}
    if data is not None:
        all_headers["Content-Type"] = "application/json"
    conn.request(method, "/api/v1" + path, body=data, headers=all_headers)
    answer = conn.getresponse()
    return answer.status, answer.read()


def gets(host: str, port: int, count: int) -> float:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    call(conn, "GET", "/kiosk/config")
    started = time.perf_counter()
    for _ in range(count):
        status, _ = call(conn, "GET", "/kiosk/config")
        assert status == 200, status
    elapsed = time.perf_counter() - started
    conn.close()
    return count / elapsed


def submits(host: str, port: int, count: int, offline: bool) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    status, session = call(conn, "POST", "/identify", {"method": "card", "card_uid": SITI_CARD})
    assert status == 200, session
    token = json.loads(session)["session_token"]
    for n in range(count):
        body: dict[str, object] = {"service_code": "SKD", "fields": FIELDS}
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        if offline and n % 2:  # an offline request, sent later by a kiosk without a session
            body["applicant"] = {"method": "card", "card_uid": SITI_CARD}
        else:
            headers["X-Session-Token"] = token
        status, answer = call(conn, "POST", "/requests", body, **headers)
        assert status == 201, answer
    conn.close()


def run_clients(host: str, port: int, total: int, clients: int, offline: bool) -> float:
    each = total // clients
    threads = [
        threading.Thread(target=submits, args=(host, port, each, offline)) for _ in range(clients)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return each * clients / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--submits", type=int, default=1000)
    parser.add_argument("--gets", type=int, default=200)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--session-only", action="store_true", help="no offline submits")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state:
        process, host, port = start(Path(state))
        try:
            print(
                f"GET /kiosk/config, one kept-alive connection: {gets(host, port, args.gets):.0f}/s"
            )
            rate = run_clients(host, port, args.submits, args.clients, not args.session_only)
            print(f"POST /requests, {args.clients} client(s), distinct keys: {rate:.0f}/s")
        finally:
            process.terminate()
            process.wait(10)


if __name__ == "__main__":
    main()
