"""The reference backend over HTTPS: a server certificate from its demo CA, the CA told to
kiosks about to enrol (GET /ca-certificate), and the enrolled kiosk's village said in the
Enrolled answer. Real TLS on loopback, verified by the demo CA as a provisioned kiosk does."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from apm_server.tls import SERVER_CERT, fingerprint
from tests.databases import database_url
from tests.harness import REPO, free_port, serving, start_reference_server

from .conftest import API, OpenApiCheck


def ca_fingerprint_of(pem_path: Path) -> str:
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem_path.read_text())).hexdigest()


def admin(url: str, ca: Path, method: str, path: str, **kwargs) -> requests.Response:
    headers = {"Authorization": "Bearer demo-admin-token"}
    return requests.request(
        method, url + API + path, headers=headers, verify=str(ca), timeout=30, **kwargs
    )


def test_https_verified_by_the_demo_ca_and_the_ca_told_without_a_token(
    tmp_path: Path, openapi: dict
):
    with serving(tmp_path / "state", tls=True) as server:
        assert server.url.startswith("https://127.0.0.1:")
        ca = server.ca_cert_path
        with requests.Session() as http:
            told = http.get(f"{server.url}{API}/ca-certificate", verify=str(ca), timeout=30)
            assert told.status_code == 200
            assert told.headers["Content-Type"] == "application/x-pem-file"
            assert told.text == ca.read_text()
            assert "200" in openapi["paths"]["/ca-certificate"]["get"]["responses"]
            # The certificate names localhost too, for a kiosk on the server's machine.
            port = server.url.rsplit(":", 1)[1]
            named = http.get(f"https://localhost:{port}/healthz", verify=str(ca), timeout=30)
            assert named.text == "ok"
        # Not trusted without the demo CA: a kiosk must pin it first.
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(f"{server.url}/healthz", timeout=30)
        # Plain HTTP to the HTTPS port gets nothing served.
        with pytest.raises(requests.RequestException):
            requests.get(server.url.replace("https://", "http://") + "/healthz", timeout=10)


def test_the_ca_certificate_is_told_over_plain_http_too(tmp_path: Path):
    with serving(tmp_path / "state") as server:
        told = requests.get(f"{server.url}{API}/ca-certificate", timeout=30)
        assert told.status_code == 200
        assert (
            ca_fingerprint_of(server.ca_cert_path)
            == hashlib.sha256(ssl.PEM_cert_to_DER_cert(told.text)).hexdigest()
        )


def test_enrolled_says_the_village_the_kiosk_joined(tmp_path: Path, conforms: OpenApiCheck):
    with serving(tmp_path / "state", tls=True) as server:
        ca = server.ca_cert_path
        village = {
            "village": {
                "name": "Desa Tegalrejo",
                "district": "Merakurak",
                "regency": "Tuban",
                "province": "Jawa Timur",
                "address": "Jl. Raya Tegalrejo 1",
                "head_name": "Sri Wahyuni",
                "code": "35.23.01.2002",
            },
            "services": ["SKD"],
        }
        assert admin(server.url, ca, "POST", "/admin/villages", json=village).status_code == 201
        made = admin(
            server.url,
            ca,
            "POST",
            "/admin/enrolments",
            json={"label": "Balai desa Tegalrejo", "village_code": "35.23.01.2002"},
        )
        token = made.json()["token"]
        answer = requests.post(
            f"{server.url}{API}/enrol",
            json={"enrolment_token": token},
            verify=str(ca),
            timeout=30,
        )
        enrolled = conforms(answer, "Enrolled", "POST", "/enrol")
        assert enrolled["village_code"] == "35.23.01.2002"


def test_the_server_certificate_is_kept_and_remade_for_new_names(tmp_path: Path):
    state = tmp_path / "state"
    with serving(state, tls=True) as server:
        cert = server.ca_cert_path.parent / SERVER_CERT
        first = cert.read_bytes()
    with serving(state, tls=True):
        assert cert.read_bytes() == first  # a restart keeps it
    with serving(state, tls=True, public_url="https://apm.desa.example") as server:
        assert cert.read_bytes() != first  # the public name was not in it
        from cryptography import x509

        names = (
            x509.load_pem_x509_certificate(cert.read_bytes())
            .extensions.get_extension_for_class(x509.SubjectAlternativeName)
            .value.get_values_for_type(x509.DNSName)
        )
        assert "apm.desa.example" in names
        ok = requests.get(f"{server.url}/healthz", verify=str(server.ca_cert_path), timeout=30)
        assert ok.text == "ok"


def test_apm_server_serve_tls_prints_the_fingerprint_for_provisioning_files(tmp_path: Path):
    state = tmp_path / "state"
    port = free_port()
    command = [sys.executable, "-m", "apm_server.cli", "serve", "--tls", "--port", str(port),
               "--state-dir", str(state)]  # fmt: skip
    url = database_url(state)
    if url is not None:
        command += ["--database-url", url]
    log = tmp_path / "output.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            command, cwd=REPO, stdout=output, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while "listening on https://" not in log.read_text():
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        ca = state / "demo-ca" / "ca.pem"
        said = re.search(r'^ca_fingerprint = "([0-9A-F:]{95})"$', log.read_text(), re.M)
        assert said is not None, log.read_text()
        assert said.group(1) == fingerprint(ca)
        assert said.group(1).replace(":", "").lower() == ca_fingerprint_of(ca)
        answer = requests.get(f"https://127.0.0.1:{port}/healthz", verify=str(ca), timeout=30)
        assert answer.text == "ok"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


def test_an_idle_tls_client_does_not_hold_the_server_s_stop(tmp_path: Path):
    """A kept-alive TLS connection is closed at once when the server stops (a TLS close
    would wait for the client's close_notify, which an idle client never sends)."""
    server = start_reference_server(tmp_path / "state", tls=True)
    http = requests.Session()
    try:
        answer = http.get(f"{server.url}/healthz", verify=str(server.ca_cert_path), timeout=30)
        assert answer.text == "ok"  # and the connection stays open in the session's pool
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 2.0
    finally:
        http.close()
        server.stop()  # again: a second stop does nothing
