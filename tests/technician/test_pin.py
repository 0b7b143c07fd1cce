"""The technician PIN is stored as a scrypt hash in the format the config loader accepts."""

from __future__ import annotations

import re
import time

import pytest

from kiosk.config import PIN_HASH_PATTERN, TechnicianSection
from kiosk.technician.pin import PinHashError, hash_pin, is_valid_pin, parse_pin_hash, verify_pin

FAST = {"n": 2**10}  # the format and the checks, without a tenth of a second per hash


def test_a_hash_has_the_config_format_and_the_config_takes_it():
    encoded = hash_pin("24681357")
    assert re.fullmatch(PIN_HASH_PATTERN, encoded)
    assert encoded.startswith("scrypt$16384$8$1$")
    assert TechnicianSection(pin_hash=encoded).pin_hash == encoded
    assert "24681357" not in encoded


def test_the_right_pin_verifies_and_others_do_not():
    encoded = hash_pin("135790", **FAST)
    assert verify_pin("135790", encoded)
    assert not verify_pin("135791", encoded)
    assert not verify_pin("1357900", encoded)
    assert not verify_pin("", encoded)
    assert not verify_pin("abcdef", encoded)


def test_each_hash_has_its_own_salt():
    first, second = hash_pin("135790", **FAST), hash_pin("135790", **FAST)
    assert first != second
    assert verify_pin("135790", first) and verify_pin("135790", second)


def test_the_parameters_travel_with_the_hash():
    encoded = hash_pin("135790", n=2**11, r=4, p=2)
    n, r, p, salt, key = parse_pin_hash(encoded)
    assert (n, r, p, len(salt), len(key)) == (2**11, 4, 2, 16, 32)
    assert verify_pin("135790", encoded)


@pytest.mark.parametrize("pin", ["12345", "123456789", "12345a", " 123456", "١٢٣٤٥٦"])
def test_a_pin_is_6_to_8_ascii_digits(pin: str):
    assert not is_valid_pin(pin)
    with pytest.raises(ValueError, match="6 to 8 digits"):
        hash_pin(pin)


@pytest.mark.parametrize(
    "bad",
    [
        "scrypt$16384$8$1$c2FsdA==",  # a part missing
        "bcrypt$16384$8$1$c2FsdHNhbHQ=$a2V5a2V5a2V5a2V5a2V5a2V5",
        "scrypt$1000$8$1$c2FsdHNhbHQ=$a2V5a2V5a2V5a2V5a2V5a2V5",  # n not a power of two
        "scrypt$1073741824$8$1$c2FsdHNhbHQ=$a2V5a2V5a2V5a2V5a2V5a2V5",  # gigabytes
        "scrypt$16384$8$1$!!!$a2V5a2V5a2V5a2V5a2V5a2V5",
        "scrypt$16384$8$1$c2E=$a2V5a2V5a2V5a2V5a2V5a2V5",  # a 2-byte salt
    ],
)
def test_a_malformed_hash_is_a_clear_error_not_a_crash(bad: str):
    with pytest.raises(PinHashError):
        verify_pin("123456", bad)


def test_a_wrong_pin_takes_as_long_as_a_right_one():
    """No early exit that would tell a guesser anything (scrypt runs every time)."""
    encoded = hash_pin("135790", n=2**13)

    def took(pin: str) -> float:
        started = time.perf_counter()
        verify_pin(pin, encoded)
        return time.perf_counter() - started

    right = min(took("135790") for _ in range(3))
    for wrong in ("000000", "12"):
        assert min(took(wrong) for _ in range(3)) > right * 0.5


def test_the_demo_technician_pin_opens_the_demo_kiosk():
    from kiosk.demo.settings import DEMO_TECHNICIAN_PIN, DEMO_TECHNICIAN_PIN_HASH

    assert verify_pin(DEMO_TECHNICIAN_PIN, DEMO_TECHNICIAN_PIN_HASH)
