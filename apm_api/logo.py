"""The village's emblem, sent with the kiosk configuration: a small PNG in base64.

Checked by both sides: the server refuses a bad one when the office sets it, and the
kiosk shows none (and says why, once, in its log) rather than fail to load its
configuration or hand Qt something that is not a small PNG.
"""

from __future__ import annotations

import base64
import binascii
import struct

MAX_BYTES = 64 * 1024  # a village emblem is a few KiB; more is a photo by mistake
MAX_SIDE = 1024  # pixels
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class LogoError(ValueError):
    """Why a logo cannot be used, in words for the office's operator or a technician."""


def decode_logo(text: str) -> bytes:
    """The PNG bytes of a base64 logo, or LogoError saying what is wrong with it."""
    if len(text) > (MAX_BYTES * 4) // 3 + 4:
        raise LogoError(f"the logo is larger than {MAX_BYTES // 1024} KiB")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise LogoError("the logo is not base64 text") from None
    if len(data) > MAX_BYTES:
        raise LogoError(f"the logo is larger than {MAX_BYTES // 1024} KiB")
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR" or len(data) < 33:
        raise LogoError("the logo is not a PNG image")
    width, height = struct.unpack(">II", data[16:24])
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise LogoError(
            f"the logo is {width}x{height} pixels; at most {MAX_SIDE}x{MAX_SIDE} is shown"
        )
    return data
