"""The Debian package, built and installed as a vendor would: packaging/build-deb makes the
.deb, apt installs it into a fresh Debian 12 (debootstrap, minbase), and the kiosk runs
inside it with chroot; then the tree boots with its own systemd (systemd-nspawn) for the
first-boot service and its retries.

The module builds the package and bootstraps Debian once (at the same time: two cores),
then each test looks at one thing a vendor or technician relies on. The last test purges
the package. Needs root (debootstrap, chroot, mounts) and the network (deb.debian.org; PyPI
for the first build); without them it is skipped, saying which is missing. About two and a
half minutes on two cores from cold caches, most of it debootstrap, the wheels and apt.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import marshal
import os
import re
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import tarfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from apm_server import demo_data
from apm_server.app import RunningServer
from kiosk import __version__
from tests.harness import free_port, serving

REPO = Path(__file__).resolve().parents[2]
BUILD_DEB = REPO / "packaging" / "build-deb"
MIRROR_HOST = "deb.debian.org"
MIRROR = f"http://{MIRROR_HOST}/debian"
SUITE = "bookworm"
PREFIX = "/opt/apm-kiosk"
CHROOT_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
    "HOME": "/root",
    "DEBIAN_FRONTEND": "noninteractive",
}
UNITS = ("apm-kiosk.service", "apm-kiosk-firstboot.service", "apm-kiosk-firstboot.timer")
UDEV_RULES = ("70-apm-kiosk.rules", "71-apm-kiosk-provision.rules")
CONFFILES = {
    "/etc/apm-kiosk/kiosk.toml",
    "/etc/pam.d/apm-kiosk",
    "/etc/modprobe.d/apm-kiosk-nfc.conf",
}
KIOSK_GROUPS = {"apm-kiosk", "lp", "dialout", "input", "video", "render", "audio"}
ROLES = ("receipt_printer", "document_printer", "card_reader")
# The package's default config as shipped (the conffile's copy, untouched by provisioning).
DEFAULT_CONFIG_COPY = "/usr/share/doc/apm-kiosk/examples/kiosk.toml"

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Installed:
    deb: Path
    tree: Path  # a Debian 12 root with the package installed
    work: Path


def cache_dir() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "apm-kiosk-deb"
    return Path(os.environ.get("APM_KIOSK_DEB_CACHE", default))


def skip_without_root_debootstrap_or_network() -> None:
    if os.geteuid() != 0:
        pytest.skip("the package tests need root (debootstrap, chroot, mounts); CI runs as root")
    if shutil.which("debootstrap") is None:
        pytest.skip("debootstrap is not installed (./scripts/setup installs it as root)")
    try:
        socket.create_connection((MIRROR_HOST, 80), timeout=10).close()
    except OSError as exc:
        pytest.skip(f"no network to {MIRROR_HOST} for debootstrap and apt: {exc}")


# --- mounts, always undone ---------------------------------------------------------------


def mounts_under(tree: Path) -> list[str]:
    """Mount points at or below `tree`, deepest first (from /proc/self/mountinfo)."""
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), line.split()[4])
        if point == str(tree) or point.startswith(f"{tree}/"):
            found.append(point)
    return sorted(found, key=len, reverse=True)


def unmount_all(tree: Path) -> None:
    for point in mounts_under(tree):
        if subprocess.run(["umount", point], capture_output=True).returncode != 0:
            subprocess.run(["umount", "--lazy", point], capture_output=True)


@contextmanager
def mounted(tree: Path, *, sys: bool = False) -> Iterator[None]:
    """/proc (and /sys) inside the tree for as long as the block runs."""
    try:
        subprocess.run(["mount", "-t", "proc", "proc", str(tree / "proc")], check=True)
        if sys:
            subprocess.run(["mount", "--rbind", "/sys", str(tree / "sys")], check=True)
            subprocess.run(["mount", "--make-rslave", str(tree / "sys")], check=True)
        yield
    finally:
        unmount_all(tree)


def remove_tree(tree: Path) -> None:
    unmount_all(tree)
    left = mounts_under(tree)
    if left:  # never rm -rf through a mounted /proc or /sys
        raise RuntimeError(f"still mounted, {tree} left in place: {left}")
    subprocess.run(["rm", "-rf", "--one-file-system", str(tree)], check=True)


def in_tree(
    tree: Path, *command: str, timeout: float = 120, **extra_env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["chroot", str(tree), *command],
        env={**CHROOT_ENV, **extra_env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# --- the package, built and installed once for the module --------------------------------


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    skip_without_root_debootstrap_or_network()
    work = tmp_path_factory.mktemp("packaging")
    tree = work / "debian12"
    debootstrap_cache = cache_dir() / "debootstrap"
    debootstrap_cache.mkdir(parents=True, exist_ok=True)
    log_path = work / "debootstrap.log"
    with log_path.open("w") as log:
        bootstrap = subprocess.Popen(
            [
                "debootstrap",
                "--variant=minbase",
                f"--cache-dir={debootstrap_cache}",
                SUITE,
                str(tree),
                MIRROR,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        build = subprocess.run(
            [str(BUILD_DEB), "--out", str(work / "dist")],
            capture_output=True,
            text=True,
            timeout=1800,
        )
        assert build.returncode == 0, f"build-deb failed:\n{build.stderr[-4000:]}"
        deb = Path(build.stdout.strip().splitlines()[-1])
        assert bootstrap.wait(timeout=1200) == 0, log_path.read_text()[-3000:]
        install_package(tree, deb)
        yield Installed(deb, tree, work)
    finally:
        if bootstrap.poll() is None:
            bootstrap.kill()
            bootstrap.wait()
        remove_tree(tree)


def install_package(tree: Path, deb: Path) -> None:
    """apt installs the .deb and what it depends on, as on a kiosk (no daemons started)."""
    policy = tree / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\n# a chroot: no service is started\nexit 101\n")
    policy.chmod(0o755)
    shutil.copy(deb, tree / "tmp" / deb.name)
    with mounted(tree):
        update = in_tree(tree, "apt-get", "update", "-q", timeout=300)
        assert update.returncode == 0, update.stdout + update.stderr
        install = in_tree(
            tree,
            "apt-get",
            "install",
            "-y",
            "-q",
            "--no-install-recommends",
            "-o",
            "Dpkg::Options::=--force-unsafe-io",
            f"/tmp/{deb.name}",
            timeout=900,
        )
    assert install.returncode == 0, install.stdout[-4000:] + install.stderr[-2000:]


def deb_field(deb: Path, name: str) -> str:
    return subprocess.run(
        ["dpkg-deb", "--field", str(deb), name], capture_output=True, text=True, check=True
    ).stdout.strip()


def control_members(deb: Path) -> dict[str, tarfile.TarInfo]:
    data = subprocess.run(["dpkg-deb", "--ctrl-tarfile", str(deb)], capture_output=True, check=True)
    path = deb.with_suffix(".control.tar")
    path.write_bytes(data.stdout)
    with tarfile.open(path) as archive:
        return {m.name.removeprefix("./"): m for m in archive.getmembers()}


def depends(deb: Path, field: str = "Depends") -> set[str]:
    return {re.split(r"[ (]", item.strip())[0] for item in deb_field(deb, field).split(",")}


def write_trust_anchor(path: Path) -> None:
    """A self-signed CA certificate: what provisioning saves as the backend's CA."""
    from tests.kiosk.conftest import make_ca_pem

    path.write_bytes(make_ca_pem("packaging test CA"))


