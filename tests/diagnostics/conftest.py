"""`apm-kiosk diag` as a technician runs it: a separate process, on a config file, against
simulated and emulated devices and a real reference backend on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from apm_server.app import RunningServer
from tests.harness import REPO, SIMULATED_DEVICES, serving


@dataclass
class DiagRun:
    code: int
    stdout: str
    stderr: str

    @property
    def report(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.stdout)
        return parsed

    def check(self, area: str, name: str) -> dict[str, Any]:
        found = [c for c in self.report["checks"] if (c["area"], c["name"]) == (area, name)]
        assert found, f"no check {area}/{name} in {[c['name'] for c in self.report['checks']]}"
        return found[0]


def run_diag(*args: str, timeout_s: float = 120.0) -> DiagRun:
    env = {k: v for k, v in os.environ.items() if k not in ("APM_KIOSK_STATE_DIR",)}
    done = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "diag", *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        cwd=REPO,
        env=env,
        check=False,
    )
    return DiagRun(done.returncode, done.stdout, done.stderr)


def kiosk_config(
    tmp_path: Path,
    *,
    url: str,
    token: str = "demo-kiosk-token",
    ca: Path | None = None,
    devices: str = SIMULATED_DEVICES,
    name: str = "kiosk.toml",
    extra: str = "",
) -> Path:
    if ca is None:  # no backend of ours: any CA will do for the config to load
        from apm_server.signing import ensure_demo_ca

        ca = ensure_demo_ca(tmp_path / "some-ca", "Kepala Desa", "Desa").ca_cert
    anchors = f'trust_anchors = ["{ca.as_posix()}"]'
    path = tmp_path / name
    path.write_text(
        f"""[kiosk]
state_dir = "{(tmp_path / "state").as_posix()}"
fullscreen = false
[backend]
url = "{url}"
token = "{token}"
connect_timeout_s = 1.0
read_timeout_s = 3.0
[signature]
{anchors}
{extra}
{devices}""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[RunningServer]:
    with serving(tmp_path / "server", auto_sign_delay_s=None) as running:
        yield running


@pytest.fixture
def config_for(tmp_path: Path, backend: RunningServer) -> Callable[..., Path]:
    def make(**options: Any) -> Path:
        options.setdefault("url", backend.url)
        options.setdefault("token", backend.kiosk_token)
        options.setdefault("ca", backend.ca_cert_path)
        return kiosk_config(tmp_path, **options)

    return make
