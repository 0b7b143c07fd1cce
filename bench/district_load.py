"""District load: many kiosks at once against one apm-server (issue 9), on loopback.

Starts `apm-server serve --auto-sign-delay 0` in its own process (a fresh state directory;
with `--database-url` a fresh PostgreSQL database, dropped afterwards), enrols N kiosks
through the admin API (each gets its own device token), then runs the N kiosks at once,
each in its own thread with its own kept-alive connection, for a bounded time. A citizen
session: identify by card, catalogue (If-None-Match after the first), submit (a fresh
Idempotency-Key; 1 in 10 is sent a second time, as a kiosk's retry, and must be replayed),
status, download the signed PDF (its X-Document-SHA256 checked), mark it printed; a
heartbeat every few seconds. Every call's status and latency is recorded; any status but
the expected one, or any exception, is an error. Then every request is read back, and the
server's figures are compared with what the kiosks saw: no two keys may have one request,
no two requests one tracking code (ddmmyy-NNN), and a retry must name the first request.
Prints requests/s and latency percentiles per endpoint, the server's peak RSS and both
sides' CPU time; exits 1 on any error or duplicate.

    .venv/bin/python bench/district_load.py [--kiosks 200] [--duration 120] [--sessions K]
        [--database-url postgresql+psycopg://apm:apm@127.0.0.1:5432/apm] [--workers N]
        [--timeout 10] [--think 60 --ramp 60] [--json]

By default the kiosks are paced as on a very busy day: starts spread over a minute, a
pause of 0 to 120 s between a kiosk's sessions (about 3.5 sessions a second for 200
kiosks; a district of 75 villages writing 50 letters a day each averages 0.13 a second),
for 120 s. `--think 0 --ramp 0` is the overload test: every kiosk at once, each starting
its next session as soon as one ends, a closed loop with no citizen in it (the server's
capacity, and how it behaves past it). A kiosk waits `--timeout` (10 s, as the real
kiosk) for an answer; a longer one measures latency past that point instead of counting
timeouts.

With a PostgreSQL URL, the bench creates `apm_bench_<random>` on that server (the role
needs CREATEDB), gives the server that database, and drops it at the end. Client and
server share the machine: on a small one the 200 client threads can be the bottleneck,
which is why both sides' CPU time is printed next to the figures.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import hashlib
import json
import math
import os
import random
import re
import resource
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.harness holds the apm-server process starter

from apm_api.models import API_PREFIX  # noqa: E402
from apm_server.demo_data import ADMIN_TOKEN, RESIDENTS  # noqa: E402
from tests.harness import ServerProcess  # noqa: E402

CARDS = [r["card_uid"] for r in RESIDENTS if r.get("card_uid")]
SKD_FIELDS = {"keperluan": "Melamar pekerjaan", "alamat_domisili": "Dusun Krajan RT 002 RW 001"}
TRACKING = re.compile(r"^(\d{2})(\d{2})(\d{2})-(\d{3,6})$")  # ddmmyy-NNN
WIB = timezone(timedelta(hours=7))  # the villages' clock, which tracking codes are dated by
CALL_TIMEOUT_S = 30.0  # the bench's own calls (enrolment, checks)
STATUS_POLL_S = 2.0  # as the kiosk polls a request awaiting its signature (KioskConfig)
# A kiosk's: kiosk.backend.client.BackendClient waits 3 s to connect, 10 s for an answer.
KIOSK_CONNECT_S, KIOSK_READ_S = 3.0, 10.0
SHOWN_ERRORS = 10
TRACEBACK_NOISE = (
    "Traceback",
    "During handling",
    "The above exception",
    "(Background on",
    "[SQL: ",
    "[parameters: ",
)
ERROR_RECORD = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ (ERROR|CRITICAL) |^(ERROR|CRITICAL): ")


# --- the server ------------------------------------------------------------------------


class BenchServer(ServerProcess):
    """tests.harness.ServerProcess (its port, URL, stop), started with the options this
    bench needs (`--database-url`) and taken as ready when /healthz answers."""

    def __init__(
        self,
        state_dir: Path,
        database_url: str | None,
        workers: int | None,
        auto_sign_delay_s: float = 0.0,
    ) -> None:
        super().__init__(state_dir, auto_sign_delay_s=auto_sign_delay_s)
        self.database_url, self.workers = database_url, workers
        self.log_path = state_dir / "server-output.log"

    @property
    def command(self) -> list[str]:
        command = [
            sys.executable, "-m", "apm_server.cli", "serve", "--host", "127.0.0.1",
            "--port", str(self.port), "--state-dir", str(self.state_dir),
            "--auto-sign-delay", f"{self.auto_sign_delay_s:g}",
        ]  # fmt: skip
        if self.database_url is not None:
            command += ["--database-url", self.database_url]
        if self.workers is not None:
            command += ["--workers", str(self.workers)]
        return command

    def start(self) -> BenchServer:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("a") as output:  # a file: nobody drains a pipe
            self._process = subprocess.Popen(
                self.command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, text=True,
                env=self.environment(),
            )  # fmt: skip
        process, deadline = self._process, time.monotonic() + 60
        while True:
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return self
            if process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"apm-server did not start:\n{self.log_tail()}")
            time.sleep(0.1)

    def environment(self) -> dict[str, str]:
        """This one's, without a database URL the command line does not give."""
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("APM_SERVER_DATABASE_URL", None)
        return env

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def logged_errors(self) -> tuple[Counter[str], list[str]]:
        """The errors the server logged (its records, uvicorn's; else bare tracebacks), by
        message and exception, and the first one: its frames in this project and its
        exception."""
        lines = self.log_path.read_text(errors="replace").splitlines()
        marks = [n for n, line in enumerate(lines) if ERROR_RECORD.match(line)] or [
            n for n, line in enumerate(lines) if line.startswith("Traceback")
        ]
        kinds: Counter[str] = Counter()
        first: list[str] = []
        for mark in marks:
            block = [lines[mark]]
            for line in lines[mark + 1 : mark + 400]:  # its traceback, to the next record
                if re.match(r"^\d{4}-\d\d-\d\d |^[A-Z]+: ", line):
                    break
                block.append(line)
            raised = [line for line in block[1:] if line and not line[0].isspace()]
            raised = [line for line in raised if not line.startswith(TRACEBACK_NOISE)]
            message = ERROR_RECORD.sub("", block[0]).split(": ", 1)[-1]
            kinds[f"{message}: {raised[-1]}"[:300] if raised else message[:300]] += 1
            if not first:
                ours = [n for n, line in enumerate(block) if line.lstrip().startswith('File "') and str(ROOT) in line and "/.venv/" not in line]  # fmt: skip
                first = [block[0], *(block[n + j] for n in ours for j in (0, 1)), *raised[-3:]]
        return kinds, first


