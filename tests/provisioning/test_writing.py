"""The pieces provisioning writes with: all-or-nothing replacement of several real files,
and the config edited in place (comments and other keys kept)."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest
import tomlkit

from kiosk.provisioning.config_edit import already_provisioned, provisioned_text
from kiosk.provisioning.file import remove_enrolment_token
from kiosk.provisioning.writing import WriteFailed, replace_all, stage_file


def files_in(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_a_failed_rename_puts_back_every_file_already_replaced(tmp_path: Path):
    (tmp_path / "device-token").write_text("old-token\n")
    (tmp_path / "kiosk.toml").write_text("# old config\n")
    (tmp_path / "backend-ca.pem").mkdir()  # a folder where the CA file should go
    before = files_in(tmp_path)
    staged = [
        stage_file(tmp_path / "device-token", b"new-token\n", mode=0o600),
        stage_file(tmp_path / "backend-ca.pem", b"-----BEGIN CERTIFICATE-----\n", mode=0o644),
        stage_file(tmp_path / "kiosk.toml", b"# new config\n", mode=0o644),
    ]

    with pytest.raises(WriteFailed) as failed:
        replace_all(staged)

    assert failed.value.target == tmp_path / "backend-ca.pem"
    assert failed.value.restored == [tmp_path / "device-token"]
    assert files_in(tmp_path) == before  # the old token is back; no temporary file left


def test_a_failed_check_puts_back_the_old_files_and_removes_new_ones(tmp_path: Path):
    (tmp_path / "kiosk.toml").write_text("# old config\n")
    staged = [
        stage_file(tmp_path / "device-token", b"new-token\n", mode=0o600),
        stage_file(tmp_path / "kiosk.toml", b"# new config\n", mode=0o644),
    ]

    def check() -> None:
        assert (tmp_path / "kiosk.toml").read_text() == "# new config\n"  # all in place
        raise ValueError("the new config does not load")

    with pytest.raises(ValueError):
        replace_all(staged, check=check)
    assert files_in(tmp_path) == {"kiosk.toml": b"# old config\n"}


def test_all_replaced_leaves_no_copies_and_the_token_private_from_the_start(tmp_path: Path):
    (tmp_path / "device-token").write_text("old-token\n")
    staged = stage_file(tmp_path / "device-token", b"new-token\n", mode=0o600)
    assert stat.S_IMODE(staged.temp.stat().st_mode) == 0o600  # before any rename
    replace_all([staged])
    assert files_in(tmp_path) == {"device-token": b"new-token\n"}
    assert stat.S_IMODE((tmp_path / "device-token").stat().st_mode) == 0o600


def edited(text: str) -> dict:
    return tomllib.loads(
        provisioned_text(
            tomlkit.parse(text),
            url="https://apm.example.id",
            token_file="/etc/apm-kiosk/device-token",
            ca_file="/etc/apm-kiosk/backend-ca.pem",
        )
    )


def test_the_config_gets_the_backend_and_loses_a_token_written_in_it():
    data = edited(
        '[backend]\nurl = "http://127.0.0.1:8080"\ntoken = "demo-kiosk-token"\n'
        "embedded = true\nconnect_timeout_s = 4.0\n"
    )
    assert data["backend"] == {
        "url": "https://apm.example.id",
        "token_file": "/etc/apm-kiosk/device-token",
        "verify_tls": "/etc/apm-kiosk/backend-ca.pem",
        "embedded": False,
        "connect_timeout_s": 4.0,
    }
    assert data["signature"] == {"trust_anchors": ["/etc/apm-kiosk/backend-ca.pem"]}


def test_trust_anchors_already_set_are_kept_and_missing_tables_are_made():
    kept = edited('[signature]\ntrust_anchors = ["/etc/apm-kiosk/bsre-root.pem"]\n')
    assert kept["signature"]["trust_anchors"] == ["/etc/apm-kiosk/bsre-root.pem"]
    assert kept["backend"]["url"] == "https://apm.example.id"
    inline = edited('backend = { url = "http://x.invalid", read_timeout_s = 9.0 }\n')
    assert inline["backend"]["read_timeout_s"] == 9.0
    assert inline["backend"]["url"] == "https://apm.example.id"


def test_provisioned_means_a_token_file_named_and_not_empty(tmp_path: Path):
    config = tmp_path / "kiosk.toml"
    config.write_text('[backend]\nurl = "https://x.invalid"\ntoken_file = "device-token"\n')
    assert already_provisioned(config) is None  # named, not there yet
    (tmp_path / "device-token").write_text("\n")
    assert already_provisioned(config) is None  # empty
    (tmp_path / "device-token").write_text("a-device-token\n")
    assert already_provisioned(config) is not None
    assert already_provisioned(tmp_path / "missing.toml") is None


def test_the_token_line_alone_leaves_the_provisioning_file(tmp_path: Path):
    file = tmp_path / "apm-provision.toml"
    file.write_text(
        "# from the district\n"
        'village_code = "35.23.01.2001"  # Sumberejo\n'
        'enrolment_token = "abcdefghijklmnopqrstuvwxyz"  # one time\n'
        'ca_fingerprint = "AB:CD"\n'
    )
    file.chmod(0o640)
    assert remove_enrolment_token(file).outcome == "removed"
    assert file.read_text() == (
        "# from the district\n"
        'village_code = "35.23.01.2001"  # Sumberejo\n'
        'ca_fingerprint = "AB:CD"\n'
    )
    assert stat.S_IMODE(file.stat().st_mode) == 0o640
    assert remove_enrolment_token(file).outcome == "absent"
    assert [p.name for p in tmp_path.iterdir()] == ["apm-provision.toml"]
