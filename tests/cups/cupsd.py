"""A private cupsd for tests and benchmarks: its own config, spool, logs and port.

`PrivateCups.start()` writes a cupsd.conf and cups-files.conf into a fresh folder under
/tmp, starts `cupsd -f` on a free 127.0.0.1 port and waits until it answers. Nothing is
shared with a system cupsd (which need not exist), except the read-only parts CUPS
installs (filters, backends, PPDs) and, for cups-pdf queues, one file in /etc/cups:
cups-pdf reads its settings from the compiled-in path /etc/cups/cups-pdf-NAME.conf, so
`add_pdf_queue` writes that file and `stop()` removes it again.

The folder is world-traversable on purpose: cupsd runs filters as user `lp`, which must
reach the spool files (pytest's own tmp folders are 0700 root).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

CUPS_PDF_CONF_DIR = Path("/etc/cups")  # compiled into the cups-pdf backend
CUPS_PDF_PPD = "lsb/usr/cups-pdf/CUPS-PDF_opt.ppd"
REQUIRED_PROGRAMS = ("cupsd", "lpadmin", "cupsenable", "cupsdisable", "cupsaccept", "cupsreject")
START_TIMEOUT_S = 15.0
COMMAND_TIMEOUT_S = 15.0


class CupsUnavailable(Exception):
    """cupsd cannot run here (not root, not installed): a reason to skip, not a failure."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def why_cups_cannot_run() -> str | None:
    """None when a private cupsd can run here; otherwise the reason, for a skip."""
    missing = [name for name in REQUIRED_PROGRAMS if shutil.which(name) is None]
    if missing:
        return (
            f"{', '.join(missing)} not installed "
            "(apt-get install cups-daemon cups-client printer-driver-cups-pdf)"
        )
    if os.geteuid() != 0:
        return "a private cupsd needs root (its backends and filters switch users)"
    return None


CUPSD_CONF = """\
LogLevel debug
MaxLogSize 0
Listen 127.0.0.1:{port}
Listen {root}/cups.sock
Browsing No
WebInterface No
DefaultAuthType None
DefaultEncryption Never
PreserveJobHistory Yes
PreserveJobFiles No
MaxJobs 0
JobRetryLimit 0
<Location />
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order allow,deny
    Allow all
  </Limit>
</Policy>
"""

CUPS_FILES_CONF = """\
ServerRoot {root}/etc
RequestRoot {root}/spool
CacheDir {root}/cache
StateDir {root}/state
TempDir {root}/tmp
ErrorLog {root}/log/error_log
AccessLog {root}/log/access_log
PageLog {root}/log/page_log
User lp
Group lp
SystemGroup root
Sandboxing Relaxed
"""