def sqlite_url(state_dir: Path) -> str:
    """The server's own SQLite database in its state directory."""
    from apm_server.office import DB_NAME

    return f"sqlite:///{state_dir / DB_NAME}"


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (uvicorn workers, if any)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo += [int(child) for child in task.read_text().split()]
    return found


def peak_rss_mib(pid: int) -> float:
    """VmHWM: the process's peak resident memory so far."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (its own threads)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def client_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextlib.contextmanager
def fresh_database(url: str | None) -> Iterator[tuple[str | None, str]]:
    """(URL for the server, what it is): a new PostgreSQL database made for this run and
    dropped after it; any other URL (or none: the server's own SQLite) as it is."""
    if url is None:
        yield None, "SQLite (the server's default, in a fresh state directory)"
        return
    if not url.startswith("postgresql"):
        yield url, url
        return
    import psycopg
    from sqlalchemy.engine import make_url

    given = make_url(url)
    name = f"apm_bench_{secrets.token_hex(4)}"
    admin = given.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield (
            given.set(database=name).render_as_string(hide_password=False),
            f"PostgreSQL (database {name} on {given.host}:{given.port or 5432}, made for this run)",
        )
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the kiosks ----------------------------------------------------------------------


@dataclass
class Submission:
    kiosk: int
    key: str
    request_id: str
    tracking_code: str
    printed: bool = False
    replayed_as: str | None = None  # the request id a retry with the same key was given


@dataclass
class Start:
    """The kiosks wait for `go`; they begin no session after `deadline` (time.monotonic)."""

    go: threading.Event = field(default_factory=threading.Event)
    deadline: float = math.inf


@dataclass
class Kiosk:
    """One simulated kiosk: its device token, its own kept-alive connection, its records."""

    index: int
    kiosk_id: str
    token: str
    url: str
    rng: random.Random
    timeout: tuple[float, float] = (KIOSK_CONNECT_S, KIOSK_READ_S)
    http: requests.Session = field(default_factory=requests.Session)
    # Each call: its label, HTTP status (0: no answer), seconds, when it ended (perf_counter).
    calls: list[tuple[str, int, float, float]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (kind, detail)
    submissions: list[Submission] = field(default_factory=list)
    sessions: int = 0
    not_ready_at_once: int = 0
    etag: str | None = None
    last_heartbeat: float = -math.inf
    started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.http.headers["Authorization"] = f"Bearer {self.token}"

    def error(self, label: str, detail: str, kind: str = "check failed") -> None:
        self.errors.append((f"{label}: {kind}", f"{self.kiosk_id} {label}: {detail}"))

    def call(
        self,
        label: str,
        method: str,
        path: str,
        expect: int | set[int],
        http: requests.Session | None = None,
        **kwargs: Any,
    ) -> requests.Response | None:
        """One HTTP call, recorded; the answer if its status is the expected one."""
        started = time.perf_counter()
        try:
            answer = (http or self.http).request(
                method, self.url + API_PREFIX + path, timeout=self.timeout, **kwargs
            )
        except requests.RequestException as exc:
            ended = time.perf_counter()
            self.calls.append((label, 0, ended - started, ended))
            self.error(label, f"{type(exc).__name__}: {exc}", type(exc).__name__)
            return None
        ended = time.perf_counter()
        self.calls.append((label, answer.status_code, ended - started, ended))
        if answer.status_code not in (expect if isinstance(expect, set) else {expect}):
            detail = f"HTTP {answer.status_code}, expected {expect}: {answer.text[:300]}"
            self.error(label, detail, f"HTTP {answer.status_code}")
            return None
        return answer

    def heartbeat(self) -> None:
        self.last_heartbeat = time.monotonic()
        body = {
            "kiosk_id": self.kiosk_id,
            "software_version": "bench",
            "uptime_s": int(time.monotonic() - self.started),
            "screen": "attract",
        }
        self.call("heartbeat", "POST", "/heartbeat", 200, json=body)

    def session(self, retry_share: float, race_share: float) -> None:
        """One citizen, card to printed letter; stops at the first failed step."""
        self.sessions += 1
        card = CARDS[self.rng.randrange(len(CARDS))]
        answer = self.call(
            "identify", "POST", "/identify", 200, json={"method": "card", "card_uid": card}
        )
        if answer is None:
            return
        session_token = answer.json()["session_token"]

        if self.etag is None:
            answer = self.call("catalogue", "GET", "/catalogue", 200)
            if answer is None:
                return
            self.etag = answer.headers.get("ETag")
        elif self.call("catalogue", "GET", "/catalogue", 304, headers={"If-None-Match": self.etag}) is None:  # fmt: skip
            return

        key = str(uuid.uuid4())
        submit: dict[str, Any] = {
            "headers": {"X-Session-Token": session_token, "Idempotency-Key": key},
            "json": {"service_code": "SKD", "fields": SKD_FIELDS},
        }
        again = self.rng.random() < retry_share
        if again and self.rng.random() < race_share:
            sent = self.race(key, submit)
        else:
            answer = self.call("submit", "POST", "/requests", 201, **submit)
            sent = self.submitted(key, answer) if answer is not None else None
            if sent is not None and again:  # the kiosk did not hear the answer: it sends again
                answer = self.call("submit (retry)", "POST", "/requests", 200, **submit)
                if answer is not None:
                    self.replayed(sent, "submit (retry)", answer)
        if sent is None or sent.replayed_as not in (None, sent.request_id):
            return  # a duplicate is counted at the end
        request_id = sent.request_id

        deadline, polls = time.monotonic() + CALL_TIMEOUT_S, 0
        while True:  # signed inside the submit (auto-sign 0): ready at the first look
            answer = self.call("status", "GET", f"/requests/{request_id}", 200)
            if answer is None:
                return
            status = answer.json()
            if status["status"] == "ready":
                break
            polls += 1
            if status["status"] != "awaiting_signature" or time.monotonic() > deadline:
                self.error("status", f"{request_id} is {status['status']} after {polls} looks")
                return
            time.sleep(STATUS_POLL_S)
        self.not_ready_at_once += polls > 0
        promised = (status.get("document") or {}).get("sha256")

        answer = self.call("document", "GET", f"/requests/{request_id}/document", 200)
        if answer is None:
            return
        sha256 = hashlib.sha256(answer.content).hexdigest()
        header = answer.headers.get("X-Document-SHA256")
        if header != sha256 or promised != sha256 or not answer.content.startswith(b"%PDF"):
            self.error(
                "document",
                f"{request_id}: body sha256 {sha256}, header {header}, status says {promised}"
                f", starts {answer.content[:8]!r}",
            )
            return

        answer = self.call(
            "printed",
            "POST",
            f"/requests/{request_id}/printed",
            200,
            headers={"Idempotency-Key": str(uuid.uuid4())},
            json={"kiosk_id": self.kiosk_id, "document_sha256": sha256},
        )
        if answer is None:
            return
        if answer.json()["status"] != "collected":
            self.error("printed", f"{request_id} is {answer.json()['status']}, not collected")
            return
        sent.printed = True

    def submitted(self, key: str, answer: requests.Response) -> Submission:
        created = answer.json()
        sent = Submission(self.index, key, created["id"], created["tracking_code"])
        self.submissions.append(sent)
        return sent

    def replayed(self, sent: Submission, label: str, answer: requests.Response) -> None:
        """The answer to the same submit again: the same request, marked as a replay."""
        replayed = answer.json()
        sent.replayed_as = replayed["id"]
        if answer.headers.get("Idempotent-Replayed") != "true":
            self.error(label, f"HTTP {answer.status_code} without Idempotent-Replayed: true")
        if replayed["tracking_code"] != sent.tracking_code:
            self.error(label, f"key {sent.key}: tracking code {replayed['tracking_code']}, first {sent.tracking_code}")  # fmt: skip

    def race(self, key: str, submit: dict[str, Any]) -> Submission | None:
        """The same submit on two connections at once (a kiosk that gave up waiting and
        sent it again while the server was still at the first): one 201, one replay."""
        other = requests.Session()
        other.headers.update(self.http.headers)
        answers: list[requests.Response | None] = [None, None]

        def send(n: int, http: requests.Session) -> None:
            answers[n] = self.call("submit (race)", "POST", "/requests", {200, 201}, http, **submit)

        second = threading.Thread(target=send, args=(1, other))
        second.start()
        send(0, self.http)
        second.join()
        other.close()
        got = [a for a in answers if a is not None]
        created = [a for a in got if a.status_code == 201]
        if len(created) > 1:
            ids = [a.json()["id"] for a in created]
            self.error("submit (race)", f"key {key}: two 201 Created, {ids}")
        if not created:
            if len(got) == 2:
                self.error("submit (race)", f"key {key}: two replays, no 201 Created")
            return None
        sent = self.submitted(key, created[0])
        for answer in got:
            if answer is not created[0]:
                self.replayed(sent, "submit (race)", answer)
        return sent

    def run(self, start: Start, sessions: int | None, options: Any) -> None:
        start.go.wait()
        if options.ramp:  # kiosks that do not all start at the same instant
            pause = self.rng.uniform(0, options.ramp)
            time.sleep(max(0.0, min(pause, start.deadline - time.monotonic())))
        while time.monotonic() < start.deadline and (sessions is None or self.sessions < sessions):
            try:
                if time.monotonic() - self.last_heartbeat >= options.heartbeat_every:
                    self.heartbeat()
                self.session(options.retry_share, options.race_share)
            except Exception as exc:  # an answer of the wrong shape (or a bug in the bench)
                self.error("session", f"{type(exc).__name__}: {exc!r}", type(exc).__name__)
            if options.think:  # never past the deadline: the run's end stays bounded
                pause = self.rng.uniform(0, 2 * options.think)
                time.sleep(max(0.0, min(pause, start.deadline - time.monotonic())))


def enrol(url: str, count: int, seed: int, read_timeout_s: float) -> list[Kiosk]:
    """Each kiosk through the admin API: an enrolment token, traded for a device token."""
    admin = requests.Session()
    admin.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
    public = requests.Session()
    kiosks = []
    for n in range(count):
        label = f"Bench kiosk {n + 1:03d}"
        answer = admin.post(
            url + API_PREFIX + "/admin/enrolments",
            json={"label": label, "valid_hours": 1},
            timeout=CALL_TIMEOUT_S,
        )
        if answer.status_code != 201:
            raise RuntimeError(f"POST /admin/enrolments: {answer.status_code} {answer.text[:300]}")
        answer = public.post(
            url + API_PREFIX + "/enrol",
            json={"enrolment_token": answer.json()["token"]},
            timeout=CALL_TIMEOUT_S,
        )
        if answer.status_code != 201:
            raise RuntimeError(f"POST /enrol: {answer.status_code} {answer.text[:300]}")
        enrolled = answer.json()
        kiosk_id, token = enrolled["kiosk_id"], enrolled["device_token"]
        timeout = (KIOSK_CONNECT_S, read_timeout_s)
        kiosks.append(Kiosk(n, kiosk_id, token, url, random.Random(seed + n), timeout))
    admin.close()
    public.close()
    if len({k.kiosk_id for k in kiosks}) != count or len({k.token for k in kiosks}) != count:
        raise RuntimeError("two enrolled kiosks got the same kiosk id or device token")
    return kiosks


# --- the checks at the end -------------------------------------------------------------


def duplicates(kiosks: list[Kiosk], days: set[date]) -> list[str]:
    """What the kiosks saw: one request per key, one tracking code per request."""
    found = []
    keys_of: dict[str, set[str]] = defaultdict(set)
    ids_of_code: dict[str, set[str]] = defaultdict(set)
    for sent in (s for k in kiosks for s in k.submissions):
        keys_of[sent.request_id].add(sent.key)
        ids_of_code[sent.tracking_code].add(sent.request_id)
        if sent.replayed_as is not None and sent.replayed_as != sent.request_id:
            found.append(f"retry of key {sent.key} got {sent.replayed_as}, not {sent.request_id}")
        match = TRACKING.match(sent.tracking_code)
        try:
            day = date(2000 + int(match[3]), int(match[2]), int(match[1])) if match else None
        except ValueError:
            day = None
        if day not in days:
            found.append(f"tracking code {sent.tracking_code!r} of {sent.request_id} is not ddmmyy-NNN of the run's day")  # fmt: skip
    found += [f"request {rid} answered {len(keys)} keys: {sorted(keys)}" for rid, keys in keys_of.items() if len(keys) > 1]  # fmt: skip
    found += [f"tracking code {code} on {len(ids)} requests: {sorted(ids)}" for code, ids in ids_of_code.items() if len(ids) > 1]  # fmt: skip
    return found


def read_back(kiosks: list[Kiosk]) -> list[str]:
    """Every request as the server now tells it, against what its kiosk was told."""

    def one_kiosk(kiosk: Kiosk) -> list[str]:
        problems = []
        for sent in kiosk.submissions:
            try:
                answer = kiosk.http.get(
                    kiosk.url + API_PREFIX + f"/requests/{sent.request_id}", timeout=CALL_TIMEOUT_S
                )
            except requests.RequestException as exc:
                problems.append(f"read back {sent.request_id}: {exc}")
                continue
            if answer.status_code != 200:
                problems.append(f"read back {sent.request_id}: HTTP {answer.status_code} {answer.text[:200]}")  # fmt: skip
                continue
            now = answer.json()
            if (now["id"], now["tracking_code"]) != (sent.request_id, sent.tracking_code):
                problems.append(f"read back {sent.request_id} ({sent.tracking_code}): now {now['id']} ({now['tracking_code']})")  # fmt: skip
            if sent.printed and now["status"] != "collected":
                problems.append(f"read back {sent.request_id}: {now['status']}, was collected")
        return problems

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        return [p for found in pool.map(one_kiosk, kiosks) for p in found]


@dataclass
class Counts:
    """The server's figures against the kiosks' records."""

    errors: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    unverifiable: list[str] = field(default_factory=list)  # a kiosk lost an answer: no telling
    summary: str = "unknown"


def lost_answers(kiosk: Kiosk, labels: tuple[str, ...]) -> int:
    """Calls whose outcome the kiosk does not know: no answer, or a server error."""
    lost = 0
    for kind, _ in kiosk.errors:
        label, _, what = kind.partition(": ")
        if label in labels and (
            what.startswith("HTTP 5") or not what.startswith(("HTTP", "check"))
        ):
            lost += 1
    return lost


def server_counts(url: str, kiosks: list[Kiosk], days: set[date]) -> Counts:
    """The server's own figures per kiosk (requests submitted, letters printed) against
    what each kiosk was answered: a request the server made twice but answered once, or
    one it answered but lost, shows here."""
    counts = Counts()
    answer = requests.get(
        url + API_PREFIX + "/admin/figures",
        params={"from": min(days).isoformat(), "to": max(days).isoformat()},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=60,
    )
    if answer.status_code != 200:
        counts.errors.append(f"GET /admin/figures: HTTP {answer.status_code} {answer.text[:200]}")
        return counts
    rows = {row["kiosk_id"]: row for row in answer.json()["rows"]}
    for kiosk in kiosks:
        row = rows.get(kiosk.kiosk_id)
        if row is None:
            counts.errors.append(f"figures: no row for {kiosk.kiosk_id}")
            continue
        for what, server, seen, label in (
            ("requests", row["requests_submitted"], len(kiosk.submissions), ("submit", "submit (race)")),
            ("letters printed", row["letters_printed"], sum(s.printed for s in kiosk.submissions), ("printed",)),
        ):  # fmt: skip
            lost = lost_answers(kiosk, label)
            line = f"{kiosk.kiosk_id}: {server} {what} on the server, {seen} answered to the kiosk"
            if server < seen:
                counts.errors.append(f"figures: {line}")
            elif server > seen + lost:
                counts.duplicates.append(f"{line} (and {lost} answers lost)")
            elif server > seen:
                counts.unverifiable.append(line)
    village = rows.get(None, {})
    counts.summary = (
        f"the server's figures: {village.get('requests_submitted')} requests, "
        f"{village.get('letters_printed')} letters printed"
    )
    return counts


def database_check(url: str, kiosks: list[Kiosk]) -> Counts:
    """The requests table itself, once the server has stopped: every request a kiosk was
    answered is there, each tracking code once, and no more rows than the kiosks were
    answered plus the submits whose answers they lost."""
    from sqlalchemy import create_engine, text

    found = Counts()
    answered = {s.request_id for k in kiosks for s in k.submissions}
    lost = sum(lost_answers(k, ("submit", "submit (race)")) for k in kiosks)
    engine = create_engine(url)
    try:
        with engine.connect() as db:
            rows = db.execute(text("SELECT id, tracking_code, status FROM requests")).all()
    except Exception as exc:
        found.errors.append(f"database: {type(exc).__name__}: {exc}"[:500])
        return found
    finally:
        engine.dispose()
    ids = Counter(row[0] for row in rows)
    codes = Counter(row[1] for row in rows)
    if not rows and answered:
        found.errors.append("database: no requests at all: the server did not write to it")
    if missing := answered - set(ids):
        found.errors.append(f"database: {len(missing)} answered requests missing: {sorted(missing)[:5]}")  # fmt: skip
    found.duplicates += [f"database: tracking code {c} on {n} requests" for c, n in codes.items() if n > 1]  # fmt: skip
    if len(rows) > len(answered) + lost:
        found.duplicates.append(
            f"database: {len(rows)} requests, the kiosks were answered {len(answered)} and "
            f"lost {lost} answers to submits"
        )
    statuses = Counter(row[2] for row in rows)
    found.summary = (
        f"the database: {len(rows)} requests ({', '.join(f'{n} {s}' for s, n in statuses.most_common())}), "
        f"{len(codes)} tracking codes; {len(answered)} answered to the kiosks, {lost} submit "
        "answers lost"
    )
    return found


# --- figures -----------------------------------------------------------------------------

ENDPOINTS = [
    "identify", "catalogue", "submit", "submit (retry)", "submit (race)", "status", "document",
    "printed", "heartbeat",
]  # fmt: skip


def percentile(ordered: list[float], p: float) -> float:
    """Nearest rank."""
    if not ordered:
        return float("nan")
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def latency_table(calls: list[tuple[str, int, float, float]]) -> dict[str, dict[str, float]]:
    by_label: dict[str, list[float]] = defaultdict(list)
    for label, _, seconds, _ in calls:
        by_label[label].append(seconds)
        by_label["all"].append(seconds)
    table = {}
    for label in ["all", *ENDPOINTS, *sorted(set(by_label) - {"all", *ENDPOINTS})]:
        ordered = sorted(by_label.get(label, []))
        if ordered:
            table[label] = {
                "count": len(ordered),
                **{f"p{p}_ms": 1000 * percentile(ordered, p) for p in (50, 95, 99)},
                "max_ms": 1000 * ordered[-1],
            }
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiosks", type=int, default=200)
    parser.add_argument("--duration", type=float, default=120.0, metavar="S",
                        help="start no session after S seconds (default 120)")  # fmt: skip
    parser.add_argument("--sessions", type=int, default=None, metavar="K",
                        help="at most K sessions per kiosk (within --duration)")  # fmt: skip
    parser.add_argument("--database-url", default=None, metavar="URL",
                        help="PostgreSQL server to make a fresh database on (default: SQLite)")  # fmt: skip
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="apm-server serve --workers N (default: the server's)")  # fmt: skip
    parser.add_argument("--grace", type=float, default=30.0, metavar="S",
                        help="wait at most S seconds after --duration for sessions under way")  # fmt: skip
    parser.add_argument("--timeout", type=float, default=KIOSK_READ_S, metavar="S",
                        help="a kiosk's wait for an answer, as the real kiosk's (default 10)")  # fmt: skip
    parser.add_argument("--retry-share", type=float, default=0.1,
                        help="submits sent twice with the same key (default 0.1)")  # fmt: skip
    parser.add_argument("--race-share", type=float, default=0.5,
                        help="of those, the two sent at once rather than one after the other")  # fmt: skip
    parser.add_argument("--heartbeat-every", type=float, default=10.0, metavar="S")
    parser.add_argument("--think", type=float, default=60.0, metavar="S",
                        help="mean pause between a kiosk's sessions (default 60; 0: none, "
                        "the overload test)")  # fmt: skip
    parser.add_argument("--ramp", type=float, default=60.0, metavar="S",
                        help="kiosks start at random within S seconds (default 60; 0: all "
                        "at once)")  # fmt: skip
    parser.add_argument("--auto-sign-delay", type=float, default=0.0, metavar="S",
                        help="the server's; 0 (default) signs inside the submit, more leaves "
                        "it to the server's signer thread (statuses polled up to 30 s)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--json", action="store_true", help="the figures as one JSON document")
    args = parser.parse_args()
    say = (lambda *_: None) if args.json else (lambda text: print(text, flush=True))

    with tempfile.TemporaryDirectory() as folder, fresh_database(args.database_url) as (db_url, engine):  # fmt: skip
        server = BenchServer(Path(folder) / "server", db_url, args.workers, args.auto_sign_delay)
        say(f"engine: {engine}")
        say(f"server: {' '.join(server.command)}")
        server.start()
        try:
            started = time.perf_counter()
            kiosks = enrol(server.url, args.kiosks, args.seed, args.timeout)
            enrol_s = time.perf_counter() - started
            say(f"enrolled {len(kiosks)} kiosks in {enrol_s:.1f} s; running them for {args.duration:g} s")  # fmt: skip
            run = load(server, kiosks, args)
            say("checking: every request read back, the server's figures, duplicates ...")
            errors = [e for k in kiosks for e in list(k.errors)]
            if run.stuck:
                errors.append(("kiosk still running", f"{len(run.stuck)} kiosks still in a session {args.grace:g} s after the deadline: {run.stuck[:5]}"))  # fmt: skip
            found = duplicates(kiosks, run.days)
            errors += [("read back", problem) for problem in read_back(kiosks)]
            counts = server_counts(server.url, kiosks, run.days)
            errors += [("server figures", problem) for problem in counts.errors]
            found += counts.duplicates
            rss = {pid: peak_rss_mib(pid) for pid in process_tree(server.pid)}
        finally:
            server.stop()
        logged, first_logged = server.logged_errors()
        stored = database_check(db_url or sqlite_url(server.state_dir), kiosks)
        errors += [("database", problem) for problem in stored.errors]
        found += stored.duplicates

    calls = [c for k in kiosks for c in list(k.calls)]
    submissions = [s for k in kiosks for s in k.submissions]
    in_window = sum(end <= run.started + args.duration for *_, end in calls)
    kinds = Counter(kind for kind, _ in errors)
    first_of_kind = {kind: next(d for k, d in errors if k == kind) for kind in kinds}
    figures: dict[str, Any] = {
        "engine": engine,
        "server_command": server.command,
        "kiosks": len(kiosks),
        "kiosk_timeout_s": args.timeout,
        "think_s": args.think,
        "ramp_s": args.ramp,
        "enrolment_s": round(enrol_s, 2),
        "duration_s": round(run.elapsed, 2),
        "requests": len(calls),
        "requests_per_s": round(len(calls) / run.elapsed, 1),
        "requests_per_s_all_kiosks_running": round(in_window / min(args.duration, run.elapsed), 1),
        "sessions": sum(k.sessions for k in kiosks),
        "letters_printed": sum(s.printed for s in submissions),
        "letters_per_s": round(sum(s.printed for s in submissions) / run.elapsed, 2),
        "retries": sum(s.replayed_as is not None for s in submissions),
        "races": sum(c[0] == "submit (race)" for c in calls) // 2,
        "heartbeats": sum(c[0] == "heartbeat" for c in calls),
        "not_ready_at_once": sum(k.not_ready_at_once for k in kiosks),
        "latency": latency_table(calls),
        "http_statuses": {str(s): n for s, n in sorted(Counter(c[1] for c in calls).items())},
        "errors": len(errors),
        "errors_by_kind": dict(kinds.most_common()),
        "first_error_of_each_kind": list(first_of_kind.values()),
        "first_errors": [d for _, d in errors[:SHOWN_ERRORS]],
        "duplicates": len(found),
        "first_duplicates": found[:SHOWN_ERRORS],
        "requests_checked": len(submissions),
        "server_figures": counts.summary,
        "database": stored.summary,
        "kiosks_unverifiable": len(counts.unverifiable),
        "server_log_errors": sum(logged.values()),
        "server_log_errors_by_kind": dict(logged.most_common()),
        "server_log_first_error": first_logged,
        "server_peak_rss_mib": {str(pid): round(mib, 1) for pid, mib in rss.items()},
        "server_cpu_s": round(sum(run.server_cpu.values()), 1),
        "server_cpu_s_per_process": {str(pid): round(t, 1) for pid, t in run.server_cpu.items()},
        "client_cpu_s": round(run.client_cpu, 1),
        "machine_cpus": os.cpu_count() or 1,
        "machine_busy_pct": round(run.machine_pct, 1),
        "other_processes_cpu_s": round(
            run.machine_cpu - sum(run.server_cpu.values()) - run.client_cpu, 1
        ),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        report(figures)
    return 1 if errors or found else 0


@dataclass
class Run:
    started: float  # perf_counter
    elapsed: float
    client_cpu: float
    server_cpu: dict[int, float]  # CPU seconds of each of the server's processes
    machine_pct: float
    machine_cpu: float  # CPU seconds used by every process, all CPUs
    stuck: list[str]
    days: set[date]


def load(server: BenchServer, kiosks: list[Kiosk], args: Any) -> Run:
    """All kiosks at once until the deadline; at most `args.grace` more for the last ones."""
    start = Start()
    first_day = datetime.now(WIB).date()
    threads = [
        threading.Thread(target=k.run, args=(start, args.sessions, args), daemon=True)
        for k in kiosks
    ]
    for thread in threads:
        thread.start()
    server_pids = process_tree(server.pid)
    client_cpu = client_cpu_seconds()
    server_cpu = {pid: cpu_seconds(pid) for pid in server_pids}
    busy = machine_busy()
    start.deadline = time.monotonic() + args.duration
    started = time.perf_counter()
    start.go.set()
    for thread in threads:
        thread.join(max(0.0, start.deadline + args.grace - time.monotonic()))
    elapsed = time.perf_counter() - started
    busy_now = machine_busy()
    return Run(
        started=started,
        elapsed=elapsed,
        client_cpu=client_cpu_seconds() - client_cpu,
        server_cpu={
            pid: cpu_seconds(pid) - server_cpu.get(pid, 0.0) for pid in process_tree(server.pid)
        },
        machine_pct=100 * (busy_now[0] - busy[0]) / max(1, busy_now[1] - busy[1]),
        machine_cpu=(busy_now[0] - busy[0]) / os.sysconf("SC_CLK_TCK"),
        stuck=[k.kiosk_id for k, t in zip(kiosks, threads, strict=True) if t.is_alive()],
        days={first_day, datetime.now(WIB).date()},
    )


def report(f: dict[str, Any]) -> None:
    print(
        f"\n{f['kiosks']} kiosks, {f['duration_s']:.1f} s: {f['requests']} requests, "
        f"{f['requests_per_s']:.1f} requests/s ({f['requests_per_s_all_kiosks_running']:.1f}/s "
        f"while all kiosks ran); {f['sessions']} citizen sessions, {f['letters_printed']} "
        f"letters signed and printed ({f['letters_per_s']:.2f}/s); {f['retries']} submits "
        f"replayed ({f['races']} sent twice at once), {f['heartbeats']} heartbeats"
    )
    print(f"  {'latency (ms)':<16}{'count':>7}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}")
    for label, row in f["latency"].items():
        print(
            f"  {label:<16}{row['count']:>7}{row['p50_ms']:>9.1f}{row['p95_ms']:>9.1f}"
            f"{row['p99_ms']:>9.1f}{row['max_ms']:>9.1f}"
        )
    print(f"  HTTP statuses: {f['http_statuses']} (0: no answer)")
    if f["not_ready_at_once"]:
        print(f"  {f['not_ready_at_once']} requests were not ready at the first status look")
    print(f"  errors: {f['errors']} {f['errors_by_kind'] or ''}")
    for line in f["first_error_of_each_kind"]:
        print(f"    {line}")
    print(
        f"  duplicates: {f['duplicates']} ({f['requests_checked']} requests read back; "
        f"{f['server_figures']})"
    )
    print(f"    {f['database']}")
    if f["kiosks_unverifiable"]:
        print(
            f"  {f['kiosks_unverifiable']} kiosks have more on the server than they were "
            "answered, as many as the answers they lost: not counted as duplicates"
        )
    for line in f["first_duplicates"]:
        print(f"    {line}")
    if f["server_log_errors"]:
        print(f"  the server logged {f['server_log_errors']} errors:")
        for kind, count in f["server_log_errors_by_kind"].items():
            print(f"    {count:5d} {kind}")
        print("  the first (its frames in this project):")
        for line in f["server_log_first_error"]:
            print(f"    | {line}")
    rss = f["server_peak_rss_mib"]
    each = ", ".join(f"{mib:.1f} (pid {pid})" for pid, mib in rss.items())
    print(f"  server peak RSS (VmHWM): {sum(rss.values()):.1f} MiB: {each}")
    seconds, cpus = f["duration_s"], f["machine_cpus"]
    print(
        f"  CPU over the run: server {f['server_cpu_s']:.1f} s ({f['server_cpu_s'] / seconds:.2f} "
        f"cores), this client {f['client_cpu_s']:.1f} s ({f['client_cpu_s'] / seconds:.2f} cores), "
        f"machine {f['machine_busy_pct']:.0f}% busy of {cpus} CPUs; other processes (a "
        f"database server, anything else running) {f['other_processes_cpu_s']:.1f} s"
    )
    print(
        "  note: the simulated kiosks (Python threads with requests) run on the same machine "
        "as the server (and the database); when the machine is near 100% busy the client's "
        "share is taken from the server, and these figures understate what the server alone "
        "would do."
    )
    busiest = max(f["server_cpu_s_per_process"].values(), default=0.0) / seconds
    if busiest >= 0.85:
        print(
            f"  a server process used {busiest:.2f} cores: Python code runs on one core per "
            "process, so that process was the bottleneck (more --workers would spread it)"
        )
    if f["machine_busy_pct"] >= 90:
        print(
            f"  the machine was saturated ({f['machine_busy_pct']:.0f}% busy): the client "
            f"({f['client_cpu_s'] / seconds:.2f} cores) and other processes "
            f"({f['other_processes_cpu_s'] / seconds:.2f} cores) took that from the server"
        )


if __name__ == "__main__":
    sys.exit(main())
