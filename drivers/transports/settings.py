"""Settings of every transport, as they appear in a device's `transport = {...}` table.

Kept apart from the transports themselves so that validating a config imports neither
sockets code nor pyserial. `TransportSettings` is a union tagged by `type`, so pydantic
reports an unknown type with the list of known ones, and a bad field with its full key
path (e.g. `transport.tcp.port`).
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

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


class UsbTransportSettings(BaseModel):
    """A USB printer: by vendor/product id through libusb (pyusb), or through the
    kernel's usblp driver as a device file. Give `device` or both ids.

    Either way the kiosk user needs permission: see docs/printers.md for the udev rule.
    """

    model_config = ConfigDict(extra="forbid")

    type: Literal["usb"]
    # Through the kernel's usblp driver (e.g. "/dev/usb/lp0"); no ids then.
    device: str | None = Field(default=None, min_length=1, examples=["/dev/usb/lp0"])
    # Through libusb: the ids from `lsusb` (0x04b8 is Epson). Ints, e.g. 0x04b8 in TOML.
    vendor_id: int | None = Field(default=None, ge=0, le=0xFFFF)
    product_id: int | None = Field(default=None, ge=0, le=0xFFFF)
    interface: int = Field(default=0, ge=0, le=255)
    write_timeout_s: float = Field(default=10.0, gt=0, le=300)

    @model_validator(mode="after")
    def _one_way_to_find_it(self) -> UsbTransportSettings:
        by_ids = self.vendor_id is not None or self.product_id is not None
        if by_ids and self.device is not None:
            raise ValueError("give either device or vendor_id + product_id, not both")
        if not by_ids and self.device is None:
            raise ValueError("give device (e.g. /dev/usb/lp0) or vendor_id + product_id")
        if by_ids and (self.vendor_id is None or self.product_id is None):
            raise ValueError("give both vendor_id and product_id")
        return self


class CupsRawTransportSettings(BaseModel):
    """A receipt printer behind a CUPS raw queue (`lpadmin -m raw`): the ESC/POS bytes of
    each receipt go as one job. CUPS cannot pass status requests through, so such a
    printer's paper and cover are "not supported"."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["cups"]
    queue: str = Field(min_length=1, pattern=r"^[^/#\s]+$")
    server: str = "localhost"  # host or host:port of cupsd; a path for its socket
    timeout_s: float = Field(default=10.0, gt=0, le=300)


TransportSettings = Annotated[
    SimulatedTransportSettings
    | TcpTransportSettings
    | SerialTransportSettings
    | UsbTransportSettings
    | CupsRawTransportSettings,
    Field(discriminator="type"),
]
