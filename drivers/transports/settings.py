"""Settings of every transport, as they appear in a device's `transport = {...}` table.

Kept apart from the transports themselves so that validating a config imports neither
sockets code nor pyserial. `TransportSettings` is a union tagged by `type`, so pydantic
reports an unknown type with the list of known ones, and a bad field with its full key
path (e.g. `transport.tcp.port`).
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from drivers.sim.faults import ESCPOS_PRINTER_FAULTS, Fault, FaultSettings


class SimulatedTransportSettings(FaultSettings):
    """An in-process virtual device at the far end; its faults are configured here."""

    supported_faults: ClassVar[frozenset[Fault]] = ESCPOS_PRINTER_FAULTS

    type: Literal["simulated"]
    device: Literal["escpos"] = "escpos"


class TcpTransportSettings(BaseModel):
    """A network printer, usually on the raw port 9100."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["tcp"]
    host: str = Field(min_length=1)
    port: int = Field(default=9100, ge=1, le=65535)
    connect_timeout_s: float = Field(default=3.0, gt=0, le=60)
    write_timeout_s: float = Field(default=10.0, gt=0, le=300)


class SerialTransportSettings(BaseModel):
    """A serial port: RS-232, or a USB-serial adapter (the kiosk user needs `dialout`)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["serial"]
    port: str = Field(min_length=1, examples=["/dev/ttyUSB0"])
    baudrate: int = Field(default=9600, gt=0)
    bytesize: Literal[7, 8] = 8
    parity: Literal["none", "even", "odd"] = "none"
    stopbits: Literal[1, 2] = 1
    flow_control: Literal["none", "rtscts", "dsrdtr", "xonxoff"] = "none"
    write_timeout_s: float = Field(default=10.0, gt=0, le=300)


TransportSettings = Annotated[
    SimulatedTransportSettings | TcpTransportSettings | SerialTransportSettings,
    Field(discriminator="type"),
]
