"""The configuration loader: a complete valid object, or every problem named precisely."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from kiosk.config import (
    DEFAULT_CONFIG_PATH,
    ConfigError,
    LoggingSection,
    StorageSection,
    SyncSection,
    TechnicianSection,
    TimeoutsSection,
    config_path,
    load_config,
    load_config_text,
)
from tests.kiosk.conftest import FakeEscposPrinter, FakeEscposSettings, FakeSerialTransport

REPO = Path(__file__).resolve().parents[2]

GOOD = """
[kiosk]
state_dir = "state"
language = "en"
fullscreen = false
screen_width = 1024
screen_height = 768

[backend]
url = "http://127.0.0.1:8080/"
token = "secret-device-token"
connect_timeout_s = 2.5

[signature]
trust_anchors = ["root.pem"]

[devices.receipt_printer]
type = "escpos"
transport = { type = "serial", port = "/dev/ttyUSB0", baudrate = 19200 }

[devices.document_printer]
type = "simulated"

[devices.card_reader]
type = "simulated"
"""

DEVICES = """
[devices.receipt_printer]
type = "escpos"
transport = { type = "simulated" }
[devices.document_printer]
type = "simulated"
[devices.card_reader]
type = "simulated"
"""

LANGUAGE_FR = (
    "kiosk.language: expected id or a language with a translation file (en;"
    ' kiosk/ui/i18n/apm_kiosk_fr.qm is not there), found "fr" (string)'
)


def write(tmp_path: Path, text: str, name: str = "kiosk.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path, registries: Any) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, registries=registries)
    lines = str(caught.value).splitlines()
    assert all(line.startswith(f"{path}: ") for line in lines), lines
    return [line.removeprefix(f"{path}: ") for line in lines]


# --- a good file -------------------------------------------------------------------------


def test_good_file_loads_completely(tmp_path: Path, registries: Any, root_pem: Path) -> None:
    settings = load_config(write(tmp_path, GOOD), registries=registries)
    assert settings.kiosk.language == "en"
    assert settings.kiosk.fullscreen is False
    assert (settings.kiosk.screen_width, settings.kiosk.screen_height) == (1024, 768)
    assert settings.backend.url == "http://127.0.0.1:8080"
    assert settings.backend.connect_timeout_s == 2.5
    assert settings.backend.read_timeout_s == 10.0
    assert settings.backend.verify_tls is True
    assert settings.backend_token() == "secret-device-token"
    assert settings.device_type("receipt_printer") == "escpos"
    assert settings.summary() == (
        "receipt_printer: escpos, document_printer: simulated, card_reader: simulated"
    )


def test_make_device_builds_the_driver_with_its_validated_settings(
    tmp_path: Path, registries: Any, root_pem: Path
) -> None:
    settings = load_config(write(tmp_path, GOOD), registries=registries)
    device: Any = settings.make_device("receipt_printer")
    assert isinstance(device, FakeEscposPrinter)
    assert device.device_id == "receipt_printer"
    assert isinstance(device.settings, FakeEscposSettings)
    transport = device.settings.transport
    assert isinstance(transport, FakeSerialTransport) and transport.baudrate == 19200


def test_relative_paths_are_relative_to_the_file(
    tmp_path: Path, registries: Any, ca_pem: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "token").write_text("from-a-file\n", encoding="utf-8")
    (tmp_path / "etc" / "ca.pem").write_bytes(ca_pem)
    (tmp_path / "etc" / "root.pem").write_bytes(ca_pem)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # not the file's folder
    text = f"""