@dataclass
class PrivateCups:
    """One private cupsd. `server` is what a client needs: "127.0.0.1:PORT"."""

    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="apm-cups-")))
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    pdf_confs: list[Path] = field(default_factory=list)

    @property
    def server(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def socket_path(self) -> Path:
        """cupsd's Unix socket (clients on the same machine may use it instead of TCP)."""
        return self.root / "cups.sock"

    @property
    def error_log(self) -> Path:
        return self.root / "log" / "error_log"

    def error_log_tail(self, lines: int = 60) -> str:
        try:
            text = self.error_log.read_text(errors="replace")
        except OSError as error:
            return f"(no error_log: {error.strerror})"
        return "\n".join(text.splitlines()[-lines:])

    # --- the daemon ----------------------------------------------------------------------

    def start(self) -> PrivateCups:
        reason = why_cups_cannot_run()
        if reason is not None:
            raise CupsUnavailable(reason)
        self._write_config()
        self.process = subprocess.Popen(
            ["cupsd", "-f", "-c", str(self._cupsd_conf), "-s", str(self._files_conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._wait_until_listening()
        return self

    def stop(self) -> None:
        """Stop cupsd (its queues and job history stay on disk for a restart)."""
        process, self.process = self.process, None
        if process is None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(COMMAND_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()

    def restart(self) -> None:
        self.stop()
        self.start()

    def destroy(self) -> None:
        """Stop, remove the cups-pdf confs written to /etc/cups, and the whole folder."""
        self.stop()
        for conf in self.pdf_confs:
            conf.unlink(missing_ok=True)
        self.pdf_confs.clear()
        shutil.rmtree(self.root, ignore_errors=True)

    # --- queues --------------------------------------------------------------------------

    def add_pdf_queue(self, name: str, out_dir: Path) -> None:
        """A cups-pdf queue writing its PDFs into `out_dir` (names mangled; has job ids)."""
        out_dir.mkdir(parents=True, exist_ok=True)
        out_dir.chmod(0o777)  # cups-pdf runs Ghostscript as the job's user (or nobody)
        conf = CUPS_PDF_CONF_DIR / f"cups-pdf-{name}.conf"
        # Jobs of a user unknown to the system (ours: "apm-kiosk") go to AnonDirName.
        conf.write_text(f"Out {out_dir}\nAnonDirName {out_dir}\n")
        self.pdf_confs.append(conf)
        self.lpadmin("-p", name, "-E", "-v", f"cups-pdf:/{name}", "-m", CUPS_PDF_PPD)

    def add_raw_queue(self, name: str, device_uri: str) -> None:
        self.lpadmin("-p", name, "-E", "-v", device_uri, "-m", "raw")

    def add_ipp_queue(self, name: str, device_uri: str) -> None:
        """A queue passing PDFs on to an IPP printer unchanged (e.g. ippeveprinter)."""
        self.lpadmin("-p", name, "-E", "-v", device_uri, "-m", "raw")

    def lpadmin(self, *args: str) -> None:
        self.run("lpadmin", *args)

    def run(self, program: str, *args: str) -> str:
        """Run a CUPS command against this cupsd; fail with its output and the error_log."""
        command = [program, "-h", self.server, *args]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}\n"
                f"--- cupsd error_log ---\n{self.error_log_tail()}"
            )
        return done.stdout

    # --- internals -----------------------------------------------------------------------

    @property
    def _cupsd_conf(self) -> Path:
        return self.root / "etc" / "cupsd.conf"

    @property
    def _files_conf(self) -> Path:
        return self.root / "etc" / "cups-files.conf"

    def _write_config(self) -> None:
        self.root.chmod(0o755)
        for folder in ("etc", "spool", "cache", "state", "log"):
            (self.root / folder).mkdir(exist_ok=True)
        temp = self.root / "tmp"
        temp.mkdir(exist_ok=True)
        temp.chmod(0o1777)
        self._cupsd_conf.write_text(CUPSD_CONF.format(port=self.port, root=self.root))
        self._files_conf.write_text(CUPS_FILES_CONF.format(root=self.root))

    def _wait_until_listening(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                stderr = (
                    self.process.stderr.read().decode(errors="replace")
                    if self.process.stderr
                    else ""
                )
                self.process = None
                raise RuntimeError(
                    f"cupsd exited at start: {stderr.strip()}\n"
                    f"--- cupsd error_log ---\n{self.error_log_tail()}"
                )
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5),
            ):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(
            f"cupsd did not listen on {self.server} within {START_TIMEOUT_S:g} s\n"
            f"--- cupsd error_log ---\n{self.error_log_tail()}"
        )


# --- ippeveprinter: an IPP Everywhere printer whose paper can be taken away ---------------

IPPEVE_PATH = "/ipp/print"


def why_ippeveprinter_cannot_run() -> str | None:
    missing = [name for name in ("ippeveprinter", "dbus-daemon") if shutil.which(name) is None]
    if missing:
        return (
            f"{', '.join(missing)} not installed (apt-get install cups-ipp-utils dbus-daemon; "
            "ippeveprinter exits at start without a D-Bus to reach Avahi through)"
        )
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return "no IPv6 loopback here: ippeveprinter exits when it cannot listen on ::1"
    return None


@dataclass
class IppEvePrinter:
    """`ippeveprinter` on a free port of localhost, with its own D-Bus.

    ippeveprinter refuses to start when it cannot open an Avahi client, and that needs a
    D-Bus system bus, even with DNS-SD turned off (`-r off`). A private `dbus-daemon`
    (no Avahi on it) is enough: the client then just waits for Avahi to appear. Jobs
    are "printed" by /bin/true, at once. While a tray is empty ippeveprinter reports
    media-empty and holds jobs, as a real printer out of paper does.
    """

    name: str = "apm-eve"
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="apm-ippeve-")))
    port: int = field(default_factory=free_port)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def uri(self) -> str:
        return f"ipp://localhost:{self.port}{IPPEVE_PATH}"

    @property
    def server(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> IppEvePrinter:
        reason = why_ippeveprinter_cannot_run()
        if reason is not None:
            raise CupsUnavailable(reason)
        bus = self._start_dbus()
        spool = self.root / "spool"
        spool.mkdir()
        command = [
            *("ippeveprinter", "-p", str(self.port), "-n", "localhost", "-r", "off"),
            *("-d", str(spool), "-c", "/bin/true"),
            *("-f", "application/pdf,application/octet-stream"),
            *("-M", "APM", "-m", "Test A4", self.name),
        ]
        printer = subprocess.Popen(
            command,
            env={**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": bus},
            stdout=subprocess.DEVNULL,
            stderr=open(self.root / "ippeveprinter.log", "wb"),  # noqa: SIM115
        )
        self.processes.append(printer)
        self._wait_until_listening(printer)
        return self

    def set_paper(self, sheets: int) -> None:
        """Load every tray with `sheets` A4 sheets: 0 is media-empty, 1..24 media-low."""
        trays = re.findall(r'name="level(\d+)"', self._get("/media"))
        if not trays:
            raise RuntimeError("ippeveprinter's /media page lists no trays")
        query = "&".join(
            f"size{tray}=iso_a4_210x297mm&type{tray}=stationery&level{tray}={sheets}"
            for tray in trays
        )
        self._get(f"/media?{query}")

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
            try:
                process.wait(COMMAND_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()
        shutil.rmtree(self.root, ignore_errors=True)

    def _start_dbus(self) -> str:
        address = f"unix:path={self.root / 'system_bus_socket'}"
        bus = subprocess.Popen(
            [
                *("dbus-daemon", "--session", f"--address={address}"),
                *("--nofork", "--nopidfile", "--print-address"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.processes.append(bus)
        assert bus.stdout is not None
        if not bus.stdout.readline():  # it prints its address once it listens
            raise RuntimeError(f"dbus-daemon exited with {bus.wait()}")
        return address

    def _wait_until_listening(self, printer: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if printer.poll() is not None:
                log = (self.root / "ippeveprinter.log").read_text(errors="replace")
                raise RuntimeError(f"ippeveprinter exited with {printer.returncode}: {log}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5),
            ):
                return
            time.sleep(0.05)
        raise RuntimeError(f"ippeveprinter did not listen on port {self.port}")

    def _get(self, path: str) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as page:
            return str(page.read().decode("utf-8", "replace"))
