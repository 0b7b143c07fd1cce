"""The shipped example configs for wedge and serial readers load with the real drivers,
as a technician installs them (with the national CA root next to the file)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cardreader.evdev_reader import EvdevCardReader
from cardreader.serial_reader import SerialCardReader
from kiosk.config import load_config
from tests.kiosk.conftest import make_ca_pem

REPO = Path(__file__).resolve().parents[2]


def installed(name: str, folder: Path) -> Path:
    path = folder / name
    shutil.copyfile(REPO / "config" / name, path)
    (folder / "trust").mkdir()
    (folder / "trust" / "bsre-root.pem").write_bytes(make_ca_pem())
    return path


def test_the_wedge_reader_example(tmp_path: Path):
    settings = load_config(installed("wedge-reader.toml", tmp_path))
    assert settings.device_type("card_reader") == "evdev"
    reader = settings.device_settings("card_reader")
    assert reader.device.startswith("/dev/input/by-id/")  # type: ignore[attr-defined]
    assert reader.grab and reader.uid_format == "auto"  # type: ignore[attr-defined]
    device = settings.make_device("card_reader")
    assert isinstance(device, EvdevCardReader)
    device.close()


def test_the_serial_reader_example(tmp_path: Path):
    settings = load_config(installed("serial-reader.toml", tmp_path))
    assert settings.device_type("card_reader") == "serial"
    reader = settings.device_settings("card_reader")
    assert (reader.prefix, reader.suffix) == ("\x02", "\x03")  # type: ignore[attr-defined]
    device = settings.make_device("card_reader")
    assert isinstance(device, SerialCardReader)
    device.close()


@pytest.mark.parametrize("name", ["wedge-reader.toml", "serial-reader.toml"])
def test_the_examples_pass_the_config_check(name: str, tmp_path: Path):
    path = installed(name, tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "config", "check", str(path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "card_reader: " + ("evdev" if "wedge" in name else "serial") in result.stdout
