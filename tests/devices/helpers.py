"""Builders of device settings, as a kiosk TOML table would give them."""

from __future__ import annotations

from typing import Any

from cardreader.simulated import SimulatedCardReader, SimulatedCardReaderSettings
from printer.escpos_printer import EscposPrinter, EscposPrinterSettings
from printer.sim_document import SimulatedDocumentPrinter, SimulatedDocumentPrinterSettings


def escpos_printer(transport: dict[str, Any], **settings: Any) -> EscposPrinter:
    table = {"type": "escpos", "transport": transport, "poll_interval_s": None, **settings}
    return EscposPrinter("receipt", EscposPrinterSettings.model_validate(table))


def simulated_escpos_printer(**transport: Any) -> EscposPrinter:
    return escpos_printer({"type": "simulated", **transport})


def document_settings(**settings: Any) -> SimulatedDocumentPrinterSettings:
    table = {"type": "simulated", "print_delay_s": 0.0, **settings}
    return SimulatedDocumentPrinterSettings.model_validate(table)


def document_printer(**settings: Any) -> SimulatedDocumentPrinter:
    return SimulatedDocumentPrinter("a4", document_settings(**settings))


def card_reader(**settings: Any) -> SimulatedCardReader:
    table = {"type": "simulated", **settings}
    return SimulatedCardReader("reader", SimulatedCardReaderSettings.model_validate(table))