def enrolment_token(backend: RunningServer) -> str:
    """A one-time enrolment token for the demo village, as the district's staff make one."""
    made = requests.post(
        f"{backend.url}/api/v1/admin/enrolments",
        json={"label": "packaging test", "village_code": demo_data.VILLAGE.code},
        headers={"Authorization": f"Bearer {backend.admin_token}"},
        verify=str(backend.ca_cert_path),
        timeout=30,
    )
    assert made.status_code == 201, made.text
    return str(made.json()["token"])


def provisioned_config(tree: Path, name: str, *, devices: str | None = None) -> str:
    """The package's default config as provisioning leaves it (backend URL, device token,
    trust anchor), written into the tree; its devices kept, or replaced by `devices`."""
    text = (tree / DEFAULT_CONFIG_COPY.lstrip("/")).read_text()
    write_trust_anchor(tree / "tmp" / f"{name}-ca.pem")
    (tree / "tmp" / f"{name}-token").write_text("packaging-test-device-token\n")
    backend = f'[backend]\nurl = "http://127.0.0.1:9"\ntoken_file = "/tmp/{name}-token"\n'
    assert "\n[backend]\n" in text and "\ntrust_anchors = []\n" in text
    text = text.replace("[backend]\n", backend, 1)
    text = text.replace("\ntrust_anchors = []\n", f'\ntrust_anchors = ["/tmp/{name}-ca.pem"]\n')
    if devices is not None:
        text = text[: text.index("[devices.receipt_printer]")] + devices
    (tree / "tmp" / f"{name}.toml").write_text(text)
    return f"/tmp/{name}.toml"