[kiosk]
state_dir = "state"
[backend]
url = "https://desa.example.id"
token_file = "token"
verify_tls = "ca.pem"
[signature]
trust_anchors = ["root.pem"]
{DEVICES}"""
    settings = load_config(write(tmp_path / "etc", text), registries=registries)
    assert settings.backend_token() == "from-a-file"
    assert settings.backend.verify_tls == tmp_path / "etc" / "ca.pem"
    assert settings.signature.trust_anchors == [tmp_path / "etc" / "root.pem"]
    assert settings.trust_anchor_paths() == [tmp_path / "etc" / "root.pem"]
    assert settings.kiosk.state_dir == tmp_path / "etc" / "state"


def test_state_dir_default_and_environment_override(
    tmp_path: Path, registries: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = f"[backend]\nembedded = true\n{DEVICES}"
    monkeypatch.delenv("APM_KIOSK_STATE_DIR", raising=False)
    settings = load_config(write(tmp_path, text), registries=registries)
    assert settings.state_dir == Path("/var/lib/apm-kiosk")
    monkeypatch.setenv("APM_KIOSK_STATE_DIR", str(tmp_path / "elsewhere"))
    assert settings.state_dir == tmp_path / "elsewhere"


def test_embedded_backend_needs_no_url_or_token(tmp_path: Path, registries: Any) -> None:
    text = f"[backend]\nembedded = true\nembedded_auto_sign_s = 0.5\n{DEVICES}"
    settings = load_config(write(tmp_path, text), registries=registries)
    assert settings.backend.embedded is True
    assert settings.backend.embedded_auto_sign_s == 0.5
    assert settings.signature.trust_anchors == []


def test_embedded_backend_trusts_the_demo_ca_of_its_state_dir(
    tmp_path: Path, registries: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("APM_KIOSK_STATE_DIR", raising=False)
    text = f'[kiosk]\nstate_dir = "state"\n[backend]\nembedded = true\n{DEVICES}'
    settings = load_config(write(tmp_path, text), registries=registries)
    demo_ca = tmp_path / "state" / "embedded-server" / "demo-ca" / "ca.pem"
    assert settings.trust_anchor_paths() == [demo_ca]


def test_load_config_text(tmp_path: Path, registries: Any, root_pem: Path) -> None:
    settings = load_config_text(GOOD, source="<demo>", base_dir=tmp_path, registries=registries)
    assert settings.kiosk.state_dir == tmp_path / "state"
    with pytest.raises(ConfigError, match=r"^<demo>: backend: missing"):
        load_config_text(DEVICES, source="<demo>", base_dir=tmp_path, registries=registries)


def test_config_path_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APM_KIOSK_CONFIG", raising=False)
    assert config_path(None) == DEFAULT_CONFIG_PATH == Path("/etc/apm-kiosk/kiosk.toml")
    monkeypatch.setenv("APM_KIOSK_CONFIG", "/from/env.toml")
    assert config_path(None) == Path("/from/env.toml")
    assert config_path("/from/cli.toml") == Path("/from/cli.toml")


# --- the file itself -----------------------------------------------------------------------


def test_missing_file(tmp_path: Path, registries: Any) -> None:
    assert problems_of(tmp_path / "nope.toml", registries) == ["file not found"]


def test_unreadable_file(tmp_path: Path, registries: Any) -> None:
    # A directory cannot be read as a file even by root (chmod 000 would not stop root).
    (tmp_path / "dir.toml").mkdir()
    [problem] = problems_of(tmp_path / "dir.toml", registries)
    assert "expected a TOML file" in problem


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_file_without_read_permission(tmp_path: Path, registries: Any, root_pem: Path) -> None:
    path = write(tmp_path, GOOD)
    path.chmod(0)
    [problem] = problems_of(path, registries)
    assert problem.startswith("cannot read the file")


def test_not_utf8(tmp_path: Path, registries: Any) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_bytes(b'[kiosk]\nlanguage = "\xff"\n')
    assert problems_of(path, registries) == ["not UTF-8 text (invalid byte 0xff at line 2)"]


def test_toml_syntax_error_names_line_and_column(tmp_path: Path, registries: Any) -> None:
    [problem] = problems_of(write(tmp_path, '[kiosk]\nlanguage = "id\n'), registries)
    assert problem.startswith("not valid TOML")
    assert "line 2" in problem and "column" in problem


# --- keys and values -----------------------------------------------------------------------


def test_wrong_type_names_key_path_expectation_and_value(
    tmp_path: Path, registries: Any, root_pem: Path
) -> None:
    text = GOOD.replace("baudrate = 19200", 'baudrate = "fast"')
    assert problems_of(write(tmp_path, text), registries) == [
        'devices.receipt_printer.transport.baudrate: expected an integer, found "fast" (string)'
    ]


def test_unknown_key_suggests_the_close_one(
    tmp_path: Path, registries: Any, root_pem: Path
) -> None:
    text = GOOD.replace('token = "secret', 'tokn = "secret').replace("baudrate", "baudrat")
    problems = problems_of(write(tmp_path, text), registries)
    assert "backend.tokn: unknown key 'tokn' (did you mean 'token'?)" in problems
    assert (
        "devices.receipt_printer.transport.baudrat: unknown key 'baudrat' "
        "(did you mean 'baudrate'?)" in problems
    )
    assert "backend: missing token (give token or token_file)" in problems


def test_unknown_section_and_role(tmp_path: Path, registries: Any, root_pem: Path) -> None:
    text = GOOD + "\n[kiosck]\nx = 1\n[devices.scaner]\ntype = 'x'\n"
    problems = problems_of(write(tmp_path, text), registries)
    assert "kiosck: unknown key 'kiosck' (did you mean 'kiosk'?)" in problems
    assert any(p.startswith("devices.scaner: unknown key 'scaner'") for p in problems)


def test_every_problem_is_listed_one_per_line(
    tmp_path: Path, registries: Any, root_pem: Path
) -> None:
    text = (
        GOOD.replace('language = "en"', 'language = "fr"')
        .replace("fullscreen = false", 'fullscreen = "no"')
        .replace('url = "http://127.0.0.1:8080/"', 'url = "ftp://x"')
        .replace('type = "simulated"\n\n[devices.card_reader]', 'type = "laser"\n\n[x]')
    )
    problems = problems_of(write(tmp_path, text), registries)
    assert LANGUAGE_FR in problems
    assert 'kiosk.fullscreen: expected true or false, found "no" (string)' in problems
    assert 'backend.url: expected an http:// or https:// URL, found "ftp://x" (string)' in problems
    assert (
        "devices.document_printer.type: unknown type 'laser' (known types: cups, simulated)"
        in problems
    )
    assert len(problems) >= 5


def test_out_of_range_number(tmp_path: Path, registries: Any, root_pem: Path) -> None:
    text = GOOD.replace("connect_timeout_s = 2.5", "connect_timeout_s = 0")
    [problem] = problems_of(write(tmp_path, text), registries)
    assert problem == "backend.connect_timeout_s: expected greater than 0, found 0 (integer)"


def test_missing_sections_and_roles(tmp_path: Path, registries: Any, root_pem: Path) -> None:
    problems = problems_of(write(tmp_path, "[kiosk]\n"), registries)
    assert problems[:2] == ["backend: missing", "devices: missing"]
    text = GOOD.split("[devices.document_printer]")[0]
    problems = problems_of(write(tmp_path, text), registries)
    assert problems == [
        "devices.document_printer: missing (expected a table with a 'type' key)",
        "devices.card_reader: missing (expected a table with a 'type' key)",
    ]


def test_missing_device_key(tmp_path: Path, registries: Any, root_pem: Path) -> None:
    text = GOOD.replace(
        'transport = { type = "serial", port = "/dev/ttyUSB0", baudrate = 19200 }', ""
    )
    assert problems_of(write(tmp_path, text), registries) == [
        "devices.receipt_printer.transport: missing"
    ]
    text = GOOD.replace('port = "/dev/ttyUSB0", ', "")
    assert problems_of(write(tmp_path, text), registries) == [
        "devices.receipt_printer.transport.port: missing"
    ]


def test_unknown_transport_type(tmp_path: Path, registries: Any, root_pem: Path) -> None:
    text = GOOD.replace('type = "serial"', 'type = "usb"')
    [problem] = problems_of(write(tmp_path, text), registries)
    assert problem == (
        "devices.receipt_printer.transport.type: unknown type 'usb' "
        "(known types: simulated, serial, tcp)"
    )


def test_unknown_device_type_lists_the_known_ones(
    tmp_path: Path, registries: Any, root_pem: Path
) -> None:
    text = GOOD.replace('type = "escpos"', 'type = "star"')
    assert problems_of(write(tmp_path, text), registries) == [
        "devices.receipt_printer.type: unknown type 'star' (known types: escpos)"
    ]
    text = GOOD.replace('type = "escpos"\n', "")
    assert problems_of(write(tmp_path, text), registries) == [
        "devices.receipt_printer.type: missing (known types: escpos)"
    ]


def test_both_token_and_token_file(tmp_path: Path, registries: Any, root_pem: Path) -> None:
    (tmp_path / "token").write_text("t", encoding="utf-8")
    text = GOOD.replace("connect_timeout_s", 'token_file = "token"\nconnect_timeout_s')
    assert problems_of(write(tmp_path, text), registries) == [
        "backend: both token and token_file given (expected exactly one)"
    ]


def test_neither_token_nor_url(tmp_path: Path, registries: Any, root_pem: Path) -> None:
    text = (
        f'[backend]\nconnect_timeout_s = 1.0\n[signature]\ntrust_anchors = ["root.pem"]\n{DEVICES}'
    )
    assert problems_of(write(tmp_path, text), registries) == [
        "backend.url: missing (required unless embedded = true)",
        "backend: missing token (give token or token_file)",
    ]


def test_token_file_missing_or_empty(tmp_path: Path, registries: Any, root_pem: Path) -> None:
    text = GOOD.replace('token = "secret-device-token"', 'token_file = "token"')
    assert problems_of(write(tmp_path, text), registries) == [
        f"backend.token_file: file not found: {tmp_path / 'token'}"
    ]
    (tmp_path / "token").write_text("\n", encoding="utf-8")
    assert problems_of(write(tmp_path, text), registries) == [
        f"backend.token_file: {tmp_path / 'token'} is empty"
    ]


def test_missing_trust_anchor_and_ca_bundle(tmp_path: Path, registries: Any) -> None:
    text = GOOD.replace("trust_anchors = []", 'trust_anchors = ["root.pem"]').replace(
        "connect_timeout_s", 'verify_tls = "ca.pem"\nconnect_timeout_s'
    )
    assert problems_of(write(tmp_path, text), registries) == [
        f"backend.verify_tls: CA bundle not found: {tmp_path / 'ca.pem'}",
        f"signature.trust_anchors.0: file not found: {tmp_path / 'root.pem'}",
    ]


# --- trust anchors: required for a real backend --------------------------------------------

ANCHOR_MISSING = (
    "signature.trust_anchors: expected at least one CA certificate file (PEM), "
    "found none (required unless backend.embedded = true)"
)


@pytest.mark.parametrize(
    "signature", ["", "[signature]\n", "[signature]\ntrust_anchors = []\n"], ids=repr
)
def test_url_backend_without_trust_anchor_is_refused(
    tmp_path: Path, registries: Any, signature: str
) -> None:
    text = GOOD.replace('[signature]\ntrust_anchors = ["root.pem"]\n', signature)
    assert problems_of(write(tmp_path, text), registries) == [ANCHOR_MISSING]


def test_trust_anchor_rule_is_reported_with_the_other_problems(
    tmp_path: Path, registries: Any
) -> None:
    text = GOOD.replace('["root.pem"]', "[]").replace('language = "en"', 'language = "fr"')
    problems = problems_of(write(tmp_path, text), registries)
    assert ANCHOR_MISSING in problems
    assert LANGUAGE_FR in problems


def test_trust_anchors_of_the_wrong_type(tmp_path: Path, registries: Any) -> None:
    text = GOOD.replace('["root.pem"]', '"root.pem"')
    assert problems_of(write(tmp_path, text), registries) == [
        'signature.trust_anchors: expected a list, found "root.pem" (string)'
    ]


def test_a_folder_is_not_a_trust_anchor(tmp_path: Path, registries: Any) -> None:
    (tmp_path / "root.pem").mkdir()
    assert problems_of(write(tmp_path, GOOD), registries) == [
        f"signature.trust_anchors.0: file not found: {tmp_path / 'root.pem'}"
    ]


def test_every_trust_anchor_must_exist(tmp_path: Path, registries: Any, root_pem: Path) -> None:
    text = GOOD.replace('["root.pem"]', '["root.pem", "/nonexistent/bsre.pem", "sub/ca.pem"]')
    assert problems_of(write(tmp_path, text), registries) == [
        "signature.trust_anchors.1: file not found: /nonexistent/bsre.pem",
        f"signature.trust_anchors.2: file not found: {tmp_path / 'sub' / 'ca.pem'}",
    ]


def test_embedded_backend_may_still_name_trust_anchors(
    tmp_path: Path, registries: Any, root_pem: Path
) -> None:
    text = f'[backend]\nembedded = true\n[signature]\ntrust_anchors = ["root.pem"]\n{DEVICES}'
    settings = load_config(write(tmp_path, text), registries=registries)
    assert settings.trust_anchor_paths() == [root_pem]


def test_absolute_trust_anchor_path(tmp_path: Path, registries: Any, root_pem: Path) -> None:
    (tmp_path / "conf").mkdir()
    text = GOOD.replace('["root.pem"]', f"[{str(root_pem)!r}]")
    settings = load_config(write(tmp_path / "conf", text), registries=registries)
    assert settings.trust_anchor_paths() == [root_pem]


def test_a_trust_anchor_that_is_not_a_certificate_is_refused_at_check(
    tmp_path: Path, registries: Any
) -> None:
    pem = tmp_path / "root.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n")
    assert problems_of(write(tmp_path, GOOD), registries) == [
        f"signature.trust_anchors.0: {pem}: expected PEM certificate(s), found something else"
    ]
    pem.write_text("a private key, or the wrong file\n")
    assert problems_of(write(tmp_path, GOOD), registries) == [
        f"signature.trust_anchors.0: {pem}: expected PEM certificate(s), found none"
    ]


# --- storage, sync, timeouts, logging --------------------------------------------------------


def test_new_sections_have_their_defaults(tmp_path: Path, registries: Any, root_pem: Path) -> None:
    settings = load_config(write(tmp_path, GOOD), registries=registries)
    assert (settings.storage.retention_days, settings.storage.reprint_limit) == (14.0, 1)
    assert settings.sync.retry_min_s == 1.0 and settings.sync.retry_max_s == 300.0
    assert settings.sync.down_after_failures == 3 and settings.sync.prefetch_every_s == 30.0
    assert (settings.timeouts.identify_s, settings.timeouts.submit_s) == (20.0, 20.0)
    assert settings.timeouts.print_s == 120.0
    assert settings.logging.level == "info" and settings.logging.file is True
    assert (settings.logging.max_bytes, settings.logging.backups) == (2_000_000, 5)


def test_new_sections_are_read(tmp_path: Path, registries: Any, root_pem: Path) -> None:
    text = (
        GOOD
        + """
