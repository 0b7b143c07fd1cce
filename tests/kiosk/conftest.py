"""Fake device drivers in fresh registries, so config tests do not depend on real drivers;
and a real CA certificate to name as the trust anchor a URL backend requires."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import BaseModel, ConfigDict, Field

from drivers.registry import Registry


class FakeDriver:
    settings_model: ClassVar[type[BaseModel]]

    def __init__(self, device_id: str, settings: Any) -> None:
        self.device_id, self.settings = device_id, settings


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FakeSimulatedTransport(_Strict):
    type: Literal["simulated"]


class FakeSerialTransport(_Strict):
    type: Literal["serial"]
    port: str
    baudrate: int = 9600


class FakeTcpTransport(_Strict):
    type: Literal["tcp"]
    host: str
    port: int = Field(default=9100, ge=1, le=65535)


class FakeEscposSettings(_Strict):
    type: Literal["escpos"] = "escpos"
    transport: Annotated[
        FakeSimulatedTransport | FakeSerialTransport | FakeTcpTransport,
        Field(discriminator="type"),
    ]
    columns: int = Field(default=48, ge=24, le=64)


class FakeSimulatedSettings(_Strict):
    type: Literal["simulated"] = "simulated"
    print_delay_s: float = 0.0


class FakeEscposPrinter(FakeDriver):
    settings_model = FakeEscposSettings


class FakeSimulatedDevice(FakeDriver):
    settings_model = FakeSimulatedSettings


def fake_registries() -> dict[str, Registry[Any]]:
    here = __name__
    receipt: Registry[Any] = Registry("receipt printer", FakeDriver)
    receipt.register("escpos", f"{here}:FakeEscposPrinter")
    document: Registry[Any] = Registry("document printer", FakeDriver)
    document.register("simulated", f"{here}:FakeSimulatedDevice")
    document.register("cups", f"{here}:FakeSimulatedDevice")
    cards: Registry[Any] = Registry("card reader", FakeDriver)
    cards.register("simulated", f"{here}:FakeSimulatedDevice")
    return {"receipt_printer": receipt, "document_printer": document, "card_reader": cards}


@pytest.fixture
def registries() -> dict[str, Registry[Any]]:
    return fake_registries()


# --- a trust anchor ------------------------------------------------------------------------


def make_ca_pem(common_name: str = "Test Root CA") -> bytes:
    """A small self-signed CA certificate (PEM), like the national root a kiosk trusts."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="session")
def ca_pem() -> bytes:
    return make_ca_pem()


@pytest.fixture
def root_pem(tmp_path: Path, ca_pem: bytes) -> Path:
    """`tmp_path/root.pem`: the trust anchor the test configs name as "root.pem"."""
    path = tmp_path / "root.pem"
    path.write_bytes(ca_pem)
    return path