SIMULATED_DEVICES = """
[devices.receipt_printer]
type = "escpos"
transport = { type = "simulated" }

[devices.document_printer]
type = "simulated"

[devices.card_reader]
type = "simulated"
"""


# --- the package file ----------------------------------------------------------------------


def test_the_package_is_named_by_version_and_depends_on_what_the_kiosk_runs_on(
    installed: Installed,
) -> None:
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True)
    assert installed.deb.name == f"apm-kiosk_{__version__}_{arch.stdout.strip()}.deb"
    assert deb_field(installed.deb, "Package") == "apm-kiosk"
    assert deb_field(installed.deb, "Version") == __version__
    needed = {"python3.11", "cage", "xwayland", "pcscd", "libccid", "cups-daemon", "systemd"}
    needed |= {"libgl1", "libegl1", "libxkbcommon0", "libwayland-client0", "fonts-dejavu-core"}
    assert needed <= depends(installed.deb)
    assert {"espeak-ng", "cups"} <= depends(installed.deb, "Recommends")
    size_kib = int(deb_field(installed.deb, "Installed-Size"))
    assert 100_000 < size_kib < 1_000_000  # the venv with PySide6: some 350 MiB


def test_conffiles_and_maintainer_scripts(installed: Installed) -> None:
    members = control_members(installed.deb)
    for script in ("postinst", "prerm", "postrm"):
        assert members[script].mode & 0o777 == 0o755, script
        syntax = subprocess.run(
            ["sh", "-n"], input=(REPO / "packaging/debian" / script).read_text(), text=True
        )
        assert syntax.returncode == 0, script
    contents = subprocess.run(
        ["dpkg-deb", "--contents", str(installed.deb)], capture_output=True, text=True, check=True
    ).stdout
    listed = {line.split()[5].removeprefix(".") for line in contents.splitlines()}
    conffiles = set((installed.tree / "var/lib/dpkg/info/apm-kiosk.conffiles").read_text().split())
    assert conffiles == CONFFILES and conffiles <= listed
    installed_config = (installed.tree / "etc/apm-kiosk/kiosk.toml").read_text()
    assert installed_config == (installed.tree / DEFAULT_CONFIG_COPY.lstrip("/")).read_text()
    owners = {line.split()[1] for line in contents.splitlines()}
    assert owners == {"root/root"}
    for unit in UNITS:
        assert f"/lib/systemd/system/{unit}" in listed
    for rules in UDEV_RULES:
        assert f"/lib/udev/rules.d/{rules}" in listed
    assert "/usr/share/polkit-1/rules.d/60-apm-kiosk-pcsc.rules" in listed
    assert f"{PREFIX}/bin/apm-kiosk" in listed
    assert re.search(
        r"^l\S+ root/root .* \./usr/bin/apm-kiosk -> /opt/apm-kiosk/bin/apm-kiosk$", contents, re.M
    )