[storage]
retention_days = 7
reprint_limit = 0
[sync]
retry_min_s = 0.5
retry_max_s = 60
down_after_failures = 5
prefetch_every_s = 10.0
[timeouts]
identify_s = 15
submit_s = 30.0
print_s = 90
[logging]
level = "debug"
file = false
max_bytes = 100000
backups = 2
"""
    )
    settings = load_config(write(tmp_path, text), registries=registries)
    assert (settings.storage.retention_days, settings.storage.reprint_limit) == (7, 0)
    assert (settings.sync.retry_min_s, settings.sync.retry_max_s) == (0.5, 60)
    assert (settings.sync.down_after_failures, settings.sync.prefetch_every_s) == (5, 10.0)
    timeouts = settings.timeouts
    assert (timeouts.identify_s, timeouts.submit_s, timeouts.print_s) == (15, 30.0, 90)
    assert (settings.logging.level, settings.logging.file) == ("debug", False)
    assert (settings.logging.max_bytes, settings.logging.backups) == (100_000, 2)


def test_wrong_type_in_sync_names_file_key_expectation_and_value(
    tmp_path: Path, registries: Any, root_pem: Path
) -> None:
    path = write(tmp_path, GOOD + '\n[sync]\nretry_max_s = "5m"\ndown_after_failures = 2.5\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path, registries=registries)
    assert str(caught.value).splitlines() == [
        f'{path}: sync.retry_max_s: expected a number, found "5m" (string)',
        f"{path}: sync.down_after_failures: expected an integer, found 2.5 (number)",
    ]


def test_new_sections_reject_bad_values(tmp_path: Path, registries: Any, root_pem: Path) -> None:
    text = (
        GOOD
        + """
