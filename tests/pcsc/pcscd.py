"""A real pcscd with vsmartcard-vpcd for the PC/SC tests and bench, private to them.

pcscd (1.9.9 on Debian 12) always serves its socket at /run/pcscd/pcscd.comm, but the
client library reads PCSCLITE_CSOCK_NAME. So pcscd runs in a mount namespace of its own
(`unshare --mount`) where a temporary folder is bind-mounted on /run/pcscd, and this
process points PCSCLITE_CSOCK_NAME at that folder's socket: a system pcscd, if any, is
neither seen nor disturbed. Its reader configuration is private too (`pcscd -c DIR`),
with vpcd on a free port pair instead of 35963/35964.

Where namespaces are not allowed (a container without CAP_SYS_ADMIN) pcscd runs on the
default socket, only if no other pcscd answers there. Skipped (with the reason) when not
root or when pcscd or vpcd is missing.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
DEFAULT_SOCKET = Path("/run/pcscd/pcscd.comm")
READER = "Virtual PCD 00 00"  # vpcd's first slot, on the fixture's port
START_TIMEOUT_S = 15.0


def missing_requirement() -> str | None:
    if os.geteuid() != 0:
        return "starting a private pcscd needs root (CI runs as root)"
    if shutil.which("pcscd") is None:
        return "pcscd is not installed (apt-get install pcscd)"
    if not VPCD_DRIVER.exists():
        return f"vsmartcard-vpcd is not installed ({VPCD_DRIVER} missing)"
    try:
        import smartcard.scard  # noqa: F401
    except ImportError:
        return "pyscard is not installed"
    return None


def free_port_pair() -> int:
    """A port P such that P and P + 1 are free on loopback (vpcd listens on both)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port < 65535 and all(_port_free(p) for p in (port, port + 1)):
            return port
    raise RuntimeError("no free pair of ports for vpcd")


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("0.0.0.0", port))  # vpcd binds every address
        except OSError:
            return False
    return True


def socket_answers(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


def namespaces_work() -> bool:
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "true"],
        capture_output=True, check=False,
    )  # fmt: skip
    return done.returncode == 0


class Pcscd:
    """`pcscd -f` with vpcd on `port`, stopped, killed and started again at will."""

    def __init__(self, workdir: Path, *, private: bool) -> None:
        self.workdir = workdir
        self.private = private
        self.port = free_port_pair()
        self.config_dir = workdir / "reader.conf.d"
        self.ipc_dir = workdir / "ipc"
        self.log_path = workdir / "pcscd.log"
        self.socket_path = self.ipc_dir / "pcscd.comm" if private else DEFAULT_SOCKET
        self._process: subprocess.Popen[bytes] | None = None
        self.config_dir.mkdir(parents=True, exist_ok=True)
        self.ipc_dir.mkdir(parents=True, exist_ok=True)
        self.write_config(with_vpcd=True)

    def write_config(self, *, with_vpcd: bool) -> None:
        """With `with_vpcd=False` the next start has no reader at all (one unplugged)."""
        conf = self.config_dir / "vpcd"
        if not with_vpcd:
            conf.unlink(missing_ok=True)
            return
        conf.write_text(
            'FRIENDLYNAME "Virtual PCD"\n'
            f"DEVICENAME   /dev/null:0x{self.port:04X}\n"
            f"LIBPATH      {VPCD_DRIVER}\n"
            f"CHANNELID    0x{self.port:04X}\n"
        )

    @property
    def command(self) -> list[str]:
        pcscd = ["pcscd", "--foreground", "--info", "--config", str(self.config_dir)]
        if not self.private:
            return pcscd
        inside = f'mkdir -p /run/pcscd && mount --bind {self.ipc_dir} /run/pcscd && exec "$@"'
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c", inside, "sh", *pcscd]

    def start(self, *, expect_readers: bool = True) -> Pcscd:
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                self.command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self._wait_ready(expect_readers)
        return self

    def _wait_ready(self, expect_readers: bool) -> None:
        from smartcard import scard

        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                break
            hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if hresult == scard.SCARD_S_SUCCESS:
                _, readers = scard.SCardListReaders(context, [])
                scard.SCardReleaseContext(context)
                if not expect_readers or READER in (readers or []):
                    return
            time.sleep(0.05)
        raise AssertionError(f"pcscd did not come up: {self.log_path.read_text()[-2000:]}")

    def wait_until_no_card(self, timeout_s: float = 5.0) -> None:
        """Until pcscd sees no card on vpcd's readers (it notices a lifted card only at
        its next poll, up to 400 ms later): a test must not start with the last one's."""
        from smartcard import scard

        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        assert hresult == scard.SCARD_S_SUCCESS, "pcscd is not running"
        try:
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                _, readers = scard.SCardListReaders(context, [])
                watched = [(name, scard.SCARD_STATE_UNAWARE) for name in readers or []]
                _, states = scard.SCardGetStatusChange(context, 0, watched)
                if not any(state & scard.SCARD_STATE_PRESENT for _, state, _ in states):
                    return
                time.sleep(0.05)
            raise AssertionError("a card stayed on a vpcd reader")
        finally:
            scard.SCardReleaseContext(context)

    def kill(self) -> None:
        """As a crash: SIGKILL, its socket and pid file left behind."""
        self._end(signal.SIGKILL)

    def stop(self) -> None:
        self._end(signal.SIGTERM)

    def _end(self, how: signal.Signals) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(how)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class PcscdUnavailable(Exception):
    """No private pcscd can run here; the message says why."""


def start_private_pcscd(workdir: Path) -> Pcscd:
    """A started pcscd of our own, the PC/SC client of this process pointed at it.

    Call it before this process's first PC/SC call: libpcsclite reads
    PCSCLITE_CSOCK_NAME once."""
    reason = missing_requirement()
    if reason:
        raise PcscdUnavailable(reason)
    private = namespaces_work()
    if not private and socket_answers(DEFAULT_SOCKET):
        raise PcscdUnavailable(
            "another pcscd serves /run/pcscd/pcscd.comm and mount namespaces are not "
            "allowed here, so a private pcscd cannot run"
        )
    daemon = Pcscd(workdir, private=private)
    if private:
        os.environ["PCSCLITE_CSOCK_NAME"] = str(daemon.socket_path)
    return daemon.start()