def test_the_venv_names_its_real_home_not_the_build_folder(installed: Installed) -> None:
    """A virtualenv is not relocatable: every path in it must say /opt/apm-kiosk."""
    venv = installed.tree / PREFIX.lstrip("/")
    assert (venv / "bin/apm-kiosk").read_text().startswith(f"#!{PREFIX}/bin/python")
    python = in_tree(installed.tree, "readlink", "-f", f"{PREFIX}/bin/python").stdout.strip()
    assert python == "/usr/bin/python3.11"
    config = (venv / "pyvenv.cfg").read_text()
    assert "home = /usr/bin" in config
    found = subprocess.run(
        ["grep", "-rlI", "--", "apm-kiosk-deb.", str(venv)], capture_output=True, text=True
    )
    assert found.stdout == "", f"files naming the build folder:\n{found.stdout}"
    # The byte code was compiled where it runs (tracebacks name the real files), and is
    # current: Python will not rewrite it (nor fail trying: /opt is read-only to the kiosk).
    source = venv / "lib/python3.11/site-packages/kiosk/cli.py"
    cached = Path(importlib.util.cache_from_source(str(source)))
    data = cached.read_bytes()
    assert int.from_bytes(data[8:12], "little") == int(source.stat().st_mtime)
    assert (
        marshal.loads(data[16:]).co_filename
        == f"{PREFIX}/lib/python3.11/site-packages/kiosk/cli.py"
    )


# --- installed into Debian 12 ---------------------------------------------------------------


