"""Registries and settings: what the kiosk's config loader relies on."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from cardreader.registry import CARD_READERS
from cardreader.simulated import SimulatedCardReader
from drivers.registry import UnknownType
from drivers.transports import TRANSPORTS
from drivers.transports.settings import TransportSettings
from printer.escpos_printer import EscposPrinter
from printer.registry import DOCUMENT_PRINTERS, RECEIPT_PRINTERS
from printer.sim_document import SimulatedDocumentPrinter

ROOT = Path(__file__).resolve().parents[2]


def errors(registry, table: dict[str, Any]) -> list[tuple[tuple, str, str]]:
    with pytest.raises(ValidationError) as caught:
        registry.resolve(table["type"]).settings_model.model_validate(table)
    return [(e["loc"], e["type"], e["msg"]) for e in caught.value.errors()]


def test_registries_resolve_config_types_to_driver_classes():
    assert RECEIPT_PRINTERS.resolve("escpos") is EscposPrinter
    assert DOCUMENT_PRINTERS.resolve("simulated") is SimulatedDocumentPrinter
    assert CARD_READERS.resolve("simulated") is SimulatedCardReader
    assert TRANSPORTS.names() == ["cups", "serial", "simulated", "tcp", "usb"]
    with pytest.raises(UnknownType, match="known types: cups-a4, escpos"):
        RECEIPT_PRINTERS.resolve("star")


def test_every_transport_has_settings_in_the_union():
    union = typing.get_args(typing.get_args(TransportSettings)[0])
    tags = {typing.get_args(model.model_fields["type"].annotation)[0]: model for model in union}
    assert sorted(tags) == TRANSPORTS.names()
    for name in TRANSPORTS.names():
        assert TRANSPORTS.resolve(name).settings_model is tags[name]


def test_the_demo_tables_validate():
    for registry, table in [
        (RECEIPT_PRINTERS, {"type": "escpos", "transport": {"type": "simulated"}}),
        (DOCUMENT_PRINTERS, {"type": "simulated"}),
        (CARD_READERS, {"type": "simulated"}),
        (RECEIPT_PRINTERS, {"type": "escpos", "transport": {"type": "tcp", "host": "10.0.0.9"}}),
        (
            RECEIPT_PRINTERS,
            {"type": "escpos", "transport": {"type": "serial", "port": "/dev/ttyUSB0"}},
        ),
    ]:
        registry.resolve(table["type"]).settings_model.model_validate(table)


def test_an_unknown_transport_type_lists_the_known_ones():
    [(loc, kind, message)] = errors(
        RECEIPT_PRINTERS, {"type": "escpos", "transport": {"type": "bluetooth"}}
    )
    assert loc == ("transport",) and kind == "union_tag_invalid"
    assert all(name in message for name in ("simulated", "tcp", "serial"))


def test_wrong_field_types_carry_their_key_paths():
    table = {
        "type": "escpos",
        "transport": {"type": "tcp", "host": "printer", "port": "nine-one-hundred"},
        "columns": "wide",
        "colour": "red",
    }
    found = {loc: kind for loc, kind, _ in errors(RECEIPT_PRINTERS, table)}
    assert found == {
        ("transport", "tcp", "port"): "int_parsing",
        ("columns",): "int_parsing",
        ("colour",): "extra_forbidden",
    }


def test_a_missing_transport_and_a_port_out_of_range():
    assert errors(RECEIPT_PRINTERS, {"type": "escpos"})[0][:2] == (("transport",), "missing")
    table = {"type": "escpos", "transport": {"type": "tcp", "host": "p", "port": 70000}}
    assert errors(RECEIPT_PRINTERS, table)[0][:2] == (
        ("transport", "tcp", "port"),
        "less_than_equal",
    )


def test_fault_settings_are_checked_per_device():
    unknown = errors(DOCUMENT_PRINTERS, {"type": "simulated", "faults": ["paper_jam"]})
    assert unknown[0][:2] == (("faults", 0), "enum")
    wrong_device = errors(CARD_READERS, {"type": "simulated", "faults": ["paper_out"]})
    assert wrong_device[0][0] == ("faults",) and "not supported" in wrong_device[0][2]
    wrong_counter = errors(
        CARD_READERS, {"type": "simulated", "fault_script": [{"at_job": 1, "fault": "unplugged"}]}
    )
    assert "counts at_read" in wrong_counter[0][2]
    no_fault = errors(DOCUMENT_PRINTERS, {"type": "simulated", "fault_script": [{"at_job": 2}]})
    assert no_fault[0][:2] == (("fault_script", 0, "fault"), "missing")
    delay = errors(DOCUMENT_PRINTERS, {"type": "simulated", "print_delay_s": "slow"})
    assert delay[0][:2] == (("print_delay_s",), "float_parsing")


def test_validating_settings_imports_no_heavy_library():
    script = textwrap.dedent(
        """
        import sys
        from printer.registry import RECEIPT_PRINTERS, DOCUMENT_PRINTERS
        from cardreader.registry import CARD_READERS
        for registry, table in [
            (RECEIPT_PRINTERS, {"type": "escpos", "transport": {"type": "serial", "port": "x"}}),
            (DOCUMENT_PRINTERS, {"type": "simulated"}),
            (CARD_READERS, {"type": "simulated"}),
        ]:
            registry.resolve(table["type"]).settings_model.model_validate(table)
        heavy = {"escpos", "serial", "PIL", "qrcode", "PySide6"}
        print(sorted(m for m in sys.modules if m.split(".")[0] in heavy))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
