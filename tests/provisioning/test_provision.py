"""`apm-kiosk provision` end to end against the reference backend over HTTPS on loopback:
a good file enrols the kiosk and writes its config; a wrong CA fingerprint, a reused token,
a kiosk put in another village, an unreachable backend and a config that could not load
are refused with nothing written."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from apm_server.app import RunningServer
from apm_server.signing import ensure_demo_ca
from kiosk.backend.client import BackendClient
from kiosk.cli import main
from kiosk.config import load_config
from tests.harness import REPO, free_port, serving

from .conftest import (
    CONFIG,
    DEMO_VILLAGE,
    OTHER_VILLAGE,
    District,
    Kiosk,
    fingerprint_of,
    provisioning_file,
)


def test_a_good_file_enrols_the_kiosk_and_writes_its_config(
    kiosk: Kiosk, district: District, backend: RunningServer
):
    token = district.enrolment_token()
    kiosk.write_file(provisioning_file(district, token))

    run = kiosk.provision()

    assert run.code == 0, run.said
    assert "Backend CA certificate matches the fingerprint " + district.fingerprint in run.out
    assert f"of village {DEMO_VILLAGE}, served by {backend.url}" in run.out
    device_token = kiosk.token_file.read_text().strip()
    # Neither token is ever shown whole; the last four characters of each may be.
    assert token not in run.said and device_token not in run.said
    assert f"…{token[-4:]}" in run.out and f"…{device_token[-4:]}" in run.out
    # The token file: only its owner may read it.
    assert stat.S_IMODE(kiosk.token_file.stat().st_mode) == 0o600
    assert kiosk.ca_file.read_bytes() == backend.ca_cert_path.read_bytes()

    # The config, edited in place: the backend set, every other line and comment kept.
    written = kiosk.config.read_text()
    data = tomllib.loads(written)
    assert data["backend"] == {
        "url": backend.url,
        "read_timeout_s": 12.0,
        "token_file": str(kiosk.token_file),
        "verify_tls": str(kiosk.ca_file),
    }
    assert data["signature"]["trust_anchors"] == [str(kiosk.ca_file)]
    kept = [line for line in CONFIG.splitlines() if not line.startswith(("url =", "trust"))]
    assert [line for line in written.splitlines() if line in kept] == kept  # and in order
    assert "# The backend's address and token come from the provisioning file." in kept

    # `apm-kiosk config check` passes, and the kiosk talks to its backend with its token.
    assert main(["config", "check", str(kiosk.config)]) == 0
    settings = load_config(kiosk.config)
    client = BackendClient(
        settings.backend.url or "",
        settings.backend_token(),
        verify_tls=settings.backend.verify_tls,
    )
    try:
        config = client.kiosk_config()
    finally:
        client.close()
    assert config.village.code == DEMO_VILLAGE
    assert f"this kiosk is {config.kiosk_id} (Balai desa Sumberejo)" in run.out

    # The used token is gone from the provisioning file; the rest of it stays.
    left = kiosk.file.read_text()
    assert "enrolment_token" not in left and token not in left
    assert left.startswith("# Provisioning file for a kiosk of 35.23.01.2001")
    assert tomllib.loads(left)["ca_fingerprint"] == district.fingerprint


def test_a_wrong_ca_fingerprint_is_refused_before_the_token_is_sent(
    kiosk: Kiosk, district: District, tmp_path: Path
):
    # The fingerprint of another CA: what a file for another district, or a machine in
    # the middle with a CA of its own, would show.
    other = ensure_demo_ca(tmp_path / "other-ca", "Someone Else", "Elsewhere")
    wrong = fingerprint_of(other.ca_cert)
    token = district.enrolment_token()
    kiosk.write_file(provisioning_file(district, token, fingerprint=wrong))
    before = kiosk.state()
    file_before = kiosk.file.read_bytes()

    run = kiosk.provision()

    assert run.code == 1, run.said
    assert f"expected (file): {wrong}" in run.err
    assert f"found (backend): {district.fingerprint}" in run.err
    assert "The enrolment token was NOT sent" in run.err
    assert kiosk.state() == before  # no config change, no token file, no CA
    assert kiosk.file.read_bytes() == file_before  # the token stays for a correct run
    # Proof it was never sent: the same token enrols the kiosk once the file is right.
    kiosk.write_file(provisioning_file(district, token))
    again = kiosk.provision()
    assert again.code == 0, again.said


def test_a_reused_token_is_refused_and_changes_nothing(
    kiosk: Kiosk, district: District, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    token = district.enrolment_token()
    first = Kiosk(tmp_path / "first-kiosk", capsys)
    first.write_file(provisioning_file(district, token))
    assert first.provision().code == 0
    # A second kiosk set up from a copy of the same file.
    kiosk.write_file(provisioning_file(district, token))
    before = kiosk.state()

    run = kiosk.provision()

    assert run.code == 1, run.said
    assert f"did not accept the enrolment token …{token[-4:]}" in run.err
    assert "already used" in run.err and "Nothing was written" in run.err
    assert kiosk.state() == before
    assert main(["config", "check", str(kiosk.config)]) == 2  # still unprovisioned
    # Refused for good: the token is taken out of the file all the same.
    assert "enrolment_token" not in kiosk.file.read_text()


def test_an_unknown_token_is_refused_in_the_backends_words(kiosk: Kiosk, district: District):
    kiosk.write_file(provisioning_file(district, "never-made-by-the-district-0123"))
    before = kiosk.state()
    run = kiosk.provision()
    assert run.code == 1
    assert "unknown enrolment token" in run.err
    assert "Ask the district for a new enrolment token" in run.err
    assert kiosk.state() == before


def test_a_kiosk_enrolled_in_another_village_is_refused(kiosk: Kiosk, district: District):
    district.add_village(OTHER_VILLAGE)
    token = district.enrolment_token(village=OTHER_VILLAGE)  # a token for another village
    kiosk.write_file(provisioning_file(district, token, village=DEMO_VILLAGE))
    before = kiosk.state()

    run = kiosk.provision()

    assert run.code == 1, run.said
    assert f"in village {OTHER_VILLAGE}, but the provisioning file says village {DEMO_VILLAGE}" in (
        run.err
    )
    assert "Ask the district to revoke kiosk KIOSK-" in run.err
    assert kiosk.state() == before
    assert "enrolment_token" not in kiosk.file.read_text()  # it was used


def test_an_unreachable_backend_names_the_url_and_keeps_the_token(kiosk: Kiosk, district: District):
    url = f"https://127.0.0.1:{free_port()}"  # nothing listens there
    token = district.enrolment_token()
    kiosk.write_file(provisioning_file(district, token, url=url))
    before, file_before = kiosk.state(), kiosk.file.read_bytes()

    run = kiosk.provision()

    assert run.code == 1
    assert f"GET {url}/api/v1/ca-certificate: cannot connect" in run.err
    assert kiosk.state() == before and kiosk.file.read_bytes() == file_before


def test_a_config_that_would_not_load_is_found_before_the_token_is_spent(
    kiosk: Kiosk, district: District
):
    broken = CONFIG.replace('type = "simulated"\nprint_delay_s', 'type = "laser"\nprint_delay_s')
    kiosk.config.write_text(broken)
    token = district.enrolment_token()
    kiosk.write_file(provisioning_file(district, token))
    before = kiosk.state()

    run = kiosk.provision()

    assert run.code == 2, run.said
    assert "would not be valid once provisioned" in run.err
    assert "devices.document_printer.type: unknown type 'laser'" in run.err
    assert "the enrolment token was not used" in run.err
    assert kiosk.state() == before and token in kiosk.file.read_text()
    kiosk.config.write_text(CONFIG)  # mended: the same token still works
    assert kiosk.provision().code == 0


def test_a_provisioned_kiosk_can_be_provisioned_again_by_hand(kiosk: Kiosk, district: District):
    kiosk.write_file(provisioning_file(district, district.enrolment_token()))
    assert kiosk.provision().code == 0
    first_token = kiosk.token_file.read_text()
    kiosk.write_file(provisioning_file(district, district.enrolment_token("Balai desa (baru)")))

    run = kiosk.provision()

    assert run.code == 0, run.said
    assert kiosk.token_file.read_text() != first_token
    assert main(["config", "check", str(kiosk.config)]) == 0
    assert "(Balai desa (baru))" in run.out


def test_plain_http_is_allowed_to_this_machine_only(kiosk: Kiosk, tmp_path: Path):
    with serving(tmp_path / "plain-server") as plain:
        district = District(plain)
        kiosk.write_file(provisioning_file(district, district.enrolment_token()))
        run = kiosk.provision()
        assert run.code == 0, run.said
        assert tomllib.loads(kiosk.config.read_text())["backend"]["url"] == plain.url

    other = Kiosk(tmp_path / "other", kiosk.capsys)
    other.write_file(
        provisioning_file(district, "a-token-never-sent-anywhere", url="http://192.0.2.7:8080")
    )
    before = other.state()
    run = other.provision()
    assert run.code == 2
    assert f"{other.file}: backend_url: expected an https:// URL (plain http://" in run.err
    assert "allowed only to this machine: localhost, 127.0.0.1 or ::1" in run.err
    assert 'found "http://192.0.2.7:8080" (string)' in run.err
    assert other.state() == before


GOOD = {
    "village_code": '"35.23.01.2001"',
    "backend_url": '"https://127.0.0.1:9"',
    "enrolment_token": '"' + "t" * 43 + '"',
    "ca_fingerprint": '"' + "ab" * 32 + '"',
}


def toml(values: dict[str, str]) -> str:
    return "".join(f"{key} = {value}\n" for key, value in values.items())


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            toml({k: v for k, v in GOOD.items() if k != "ca_fingerprint"}),
            "ca_fingerprint: missing",
        ),
        (
            toml({**GOOD, "ca_fingerprint": '"93:D1:71:83"'}),
            "ca_fingerprint: expected the SHA-256 fingerprint of the backend's CA certificate: "
            '64 hex digits (colons or spaces between pairs allowed), found "93:D1:71:83" (string)',
        ),
        (
            toml({**GOOD, "ca_fingerprint": '"' + "zz" * 32 + '"'}),
            "ca_fingerprint: expected the SHA-256 fingerprint",
        ),
        (toml(GOOD) + 'label = "unterminated\n', "not valid TOML: "),
        (toml({**GOOD, "village_code": "3523012001"}), "village_code: expected a string, found"),
        (
            toml({**GOOD, "backend_ur": '"x"'}),
            "backend_ur: unknown key 'backend_ur' (did you mean 'backend_url'?)",
        ),
        (toml({**GOOD, "backend_url": '"ftp://example.org"'}), "backend_url: expected an https://"),
        (
            toml({k: v for k, v in GOOD.items() if k != "enrolment_token"}),
            "enrolment_token: missing (a token is taken out of this file once it has been used",
        ),
        (toml({**GOOD, "enrolment_token": '"short"'}), "enrolment_token: expected"),
    ],
)
def test_malformed_files_say_which_key_and_what_is_wrong(kiosk: Kiosk, text: str, said: str):
    kiosk.write_file(text)
    before = kiosk.state()
    run = kiosk.provision()
    assert run.code == 2
    assert f"{kiosk.file}: {said}" in run.err, run.err
    assert "Traceback" not in run.said
    assert kiosk.state() == before


def test_a_fingerprint_may_be_written_in_any_case_with_spaces(kiosk: Kiosk, district: District):
    spaced = district.fingerprint.lower().replace(":", " ")
    kiosk.write_file(provisioning_file(district, district.enrolment_token(), fingerprint=spaced))
    assert kiosk.provision().code == 0


def test_a_missing_config_is_said_plainly(kiosk: Kiosk, district: District):
    kiosk.config.unlink()
    token = district.enrolment_token()
    kiosk.write_file(provisioning_file(district, token))
    run = kiosk.provision()
    assert run.code == 2
    assert f"{kiosk.config}: file not found" in run.err
    assert token in kiosk.file.read_text()


# --- the first-boot service -------------------------------------------------------------------


def search_in(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Path]:
    """The first boot's search folders, under tmp_path (a boot partition, USB sticks)."""
    places = {"boot": tmp_path / "boot" / "firmware", "media": tmp_path / "media"}
    for place in places.values():
        place.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv(
        "APM_KIOSK_PROVISION_PATHS", f"{places['boot']}:{places['media']}/*/*:{places['media']}/*"
    )
    return places