def test_apm_kiosk_runs_in_the_installed_system(installed: Installed) -> None:
    result = in_tree(installed.tree, "apm-kiosk", "--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"apm-kiosk {__version__}")


def test_diag_reports_the_unprovisioned_default_config_as_bad(installed: Installed) -> None:
    with mounted(installed.tree):
        result = in_tree(installed.tree, "apm-kiosk", "diag", "--json")
    report = json.loads(result.stdout)
    assert result.returncode == 2 == report["exit_code"], result.stderr
    assert report["config"] == "/etc/apm-kiosk/kiosk.toml"
    faults = [c for c in report["checks"] if c["area"] == "config" and c["level"] == "fault"]
    assert faults and "backend.url: missing" in faults[0]["summary"], report["checks"]


def test_once_provisioned_the_default_config_is_valid_and_diag_checks_its_devices(
    installed: Installed,
) -> None:
    """What provisioning adds makes the shipped default valid: its device tables are right
    as they stand. In the chroot no pcscd, cupsd or printer runs: devices are faulty."""
    config = provisioned_config(installed.tree, "provisioned")
    check = in_tree(installed.tree, "apm-kiosk", "config", "check", config)
    assert check.returncode == 0, check.stderr
    assert "receipt_printer: escpos, document_printer: cups, card_reader: pcsc" in check.stdout
    with mounted(installed.tree):
        result = in_tree(
            installed.tree, "apm-kiosk", "diag", "--json", "--config", config, timeout=180
        )
    report = json.loads(result.stdout)
    assert result.returncode == 1 == report["exit_code"], result.stderr
    assert not [c for c in report["checks"] if c["area"] == "config" and c["level"] == "fault"]
    named = " ".join(f"{c['area']} {c['name']}" for c in report["checks"])
    for role in ROLES:
        assert role in named, report["checks"]


def test_first_boot_provisioning_against_the_reference_backend_makes_the_kiosk_startable(
    installed: Installed,
) -> None:
    """What apm-kiosk-firstboot.service runs, on the package's own default config, with the
    provisioning file on the boot partition: the kiosk enrols with the reference backend
    (HTTPS on loopback; the chroot shares this machine's network), its config then passes
    the check apm-kiosk.service makes before each start, and the token is gone from the
    file. Changes /etc/apm-kiosk in the tree: the tests after this one do not need it
    unprovisioned."""
    tree = installed.tree
    default = (tree / "etc/apm-kiosk/kiosk.toml").read_text()
    with serving(installed.work / "backend", tls=True) as backend:
        token = enrolment_token(backend)
        der = ssl.PEM_cert_to_DER_cert(backend.ca_cert_path.read_text())
        provisioning = tree / "boot/firmware/apm-provision.toml"
        provisioning.parent.mkdir(parents=True, exist_ok=True)
        provisioning.write_text(
            f'village_code = "{demo_data.VILLAGE.code}"\n'
            f'backend_url = "{backend.url}"\n'
            f'enrolment_token = "{token}"\n'
            f'ca_fingerprint = "{hashlib.sha256(der).hexdigest()}"\n'
        )
        with mounted(tree):
            first_boot = in_tree(tree, "apm-kiosk", "provision", "--first-boot", timeout=180)
    assert first_boot.returncode == 0, first_boot.stdout + first_boot.stderr
    check = in_tree(tree, "apm-kiosk", "config", "check", "/etc/apm-kiosk/kiosk.toml")
    assert check.returncode == 0, check.stderr
    token = in_tree(tree, "stat", "-c", "%a %U", "/etc/apm-kiosk/device-token").stdout.split()
    assert token == ["600", "apm-kiosk"]
    assert "enrolment_token" not in provisioning.read_text()
    provisioned = (tree / "etc/apm-kiosk/kiosk.toml").read_text()
    assert f'url = "{backend.url}"' in provisioned
    comments = [line for line in default.splitlines() if line.startswith("#")]
    assert comments and all(line in provisioned.splitlines() for line in comments)


def test_the_kiosk_user_its_groups_its_state_and_the_enabled_units(installed: Installed) -> None:
    tree = installed.tree
    passwd = in_tree(tree, "getent", "passwd", "apm-kiosk").stdout.strip().split(":")
    assert passwd[5:] == ["/var/lib/apm-kiosk", "/usr/sbin/nologin"]
    assert int(passwd[2]) < 1000  # a system user
    groups = set(in_tree(tree, "id", "-nG", "apm-kiosk").stdout.split())
    assert groups == KIOSK_GROUPS
    state = (tree / "var/lib/apm-kiosk").stat()
    assert stat.S_IMODE(state.st_mode) == 0o750 and state.st_uid == int(passwd[2])
    config = tree / "etc/apm-kiosk/kiosk.toml"
    listing = in_tree(tree, "stat", "-c", "%a %U %G", "/etc/apm-kiosk/kiosk.toml").stdout.split()
    assert listing == ["640", "root", "apm-kiosk"] and config.is_file()
    wants = {
        "apm-kiosk.service": "graphical.target.wants",
        "apm-kiosk-firstboot.service": "multi-user.target.wants",
        "apm-kiosk-firstboot.timer": "timers.target.wants",
    }
    for unit, folder in wants.items():
        link = tree / "etc/systemd/system" / folder / unit
        assert os.readlink(link) == f"/lib/systemd/system/{unit}"


def test_systemd_analyze_verify_accepts_the_units(installed: Installed) -> None:
    """In the installed system, so that every binary the units start is there."""
    with mounted(installed.tree):
        result = in_tree(
            installed.tree,
            "systemd-analyze",
            "verify",
            *(f"/lib/systemd/system/{unit}" for unit in UNITS),
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout + result.stderr == ""  # not even a warning


def test_udev_reads_the_rules_without_complaint(installed: Installed) -> None:
    with mounted(installed.tree, sys=True):
        result = in_tree(installed.tree, "udevadm", "test", "--action=add", "/sys/class/tty/tty1")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for rules in UDEV_RULES:
        assert f"Reading rules file: /usr/lib/udev/rules.d/{rules}" in output
        complaints = [line for line in output.splitlines() if re.search(rf"{rules}:\d+ ", line)]
        assert complaints == [], complaints


def test_the_qt_platform_plugins_the_kiosk_uses_find_their_libraries(installed: Installed) -> None:
    """Wayland (under cage) and offscreen: every library they link is installed by the
    package's dependencies. (X11's xcb plugin is not used on a kiosk.)"""
    qt = f"{PREFIX}/lib/python3.11/site-packages/PySide6/Qt/plugins"
    plugins = [f"{qt}/platforms/libqwayland.so", f"{qt}/platforms/libqoffscreen.so"]
    shells = installed.tree / qt.lstrip("/") / "wayland-shell-integration"
    plugins += [f"{qt}/wayland-shell-integration/{p.name}" for p in shells.glob("*.so")]
    assert len(plugins) > 2
    with mounted(installed.tree):
        for plugin in plugins:
            result = in_tree(installed.tree, "ldd", plugin)
            assert result.returncode == 0 and "not found" not in result.stdout, (
                plugin,
                result.stdout,
            )


def test_the_installed_kiosk_shows_its_attract_screen_and_tells_systemd(
    installed: Installed,
) -> None:
    """`apm-kiosk run` from the package, offscreen in the chroot, as its unit starts it:
    READY=1 once the attract screen is up, WATCHDOG=1, STOPPING=1 on SIGTERM."""
    tree = installed.tree
    config = provisioned_config(tree, "simulated", devices=SIMULATED_DEVICES)
    runtime_dir = tree / "tmp/xdg-runtime"
    runtime_dir.mkdir(mode=0o700, exist_ok=True)
    name = f"apm-kiosk-packaging-{uuid.uuid4().hex}"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(b"\0" + name.encode())  # abstract: reachable from inside the chroot
    listener.settimeout(60)
    with listener, mounted(tree):
        kiosk = subprocess.Popen(
            ["chroot", str(tree), "apm-kiosk", "run", "--config", config],
            env={
                **CHROOT_ENV,
                "QT_QPA_PLATFORM": "offscreen",
                "XDG_RUNTIME_DIR": "/tmp/xdg-runtime",
                "APM_KIOSK_STATE_DIR": "/tmp/kiosk-state",
                "NOTIFY_SOCKET": f"@{name}",
                "WATCHDOG_USEC": "2000000",
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        messages: list[str] = []
        try:
            while not {"READY=1", "WATCHDOG=1"} <= fields(messages):
                messages.append(listener.recv(4096).decode())
        finally:
            kiosk.send_signal(signal.SIGTERM)
            _, stderr = kiosk.communicate(timeout=30)
        deadline = time.monotonic() + 10
        while "STOPPING=1" not in fields(messages) and time.monotonic() < deadline:
            messages.append(listener.recv(4096).decode())
    assert "READY=1\nSTATUS=attract screen shown" in messages, (messages, stderr)
    assert messages[-1].startswith("STOPPING=1"), (messages, stderr)
    assert kiosk.returncode == 0, stderr
    for sign in ("Traceback", "Could not load", "core dumped"):
        assert sign not in stderr, stderr


# --- booted with systemd: the first-boot service, its retries, the kiosk not held up -------


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields_ = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields_[1]), []).append(int(stat_file.parent.name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


@contextmanager
def booted(tree: Path, log: Path) -> Iterator[Callable[..., subprocess.CompletedProcess[str]]]:
    """The tree booted by its own systemd in a container (systemd-nspawn), on this machine's
    network; yields a function that runs a command inside. Powered off afterwards.

    In a private mount namespace, nspawn's working folder gets a tmpfs of its own (it will
    not clean up on a disk file system) and the host's /run is left alone; --keep-unit and
    --register=no: no systemd or machined needed on the host."""
    script = (
        "mkdir -p /run/systemd/nspawn && mount -t tmpfs tmpfs /run/systemd/nspawn && "
        f"exec systemd-nspawn --quiet --keep-unit --register=no --directory={tree} --boot"
    )
    with log.open("w") as out:
        nspawn = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    init = 0

    def inside(*command: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["nsenter", "-t", str(init), "-a", *command],
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    try:
        deadline = time.monotonic() + 60
        state = ""
        while time.monotonic() < deadline and state not in ("running", "degraded"):
            time.sleep(0.5)
            if nspawn.poll() is not None:
                break
            inits = [
                p
                for p in descendants(nspawn.pid)
                if Path(f"/proc/{p}/comm").read_text().strip() == "systemd"
            ]
            if inits:
                init = inits[0]
                state = inside("systemctl", "is-system-running").stdout.strip()
        assert state in ("running", "degraded"), (
            f"the container did not boot:\n{log.read_text()[-3000:]}"
        )
        yield inside
    finally:
        if nspawn.poll() is None and init:
            inside("systemctl", "poweroff", "--no-block")
        try:
            nspawn.wait(timeout=60)
        except subprocess.TimeoutExpired:
            nspawn.kill()
            nspawn.wait()


def unit_property(
    inside: Callable[..., subprocess.CompletedProcess[str]], unit: str, name: str
) -> str:
    return inside("systemctl", "show", "--value", "-p", name, unit).stdout.strip()


def wait_for(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.25)
    return True


def test_booted_a_failed_first_try_holds_nothing_up_and_a_later_try_provisions(
    installed: Installed,
) -> None:
    """The units under the tree's own systemd. At boot the backend is unreachable: the
    first-boot service fails, the boot goes on, the retry timer is armed. Once the backend
    is up, a try (what the timer starts) enrols the kiosk and the timer stops."""
    if shutil.which("systemd-nspawn") is None:
        pytest.skip(
            "systemd-nspawn is not installed (package systemd-container; ./scripts/setup installs it)"
        )
    tree = installed.tree
    # Unprovisioned again (an earlier test provisioned it): the package's default config.
    for left in ("device-token", "backend-ca.pem"):
        (tree / "etc/apm-kiosk" / left).unlink(missing_ok=True)
    (tree / "etc/apm-kiosk/kiosk.toml").write_text(
        (tree / DEFAULT_CONFIG_COPY.lstrip("/")).read_text()
    )
    with serving(installed.work / "boot-backend", tls=True) as backend:
        token = enrolment_token(backend)
        der = ssl.PEM_cert_to_DER_cert(backend.ca_cert_path.read_text())
        provisioning = tree / "boot/firmware/apm-provision.toml"
        provisioning.parent.mkdir(parents=True, exist_ok=True)
        nobody_there = f"https://127.0.0.1:{free_port()}"
        text = (
            f'village_code = "{demo_data.VILLAGE.code}"\n'
            f'backend_url = "{nobody_there}"\n'
            f'enrolment_token = "{token}"\n'
            f'ca_fingerprint = "{hashlib.sha256(der).hexdigest()}"\n'
        )
        provisioning.write_text(text)
        with booted(tree, installed.work / "nspawn.log") as inside:
            firstboot, timer = "apm-kiosk-firstboot.service", "apm-kiosk-firstboot.timer"
            assert unit_property(inside, firstboot, "Result") == "exit-code"
            assert unit_property(inside, "multi-user.target", "ActiveState") == "active"
            assert unit_property(inside, timer, "ActiveState") == "active"
            assert unit_property(inside, timer, "NextElapseUSecMonotonic") not in (
                "",
                "0",
                "infinity",
            )
            assert "enrolment_token" in provisioning.read_text()  # not used: kept for the retry
            provisioning.write_text(text.replace(nobody_there, backend.url))
            retry = inside("systemctl", "start", firstboot, timeout=180)
            assert retry.returncode == 0, (
                retry.stderr + inside("journalctl", "-u", firstboot).stdout
            )
            assert (tree / "etc/apm-kiosk/device-token").is_file()
            assert wait_for(lambda: unit_property(inside, timer, "ActiveState") == "inactive", 10)
            check = inside("apm-kiosk", "config", "check", "/etc/apm-kiosk/kiosk.toml")
            assert check.returncode == 0, check.stderr
            # A provisioned kiosk: the first-boot service is skipped at once, boot after boot.
            again = inside("systemctl", "start", firstboot)
            assert again.returncode == 0
            assert unit_property(inside, firstboot, "ConditionResult") == "no"


def fields(messages: list[str]) -> set[str]:
    return {field for message in messages for field in message.split("\n")}


def test_purge_removes_the_kiosk_its_state_and_its_provisioned_config(installed: Installed) -> None:
    """Runs last: it takes the package away."""
    tree = installed.tree
    (tree / "etc/apm-kiosk/device-token").write_text("written by provisioning\n")
    (tree / "var/lib/apm-kiosk/outbox.sqlite").write_text("kept by the kiosk\n")
    with mounted(tree):
        result = in_tree(tree, "apt-get", "purge", "-y", "-q", "apm-kiosk", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    for gone in (PREFIX, "/etc/apm-kiosk", "/var/lib/apm-kiosk", "/usr/bin/apm-kiosk"):
        assert not (tree / gone.lstrip("/")).exists(), gone
    assert "kiosk.toml" not in in_tree(tree, "dpkg-statoverride", "--list").stdout
    for unit in UNITS:
        assert not list((tree / "etc/systemd/system").glob(f"*/{unit}")), unit
    # The system user stays, as Debian keeps system users (see packaging/debian/postrm).
    assert in_tree(tree, "getent", "passwd", "apm-kiosk").returncode == 0
