"""Fake device drivers in fresh registries, so config tests do not depend on real drivers."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import pytest
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