def test_first_boot_without_a_provisioning_file_does_nothing(
    kiosk: Kiosk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    places = search_in(monkeypatch, tmp_path)
    before = kiosk.state()
    run = kiosk.provision("--first-boot")
    assert run.code == 0, run.said
    assert "No provisioning file found" in run.err and str(places["boot"]) in run.err
    assert kiosk.state() == before
    # By hand, no file is a mistake worth an exit code.
    assert main(["provision", "--config", str(kiosk.config)]) == 2


def test_first_boot_on_a_provisioned_kiosk_does_nothing(
    kiosk: Kiosk, district: District, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    kiosk.write_file(provisioning_file(district, district.enrolment_token()))
    assert kiosk.provision().code == 0
    search_in(monkeypatch, tmp_path)
    fresh = provisioning_file(district, district.enrolment_token())
    kiosk.write_file(fresh)  # left in /boot/firmware, with a token not yet used
    before = kiosk.state()

    run = kiosk.provision("--first-boot")

    assert run.code == 0, run.said
    assert f"already provisioned (its device token file {kiosk.token_file} exists)" in run.err
    assert kiosk.state() == before and kiosk.file.read_text() == fresh


def test_first_boot_finds_the_file_on_a_usb_stick_and_provisions(
    kiosk: Kiosk, district: District, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """As the first-boot service runs it: the real command in its own process."""
    places = search_in(monkeypatch, tmp_path)
    stick = places["media"] / "teknisi" / "KIOSK-USB" / "apm-provision.toml"
    kiosk.write_file(provisioning_file(district, district.enrolment_token()), at=stick)

    done = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "provision", "--first-boot",
         "--config", str(kiosk.config)],
        cwd=REPO, capture_output=True, text=True, timeout=120, env=dict(os.environ),
    )  # fmt: skip

    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Provisioning file {stick}" in done.stderr
    assert "INFO kiosk.provisioning: Done: this kiosk is KIOSK-" in done.stderr
    assert main(["config", "check", str(kiosk.config)]) == 0
    assert "enrolment_token" not in stick.read_text()


def test_first_boot_with_an_unusable_file_fails(
    kiosk: Kiosk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    places = search_in(monkeypatch, tmp_path)
    kiosk.write_file(
        toml({**GOOD, "ca_fingerprint": '"12"'}), at=places["boot"] / "apm-provision.toml"
    )
    run = kiosk.provision("--first-boot")
    assert run.code == 2
    assert "ca_fingerprint: expected the SHA-256 fingerprint" in run.err


# --- a provisioning file on a read-only medium ------------------------------------------------


def test_a_file_on_a_read_only_medium_is_said_and_provisioning_goes_on(
    kiosk: Kiosk, district: District, tmp_path: Path
):
    stick = tmp_path / "stick"
    mounted = tmp_path / "media" / "STICK"
    mounted.mkdir(parents=True)
    token = district.enrolment_token()
    kiosk.write_file(provisioning_file(district, token), at=stick / "apm-provision.toml")
    if not read_only_bind(stick, mounted):
        pytest.skip("needs root to mount a read-only copy of a folder (mount --bind)")
    try:
        run = kiosk.provision(file=mounted / "apm-provision.toml")
    finally:
        subprocess.run(["umount", str(mounted)], check=True)
    assert run.code == 0, run.said
    assert "Could not remove the used enrolment token" in run.err
    assert "read-only medium" in run.err and "remove the enrolment_token line by hand" in run.err
    assert main(["config", "check", str(kiosk.config)]) == 0


def read_only_bind(source: Path, target: Path) -> bool:
    if os.geteuid() != 0:
        return False
    bound = subprocess.run(["mount", "--bind", str(source), str(target)], capture_output=True)
    if bound.returncode != 0:
        return False
    remount = subprocess.run(["mount", "-o", "remount,ro,bind", str(target)], capture_output=True)
    if remount.returncode != 0:
        subprocess.run(["umount", str(target)])
        return False
    return True


# --- a machine in the middle --------------------------------------------------------------


class MachineInTheMiddle:
    """An HTTPS server with a certificate of its own CA that hands out the real backend's
    CA certificate (so the fingerprint matches) and keeps whatever is posted to it."""

    def __init__(self, real_ca: Path, folder: Path) -> None:
        import ssl
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from apm_server.tls import ensure_server_certificate

        own_ca = ensure_demo_ca(folder, "Mallory", "Nowhere")
        cert, key = ensure_server_certificate(own_ca, ["127.0.0.1"])
        self.posted: list[bytes] = []
        pem = real_ca.read_bytes()
        posted = self.posted

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/x-pem-file")
                self.send_header("Content-Length", str(len(pem)))
                self.end_headers()
                self.wfile.write(pem)

            def do_POST(self) -> None:
                posted.append(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(500)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_machine_in_the_middle_with_the_real_ca_never_gets_the_token(
    kiosk: Kiosk, district: District, tmp_path: Path
):
    middle = MachineInTheMiddle(district.ca, tmp_path / "mallory")
    try:
        token = district.enrolment_token()
        kiosk.write_file(provisioning_file(district, token, url=middle.url))
        before, file_before = kiosk.state(), kiosk.file.read_bytes()

        run = kiosk.provision()
    finally:
        middle.stop()

    assert run.code == 1, run.said
    assert "matches the fingerprint" in run.out  # the CA it handed out was the real one
    assert f"POST {middle.url}/api/v1/enrol: TLS failed: the server's certificate is not" in (
        run.err
    )
    assert middle.posted == []  # the TLS check stopped the token before it left
    assert kiosk.state() == before and kiosk.file.read_bytes() == file_before


def test_a_config_folder_that_cannot_be_written_is_found_before_the_token_is_spent(
    kiosk: Kiosk, district: District
):
    kiosk.ca_file.mkdir()  # a folder where the CA file would go
    token = district.enrolment_token()
    kiosk.write_file(provisioning_file(district, token))
    run = kiosk.provision()
    assert run.code == 2, run.said
    assert f"Cannot write {kiosk.ca_file}: a folder is in the way" in run.err
    assert "the enrolment token was not used" in run.err
    assert token in kiosk.file.read_text()
    assert not kiosk.token_file.exists()

    kiosk.ca_file.rmdir()
    if not read_only_bind(kiosk.folder, kiosk.folder):
        return  # the read-only case needs root (mount --bind)
    try:
        run = kiosk.provision()
    finally:
        subprocess.run(["umount", str(kiosk.folder)], check=True)
    assert run.code == 2, run.said
    assert f"Cannot write {kiosk.token_file}: Read-only file system" in run.err
    assert kiosk.provision().code == 0  # writable again: the same token still works
