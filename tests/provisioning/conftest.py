"""A kiosk being provisioned against the real reference backend, over HTTPS on loopback.

The backend runs in this process (tests.harness.serving, so the suite also runs it on
PostgreSQL) with TLS from its demo CA; the district's staff make enrolment tokens through
its admin API; the kiosk is a folder with a config and a provisioning file, provisioned by
the real `apm-kiosk provision` command.
"""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from apm_server.app import RunningServer
from kiosk.cli import main
from tests.harness import SIMULATED_DEVICES, serving

API = "/api/v1"
DEMO_VILLAGE = "35.23.01.2001"
OTHER_VILLAGE = "35.23.01.2002"

# As the package installs it: the backend still to be filled in, comments to be kept.
CONFIG = (
    """# APM kiosk configuration (from the image; apm-kiosk provision fills in [backend])
[kiosk]
state_dir = "state"  # relative to this file
timezone = "WIB"

[backend]
# The backend's address and token come from the provisioning file.
url = "https://backend.invalid"
read_timeout_s = 12.0  # a slow village link

[signature]
trust_anchors = []  # the backend's CA unless set here
"""
    + SIMULATED_DEVICES
)


def fingerprint_of(pem_path: Path) -> str:
    """As a district's staff would copy it: upper-case pairs with colons."""
    digest = hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem_path.read_text())).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, 64, 2)).upper()


class District:
    """The district's staff at the admin API: villages and enrolment tokens."""

    def __init__(self, server: RunningServer) -> None:
        self.server = server
        self.ca = server.ca_cert_path
        self.fingerprint = fingerprint_of(self.ca)

    def admin(self, method: str, path: str, **body: object) -> requests.Response:
        return requests.request(
            method,
            f"{self.server.url}{API}{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.server.admin_token}"},
            verify=str(self.ca),
            timeout=30,
        )

    def enrolment_token(self, label: str = "Balai desa Sumberejo", village: str | None = None):
        made = self.admin("POST", "/admin/enrolments", label=label, village_code=village)
        assert made.status_code == 201, made.text
        return str(made.json()["token"])

    def add_village(self, code: str = OTHER_VILLAGE) -> None:
        village = {
            "name": "Desa Tegalrejo",
            "district": "Merakurak",
            "regency": "Tuban",
            "province": "Jawa Timur",
            "address": "Jl. Raya Tegalrejo 1",
            "head_name": "Sri Wahyuni",
            "code": code,
        }
        added = self.admin("POST", "/admin/villages", village=village, services=["SKD"])
        assert added.status_code == 201, added.text


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[RunningServer]:
    with serving(tmp_path / "server", tls=True) as server:
        yield server


@pytest.fixture
def district(backend: RunningServer) -> District:
    return District(backend)


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def said(self) -> str:
        return self.out + self.err


class Kiosk:
    """A kiosk's /etc/apm-kiosk (its config), and its boot partition (a provisioning file)."""

    def __init__(self, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.config = folder / "kiosk.toml"
        self.config.write_text(CONFIG, encoding="utf-8")
        self.file = folder.parent / "boot" / "firmware" / "apm-provision.toml"
        self.capsys = capsys

    @property
    def token_file(self) -> Path:
        return self.folder / "device-token"

    @property
    def ca_file(self) -> Path:
        return self.folder / "backend-ca.pem"

    def write_file(self, text: str, at: Path | None = None) -> Path:
        path = at or self.file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def provision(self, *args: str, file: Path | None = None) -> Run:
        """`apm-kiosk provision --config ... --file ...` (the real command, in this process)."""
        self.capsys.readouterr()
        command = ["provision", "--config", str(self.config), *args]
        if "--first-boot" not in args or file is not None:
            command += ["--file", str(file or self.file)]
        code = main(command)
        out, err = self.capsys.readouterr()
        return Run(code, out, err)

    def state(self) -> dict[str, bytes | None]:
        """Every file of the kiosk's config folder: what "nothing written" compares."""
        return {
            path.name: path.read_bytes() if path.is_file() else None
            for path in sorted(self.folder.iterdir())
        }


def provisioning_file(
    district: District,
    token: str,
    *,
    village: str = DEMO_VILLAGE,
    fingerprint: str | None = None,
    url: str | None = None,
    label: str = "Balai desa Sumberejo",
) -> str:
    return f"""# Provisioning file for a kiosk of {village} (from the district, 2026-12-01)
village_code = "{village}"
backend_url = "{url or district.server.url}"
enrolment_token = "{token}"  # one time: removed once used
ca_fingerprint = "{fingerprint or district.fingerprint}"
label = "{label}"
"""


@pytest.fixture
def kiosk(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Kiosk:
    return Kiosk(tmp_path / "etc-apm-kiosk", capsys)
