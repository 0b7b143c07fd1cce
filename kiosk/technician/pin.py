"""The technician PIN, kept as a scrypt hash in `[technician] pin_hash`.

Format (kiosk.config.PIN_HASH_PATTERN): `scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>`. The
parameters travel with the hash, so a later version may raise them without invalidating
the PINs already configured. A 6-8 digit PIN is weak against an offline guess, whatever
the hash: the config file stays readable by root and the kiosk user only, and on screen
the lockout (kiosk.technician.lockout) limits the guesses.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re

PIN_RULE = "6 to 8 digits"
_PIN = re.compile(r"[0-9]{6,8}")

# About 0.1-0.2 s and 16 MiB on a kiosk's CPU: slow for a guesser, quick for a technician.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
KEY_BYTES = 32
# Bounds for the parameters read back from a config: a hand-edited hash must not make the
# kiosk allocate gigabytes or spin for minutes on the GUI's worker thread.
MAX_N = 2**20
MAX_R = 32
MAX_P = 16
MAX_MEMORY = 256 * 1024 * 1024


class PinHashError(ValueError):
    """A `pin_hash` that is not one `apm-kiosk technician hash-pin` would print."""


def is_valid_pin(pin: str) -> bool:
    return _PIN.fullmatch(pin) is not None


def hash_pin(
    pin: str,
    *,
    n: int = SCRYPT_N,
    r: int = SCRYPT_R,
    p: int = SCRYPT_P,
    salt: bytes | None = None,
) -> str:
    """The PIN's hash for `[technician] pin_hash` (a fresh random salt unless given)."""
    if not is_valid_pin(pin):
        raise ValueError(f"a technician PIN has {PIN_RULE}")
    _check_parameters(n, r, p)
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    key = _derive(pin, salt, n, r, p, KEY_BYTES)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(key)}"


def verify_pin(pin: str, encoded: str) -> bool:
    """Whether `pin` is the one `encoded` was made from (constant-time comparison).

    Blocking for a tenth of a second or so: call it off the GUI thread. Raises
    PinHashError for a malformed `encoded` (the config loader refuses those already)."""
    n, r, p, salt, expected = parse_pin_hash(encoded)
    if not is_valid_pin(pin):
        # Still derive a key: a wrong-length PIN takes as long to refuse as a wrong one.
        _derive("0" * 6, salt, n, r, p, len(expected))
        return False
    actual = _derive(pin, salt, n, r, p, len(expected))
    return hmac.compare_digest(actual, expected)


def parse_pin_hash(encoded: str) -> tuple[int, int, int, bytes, bytes]:
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        raise PinHashError("expected scrypt$<n>$<r>$<p>$<salt>$<hash>")
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt = base64.b64decode(parts[4], validate=True)
        key = base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error) as error:
        raise PinHashError(f"unreadable PIN hash: {error}") from None
    _check_parameters(n, r, p)
    if len(salt) < 8 or len(key) < 16:
        raise PinHashError("the PIN hash's salt or key is too short")
    return n, r, p, salt, key


def _check_parameters(n: int, r: int, p: int) -> None:
    if n < 2 or n > MAX_N or n & (n - 1):
        raise PinHashError(f"scrypt n must be a power of two up to {MAX_N}, not {n}")
    if not 1 <= r <= MAX_R or not 1 <= p <= MAX_P:
        raise PinHashError(f"scrypt r must be 1-{MAX_R} and p 1-{MAX_P}, not {r} and {p}")
    if 128 * n * r * (p + 1) > MAX_MEMORY:
        raise PinHashError("scrypt parameters need more memory than a kiosk has to spare")


def _derive(pin: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(
        pin.encode("ascii"), salt=salt, n=n, r=r, p=p, maxmem=MAX_MEMORY, dklen=length
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
