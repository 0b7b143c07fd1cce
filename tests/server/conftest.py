"""A real reference server on loopback per test, a small kiosk-side HTTP helper, and a
check of answers against the committed OpenAPI document."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from apm_server.app import RunningServer
from tests.harness import serving

API = "/api/v1"
OPENAPI = Path(__file__).resolve().parents[2] / "api" / "openapi.yaml"
SITI_CARD = "04A3B2C1D0E1F2"
SITI_NIK = "3523014708900001"
SITI_PIN = "123456"
SITI_NAME = "Siti Rahayu"
SITI_MASKED = "3523••••••••0001"
BUDI_NIK = "3523011203850002"
BUDI_PIN = "654321"
SKD_ADDRESS = "Dusun Krajan RT 002 RW 001"
WAHYU_NIK = "3523012511000003"  # the demo resident without a card


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    with serving(tmp_path / "state", auto_sign_delay_s=None) as running:
        yield running


class Kiosk:
    """What a kiosk does over HTTP, with the demo kiosk's bearer token."""

    def __init__(self, server: RunningServer) -> None:
        self.server = server
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {server.kiosk_token}"

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.http.request(method, self.server.url + API + path, **kwargs)

    def admin(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.server.admin_token}"}
        return requests.request(
            method, self.server.url + API + path, headers=headers, timeout=30, **kwargs
        )

    def identify(self, body: dict[str, str]) -> requests.Response:
        return self.call("POST", "/identify", json=body)

    def session(self, card: str = SITI_CARD) -> str:
        answer = self.identify({"method": "card", "card_uid": card})
        assert answer.status_code == 200, answer.text
        return answer.json()["session_token"]

    def submit(
        self,
        token: str,
        key: str | None,
        keperluan: str = "Melamar pekerjaan",
        *,
        fields: dict[str, str] | None = None,
        service: str = "SKD",
    ) -> requests.Response:
        if fields is None:
            fields = {"keperluan": keperluan, "alamat_domisili": SKD_ADDRESS}
        headers = {"X-Session-Token": token}
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.call(
            "POST", "/requests", headers=headers, json={"service_code": service, "fields": fields}
        )

    def submit_offline(
        self,
        key: str,
        applicant: dict[str, str] | None,
        keperluan: str = "Melamar pekerjaan",
        **extra: Any,
    ) -> requests.Response:
        """A request taken while the kiosk was offline, sent later without a session."""
        body: dict[str, Any] = {
            "service_code": "SKD",
            "fields": {"keperluan": keperluan, "alamat_domisili": SKD_ADDRESS},
            **extra,
        }
        if applicant is not None:
            body["applicant"] = applicant
        return self.call("POST", "/requests", headers={"Idempotency-Key": key}, json=body)

    def new_request(self, key: str, keperluan: str = "Melamar pekerjaan") -> dict[str, Any]:
        answer = self.submit(self.session(), key, keperluan)
        assert answer.status_code == 201, answer.text
        return answer.json()

    def sign(self, request_id: str) -> requests.Response:
        return self.admin("POST", f"/admin/requests/{request_id}/sign")

    def reject(self, request_id: str, reason: str) -> requests.Response:
        return self.admin("POST", f"/admin/requests/{request_id}/reject", json={"reason": reason})

    def status(self, request_id: str) -> dict[str, Any]:
        answer = self.call("GET", f"/requests/{request_id}")
        assert answer.status_code == 200, answer.text
        return answer.json()

    def my_requests(self, token: str) -> requests.Response:
        return self.call("GET", "/requests", headers={"X-Session-Token": token})

    def printed(self, request_id: str, sha256: str, key: str) -> requests.Response:
        return self.call(
            "POST",
            f"/requests/{request_id}/printed",
            headers={"Idempotency-Key": key},
            json={"kiosk_id": "KIOSK-DEMO-01", "document_sha256": sha256},
        )

    def raw(self, data: bytes) -> bytes:
        """Send bytes as they are (for requests no HTTP library would make); the answer."""
        host, port = self.server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as conn:
            conn.sendall(data)
            chunks = []
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)


@pytest.fixture
def kiosk(server: RunningServer) -> Iterator[Kiosk]:
    client = Kiosk(server)
    yield client
    client.close()


def wait_for(check: Callable[[], Any], timeout_s: float = 15.0, interval_s: float = 0.05) -> Any:
    """Poll `check` until it returns something truthy; fail after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout_s} s (last: {result!r})")
        time.sleep(interval_s)


class OpenApiCheck:
    """Checks a real answer against api/openapi.yaml: its body against the named schema,
    its status against the codes the document promises for that operation."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.registry = Registry().with_resource(
            "urn:apm:openapi", Resource.from_contents(document, default_specification=DRAFT202012)
        )
        self.seen: set[str] = set()

    def __call__(
        self, answer: requests.Response, schema: str, method: str, path: str
    ) -> dict[str, Any]:
        validator = jsonschema.Draft202012Validator(
            {"$ref": f"urn:apm:openapi#/components/schemas/{schema}"},
            registry=self.registry,
            format_checker=jsonschema.FormatChecker(),
        )
        body = answer.json()
        validator.validate(body)
        responses = self.document["paths"][path][method.lower()]["responses"]
        assert str(answer.status_code) in responses, (method, path, answer.status_code)
        self.seen.add(schema)
        return body


@pytest.fixture(scope="session")
def openapi() -> dict[str, Any]:
    return yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))


@pytest.fixture
def conforms(openapi: dict[str, Any]) -> OpenApiCheck:
    return OpenApiCheck(openapi)