[storage]
retention_days = 0
reprint_limit = 9
[timeouts]
print_s = true
[logging]
level = "verbose"
rotate = true
"""
    )
    problems = problems_of(write(tmp_path, text), registries)
    assert problems == [
        "storage.retention_days: expected greater than 0, found 0 (integer)",
        "storage.reprint_limit: expected less than or equal to 5, found 9 (integer)",
        "timeouts.print_s: expected a number, found true (boolean)",
        "logging.level: expected 'debug', 'info', 'warning' or 'error', found \"verbose\" (string)",
        "logging.rotate: unknown key 'rotate'",
    ]


def test_role_without_installed_drivers(tmp_path: Path, registries: Any, root_pem: Path) -> None:
    registries["card_reader"] = None
    assert problems_of(write(tmp_path, GOOD), registries) == [
        "devices.card_reader: no drivers installed for this role"
    ]


# --- the shipped examples, with the real drivers ---------------------------------------------


SHIPPED = [
    "simulated.toml",
    "escpos-serial.toml",
    "escpos-network.toml",
    "escpos-usb.toml",
    "cups-a4.toml",
    "pcsc.toml",
]
WITH_A_BACKEND = SHIPPED[1:]


@pytest.fixture
def real_registries() -> Any:
    """The shipped examples name real drivers and transports (usb, cups, ...)."""
    from kiosk.config import default_registries

    return default_registries()


def install_example(name: str, folder: Path, ca_pem: bytes | None) -> Path:
    """The example as a technician installs it: the file in a folder, and the national
    CA root (BSrE) at trust/bsre-root.pem next to it (unless ca_pem is None)."""
    path = folder / name
    shutil.copyfile(REPO / "config" / name, path)
    if ca_pem is not None:
        (folder / "trust").mkdir(exist_ok=True)
        (folder / "trust" / "bsre-root.pem").write_bytes(ca_pem)
    return path


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_configs_load_with_the_real_drivers(
    name: str, tmp_path: Path, ca_pem: bytes
) -> None:
    from kiosk.config import default_registries

    missing = [role for role, registry in default_registries().items() if registry is None]
    if missing:
        pytest.skip(f"driver layers not installed yet: {missing}")
    settings = load_config(install_example(name, tmp_path, ca_pem))
    expected = "cups" if name == "cups-a4.toml" else "simulated"
    assert settings.device_type("document_printer") == expected


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_configs_are_valid_for_the_loader(
    name: str, tmp_path: Path, real_registries: Any, ca_pem: bytes
) -> None:
    settings = load_config(install_example(name, tmp_path, ca_pem), registries=real_registries)
    assert settings.device_type("receipt_printer") == "escpos"


@pytest.mark.parametrize("name", WITH_A_BACKEND)
def test_shipped_configs_with_a_backend_trust_the_root_next_to_them(
    name: str, tmp_path: Path, real_registries: Any, ca_pem: bytes
) -> None:
    settings = load_config(install_example(name, tmp_path, ca_pem), registries=real_registries)
    assert settings.trust_anchor_paths() == [tmp_path / "trust" / "bsre-root.pem"]


@pytest.mark.parametrize("name", WITH_A_BACKEND)
def test_shipped_configs_with_a_backend_say_where_the_root_is_missing(
    name: str, tmp_path: Path, real_registries: Any
) -> None:
    path = install_example(name, tmp_path, ca_pem=None)
    assert problems_of(path, real_registries) == [
        f"signature.trust_anchors.0: file not found: {tmp_path / 'trust' / 'bsre-root.pem'}"
    ]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_configs_document_the_defaults_of_the_optional_sections(
    name: str, tmp_path: Path, real_registries: Any, ca_pem: bytes
) -> None:
    path = install_example(name, tmp_path, ca_pem)
    text = path.read_text(encoding="utf-8")
    for section in ("storage", "sync", "timeouts", "logging", "technician"):
        assert f"\n[{section}]\n" in text, f"{name} does not document [{section}]"
    # Uncommenting every documented `# key = value` must change nothing: they are the defaults.
    uncommented = re.sub(r"(?m)^# ([a-z_]+ = \S+)", r"\1", text)
    assert uncommented.count("\n# ") < text.count("\n# ")
    path.write_text(uncommented, encoding="utf-8")
    settings = load_config(path, registries=real_registries)
    assert settings.storage == StorageSection()
    assert settings.sync == SyncSection()
    assert settings.timeouts == TimeoutsSection()
    assert settings.logging == LoggingSection()
    assert settings.technician == TechnicianSection()
    documented = set(re.findall(r"(?m)^([a-z_]+) = ", uncommented))
    documented |= set(re.findall(r"(?m)^#   ([a-z_]+) = ", text))  # shown, no default
    for model in (StorageSection, SyncSection, TimeoutsSection, LoggingSection, TechnicianSection):
        assert set(model.model_fields) <= documented, f"{name}: {model.__name__}"


def test_idle_timeouts_by_screen(tmp_path: Path, registries: Any, root_pem: Path) -> None:
    text = GOOD + "\n[timeouts]\nidle_s = { form = 180, done = 15 }\n"
    settings = load_config(write(tmp_path, text), registries=registries)
    assert settings.timeouts.idle_s == {"form": 180, "done": 15}
    text = GOOD + "\n[timeouts]\nidle_s = { attract = 30 }\n"
    [problem] = problems_of(write(tmp_path, text), registries)
    assert problem.startswith("timeouts.idle_s.attract: expected 'identify', 'services', ")
    text = GOOD + "\n[timeouts]\nidle_s = { form = 5 }\n"
    [problem] = problems_of(write(tmp_path, text), registries)
    assert problem == (
        "timeouts.idle_s.form: expected greater than or equal to 10, found 5 (integer)"
    )
