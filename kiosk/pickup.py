"""Pickup codes: the secret on a citizen's receipt that brings them back to their letter.

Pure functions, no I/O: the flow, the storage and the receipt all use them. A code is 12
random digits (about 40 bits): typed on a numeric keypad, or scanned from the receipt's QR
code by a keyboard-wedge scanner, which types the QR payload followed by Enter.
"""

from __future__ import annotations

import re
import secrets

PICKUP_QR_PREFIX = "APM1:AMBIL:"
CODE_DIGITS = 12
_SEPARATORS = re.compile(r"[\s\-.]")


def new_pickup_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))


def qr_payload(code: str) -> str:
    return PICKUP_QR_PREFIX + code


def display(code: str) -> str:
    """1234-5678-9012: easier to read out and to type."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def parse_pickup_code(text: str) -> str | None:
    """The 12 digits from a scanned QR payload or a typed code, or None if it is neither."""
    text = text.strip()
    if text.upper().startswith(PICKUP_QR_PREFIX):
        text = text[len(PICKUP_QR_PREFIX) :]
    digits = _SEPARATORS.sub("", text)
    if len(digits) == CODE_DIGITS and digits.isascii() and digits.isdigit():
        return digits
    return None


def is_pickup_scan(text: str) -> bool:
    """Was this line read from a pickup QR (even a misread one), or is it a bare code?"""
    return parse_pickup_code(text) is not None or text.strip().upper().startswith(PICKUP_QR_PREFIX)


def new_kiosk_reference() -> str:
    """The kiosk's own reference for a request, printed before the backend has answered."""
    # Crockford's base 32: no I, L, O, U, which a citizen would read as 1, 1, 0, V.
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    body = "".join(secrets.choice(alphabet) for _ in range(8))
    return f"K-{body[:4]}-{body[4:]}"
