"""`apm-kiosk demo --card-reader SPEC`: what each spec gives the kiosk, and a clear
message for a spec that means nothing (before anything starts)."""

from __future__ import annotations

import argparse

import pytest

from kiosk.demo.card_reader import card_reader_table, parse_card_reader
from kiosk.demo.settings import demo_settings


@pytest.mark.parametrize(
    ("spec", "table"),
    [
        ("simulated", {"type": "simulated"}),
        ("pcsc", {"type": "pcsc"}),
        ("pcsc:ACR122|ACR1252", {"type": "pcsc", "reader": "ACR122|ACR1252"}),
        ("virtual-card", {"type": "pcsc", "reader": "Virtual PCD 00 00"}),
        ("virtual-card:40000", {"type": "pcsc", "reader": "Virtual PCD 00 00"}),
    ],
)
def test_each_spec_gives_a_card_reader_the_config_loader_accepts(spec, table, tmp_path):
    choice = parse_card_reader(spec)
    assert card_reader_table(choice) == table
    settings = demo_settings(tmp_path, card_reader=card_reader_table(choice))
    assert settings.device_type("card_reader") == table["type"]


@pytest.mark.parametrize("spec", ["pcsc:", "virtual-card:x", "virtual-card:70000", "nfc"])
def test_a_meaningless_spec_is_refused_with_the_accepted_forms(spec):
    from kiosk.ui.demo import argument_problem

    problem = argument_problem(argparse.Namespace(card_reader=spec))
    assert problem is not None
    assert spec in problem and "virtual-card[:PORT]" in problem
